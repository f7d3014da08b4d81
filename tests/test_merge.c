/*
 * tests/test_merge.c: the core engine's k-way merge (lib/engines/merge.c)
 * over regions built in memory: one timestamp order over many sources, ties
 * by source, sources that go idle and come back, and nothing lost. No root.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "bpf-core/kd_core.h" /* KD_REGION_STEP */

TestSuite(merge, .timeout = 60);

#define REGION (64u * 1024u)

/* A region in memory, written as kd_region.bpf.h does. */
struct src {
	uint8_t *data;
	uint64_t head, tail;
};

static void src_init(struct src *s, struct kd__ring *r)
{
	s->data = calloc(1, REGION);
	cr_assert_not_null(s->data);
	s->head = s->tail = 0;
	kd__ring_region(r, s->data, REGION, REGION, &s->head, &s->tail);
}

/* A 24-byte record: ts, then the source and a sequence number. */
static void put(struct src *s, uint64_t ts, uint32_t src, uint32_t seq)
{
	uint64_t len = 24, off = s->head & (REGION - 1);
	uint8_t *p = s->data + off;

	cr_assert_leq(off + KD_REGION_STEP(len), REGION, "the test region is full");
	memcpy(p, &len, 8);
	memcpy(p + 8, &ts, 8);
	memcpy(p + 16, &src, 4);
	memcpy(p + 20, &seq, 4);
	__atomic_store_n(&s->head, s->head + KD_REGION_STEP(len), __ATOMIC_RELEASE);
}

struct rec {
	uint64_t ts;
	uint32_t src, seq;
};

static bool next(struct kd__merge *m, struct rec *out)
{
	uint32_t len;
	const uint8_t *p = kd__merge_next(m, &len);

	if (!p)
		return false;
	cr_assert_eq(len, 24);
	memcpy(&out->ts, p, 8);
	memcpy(&out->src, p + 8, 4);
	memcpy(&out->seq, p + 12, 4);
	return true;
}

static void setup(int n, struct src *s, struct kd__ring *r, struct kd__merge *m)
{
	for (int i = 0; i < n; i++)
		src_init(&s[i], &r[i]);
	cr_assert_eq(kd__merge_init(m, r, n), 0);
}

static void teardown(int n, struct src *s, struct kd__merge *m)
{
	kd__merge_free(m);
	for (int i = 0; i < n; i++)
		free(s[i].data);
}

/* Many sources, each in time order, interleaved at random: one order out,
 * every record once, each source's in its own order. */
Test(merge, one_order_over_many_sources)
{
	enum { N = 300, PER = 200 };
	static struct src s[N];
	static struct kd__ring r[N];
	static uint32_t seen[N];
	struct kd__merge m;
	struct rec x;
	uint64_t last = 0, count = 0;

	setup(N, s, r, &m);
	srand(7);
	for (int i = 0; i < N; i++) {
		uint64_t ts = (uint64_t)(rand() % 1000);

		for (int k = 0; k < PER; k++) {
			ts += 1 + (uint64_t)(rand() % 500);
			put(&s[i], ts, (uint32_t)i, (uint32_t)k);
		}
	}
	while (next(&m, &x)) {
		cr_assert_geq(x.ts, last, "record %llu out of order", (unsigned long long)count);
		cr_assert_eq(x.seq, seen[x.src], "source %u: record %u after %u", x.src, x.seq, seen[x.src]);
		seen[x.src]++;
		last = x.ts;
		count++;
	}
	cr_assert_eq(count, (uint64_t)N * PER);
	teardown(N, s, &m);
}

/* Equal timestamps come out by source index, as a scan would give them. */
Test(merge, ties_by_source)
{
	struct src s[4];
	struct kd__ring r[4];
	struct kd__merge m;
	struct rec x;

	setup(4, s, r, &m);
	for (int i = 3; i >= 0; i--) {
		put(&s[i], 100, (uint32_t)i, 0);
		put(&s[i], 200, (uint32_t)i, 1);
	}
	for (int k = 0; k < 8; k++) {
		cr_assert(next(&m, &x));
		cr_assert_eq(x.src, (uint32_t)(k % 4));
		cr_assert_eq(x.ts, k < 4 ? 100u : 200u);
	}
	cr_assert_not(next(&m, &x));
	teardown(4, s, &m);
}

static uint64_t fake_now, fake_looks;

static uint64_t fake_clock(void)
{
	fake_looks++;
	return fake_now;
}

/* m reads fake_now from here on; fake_looks counts its reads. */
static void use_fake_clock(struct kd__merge *m, uint64_t now)
{
	m->clock = fake_clock;
	fake_now = now;
	fake_looks = 0;
}

