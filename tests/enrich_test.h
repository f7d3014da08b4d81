/* tests/enrich_test.h: helpers of the enrichment tests. They call the
 * enrichment hooks themselves so the tests hold whether or not kd_open/kd_next
 * call them (every hook is idempotent). */
#ifndef KD_ENRICH_TEST_H
#define KD_ENRICH_TEST_H

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <time.h>

#include <kindling/kindling.h>

#include "enrich.h"
#include "kd_test.h"

#define ET_WAIT_MS 15000 /* valgrind is slow; only a failure waits this long */

static inline uint64_t et_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The open handle, also reachable from here: forked children that _exit()
 * with it in a dead stack frame are not leaks to valgrind. */
static struct kd_handle *volatile et_handle;

static inline struct kd_handle *et_open(const char *events, uint32_t max_threads)
{
	struct kd_handle *h = NULL;
	int err;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF,
		.timeout_ms = 50, .events = events, .max_threads = max_threads);
	err = kd_open(&o, &h);
	if (err == KD_ENOENGINE)
		KD_SKIP_OR_FAIL("library built without the core engine: %s", kd_last_error(NULL));
	if (err == KD_ENOPERM || err == -EPERM)
		KD_SKIP_OR_FAIL("no BPF here: %s", kd_last_error(NULL));
	cr_assert_eq(err, 0, "kd_open(core): %s: %s", kd_strerror(err), kd_last_error(NULL));
	cr_assert_eq(kd__enrich_open(h), 0);
	cr_assert_not_null(h->enrich);
	et_handle = h;
	return h;
}

static inline void et_close(struct kd_handle *h)
{
	kd__enrich_close(h);
	kd_close(h);
	et_handle = NULL;
}

/* kd_next with the enrichment hooks; 0 with *ev, or KD_TIMEOUT. */
static inline int et_next(struct kd_handle *h, const struct kd_event **ev)
{
	int err;

	kd__enrich_flush(h); /* as kd_next does */
	err = kd_next(h, ev);
	cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
	if (err == 0)
		kd__enrich_event(h, *ev);
	return err;
}

typedef bool (*et_match_fn)(const struct kd_event *ev, const void *arg);

/* The next event of type t (t <= 0: any) from process pid that match accepts. */
static inline const struct kd_event *et_wait(struct kd_handle *h, int t, uint32_t pid,
					     et_match_fn match, const void *arg)
{
	uint64_t deadline = et_now_ns() + ET_WAIT_MS * 1000000ull;
	const struct kd_event *ev;

	while (et_now_ns() < deadline) {
		if (et_next(h, &ev))
			continue;
		if ((t <= 0 || kd_event_type(ev) == t) && kd_event_pid(ev) == pid && (!match || match(ev, arg)))
			return ev;
	}
	cr_assert_fail("no %s event from pid %u within %d ms", t > 0 ? kd_event_type_name(t) : "any",
		       pid, ET_WAIT_MS);
	return NULL;
}

/* Reads events until done(h, arg) (deferred removals are done by then), at
 * most ET_WAIT_MS: the machine's other processes may never let it go quiet. */
static inline bool et_until(struct kd_handle *h, bool (*done)(struct kd_handle *h, uint32_t arg),
			    uint32_t arg)
{
	uint64_t deadline = et_now_ns() + ET_WAIT_MS * 1000000ull;
	const struct kd_event *ev;

	while (et_now_ns() < deadline) {
		et_next(h, &ev);
		kd__enrich_flush(h);
		if (done(h, arg))
			return true;
	}
	return false;
}

static inline bool et_gone(struct kd_handle *h, uint32_t tid)
{
	return kd_thread_lookup(h, tid) == NULL;
}

/* Reads what is pending: until a timeout or ms have passed. */
static inline void et_drain(struct kd_handle *h, unsigned ms)
{
	uint64_t deadline = et_now_ns() + ms * 1000000ull;
	const struct kd_event *ev;

	while (et_now_ns() < deadline && et_next(h, &ev) == 0)
		;
	kd__enrich_flush(h);
}

/* In children: die with the test, never hold its pipes. */
static inline void et_child(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static inline bool et_res_ge0(const struct kd_event *ev, const void *arg)
{
	(void)arg;
	return kd_event_result(ev) >= 0;
}

#endif
