/* tests/test_capture_live.c: capture files made by a real capture. A child
 * runs examples/kd-workload under the CO-RE engine with opts.capture set;
 * replaying the file must give back the same events, in the same order, with
 * the same params, as kd_next handed out live. And the bundled
 * examples/demo.kd replays as an unprivileged user (no root, no BPF). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kindling/kindling.h>

#include "kd_test.h"

/* tests/CMakeLists.txt may pass $<TARGET_FILE:kd-workload> */
#ifndef KD_WORKLOAD_PATH
#define KD_WORKLOAD_PATH KD_BINARY_DIR "/bin/kd-workload"
#endif
#define WORKLOAD KD_WORKLOAD_PATH
#define DEMO KD_SOURCE_DIR "/examples/demo.kd"
#define NOBODY 65534

/*
 * Replayed events must carry the thread and fd info live ones had: the
 * capture's SNAPSHOT block restores the tables the live handle scanned from
 * /proc, and the events keep them current. render() adds kd_event_thread()
 * and kd_event_fd() to each event's rendering, so the round trip compares
 * them too.
 */
#define KD_LIVE_COMPARE_ENRICH 1

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kd-test-capture-live-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/live.kd", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(capture_live, .init = setup, .fini = teardown, .timeout = 30);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ rendering */

static void render_enrichment(FILE *f, const struct kd_event *ev)
{
	const struct kd_thread *t = kd_event_thread(ev);
	const struct kd_fd *fd = kd_event_fd(ev);
	char s[512];

	if (t) {
		size_t alen;
		const char *a = kd_thread_args(t, &alen);

		fprintf(f, " thread=%u/%u/%u comm=%s exe=%s cwd=%s uid=%u/%u gid=%u/%u login=%u sid=%u "
			"start=%llu cgroup=%s container=%s/%s flags=%#x args=",
			kd_thread_tid(t), kd_thread_pid(t), kd_thread_ppid(t), kd_thread_comm(t),
			kd_thread_exe(t), kd_thread_cwd(t), kd_thread_uid(t), kd_thread_euid(t),
			kd_thread_gid(t), kd_thread_egid(t), kd_thread_loginuid(t), kd_thread_sid(t),
			(unsigned long long)kd_thread_start_time(t), kd_thread_cgroup(t),
			kd_thread_container_id(t), kd_thread_container_runtime(t), kd_thread_flags(t));
		for (size_t i = 0; i < alen; i++)
			fputc(a[i] ? a[i] : ' ', f);
	}
	if (fd && kd_fd_format(fd, s, sizeof(s)) >= 0)
		fprintf(f, " fd=%d:%s type=%s path=%s flags=%#x family=%d type=%d proto=%s role=%d",
			kd_fd_num(fd), s, kd_fd_type_name(kd_fd_type(fd)), kd_fd_path(fd),
			kd_fd_flags(fd), kd_fd_sock_family(fd), kd_fd_sock_type(fd),
			kd_fd_proto_name(fd), kd_fd_role(fd));
}

/* Everything an event says, as one string: header fields, the formatted
 * result, and each param by value, formatted and as raw bytes. */
static char *render(const struct kd_event *ev)
{
	static char buf[16384];
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	cr_assert_not_null(f);
	cr_assert_geq(kd_event_result_format(ev, buf, sizeof(buf)), 0);
	fprintf(f, "%d %s ts=%llu mono=%llu cpu=%u tid=%u pid=%u res=%lld (%s) lat=%llu rf=%#x",
		kd_event_type(ev), kd_event_name(ev), (unsigned long long)kd_event_ts(ev),
		(unsigned long long)kd_event_ts_mono(ev), kd_event_cpu(ev), kd_event_tid(ev),
		kd_event_pid(ev), (long long)kd_event_result(ev), buf,
		(unsigned long long)kd_event_latency(ev), kd_event_record_flags(ev));
	for (unsigned i = 0; i < kd_event_nparams(ev); i++) {
		struct kd_value v;

		cr_assert_eq(kd_event_param(ev, i, &v), 0, "%s param %u", kd_event_name(ev), i);
		cr_assert_geq(kd_event_param_format(ev, i, buf, sizeof(buf)), 0);
		fprintf(f, " %s=%s {kind=%u flags=%#x i=%lld u=%llu", v.name, buf, v.kind, v.flags,
			(long long)v.i, (unsigned long long)v.u);
		if (v.flags & KD_VAL_BYTES) {
			fprintf(f, " len=%zu bytes=", v.len);
			for (size_t j = 0; j < v.len; j++)
				fprintf(f, "%02x", ((const uint8_t *)v.ptr)[j]);
		}
		fputc('}', f);
	}
	if (KD_LIVE_COMPARE_ENRICH)
		render_enrichment(f, ev);
	cr_assert_eq(fclose(f), 0);
	return s;
}

