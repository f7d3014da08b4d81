/*
 * tests/core_test.h: helpers of the CO-RE engine tests (tests/test_core*.c).
 * A test opens its own capture, makes real syscalls and checks the exact
 * params and results of its own thread's events: criterion may run tests in
 * parallel, and every other process on the machine is traced too.
 *
 *   struct kd_handle *h = core_open("openat,close");
 *   int fd = openat(AT_FDCWD, "x", O_RDONLY);
 *   const struct kd_event *ev = core_expect(h, "openat", fd);
 *   core_eq_i(ev, "dfd", AT_FDCWD);
 *   core_eq_str(ev, "filename", "x");
 */
#ifndef KD_CORE_TEST_H
#define KD_CORE_TEST_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <kindling/kindling.h>

#include "kd_test.h"
#include "record.h"

/* How long an awaited event may take: under memcheck, with another binary
 * beside it on a 2-CPU machine, the consumer runs ~50x slower and 3 s was
 * seen to run out (core_probes/toggle_while_capturing); waits end as soon
 * as what they wait for has come, so only a failure waits it all. */
#define CORE_WAIT_MS (kd_test_under_valgrind() ? 12000 : 3000)
/* A bad fd for failing calls: never open in a test, and unlike -1 (which
 * valgrind refuses by itself) it reaches the kernel everywhere. */
#define CORE_BAD_FD 777

static inline uint32_t core_tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

static inline uint64_t core_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Valgrind makes syscalls of its own on the program's threads (its scheduler
 * pipe, its log), on fds it keeps above the program's limit. */
static inline bool core_valgrind_own(const struct kd_event *ev)
{
	struct kd_value v;

	return kd_test_under_valgrind() && kd_event_param_by_name(ev, "fd", &v) == 0 &&
	       (int32_t)v.u >= 1000;
}

/* Skip what was captured before now (kd_open's own syscalls after attach),
 * so "the next openat of this thread" is the test's. */
/* Reading until the stream is quiet (5 timeouts in a row... or not) also
 * ends after CORE_WAIT_MS: a busy machine may never go quiet. */
static inline uint64_t core_deadline(void)
{
	return core_now_ns() + CORE_WAIT_MS * 1000000ull;
}

static inline bool core_until_quiet(int quiet, uint64_t deadline)
{
	return quiet < 5 && core_now_ns() < deadline;
}

static inline void core_drain(struct kd_handle *h)
{
	uint64_t t0 = core_now_ns(), deadline = t0 + 1000000000ull;
	const struct kd_event *ev;

	while (core_now_ns() < deadline) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
		if (err == KD_TIMEOUT || (err == 0 && kd_event_ts_mono(ev) >= t0))
			return;
	}
}

struct core_open_args {
	const char *events;
	uint32_t flags;
	uint64_t ring_bytes;
	const int32_t *pids;
	size_t npids;
	int timeout_ms;
};

/* kd_open of the core engine with o; skips (fails in CI) where it cannot
 * run. Every core test opens through here. */
static inline struct kd_handle *core_open_opts(const struct kd_open_opts *o)
{
	struct kd_handle *h = NULL;
	int err;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	err = kd_open(o, &h);
	if (err == KD_ENOENGINE)
		KD_SKIP_OR_FAIL("library built without the core engine: %s", kd_last_error(NULL));
	if (err == KD_ENOPERM || err == -EPERM)
		KD_SKIP_OR_FAIL("no BPF here: %s", kd_last_error(NULL));
	cr_assert_eq(err, 0, "kd_open(core, %s): %s: %s", o->events ? o->events : "all",
		     kd_strerror(err), kd_last_error(NULL));
	cr_assert_eq(kd_handle_engine(h), KD_ENGINE_CORE);
	return h;
}

/* The core engine, tracing this process too. Raw engine tests: without
 * NO_ENRICH the /proc scan of kd_open runs on this very thread and its
 * reads show up among the awaited events. */
static inline struct kd_open_opts core_opts(struct core_open_args a)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE,
		.flags = KD_OPEN_TRACE_SELF | KD_OPEN_NO_ENRICH | a.flags,
		.timeout_ms = a.timeout_ms ? a.timeout_ms : 50, .events = a.events,
		.ring_bytes = a.ring_bytes, .pids = a.pids, .npids = a.npids);
	return o;
}

/* As core_opts, then drained of what opening itself caused. */
static inline struct kd_handle *core_open_with(struct core_open_args a)
{
	struct kd_open_opts o = core_opts(a);
	struct kd_handle *h = core_open_opts(&o);

	core_drain(h);
	return h;
}

static inline struct kd_handle *core_open(const char *events)
{
	return core_open_with((struct core_open_args){ .events = events });
}

/* The id of an event name; the schema has every syscall, so a missing one
 * is a failure, not a skip. */
static inline int core_type(const char *name)
{
	int t = kd_event_type_by_name(name);

	cr_assert_gt(t, 0, "schema has no '%s' event", name);
	return t;
}

typedef bool (*core_match_fn)(const struct kd_event *ev, const void *arg);

/* The first event of type t from thread tid that match() accepts (NULL:
 * any); fails the test after CORE_WAIT_MS. */
