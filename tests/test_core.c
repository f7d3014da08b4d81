/*
 * tests/test_core.c: the CO-RE eBPF engine against the running kernel. Each
 * test opens its own capture, makes real syscalls and checks the exact
 * params and results of its own thread's events (criterion may run tests in
 * parallel, and every other process on the machine is traced too).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kindling/kindling.h>

#include "core_test.h"
#include "core_debug.h" /* lib/engines: kd__core_debug_set() */
#include "kd_test.h"
#include "record.h"

TestSuite(core, .timeout = 30);

#define WAIT_MS 3000
/* Never open here: valgrind refuses close(-1) itself, the kernel never sees
 * it; a plain unused fd reaches the kernel (EBADF) everywhere. */
#define BAD_FD 777

static uint32_t my_tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The core engine, not drained: these tests look at what comes first. */
static struct kd_handle *open_core_with(struct core_open_args a)
{
	struct kd_open_opts o = core_opts(a);

	return core_open_opts(&o);
}

static struct kd_handle *open_core(const char *events)
{
	return open_core_with((struct core_open_args){ .events = events });
}

/* Skip a test whose syscall the schema does not have (yet). */
static int need_type(const char *name)
{
	int t = kd_event_type_by_name(name);

	if (t <= 0)
		cr_skip_test("schema has no '%s' event", name);
	return t;
}

typedef bool (*match_fn)(const struct kd_event *ev, const void *arg);

/* The first event of type t from thread tid that match() accepts (NULL:
 * any); fails the test after WAIT_MS. */
static const struct kd_event *wait_for(struct kd_handle *h, int t, uint32_t tid, match_fn match,
				       const void *arg)
{
	uint64_t deadline = now_ns() + WAIT_MS * 1000000ull;
	const struct kd_event *ev;

	while (now_ns() < deadline) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
		if (err)
			continue;
		if (kd_event_type(ev) == t && kd_event_tid(ev) == tid && !core_valgrind_own(ev) &&
		    (!match || match(ev, arg)))
			return ev;
	}
	cr_assert_fail("no %s event from tid %u within %d ms", kd_event_type_name(t), tid, WAIT_MS);
	return NULL;
}

static struct kd_value param(const struct kd_event *ev, const char *name)
{
	struct kd_value v;
	int err = kd_event_param_by_name(ev, name, &v);

	cr_assert_eq(err, 0, "%s: no param '%s': %s", kd_event_name(ev), name, kd_strerror(err));
	return v;
}

static bool res_is(const struct kd_event *ev, const void *arg)
{
	return kd_event_result(ev) == *(const int64_t *)arg;
}

/* ------------------------------------------------------------ params */

Test(core, read_urandom_snaplen)
{
	int t = need_type("read");
	struct kd_handle *h = open_core("read");
	unsigned char buf[160];
	int fd = open("/dev/urandom", O_RDONLY);
	int64_t want = sizeof(buf);
	const struct kd_event *ev;
	struct kd_value v;

	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ev = wait_for(h, t, my_tid(), res_is, &want);
	cr_assert_eq(kd_event_pid(ev), (uint32_t)getpid());
	cr_assert_eq(param(ev, "fd").i, fd);
	cr_assert_eq(param(ev, "count").u, sizeof(buf));
	v = param(ev, "buf");
	cr_assert(v.flags & KD_VAL_BYTES);
	cr_assert_eq(v.len, 80, "snaplen 80: got %zu bytes", v.len);
	cr_assert_eq(memcmp(v.ptr, buf, 80), 0, "captured bytes differ from what read() returned");
	cr_assert(kd_event_record_flags(ev) & KD_RF_TRUNCATED);
	close(fd);
	kd_close(h);
}

Test(core, write_pipe_full_buffer)
{
	int t = need_type("write");
	struct kd_handle *h = open_core("write");
	const char msg[] = "kindling-write";
	int64_t want = sizeof(msg);
	const struct kd_event *ev;
	struct kd_value v;
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], msg, sizeof(msg)), (ssize_t)sizeof(msg));
	ev = wait_for(h, t, my_tid(), res_is, &want);
	cr_assert_eq(param(ev, "fd").i, p[1]);
	v = param(ev, "buf");
	cr_assert_eq(v.len, sizeof(msg));
	cr_assert_eq(memcmp(v.ptr, msg, sizeof(msg)), 0);
	cr_assert_not(kd_event_record_flags(ev) & KD_RF_TRUNCATED);
	close(p[0]);
	close(p[1]);
	kd_close(h);
}