struct events {
	char **s;
	size_t n, cap;
};

static void events_add(struct events *e, char *s)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 256;
		e->s = realloc(e->s, e->cap * sizeof(*e->s));
		cr_assert_not_null(e->s);
	}
	e->s[e->n++] = s;
}

static void events_free(struct events *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->s[i]);
	free(e->s);
}

/* ------------------------------------------------------------ the workload */

/* What the live stream must show for the workload to count as captured. */
struct seen {
	bool exec_workload, rename, connect, get, reply, exec_true;
	unsigned pids;
	uint32_t pid[16];
};

static bool param_has(const struct kd_event *ev, const char *name, const char *text)
{
	static char buf[16384];
	struct kd_value v;
	unsigned i;

	for (i = 0; i < kd_event_nparams(ev); i++)
		if (kd_event_param(ev, i, &v) == 0 && strcmp(v.name, name) == 0)
			break;
	if (i == kd_event_nparams(ev) || kd_event_param_format(ev, i, buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, text) != NULL;
}

static void note(struct seen *s, const struct kd_event *ev)
{
	const char *name = kd_event_name(ev);
	unsigned i;

	for (i = 0; i < s->pids && s->pid[i] != kd_event_pid(ev); i++)
		;
	if (i == s->pids && s->pids < 16)
		s->pid[s->pids++] = kd_event_pid(ev);
	/* argv, not filename: under valgrind --trace-children the exec is valgrind's */
	if (strcmp(name, "execve") == 0 && param_has(ev, "argv", "kd-workload"))
		s->exec_workload = true;
	if (strcmp(name, "execve") == 0 && param_has(ev, "filename", "/true"))
		s->exec_true = true;
	if (strcmp(name, "rename") == 0 && param_has(ev, "newname", "notes.old"))
		s->rename = true;
	if (strcmp(name, "connect") == 0 && param_has(ev, "uservaddr", "127.0.0.1:"))
		s->connect = true;
	if (strcmp(name, "write") == 0 && param_has(ev, "buf", "GET / HTTP/1.0"))
		s->get = true;
	if (strcmp(name, "read") == 0 && param_has(ev, "buf", "HTTP/1.0 200 OK"))
		s->reply = true;
}

/* A child that runs body (which does not return) once the parent writes a
 * byte to *go_w, i.e. once the capture is open; it dies with the test, and
 * its stdout goes to /dev/null. */
static pid_t spawn_waiting(int *go_w, void (*body)(void))
{
	int go[2];
	pid_t pid;

	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char c;
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(98); /* the parent gave up */
		body();
	}
	close(go[0]);
	*go_w = go[1];
	return pid;
}

static void run_workload(void)
{
	execl(WORKLOAD, "kd-workload", (char *)NULL);
	_exit(127);
}

/* A child that runs the workload once go[] says the capture is open. */
static pid_t spawn_workload(int *go_w)
{
	return spawn_waiting(go_w, run_workload);
}

