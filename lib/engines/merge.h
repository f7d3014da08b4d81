/* lib/engines/merge.h: records of many rings and regions, in timestamp
 * order (the core engine's kd_next). */
#ifndef KD_MERGE_H
#define KD_MERGE_H

#include <stdint.h>

#include "internal.h"
#include "ringbuf.h"

/*
 * A k-way merge by the 8-byte timestamp each record starts with. Sources
 * with a record in view sit in a binary min-heap, so a record costs
 * O(log n) however many CPUs there are. The idle ones (nothing in view) are
 * looked at again when the heap runs dry and every KD__MERGE_REFRESH records
 * handed out: a record published meanwhile waits at most that many records.
 * A CPU's records come in order, and one that was idle has nothing older
 * than what the others queued while it was, so that costs no order in
 * practice; looking at every idle source for every record (each look reads
 * a line its producer writes) would cost O(n).
 */
#define KD__MERGE_REFRESH 64u

struct kd__merge {
	struct kd__ring *src;  /* the sources, not owned */
	int n;
	int *heap;             /* source indices, min-heap by (key, index) */
	int hn;
	uint64_t *key;         /* per source: its head's timestamp, while in the heap */
	uint8_t *in;           /* per source: in the heap */
	unsigned since;        /* records handed out since the idle ones were looked at */
	int cur;               /* source of the record handed out last, or -1 */
};

/* 0 or -ENOMEM. */
KD__HIDDEN int kd__merge_init(struct kd__merge *m, struct kd__ring *src, int n);
KD__HIDDEN void kd__merge_free(struct kd__merge *m);

/* The oldest record in view (read in place, valid until the next call), its
 * length in *len; NULL when every source is empty. The record handed out by
 * the previous call is stepped past first. */
KD__HIDDEN const void *kd__merge_next(struct kd__merge *m, uint32_t *len);

#endif