Test(core, close_ebadf)
{
	int t = need_type("close");
	struct kd_handle *h = open_core("close");
	int64_t want = -EBADF;
	const struct kd_event *ev;

	cr_assert_eq(close(BAD_FD), -1);
	ev = wait_for(h, t, my_tid(), res_is, &want);
	cr_assert_eq(param(ev, "fd").i, BAD_FD);
	cr_assert_eq(kd_event_result(ev), -EBADF);
	kd_close(h);
}

static bool path_is(const struct kd_event *ev, const void *arg)
{
	struct kd_value v;

	return kd_event_param_by_name(ev, "filename", &v) == 0 && v.ptr && strcmp(v.ptr, arg) == 0;
}

Test(core, openat_params)
{
	int t = need_type("openat");
	char dir[] = "/tmp/kd-core-XXXXXX";
	struct kd_handle *h;
	const struct kd_event *ev;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chdir(dir), 0);
	h = open_core("openat");
	fd = openat(AT_FDCWD, "x", O_RDWR | O_CREAT, 0750);
	cr_assert_geq(fd, 0);
	ev = wait_for(h, t, my_tid(), path_is, "x");
	cr_assert_eq(param(ev, "dfd").i, -100);
	cr_assert_str_eq(param(ev, "filename").ptr, "x");
	cr_assert_eq(param(ev, "flags").i & (O_ACCMODE | O_CREAT), O_RDWR | O_CREAT);
	cr_assert_eq(param(ev, "mode").u, 0750);
	cr_assert_eq(kd_event_result(ev), fd);
	close(fd);
	unlink("x");
	rmdir(dir);
	kd_close(h);
}

Test(core, connect_udp_sockaddr)
{
	int t = need_type("connect");
	struct kd_handle *h = open_core("connect");
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
	int64_t want = 0;
	const struct kd_event *ev;
	struct kd_value v;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ev = wait_for(h, t, my_tid(), res_is, &want);
	cr_assert_eq(kd_event_param(ev, 0, &v), 0);
	cr_assert_eq(v.i, fd);
	cr_assert_eq(kd_event_param(ev, 1, &v), 0);
	cr_assert_eq(v.kind, KD_PK_SOCKADDR);
	cr_assert_eq(v.len, sizeof(sa));
	cr_assert_eq(memcmp(v.ptr, &sa, sizeof(sa)), 0, "sockaddr bytes differ");
	close(fd);
	kd_close(h);
}

/* A child execs /bin/true with known argv: the execve event (captured at
 * entry, emitted at exit) carries argv, and exit_group appears (at entry). */