static void stop_child(pid_t pid, int go_w)
{
	close(go_w);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------------ tests */

Test(capture_live, roundtrip_of_workload)
{
	struct events live = { 0 };
	struct seen seen = { 0 };
	struct kd_stats st = { .sz = sizeof(st) };
	const struct kd_event *ev;
	struct kd_handle *h;
	int32_t child;
	int go_w, err, status = -1, timeouts = 0;
	bool reaped = false;
	uint64_t deadline;
	size_t n = 0;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: live capture with the core engine");
	cr_assert_eq(access(WORKLOAD, X_OK), 0, "%s missing: build the kd-workload target", WORKLOAD);

	child = spawn_workload(&go_w);
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .timeout_ms = 50, .pids = &child,
			.npids = 1, .capture = path);

		err = kd_open(&o, &h);
	}
	if (err == KD_ENOENGINE || err == KD_ENOPERM || err == -EPERM) {
		stop_child(child, go_w);
		KD_SKIP_OR_FAIL("no core engine here: %s", kd_last_error(NULL));
	}
	if (err) {
		stop_child(child, go_w);
		cr_assert_fail("kd_open(core, capture): %s: %s", kd_strerror(err), kd_last_error(NULL));
	}
	cr_assert_eq(write(go_w, "g", 1), 1);
	close(go_w);

	/* until the child is gone and the rings have been empty twice */
	deadline = now_ns() + 15000000000ull;
	while (timeouts < 2) {
		cr_assert_lt(now_ns(), deadline, "the workload did not finish within 15 s");
		err = kd_next(h, &ev);
		cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
		if (err == 0) {
			events_add(&live, render(ev));
			note(&seen, ev);
			timeouts = 0;
			continue;
		}
		if (!reaped && waitpid(child, &status, WNOHANG) == child)
			reaped = true;
		else if (reaped)
			timeouts++;
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kd-workload failed: status %#x",
		  status);
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_eq(st.drops, 0, "%llu drops: the comparison below would not cover the workload",
		     (unsigned long long)st.drops);
	kd_close(h);

	/* the workload is in the stream, not just some events */
	cr_assert(seen.exec_workload, "no execve of kd-workload among %zu events", live.n);
	cr_assert(seen.rename, "no rename of notes.txt");
	cr_assert(seen.connect, "no connect to 127.0.0.1");
	cr_assert(seen.get, "no write of the GET request");
	cr_assert(seen.reply, "no read of the HTTP reply");
	cr_assert(seen.exec_true, "no execve of true");
	cr_assert_geq(seen.pids, 3, "workload, server and true: %u pids", seen.pids);

	/* the replay: same events, same order, same params, then KD_EOF */
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");

		cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	}
	while ((err = kd_next(h, &ev)) == 0) {
		char *got = render(ev);

		cr_assert_lt(n, live.n, "replay has more than the %zu live events: %s", live.n, got);
		cr_assert_str_eq(got, live.s[n], "event %zu differs:\nreplay %s\nlive   %s", n, got,
				 live.s[n]);
		free(got);
		n++;
	}
	cr_assert_eq(err, KD_EOF, "replay error after %zu events: %s: %s", n, kd_strerror(err),
		     kd_last_error(h));
	cr_assert_eq(n, live.n, "replay gave %zu events, live %zu", n, live.n);
	kd_close(h);
	events_free(&live);
}

/* Replays file, folding every rendering into an FNV-1a hash. 0 or a code
 * telling what failed (the unprivileged child can only exit with it). */
/* The comm of the first getppid event of pid in file, replayed. */
static char *replayed_comm(const char *file, pid_t pid)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = file, .events = "all");
	int t = kd_event_type_by_name("getppid");
	const struct kd_event *ev;
	struct kd_handle *h;
	char *comm = NULL;
	int err;

	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while (!comm && (err = kd_next(h, &ev)) == 0)
		if (kd_event_type(ev) == t && kd_event_pid(ev) == (uint32_t)pid)
			comm = strdup(kd_thread_comm(kd_event_thread(ev)));
	kd_close(h);
	return comm;
}

/* The child of dump_keeps_what_live_looked_up: a new name, then a syscall. */
static void rename_and_getppid(void)
{
	prctl(PR_SET_NAME, "kd-renamed");
	syscall(SYS_getppid);
	_exit(0);
}

/* kd_dump (kdump -w) writes what the live handle looked up for an event, as
 * opts.capture does: a name set by prctl is not in the record (only its
 * address), live enrichment reads it from /proc, and the replay has it. */
