/* lib/engines/ringbuf.h: a zero-copy reader of one BPF ring buffer map, or
 * of one CPU's region (drivers/bpf-core/kd_region.bpf.h). */
#ifndef KD_RINGBUF_H
#define KD_RINGBUF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "bpf-core/kd_core.h" /* KD_REGION_* */

#define KD__RB_BUSY    (1u << 31)
#define KD__RB_DISCARD (1u << 30)
#define KD__RB_HDR     8u

struct kd__ring {
	int fd;                        /* -1 for a region */
	bool region;                   /* records framed by kd_region.bpf.h */
	uint64_t chunk;                /* a region's chunk bytes */
	uint64_t size;                 /* data bytes, a power of 2 */
	unsigned long *cons;           /* consumer_pos page (ours, rw) */
	const unsigned long *prod;     /* producer_pos page (kernel's, ro) */
	const uint8_t *data;           /* the data pages, mapped twice back to back */
	size_t prod_map_len;
	uint64_t pos;                  /* next record to read */
	uint64_t published;            /* consumer_pos the kernel last saw */
	uint64_t prod_seen;            /* producer_pos when last read */
	uint64_t high_water;           /* most bytes ever pending when looked at */
	/* the head record, once peeked (valid until kd__ring_advance) */
	const void *head;
	uint32_t head_len;
	uint64_t head_step;
	uint64_t delivered;
};

/* Map the ring behind fd (a BPF_MAP_TYPE_RINGBUF of size bytes). 0 or -errno. */
KD__HIDDEN int kd__ring_map(struct kd__ring *r, int fd, uint64_t size);
/* Read a region (kd_region.bpf.h): size bytes at data in chunks of chunk
 * bytes, its head and tail positions at head and tail. The caller maps it
 * and unmaps it after kd__ring_unmap(). */
KD__HIDDEN void kd__ring_region(struct kd__ring *r, const uint8_t *data, uint64_t size,
				uint64_t chunk, const void *head, void *tail);
KD__HIDDEN void kd__ring_unmap(struct kd__ring *r);

/* Tell the kernel how far we read (frees ring space). */
KD__HIDDEN void kd__ring_publish(struct kd__ring *r);

/* A region's next record: 8 bytes of length (or KD_REGION_PAD: skip to the
 * chunk's end) before each, never crossing a chunk's end. A length that
 * cannot be right is handed out cut to the chunk's end, for the decoder to
 * report. */
static inline const void *kd__region_next(struct kd__ring *r, uint64_t prod, uint32_t *len)
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

/* The next committed record (discarded ones skipped), read in place; NULL
 * when the ring is empty or the next record is still being written. Once
 * per record: inline. */
static inline const void *kd__ring_peek(struct kd__ring *r, uint32_t *len)
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
		return kd__region_next(r, prod, len);
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

/* Step past the peeked record. The kernel learns it only at publish time
 * (once per record: inline). */
static inline void kd__ring_advance(struct kd__ring *r)
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

#endif