Test(core, execve_argv_and_exit_group)
{
	int te = need_type("execve"), tx = need_type("exit_group");
	struct kd_handle *h = open_core("execve,exit_group");
	static const char want_argv[] = "/bin/true\0kd-arg-1\0kd arg 2";
	const struct kd_event *ev;
	struct kd_value v;
	int status;
	pid_t pid;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* on the stack, as a shell has them in its heap (literals:
		 * tests/test_core_exec.c) */
		char path[] = "/bin/true", a1[] = "kd-arg-1", a2[] = "kd arg 2", e1[] = "KD_TEST=1";
		char *argv[] = { path, a1, a2, NULL };
		char *envp[] = { e1, NULL };

		execve(path, argv, envp);
		_exit(127);
	}
	ev = wait_for(h, te, (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_event_result(ev), 0);
	cr_assert_str_eq(param(ev, "filename").ptr, "/bin/true");
	v = param(ev, "argv");
	cr_assert_eq(v.len, sizeof(want_argv), "argv is %zu bytes", v.len);
	cr_assert_eq(memcmp(v.ptr, want_argv, sizeof(want_argv)), 0);
	ev = wait_for(h, tx, (uint32_t)pid, NULL, NULL);
	cr_assert(kd_event_record_flags(ev) & KD_RF_AT_ENTRY);
	cr_assert_eq(kd_event_param(ev, 0, &v), 0);
	cr_assert_eq(v.i, 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kd_close(h);
}

/* ------------------------------------------------------------ selection */

Test(core, selection_only_selected_reach_userspace)
{
	int t = need_type("read");
	struct kd_handle *h = open_core("read");
	struct kd_stats st = { .sz = sizeof(st) };
	char c = 'k';
	int64_t one = 1;
	const struct kd_event *ev;
	int p[2];

	cr_assert_eq(pipe(p), 0);
	for (int i = 0; i < 50; i++) {
		cr_assert_eq(write(p[1], &c, 1), 1);
		cr_assert_eq(close(BAD_FD), -1);
		(void)getppid();
	}
	cr_assert_eq(read(p[0], &c, 1), 1);
	/* every event before our read must be a read too */
	for (;;) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "%s", kd_last_error(h));
		if (err)
			continue;
		cr_assert_eq(kd_event_type(ev), t, "unselected %s reached userspace", kd_event_name(ev));
		if (kd_event_tid(ev) == my_tid() && res_is(ev, &one))
			break;
	}
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_geq(st.filtered, 150, "kernel filtered only %llu syscalls",
		      (unsigned long long)st.filtered);
	/* switch write on at run time: the next write shows up */
	cr_assert_eq(kd_probe_enable(h, "write", true), 0);
	cr_assert_eq(write(p[1], &c, 1), 1);
	ev = wait_for(h, need_type("write"), my_tid(), res_is, &one);
	cr_assert_eq(param(ev, "fd").i, p[1]);
	close(p[0]);
	close(p[1]);
	kd_close(h);
}

/* A child opens and closes without end; the selection is getppid: its
 * events are followed for the tables only, and never hold kd_next past its
 * timeout (it once read them until the stream went quiet: never, here). */
Test(core, timeout_holds_while_followed_events_flow)
{
	struct kd_stats st = { .sz = sizeof(st) };
	const struct kd_event *ev;
	struct kd_handle *h;
	int ready[2], err;
	uint64_t t0, t1;
	int32_t pid;
	char c;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			close(open("/dev/null", O_RDONLY));
	}
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF, .timeout_ms = 100,
		.events = "getppid", .pids = &pid, .npids = 1);
	h = core_open_opts(&o);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	t0 = now_ns();
	err = kd_next(h, &ev);
	t1 = now_ns();
	cr_assert_eq(err, KD_TIMEOUT, "kd_next: %d: %s", err, kd_last_error(h));
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_gt(st.enrich_events, 0, "no opens and closes were followed while kd_next waited");
	/* a bound on "returns at all", far above the 100 ms it waits */
	cr_assert_lt(t1 - t0, 5000000000ull, "kd_next returned after %llu ms",
		     (unsigned long long)((t1 - t0) / 1000000));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	kd_close(h);
}

/* ------------------------------------------------------------ drops */

/* A child makes a syscall storm into 16 KiB rings nobody reads: drops are
 * counted, and every record the kernel produced is either delivered or
 * counted as dropped. The handle's capture file says the same when it is
 * replayed: what the capture lost travels with it. */
