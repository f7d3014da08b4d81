/* lib/engines/engine.h: the one interface every backend sits behind. */
#ifndef KD_ENGINE_H
#define KD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "kindling/kindling.h"

struct kd_handle;
struct kd_flt; /* drivers/bpf-core/kd_filter.h */

/*
 * An engine hands the core raw records (drivers/record.h), already merged in
 * timestamp order across its CPUs. The core validates and decodes them; an
 * engine never needs to trust or parse params.
 */
struct kd_engine_ops {
	const char *name;
	int id; /* enum kd_engine */

	/* Start capturing. h carries normalized opts (h->opts), the event
	 * selection (h->enabled) and the kernel capture table (kd__ksc_build()).
	 * Errors go through kd__err(h, ...) and are returned. */
	int (*open)(struct kd_handle *h, void **state);

	/* Next record: *rec points to engine memory valid until the next call
	 * to next() or close(). Returns 0, KD_TIMEOUT (after timeout_ms; 0 =
	 * do not wait, < 0 = forever), KD_EOF, or a negative error. */
	int (*next)(void *state, const void **rec, size_t *len, int timeout_ms);

	/* Apply h->enabled (per event id) in the kernel; NULL when the engine
	 * cannot filter (the core then filters alone). */
	int (*select)(void *state);

	/* Put an in-kernel filter in force (lib/core/filter.c built and
	 * checked it; all zero = none); NULL when the engine cannot filter. */
	int (*filter)(void *state, const struct kd_flt *f);

	/* Add the engine's counters (kernel events, drops by reason, filtered). */
	int (*stats)(void *state, struct kd_stats *st);
	int (*stats_cpu)(void *state, unsigned cpu, struct kd_cpu_stats *st);

	void (*close)(void *state); /* NULL state is fine */
};

extern const struct kd_engine_ops kd__engine_buffer;
extern const struct kd_engine_ops kd__engine_core;    /* NULL-able at link: see engines.c */
extern const struct kd_engine_ops kd__engine_classic;
extern const struct kd_engine_ops kd__engine_kmod;
extern const struct kd_engine_ops kd__engine_file;

#endif
