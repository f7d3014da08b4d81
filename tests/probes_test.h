/*
 * tests/probes_test.h: helpers of the probe tests (tests/test_core_probes*.c):
 * open the core engine with probe knobs, wait for a probe event about a
 * given thread (or any) that a predicate accepts.
 */
#ifndef KD_PROBES_TEST_H
#define KD_PROBES_TEST_H

#include "core_test.h"

struct probes_open_args {
	const char *events;
	uint64_t sched_min_ns;
	uint32_t page_fault_sample;
	uint32_t flags; /* KD_OPEN_* besides KD_OPEN_TRACE_SELF */
	const int32_t *pids; /* only these processes (opts.pids), or all */
	size_t npids;
};

/* Probe tests keep enrichment on (the library default), unlike core_opts. */
static inline struct kd_handle *probes_open_with(struct probes_open_args a)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF | a.flags,
		.timeout_ms = 50, .events = a.events, .sched_min_ns = a.sched_min_ns,
		.page_fault_sample = a.page_fault_sample, .pids = a.pids, .npids = a.npids);
	struct kd_handle *h = core_open_opts(&o);

	core_drain(h);
	return h;
}

static inline struct kd_handle *probes_open(const char *events)
{
	return probes_open_with((struct probes_open_args){ .events = events });
}

/* Index of probe name in h's list; fails if absent. */
static inline int probes_index(struct kd_handle *h, const char *name)
{
	for (int i = 0; i < kd_probe_count(h); i++)
		if (strcmp(kd_probe_name(h, i), name) == 0)
			return i;
	cr_assert_fail("no probe '%s'", name);
	return -1;
}

/* The probe must be attached with a real method here. */
static inline void probes_require(struct kd_handle *h, const char *name)
{
	const char *m = kd_probe_attach_method(h, probes_index(h, name));

	cr_assert(m && strncmp(m, "none", 4) != 0, "probe %s: %s", name, m ? m : "(null)");
}

#define PROBES_ANY_TID 0

/* The first event of type t (about thread tid unless PROBES_ANY_TID) that
 * match() accepts; fails after CORE_WAIT_MS. */
static inline const struct kd_event *probes_wait(struct kd_handle *h, int t, uint32_t tid,
						 core_match_fn match, const void *arg)
{
	uint64_t deadline = core_now_ns() + CORE_WAIT_MS * 1000000ull;
	const struct kd_event *ev;

	while (core_now_ns() < deadline) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
		if (err)
			continue;
		if (kd_event_type(ev) == t && (tid == PROBES_ANY_TID || kd_event_tid(ev) == tid) &&
		    (!match || match(ev, arg)))
			return ev;
	}
	cr_assert_fail("no %s event (tid %u) within %d ms", kd_event_type_name(t), tid, CORE_WAIT_MS);
	return NULL;
}

#endif