Test(capture_live, dump_keeps_what_live_looked_up)
{
	const struct kd_event *ev;
	struct kd_handle *h;
	struct kd_dump *d;
	char *live = NULL, *replayed;
	int go_w, err, t = kd_event_type_by_name("getppid");
	int32_t pid;
	uint64_t deadline;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: live capture with the core engine");
	pid = spawn_waiting(&go_w, rename_and_getppid);
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .timeout_ms = 50, .pids = &pid,
			.npids = 1);

		err = kd_open(&o, &h);
	}
	if (err == KD_ENOENGINE || err == KD_ENOPERM || err == -EPERM) {
		stop_child(pid, go_w);
		KD_SKIP_OR_FAIL("no core engine here: %s", kd_last_error(NULL));
	}
	cr_assert_eq(err, 0, "kd_open(core): %s: %s", kd_strerror(err), kd_last_error(NULL));
	cr_assert_eq(kd_dump_open(path, NULL, &d), 0, "%s", kd_last_error(NULL));
	cr_assert_eq(write(go_w, "g", 1), 1);
	close(go_w);
	deadline = now_ns() + 15000000000ull;
	while (!live) {
		cr_assert_lt(now_ns(), deadline, "no getppid of the child within 15 s");
		err = kd_next(h, &ev);
		cr_assert_geq(err, 0, "kd_next: %s: %s", kd_strerror(err), kd_last_error(h));
		if (err)
			continue;
		cr_assert_eq(kd_dump_event(d, ev), 0, "%s", kd_dump_last_error(d));
		if (kd_event_type(ev) == t && kd_event_pid(ev) == (uint32_t)pid)
			live = strdup(kd_thread_comm(kd_event_thread(ev)));
	}
	cr_assert_eq(kd_dump_close(d), 0);
	kd_close(h);
	waitpid(pid, NULL, 0);
	cr_assert_str_eq(live, "kd-renamed");
	replayed = replayed_comm(path, pid);
	cr_assert_not_null(replayed, "no getppid of the child in the file");
	cr_assert_str_eq(replayed, live);
	free(live);
	free(replayed);
}

static int replay_hash(const char *file, uint64_t *count, uint64_t *hash, char *msg, size_t len)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = file, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	int err;

	*count = 0;
	*hash = 14695981039346656037ull;
	if ((err = kd_open(&o, &h)) != 0) {
		snprintf(msg, len, "kd_open: %s", kd_last_error(NULL));
		return 1;
	}
	while ((err = kd_next(h, &ev)) == 0) {
		char *s = render(ev);

		for (const char *p = s; *p; p++)
			*hash = (*hash ^ (uint8_t)*p) * 1099511628211ull;
		free(s);
		(*count)++;
	}
	if (err != KD_EOF) {
		snprintf(msg, len, "kd_next after %llu events: %s", (unsigned long long)*count,
			 kd_last_error(h));
		kd_close(h);
		return 2;
	}
	kd_close(h);
	return *count ? 0 : 3;
}

struct result {
	int rc;
	uid_t uid;
	uint64_t count, hash;
	char msg[400];
};

Test(capture_live, demo_replays_unprivileged)
{
	char copy[160];
	struct result want = { 0 }, got = { 0 };
	int fds[2], status;
	pid_t pid;

	cr_assert_eq(access(DEMO, R_OK), 0, "%s is missing", DEMO);
	want.rc = replay_hash(DEMO, &want.count, &want.hash, want.msg, sizeof(want.msg));
	cr_assert_eq(want.rc, 0, "%s: %s", DEMO, want.msg);
	if (!kd_test_is_root())
		return; /* the replay above already ran without root */

	/* a copy nobody can reach, whatever the checkout's permissions */
	snprintf(copy, sizeof(copy), "%s/demo.kd", dir);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", DEMO, copy);
		cr_assert_eq(system(cmd), 0);
	}
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(chmod(copy, 0644), 0);

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct result r = { 0 };

		close(fds[0]);
		if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) {
			r.rc = 10;
		} else if (setuid(0) == 0 || geteuid() != NOBODY) {
			r.rc = 11; /* privileges must be gone for good */
		} else {
			r.uid = geteuid();
			r.rc = replay_hash(copy, &r.count, &r.hash, r.msg, sizeof(r.msg));
		}
		if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(12);
		_exit(r.rc);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &got, sizeof(got)), (ssize_t)sizeof(got));
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "the unprivileged replay died: status %#x", status);
	cr_assert_eq(got.rc, 0, "unprivileged replay: code %d: %s", got.rc, got.msg);
	cr_assert_eq(WEXITSTATUS(status), 0);
	cr_assert_eq(got.uid, NOBODY);
	cr_assert_eq(got.count, want.count);
	cr_assert_eq(got.hash, want.hash, "uid %d sees other events than root", NOBODY);
}
