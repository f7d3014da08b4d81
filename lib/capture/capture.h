/* lib/capture/capture.h: capture files inside the library: the writer
 * (writer.c), the reader (reader.c) and the hooks the core calls for
 * opts.capture (dump.c). On-disk layout: format.h, docs/capture-format.md. */
#ifndef KD_CAPTURE_H
#define KD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* ------------------------------------------------ hooks for lib/core/api.c */

/* kd_open() with opts.capture, after the engine is open (h->boot_ns final):
 * creates the file, sets h->capture. Errors through kd__err(h, ...). */
KD__HIDDEN int kd__capture_open(struct kd_handle *h, const char *path);
/* kd_next(), for each record it delivers (after the children of the forks
 * it followed since the last one, as updates). A write error is returned once,
 * then the capture is stopped (later calls return 0) so events keep flowing. */
KD__HIDDEN int kd__capture_write(struct kd_handle *h, const void *rec, size_t len);
/* kd_close(): flushes, writes the index and end blocks, closes, frees.
 * Returns the first error of the capture; h->capture is NULL after. */
KD__HIDDEN int kd__capture_close(struct kd_handle *h);

/* ------------------------------------------------ writer (writer.c) */

struct kd__cw;

/* Create path (truncating it). o may be NULL (defaults); boot_ns 0 means
 * "set later with kd__cw_set_boot()" (before the first record is written).
 * On error returns KD_EBADOPT / -errno with a message in err. */
KD__HIDDEN int kd__cw_open(struct kd__cw **out, const char *path, const struct kd_dump_opts *o,
			   uint64_t boot_ns, char *err, size_t errlen);
KD__HIDDEN void kd__cw_set_boot(struct kd__cw *w, uint64_t boot_ns);
/* Makes fn(ctx) the source of the SNAPSHOT block that follows each file's
 * header: a malloc'd payload of *count entries (0), none (> 0) or -ENOMEM.
 * It is called when a file starts: at once if nothing of the current file
 * is written yet, and at each rotation. */
typedef int (*kd__cw_snap_fn)(void *ctx, uint8_t **buf, size_t *len, uint32_t *count);
KD__HIDDEN void kd__cw_set_snapshot(struct kd__cw *w, kd__cw_snap_fn fn, void *ctx);
/* A SNAPSHOT block (payload of count entries) between the records written
 * so far and the next: the pending records leave as a block first. */
KD__HIDDEN int kd__cw_snapshot_block(struct kd__cw *w, const uint8_t *p, size_t len, uint32_t count);
/* Makes fn(ctx, st) the source of the capturing handle's counters: after
 * each EVENTS block, a STATS block holds them when they changed since the
 * last one written (NULL: none). fn returns 0 or an error (no block then). */
typedef int (*kd__cw_stats_fn)(void *ctx, struct kd_stats *st);
KD__HIDDEN void kd__cw_set_stats(struct kd__cw *w, kd__cw_stats_fn fn, void *ctx);
/* The counters st (NULL: the source's, as they are now) as a STATS block
 * after the pending records, unless they equal the last ones written. */
KD__HIDDEN int kd__cw_stats_block(struct kd__cw *w, const struct kd_stats *st);
KD__HIDDEN bool kd__cw_has_boot(const struct kd__cw *w);
/* Append one record (len >= the record header); may write a block or rotate. */
KD__HIDDEN int kd__cw_record(struct kd__cw *w, const void *rec, size_t len);
/* Write the pending records as a block now. */
KD__HIDDEN int kd__cw_flush(struct kd__cw *w);
/* Finish the file and free w (NULL is fine). Returns the first error seen,
 * its message copied to msg (may be NULL). */
KD__HIDDEN int kd__cw_close(struct kd__cw *w, char *msg, size_t msglen);
/* What failed last ("" if nothing). */
KD__HIDDEN const char *kd__cw_error(const struct kd__cw *w);

/* ------------------------------------------------ reader (reader.c) */

struct kd__cr;

/* Facts from the file header. */
struct kd__cr_info {
	uint32_t format, schema, record_version, ncpus, seq;
	uint64_t boot_ns, start_ns;
	char hostname[256], release[256];
};

/* Open and check the header. h receives error messages (may be NULL: the
 * thread's open error). KD_EBADFILE / -errno. */
KD__HIDDEN int kd__cr_open(struct kd__cr **out, struct kd_handle *h, const char *path);
KD__HIDDEN const struct kd__cr_info *kd__cr_info(const struct kd__cr *r);
/* Next record, zero-copy out of the inflated block: 0, KD_EOF, or
 * KD_EBADFILE (damage: reading goes on at the next intact block, or KD_EOF
 * when the damage hides where that is). */
KD__HIDDEN int kd__cr_next(struct kd__cr *r, const void **rec, size_t *len);
KD__HIDDEN void kd__cr_close(struct kd__cr *r);
/* The counters of the last STATS block read so far (kd_stats fields
 * events, kernel_events, filtered*, drops_by_reason): false if none yet. */
KD__HIDDEN bool kd__cr_stats(const struct kd__cr *r, struct kd_stats *st);

#endif
