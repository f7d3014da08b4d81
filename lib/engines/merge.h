/* lib/engines/merge.h: records of many rings and regions, in timestamp
 * order (the core engine's kd_next). */
#ifndef KD_MERGE_H
#define KD_MERGE_H

#include <stdint.h>

#include "internal.h"
#include "ringbuf.h"

/*
 * A k-way merge by the 8-byte timestamp each record starts with
 * (CLOCK_MONOTONIC ns). Sources with a record in view sit in a binary
 * min-heap, so a record costs O(log n) however many CPUs there are, instead
 * of a look at every source (each look at an idle one reads a line its
 * producer writes).
 *
 * The idle ones (nothing in view) are looked at again only when needed for
 * the order: a look at all of them at time T shows that none holds a record
 * older than T - KD__MERGE_SLACK, since a record is published within that
 * of its stamp (the program that writes it runs with preemption off; only
 * an interrupt storm could hold it longer, and the scan of every source per
 * record that this replaces was exposed the same way). The heap's records
 * older than that go out without another look. Behind the producers (the
 * usual case at a high rate) that is one look per batch; within the slack of
 * the head, one per record, as the scan did. The slack is the trade: 1 ms
 * put ~30% of kd-bench's records in that window, 100 us ~3%.
 */
#define KD__MERGE_SLACK 100000ull /* ns */
/* Looks at the idle sources per clock read while records are in view. */
#define KD__MERGE_CLOCK_EVERY 32u

struct kd__merge {
	struct kd__ring *src;  /* the sources, not owned */
	int n;
	int *heap;             /* source indices, min-heap by (key, index) */
	int hn;
	uint64_t *key;         /* per source: its head's timestamp, while in the heap */
	uint8_t *in;           /* per source: in the heap */
	uint64_t fresh;        /* no idle source holds a record older than this */
	uint64_t (*clock)(void); /* CLOCK_MONOTONIC ns (tests may set their own) */
	uint32_t looks;        /* refreshes with records in view, for KD__MERGE_CLOCK_EVERY */
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