Test(core, drops_are_counted_exactly)
{
	struct kd_stats st = { .sz = sizeof(st) }, rep = { .sz = sizeof(rep) };
	char dir[] = "/tmp/kd-test-drops-XXXXXX", cap[64];
	const struct kd_event *ev;
	uint64_t delivered = 0, replayed = 0;
	int go, status, err;
	struct kd_handle *h;
	int32_t pid;

	need_type("close");
	pid = fork_held(&go);
	if (pid == 0) {
		for (int i = 0; i < 20000; i++)
			(void)close(BAD_FD);
		_exit(0);
	}
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cap, sizeof(cap), "%s/drops.kd", dir);
	{
		struct kd_open_opts o = core_opts((struct core_open_args){
			.events = "close", .ring_bytes = 4096 * 4, .pids = &pid, .npids = 1,
			.timeout_ms = 200 });

		o.capture = cap;
		h = core_open_opts(&o);
	}
	release_held(go);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the child is gone: what is in the rings is all there will be */
	for (;;) {
		err = kd_next(h, &ev);
		if (err == 0 && kd_event_pid(ev) == (uint32_t)pid) {
			delivered++;
			continue;
		}
		cr_assert_eq(err, KD_TIMEOUT, "kd_next: %s", kd_last_error(h));
		break;
	}
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_gt(st.drops_by_reason[KD_DROP_BUFFER_FULL], 0, "no drops with 16 KiB rings");
	cr_assert_eq(st.events, delivered);
	cr_assert_eq(delivered + st.drops, st.kernel_events,
		     "delivered %llu + dropped %llu != kernel %llu", (unsigned long long)delivered,
		     (unsigned long long)st.drops, (unsigned long long)st.kernel_events);
	cr_assert_gt(delivered, 0);
	kd_close(h);

	KD_OPTS(kd_open_opts, fo, .engine = KD_ENGINE_FILE, .file = cap, .events = "all");
	cr_assert_eq(kd_open(&fo, &h), 0, "%s", kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) == 0)
		replayed++;
	cr_assert_eq(err, KD_EOF, "%s", kd_last_error(h));
	cr_assert_eq(kd_stats(h, &rep), 0);
	cr_assert_eq(replayed, delivered);
	cr_assert_eq(rep.drops_by_reason[KD_DROP_BUFFER_FULL], st.drops_by_reason[KD_DROP_BUFFER_FULL],
		     "the replay reports the capture's drops");
	cr_assert_eq(rep.drops, st.drops);
	cr_assert_eq(rep.kernel_events, st.kernel_events);
	cr_assert_eq(replayed + rep.drops, rep.kernel_events);
	kd_close(h);
	unlink(cap);
	rmdir(dir);
}

Test(core, drops_show_in_cpu_stats)
{
	struct kd_handle *h = open_core_with((struct core_open_args){ .events = "close", .ring_bytes = 4096 * 4 });
	struct kd_stats st = { .sz = sizeof(st) };
	struct kd_cpu_stats cs = { .sz = sizeof(cs) };
	uint64_t drops = 0, hw = 0;

	need_type("close");
	for (int i = 0; i < 20000; i++)
		(void)close(BAD_FD);
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_gt(st.ncpus, 0);
	for (unsigned cpu = 0; cpu < st.ncpus; cpu++) {
		cr_assert_eq(kd_stats_cpu(h, cpu, &cs), 0);
		cr_assert_eq(cs.ring_size, 4096 * 4);
		drops += cs.drops;
	}
	cr_assert_eq(drops, st.drops_by_reason[KD_DROP_BUFFER_FULL] + st.drops_by_reason[KD_DROP_TOO_BIG] +
				    st.drops_by_reason[KD_DROP_NO_STATE]);
	cr_assert_gt(drops, 0);
	/* the reader sees the backlog once it looks */
	const struct kd_event *ev;
	cr_assert_eq(kd_next(h, &ev), 0);
	for (unsigned cpu = 0; cpu < st.ncpus; cpu++) {
		cr_assert_eq(kd_stats_cpu(h, cpu, &cs), 0);
		hw = cs.ring_high_water > hw ? cs.ring_high_water : hw;
	}
	cr_assert_gt(hw, 4096 * 2, "high-water %llu", (unsigned long long)hw);
	cr_assert_eq(kd_stats_cpu(h, st.ncpus, &cs), -ERANGE);
	kd_close(h);
}

/* ------------------------------------------------------------ options */

static void grab_log(int level, const char *msg, void *ctx)
{
	(void)level;
	if (strncmp(msg, "core engine: ", 13) == 0 && strstr(msg, "ring"))
		snprintf(ctx, 256, "%s", msg);
}

