/*
 * lib/engines/merge.c: the k-way merge of the core engine's rings and
 * regions (merge.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "merge.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int kd__merge_init(struct kd__merge *m, struct kd__ring *src, int n)
{
	memset(m, 0, sizeof(*m));
	m->src = src;
	m->n = n;
	m->cur = -1;
	m->clock = mono_ns;
	m->heap = calloc((size_t)n + 1, sizeof(*m->heap));
	m->key = calloc((size_t)n + 1, sizeof(*m->key));
	m->in = calloc((size_t)n + 1, sizeof(*m->in));
	if (!m->heap || !m->key || !m->in) {
		kd__merge_free(m);
		return -ENOMEM;
	}
	return 0;
}

void kd__merge_free(struct kd__merge *m)
{
	free(m->heap);
	free(m->key);
	free(m->in);
	m->heap = NULL;
	m->key = NULL;
	m->in = NULL;
	m->hn = 0;
}

/* Is source a before source b? Equal times: the lower index, as a scan
 * from the first source would pick. */
static int before(const struct kd__merge *m, int a, int b)
{
	return m->key[a] < m->key[b] || (m->key[a] == m->key[b] && a < b);
}

static void sift_up(struct kd__merge *m, int pos)
{
	int s = m->heap[pos];

	while (pos > 0) {
		int up = (pos - 1) / 2;

		if (!before(m, s, m->heap[up]))
			break;
		m->heap[pos] = m->heap[up];
		pos = up;
	}
	m->heap[pos] = s;
}

static void sift_down(struct kd__merge *m, int pos)
{
	int s = m->heap[pos];

	for (;;) {
		int l = 2 * pos + 1, best = l;

		if (l >= m->hn)
			break;
		if (l + 1 < m->hn && before(m, m->heap[l + 1], m->heap[l]))
			best = l + 1;
		if (!before(m, m->heap[best], s))
			break;
		m->heap[pos] = m->heap[best];
		pos = best;
	}
	m->heap[pos] = s;
}

/* The timestamp of source i's head, false when it has none in view. */
static bool head_key(struct kd__merge *m, int i)
{
	uint32_t len;
	const void *p = kd__ring_peek(&m->src[i], &len);
	uint64_t ts = 0;

	if (!p)
		return false;
	if (len >= sizeof(ts))
		memcpy(&ts, p, sizeof(ts));
	m->key[i] = ts;
	return true;
}

/* Look at the idle sources again. */
static void refresh(struct kd__merge *m)
{
	/* before the looks: what they miss was stamped after this. At the
	 * head of the stream this runs for every record, and the clock cost
	 * more than the rest of the merge (~12% of kdump -q's time): with
	 * records in view, read it one look in KD__MERGE_CLOCK_EVERY. An
	 * older time is still true of the looks that follow it, only less
	 * useful. */
	if (!m->hn || m->looks++ % KD__MERGE_CLOCK_EVERY == 0) {
		uint64_t now = m->clock();

		m->fresh = now > KD__MERGE_SLACK ? now - KD__MERGE_SLACK : 0;
	}
	for (int i = 0; i < m->n; i++) {
		if (m->in[i] || !head_key(m, i))
			continue;
		m->in[i] = 1;
		m->heap[m->hn++] = i;
		sift_up(m, m->hn - 1);
	}
}

const void *kd__merge_next(struct kd__merge *m, uint32_t *len)
{
	/* the record handed out last was the heap's top: step past it and
	 * put its source back by its next head, or out */
	if (m->cur >= 0) {
		int s = m->cur;

		m->cur = -1;
		kd__ring_advance(&m->src[s]);
		if (head_key(m, s)) {
			if (m->hn > 1)
				sift_down(m, 0);
		} else {
			m->in[s] = 0;
			m->heap[0] = m->heap[--m->hn];
			if (m->hn)
				sift_down(m, 0);
		}
	}
	/* an idle source may have published something older than the top */
	if (!m->hn || m->key[m->heap[0]] >= m->fresh)
		refresh(m);
	if (!m->hn)
		return NULL;
	/* a source in the heap has its head peeked (head_key()) */
	m->cur = m->heap[0];
	*len = m->src[m->cur].head_len;
	return m->src[m->cur].head;
}