static inline const struct kd_event *core_wait(struct kd_handle *h, int t, uint32_t tid,
					       core_match_fn match, const void *arg)
{
	uint64_t deadline = core_now_ns() + CORE_WAIT_MS * 1000000ull;
	const struct kd_event *ev;

	while (core_now_ns() < deadline) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
		if (err)
			continue;
		if (kd_event_type(ev) == t && kd_event_tid(ev) == tid && !core_valgrind_own(ev) &&
		    (!match || match(ev, arg)))
			return ev;
	}
	/* drops say whether the event was lost or never made */
	struct kd_stats st = { .sz = sizeof(st) };
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_fail("no %s event from tid %u within %d ms (%llu events, %llu drops, %llu kernel "
		       "events, %llu filtered)",
		       kd_event_type_name(t), tid, CORE_WAIT_MS, (unsigned long long)st.events,
		       (unsigned long long)st.drops, (unsigned long long)st.kernel_events,
		       (unsigned long long)st.filtered);
	return NULL;
}

static inline struct kd_value core_param(const struct kd_event *ev, const char *name)
{
	struct kd_value v;
	int err = kd_event_param_by_name(ev, name, &v);

	cr_assert_eq(err, 0, "%s: no param '%s': %s", kd_event_name(ev), name, kd_strerror(err));
	return v;
}

/* The next event called name from this thread; its result must be res. */
static inline const struct kd_event *core_expect(struct kd_handle *h, const char *name, int64_t res)
{
	const struct kd_event *ev = core_wait(h, core_type(name), core_tid(), NULL, NULL);

	cr_assert_eq(kd_event_result(ev), res, "%s: result %lld, expected %lld", name,
		     (long long)kd_event_result(ev), (long long)res);
	cr_assert_eq(kd_event_pid(ev), (uint32_t)getpid());
	return ev;
}

struct core_pmatch {
	const char *param;
	int64_t value;
};

static inline bool core_param_is(const struct kd_event *ev, const void *arg)
{
	const struct core_pmatch *m = arg;
	struct kd_value v;

	return kd_event_param_by_name(ev, m->param, &v) == 0 && v.i == m->value;
}

/* As core_expect, for the first such event whose param equals value (skips
 * calls the runtime makes on its own: mmap by malloc or a sanitizer). */
static inline const struct kd_event *core_expect_where(struct kd_handle *h, const char *name,
						       const char *param, int64_t value, int64_t res)
{
	struct core_pmatch m = { param, value };
	const struct kd_event *ev = core_wait(h, core_type(name), core_tid(), core_param_is, &m);

	cr_assert_eq(kd_event_result(ev), res, "%s(%s=%lld): result %lld, expected %lld", name,
		     param, (long long)value, (long long)kd_event_result(ev), (long long)res);
	return ev;
}

/* Integer params compare in the C type of the schema (sign-extended). The
 * macros take ev once: it is often a core_expect() call, which a second
 * evaluation (in a failure message) would turn into a wait for another
 * event, hiding the real failure behind a timeout. */
#define core_eq_i(ev, name, want)                                                              \
	do {                                                                                   \
		const struct kd_event *e_ = (ev);                                              \
		struct kd_value v_ = core_param(e_, name);                                     \
		cr_assert_eq(v_.i, (int64_t)(want), "%s.%s = %lld, expected %lld",             \
			     kd_event_name(e_), name, (long long)v_.i, (long long)(want));     \
	} while (0)

#define core_eq_u(ev, name, want)                                                              \
	do {                                                                                   \
		const struct kd_event *e_ = (ev);                                              \
		struct kd_value v_ = core_param(e_, name);                                     \
		cr_assert_eq(v_.u, (uint64_t)(want), "%s.%s = %#llx, expected %#llx",          \
			     kd_event_name(e_), name, (unsigned long long)v_.u,                \
			     (unsigned long long)(want));                                      \
	} while (0)

#define core_eq_ptr(ev, name, want) core_eq_u(ev, name, (uintptr_t)(want))

#define core_eq_str(ev, name, want)                                                            \
	do {                                                                                   \
		const struct kd_event *e_ = (ev);                                              \
		struct kd_value v_ = core_param(e_, name);                                     \
		cr_assert(v_.ptr, "%s.%s is NULL, expected \"%s\"", kd_event_name(e_), name,  \
			  (want));                                                             \
		cr_assert_str_eq((const char *)v_.ptr, (want), "%s.%s", kd_event_name(e_),    \
				 name);                                                        \
	} while (0)

#define core_eq_bytes(ev, name, want, n)                                                       \
	do {                                                                                   \
		const struct kd_event *e_ = (ev);                                              \
		struct kd_value v_ = core_param(e_, name);                                     \
		cr_assert_eq(v_.len, (size_t)(n), "%s.%s: %zu bytes, expected %zu",            \
			     kd_event_name(e_), name, v_.len, (size_t)(n));                    \
		cr_assert((n) == 0 || memcmp(v_.ptr, (want), (n)) == 0,                        \
			  "%s.%s: bytes differ", kd_event_name(e_), name);                     \
	} while (0)

/* A NULL pointer (or nothing captured): no bytes. */
#define core_eq_null(ev, name)                                                                 \
	do {                                                                                   \
		const struct kd_event *e_ = (ev);                                              \
		struct kd_value v_ = core_param(e_, name);                                     \
		cr_assert_eq(v_.len, 0, "%s.%s: %zu bytes, expected none", kd_event_name(e_), \
			     name, v_.len);                                                    \
	} while (0)

#endif