Test(core, latency_measured)
{
	int t = need_type("read");
	char how[256] = "";
	struct kd_handle *h;
	const struct kd_event *ev;
	int64_t one = 1;
	char c = 'x';
	int p[2];

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE,
		.flags = KD_OPEN_TRACE_SELF | KD_OPEN_NO_ENRICH | KD_OPEN_LATENCY,
		.timeout_ms = 50, .events = "read", .log = grab_log, .log_ctx = how,
		.log_level = KD_LOG_INFO);
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	cr_log_info("%s", how);
	cr_assert(strstr(how, "latency task storage") || strstr(how, "latency hash"), "log: %s", how);
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], &c, 1), 1);
	cr_assert_eq(read(p[0], &c, 1), 1);
	ev = wait_for(h, t, my_tid(), res_is, &one);
	cr_assert(kd_event_has_latency(ev));
	cr_assert(kd_event_record_flags(ev) & KD_RF_LATENCY);
	cr_assert_gt(kd_event_latency(ev), 0);
	cr_assert_lt(kd_event_latency(ev), 1000000000ull);
	close(p[0]);
	close(p[1]);
	kd_close(h);
}

Test(core, no_latency_without_flag)
{
	int t = need_type("close");
	struct kd_handle *h = open_core("close");
	int64_t want = -EBADF;
	const struct kd_event *ev;

	cr_assert_eq(close(BAD_FD), -1);
	ev = wait_for(h, t, my_tid(), res_is, &want);
	cr_assert_not(kd_event_has_latency(ev));
	cr_assert_eq(kd_event_latency(ev), 0);
	kd_close(h);
}

Test(core, shared_ring)
{
	int t = need_type("close");
	struct kd_handle *h = open_core_with((struct core_open_args){ .events = "close", .flags = KD_OPEN_SHARED_RING });
	struct kd_cpu_stats a = { .sz = sizeof(a) }, b = { .sz = sizeof(b) };
	struct kd_stats st = { .sz = sizeof(st) };
	int64_t want = -EBADF;

	cr_assert_eq(close(BAD_FD), -1);
	wait_for(h, t, my_tid(), res_is, &want);
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_eq(kd_stats_cpu(h, 0, &a), 0);
	cr_assert_eq(kd_stats_cpu(h, st.ncpus - 1, &b), 0);
	cr_assert_eq(a.ring_size, 8u << 20);
	cr_assert_eq(a.ring_high_water, b.ring_high_water, "one ring behind every cpu");
	kd_close(h);
}

/* Records come without wakeups: the consumer sleeps until a fill mark or
 * its poll timer, never once per few records. A shared ring holds every
 * record, so it is never empty while another process writes: if one wakeup
 * left the ring "ready" for as long as it holds records (a level-triggered
 * epoll), kd_next would call epoll_wait again and again while the producer
 * runs (thousands per second here). Counted by the consumer's own
 * epoll_wait events: at most two per poll period (10 ms) and a few more. */
Test(core, consumer_sleeps_between_wakeups)
{
	/* under valgrind the consumer falls behind and the ring drops: fewer */
	const long n = kd_test_under_valgrind() ? 10000 : 100000;
	int tread = need_type("read"), tepoll = need_type("epoll_wait");
	struct kd_handle *h = open_core_with((struct core_open_args){ .events = "read,epoll_wait",
								       .flags = KD_OPEN_SHARED_RING });
	struct kd_stats st = { .sz = sizeof(st) };
	const struct kd_event *ev;
	long reads = 0, waits = 0;
	bool child_done = false;
	uint64_t t0, ms;
	int go, status;
	pid_t pid;

	core_drain(h);
	pid = fork_held(&go);
	if (pid == 0) {
		char b[64];
		int z = open("/dev/zero", O_RDONLY);

		for (long i = 0; i < n; i++)
			if (z < 0 || read(z, b, sizeof(b)) != (ssize_t)sizeof(b))
				_exit(1);
		_exit(0);
	}
	t0 = now_ns();
	release_held(go);
	/* Until the child is gone and its records are read. Our own epoll_wait
	 * events say the ring was empty once: the first after the child was
	 * reaped comes after all of the child's records. */
	while (now_ns() - t0 < 100000000000ull) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
		if (err)
			continue;
		if (kd_event_type(ev) == tread && kd_event_pid(ev) == (uint32_t)pid &&
		    kd_event_result(ev) == 64) {
			reads++;
		} else if (kd_event_type(ev) == tepoll && kd_event_tid(ev) == my_tid()) {
			waits++;
			if (child_done)
				break;
			child_done = waitpid(pid, &status, WNOHANG) == pid;
		}
	}
	ms = (now_ns() - t0) / 1000000;
	cr_assert(child_done, "the child did not end in %llu ms", (unsigned long long)ms);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_gt(reads, 0);
	cr_assert_geq((uint64_t)reads + st.drops, (uint64_t)n, "%ld of the child's %ld reads, %llu drops",
		      reads, n, (unsigned long long)st.drops);
	cr_assert_leq(waits, 20 + (long)ms / 5, "%ld epoll_waits over %llu ms and %ld records", waits,
		      (unsigned long long)ms, reads);
	kd_close(h);
}