/* Idle sources are looked at again only when the order needs it: records
 * stamped before the last look (less KD__MERGE_SLACK) go out without one,
 * which is how a backlog is read; a top record newer than that makes the
 * merge look again, so a record an idle source published meanwhile with an
 * older stamp goes first; when every source is empty it looks at once. */
Test(merge, idle_sources_looked_at_when_the_order_needs_it)
{
	const uint64_t ms = 1000000, t0 = 100 * ms;
	struct src s[3];
	struct kd__ring r[3];
	struct kd__merge m;
	struct rec x;
	unsigned k;

	setup(3, s, r, &m);
	use_fake_clock(&m, t0);
	/* a backlog: 1000 records stamped well before now */
	for (k = 0; k < 1000; k++)
		put(&s[0], t0 - 50 * ms + k, 0, k);
	for (k = 0; k < 1000; k++) {
		cr_assert(next(&m, &x));
		cr_assert_eq(x.seq, k);
	}
	cr_assert_eq(fake_looks, 1, "%llu looks for a backlog", (unsigned long long)fake_looks);
	/* at the head: source 0 has records from within the slack, source 1
	 * publishes an older one after they are in view */
	for (k = 0; k < 4; k++)
		put(&s[0], t0 - KD__MERGE_SLACK / 2 + k * 10, 0, 1000 + k);
	cr_assert(next(&m, &x)); /* empty heap: a look, source 0 comes in */
	cr_assert_eq(x.seq, 1000u);
	put(&s[1], t0 - KD__MERGE_SLACK / 2 + 5, 1, 0);
	cr_assert(next(&m, &x));
	cr_assert_eq(x.src, 1u, "the older record of the idle source first");
	for (k = 1001; k < 1004; k++) {
		cr_assert(next(&m, &x));
		cr_assert_eq(x.src, 0u);
		cr_assert_eq(x.seq, k);
	}
	cr_assert_not(next(&m, &x));
	/* all empty: a source that publishes is seen on the next call */
	put(&s[2], t0, 2, 0);
	cr_assert(next(&m, &x));
	cr_assert_eq(x.src, 2u);
	cr_assert_not(next(&m, &x));
	teardown(3, s, &m);
}

/* At the head of the stream (every record newer than the last look's time
 * less the slack) the idle sources are looked at before each record, but
 * the clock is read once per KD__MERGE_CLOCK_EVERY looks: it cost more than
 * the rest of the merge. A record an idle source publishes meanwhile with
 * an older stamp still goes first. */
Test(merge, clock_read_once_per_batch_of_looks_at_the_head)
{
	const uint64_t t0 = 100000000;
	const unsigned n = 4 * KD__MERGE_CLOCK_EVERY;
	struct src s[2];
	struct kd__ring r[2];
	struct kd__merge m;
	struct rec x;
	unsigned k;

	setup(2, s, r, &m);
	use_fake_clock(&m, t0);
	for (k = 0; k < n; k++)
		put(&s[0], t0 + 10 * k, 0, k);
	for (k = 0; k < n; k++) {
		if (k == n / 2)
			put(&s[1], t0 + 10 * k - 5, 1, 0);
		cr_assert(next(&m, &x));
		if (k == n / 2) {
			cr_assert_eq(x.src, 1u, "the idle source's older record first");
			cr_assert(next(&m, &x));
		}
		cr_assert_eq(x.src, 0u);
		cr_assert_eq(x.seq, k);
	}
	cr_assert_not(next(&m, &x));
	/* the first look (empty heap), then one per KD__MERGE_CLOCK_EVERY */
	cr_assert_leq(fake_looks, 2 + n / KD__MERGE_CLOCK_EVERY, "%llu clock reads for %u records",
		      (unsigned long long)fake_looks, n);
	cr_assert_geq(fake_looks, n / KD__MERGE_CLOCK_EVERY);
	teardown(2, s, &m);
}

/* Records shorter than a timestamp sort first, as time 0 (the decoder
 * reports them); an empty merge hands out nothing. */
Test(merge, short_records_and_nothing)
{
	struct src s[2];
	struct kd__ring r[2];
	struct kd__merge m;
	uint64_t four = 4, ts = 50;
	uint32_t len;
	const uint8_t *p;

	setup(2, s, r, &m);
	cr_assert_null(kd__merge_next(&m, &len));
	put(&s[0], ts, 0, 0);
	memcpy(s[1].data, &four, 8);
	memset(s[1].data + 8, 0xee, 4);
	__atomic_store_n(&s[1].head, KD_REGION_STEP(4), __ATOMIC_RELEASE);
	p = kd__merge_next(&m, &len);
	cr_assert_not_null(p);
	cr_assert_eq(len, 4);
	cr_assert_eq(p[0], 0xee);
	p = kd__merge_next(&m, &len);
	cr_assert_not_null(p);
	cr_assert_eq(len, 24);
	cr_assert_null(kd__merge_next(&m, &len));
	teardown(2, s, &m);
}
