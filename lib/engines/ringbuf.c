/*
 * lib/engines/ringbuf.c: our own BPF ring buffer consumer, so records are
 * read in place (zero copy) and handed out one at a time in timestamp order
 * across CPUs, which libbpf's callback-per-record ring_buffer cannot do.
 *
 * The kernel's layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos
 * (writable by us), page 1 producer_pos, then the data pages mapped twice so
 * a record that wraps is still contiguous. Each record starts with an 8-byte
 * header: u32 len with BUSY (being written) and DISCARD bits, u32 page offset;
 * records are 8-byte aligned.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf.h"
#include "bpf-core/kd_core.h"

#define KD__RB_BUSY    (1u << 31)
#define KD__RB_DISCARD (1u << 30)
#define KD__RB_HDR     8u

int kd__ring_map(struct kd__ring *r, int fd, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->size = size;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->cons = p;
	r->prod_map_len = (size_t)page + 2 * (size_t)size;
	p = mmap(NULL, r->prod_map_len, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (p == MAP_FAILED) {
		int err = -errno;

		munmap(r->cons, (size_t)page);
		r->cons = NULL;
		return err;
	}
	r->prod = p;
	r->data = (const uint8_t *)p + page;
	/* the kernel maps ring pages one by one (a mixed map), and fork copies
	 * the page tables of such maps: with two 8 MiB rings every fork of the
	 * host process cost ~0.3 ms more (kd-bench-probes, proc_fork). A child
	 * cannot use the rings anyway. */
	madvise(r->cons, (size_t)page, MADV_DONTFORK);
	madvise(p, r->prod_map_len, MADV_DONTFORK);
	r->pos = r->published = r->prod_seen = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
	return 0;
}

void kd__ring_region(struct kd__ring *r, const uint8_t *data, uint64_t size, uint64_t chunk,
		     const void *head, void *tail)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->region = true;
	r->size = size;
	r->chunk = chunk;
	r->cons = (unsigned long *)tail;
	r->prod = (const unsigned long *)head;
	r->data = data;
	r->pos = r->published = r->prod_seen = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
}

void kd__ring_unmap(struct kd__ring *r)
{
	long page = sysconf(_SC_PAGESIZE);

	if (r->region) {
		r->cons = NULL;
		r->prod = NULL;
		return;
	}
	if (r->cons)
		munmap(r->cons, (size_t)page);
	if (r->prod)
		munmap((void *)r->prod, r->prod_map_len);
	r->cons = NULL;
	r->prod = NULL;
}

/* A region's next record: 8 bytes of length (or KD_REGION_PAD: skip to the
 * chunk's end) before each, never crossing a chunk's end. A length that
 * cannot be right is handed out cut to the chunk's end, for the decoder to
 * report. */
static const void *region_next(struct kd__ring *r, uint64_t prod, uint32_t *len)
{
	while (r->pos < prod) {
		uint64_t in = r->pos & (r->chunk - 1), pre, step;
		const uint8_t *p = r->data + (r->pos & (r->size - 1));

		memcpy(&pre, p, sizeof(pre));
		if (pre & KD_REGION_PAD) {
			r->pos += r->chunk - in;
			continue;
		}
		step = KD_REGION_STEP(pre);
		if (pre == 0 || in + step > r->chunk) {
			pre = r->chunk - in - KD_REGION_PREFIX;
			step = r->chunk - in;
		}
		r->head = p + KD_REGION_PREFIX;
		r->head_len = (uint32_t)pre;
		r->head_step = step;
		*len = (uint32_t)pre;
		return r->head;
	}
	return NULL;
}

const void *kd__ring_peek(struct kd__ring *r, uint32_t *len)
{
	uint64_t prod;

	if (r->head) {
		*len = r->head_len;
		return r->head;
	}
	/* read the producer's position only once we caught up with the last
	 * one seen: every read pulls its cache line away from the producer,
	 * which then pays a miss on its next reservation */
	if (r->pos >= r->prod_seen) {
		r->prod_seen = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
		if (r->prod_seen - r->published > r->high_water)
			r->high_water = r->prod_seen - r->published;
	}
	prod = r->prod_seen;
	if (r->region)
		return region_next(r, prod, len);
	while (r->pos < prod) {
		const uint32_t *hdr = (const uint32_t *)(r->data + (r->pos & (r->size - 1)));
		uint32_t l = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		uint64_t step = ((uint64_t)(l & ~(KD__RB_BUSY | KD__RB_DISCARD)) + KD__RB_HDR + 7) & ~7ull;

		if (l & KD__RB_BUSY)
			return NULL;
		if (l & KD__RB_DISCARD) {
			r->pos += step;
			continue;
		}
		r->head = (const uint8_t *)hdr + KD__RB_HDR;
		r->head_len = l;
		r->head_step = step;
		*len = l;
		return r->head;
	}
	return NULL;
}

void kd__ring_advance(struct kd__ring *r)
{
	if (!r->head)
		return;
	r->pos += r->head_step;
	r->head = NULL;
	r->delivered++;
	/* publishing costs a cache line shared with every producer: batch it */
	if (r->pos - r->published >= r->size / 8)
		kd__ring_publish(r);
}

void kd__ring_publish(struct kd__ring *r)
{
	if (r->pos == r->published)
		return;
	__atomic_store_n(r->cons, r->pos, __ATOMIC_RELEASE);
	r->published = r->pos;
}