/* opts.pids follows a process and what it forks, and nothing else. */
Test(core, pid_filter_follows_children)
{
	int t = need_type("close");
	const struct kd_event *ev;
	struct kd_handle *h;
	int go, status;
	int32_t pid;
	pid_t gpid = 0;
	int64_t want = -EBADF;

	pid = fork_held(&go);
	if (pid == 0) {
		pid_t g = fork();

		if (g == 0) {
			close(BAD_FD);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(g > 0 ? 0 : 1);
	}
	h = open_core_with((struct core_open_args){ .events = "close", .pids = &pid, .npids = 1 });
	cr_assert_eq(close(BAD_FD), -1); /* ours: not followed */
	release_held(go);
	for (;;) {
		cr_assert_eq(kd_next(h, &ev) >= 0, 1, "%s", kd_last_error(h));
		if (!ev)
			continue;
		cr_assert_neq(kd_event_pid(ev), (uint32_t)getpid(), "own process was not in opts.pids");
		if (kd_event_type(ev) == t && kd_event_pid(ev) != (uint32_t)pid && res_is(ev, &want)) {
			gpid = (pid_t)kd_event_pid(ev);
			break;
		}
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_gt(gpid, 0);
	kd_close(h);
}

/* Counts close(BAD_FD) events of processes other than pid until want came
 * or WAIT_MS passed without one; fails on an event of our own process. */
static long count_closes_below(struct kd_handle *h, int32_t pid, long want)
{
	int t = need_type("close");
	uint64_t last = now_ns();
	const struct kd_event *ev;
	int64_t ebadf = -EBADF;
	long n = 0;

	while (n < want && now_ns() - last < WAIT_MS * 1000000ull) {
		cr_assert_geq(kd_next(h, &ev), 0, "%s", kd_last_error(h));
		if (!ev)
			continue;
		cr_assert_neq(kd_event_pid(ev), (uint32_t)getpid(), "own process was not in opts.pids");
		if (kd_event_type(ev) == t && kd_event_pid(ev) != (uint32_t)pid && res_is(ev, &ebadf)) {
			n++;
			last = now_ns();
		}
	}
	return n;
}

/* Followed processes leave the kernel's table when they end: more
 * short-lived children than it has room for are all followed (it held
 * every child ever forked: with KD_BPF_FOLLOW_MAX entries, the 8,192nd
 * child of a `kdump -- COMMAND` and all after it were silently missed). */
Test(core, pid_filter_forgets_ended_processes)
{
	const uint32_t room = 32; /* the table's entries: KD_BPF_FOLLOW_MAX, here fewer */
	const long n = room + 200;
	struct kd_stats st = { .sz = sizeof(st) };
	struct kd_handle *h;
	int go, status;
	int32_t pid;

	pid = fork_held(&go);
	if (pid == 0) {
		for (long i = 0; i < n; i++) {
			pid_t g = fork();

			if (g == 0) {
				close(BAD_FD);
				_exit(0);
			}
			if (g < 0 || waitpid(g, NULL, 0) != g)
				_exit(1);
		}
		_exit(0);
	}
	kd__core_debug_set(&(struct kd__core_debug){ .follow_max = room });
	h = open_core_with((struct core_open_args){ .events = "close", .pids = &pid, .npids = 1 });
	kd__core_debug_set(NULL);
	release_held(go);
	cr_assert_eq(count_closes_below(h, pid, n), n, "not every child of the followed process was seen");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_eq(st.drops, 0);
	kd_close(h);
}

/* opts.pids takes the children a process had before kd_open too. */
Test(core, pid_filter_follows_children_forked_before_open)
{
	struct kd_handle *h;
	int go[2], ready[2], status;
	int32_t pid;
	char c;

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pid_t g = fork(); /* before kd_open: it waits on go */

		if (g == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) != 1)
				_exit(1);
			close(BAD_FD);
			_exit(0);
		}
		close(go[0]);
		close(go[1]);
		if (g < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		_exit(waitpid(g, &status, 0) == g && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
	}
	close(go[0]);
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child could not fork");
	close(ready[0]);
	h = open_core_with((struct core_open_args){ .events = "close", .pids = &pid, .npids = 1 });
	cr_assert_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	cr_assert_eq(count_closes_below(h, pid, 1), 1, "the child forked before kd_open was not followed");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kd_close(h);
}

static void note_pidns_warning(int level, const char *msg, void *ctx)
{
	if (level == KD_LOG_WARN && strstr(msg, "not in the initial PID namespace"))
		*(bool *)ctx = true;
}

/* In a PID namespace of its own, the pids the programs see are not the ones
 * the caller knows: kd_open says so (and does not in the host's). */
Test(core, warns_outside_the_initial_pid_namespace)
{
	bool warned = false;
	struct kd_open_opts o = core_opts((struct core_open_args){ .events = "close" });
	struct kd_handle *h;
	int status;
	pid_t pid;

	o.log = note_pidns_warning;
	o.log_level = KD_LOG_WARN;
	o.log_ctx = &warned;
	h = core_open_opts(&o);
	cr_assert_not(warned, "warned in the initial PID namespace");
	kd_close(h);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pid_t g;

		if (unshare(CLONE_NEWPID))
			_exit(2);
		g = fork(); /* the first child of the new namespace: its pid 1 */
		if (g == 0) {
			warned = false;
			if (kd_open(&o, &h))
				_exit(3);
			kd_close(h);
			_exit(warned && getpid() == 1 ? 0 : 1);
		}
		_exit(g > 0 && waitpid(g, &status, 0) == g && WIFEXITED(status) ? WEXITSTATUS(status) : 4);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "child in a new PID namespace: %d (1: no warning, 2: unshare, 3: kd_open)",
		     WEXITSTATUS(status));
}

