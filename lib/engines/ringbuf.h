/* lib/engines/ringbuf.h: a zero-copy reader of one BPF ring buffer map, or
 * of one CPU's region (drivers/bpf-core/kd_region.bpf.h). */
#ifndef KD_RINGBUF_H
#define KD_RINGBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

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

/* The next committed record (discarded ones skipped), read in place; NULL
 * when the ring is empty or the next record is still being written. */
KD__HIDDEN const void *kd__ring_peek(struct kd__ring *r, uint32_t *len);

/* Step past the peeked record. The kernel learns it only at publish time. */
KD__HIDDEN void kd__ring_advance(struct kd__ring *r);

/* Tell the kernel how far we read (frees ring space). */
KD__HIDDEN void kd__ring_publish(struct kd__ring *r);

#endif