/* Capture starts fast: kd_open to the first event of ours. */
Test(core, time_to_first_event)
{
	int t = need_type("close");
	uint64_t t0 = now_ns(), t1, t2;
	struct kd_handle *h = open_core("close");
	int64_t want = -EBADF;

	t1 = now_ns();
	cr_assert_eq(close(BAD_FD), -1);
	wait_for(h, t, my_tid(), res_is, &want);
	t2 = now_ns();
	cr_log_info("kd_open %.1f ms, first event after %.1f ms", (t1 - t0) / 1e6, (t2 - t0) / 1e6);
	if (!kd_test_under_valgrind() && !getenv("KD_GUEST")) /* both are slow machines */
		cr_assert_lt(t2 - t0, 1000000000ull, "first event after %.1f ms", (t2 - t0) / 1e6);
	kd_close(h);
}

Test(core, no_privileges_is_enoperm)
{
	struct kd_handle *h = NULL;
	int err;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root to drop privileges");
	if (kd_test_under_valgrind())
		cr_skip_test("valgrind cannot remove its files after the child drops root");
	/* a forked child drops to nobody: no CAP_BPF, no CAP_SYS_ADMIN */
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE);
		if (setgid(65534) || setuid(65534))
			_exit(2);
		err = kd_open(&o, &h);
		_exit(err == KD_ENOPERM && strstr(kd_last_error(NULL), "CAP_BPF") ? 0 : 1);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "kd_open as nobody did not give KD_ENOPERM naming CAP_BPF");
}
