/*
 * tests/test_core_filter.c: in-kernel filters on the live core engine:
 * comm prefix over renamed children, path prefix over openat, newfstatat
 * and unlinkat, a cgroup v2 directory, a filter switched while capturing,
 * and the kernel counters of what was dropped. Needs root.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core_test.h"

TestSuite(core_filter, .timeout = 120);

#define NOPEN 5

static struct kd_handle *open_filtered(const char *events, const struct kd_filter *f)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF | KD_OPEN_NO_ENRICH,
		.timeout_ms = 50, .events = events, .filter = f);
	struct kd_handle *h = core_open_opts(&o);

	core_drain(h);
	return h;
}

static void opens(const char *path, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
}

/* A child named name that opens path NOPEN times; its pid. */
static pid_t child_named(const char *name, const char *path)
{
	pid_t p = fork();

	cr_assert_geq(p, 0);
	if (p == 0) {
		prctl(PR_SET_NAME, name, 0, 0, 0);
		opens(path, NOPEN);
		_exit(0);
	}
	return p;
}

static void reap(pid_t p)
{
	int st;

	cr_assert_eq(waitpid(p, &st, 0), p);
}

static struct kd_stats stats(struct kd_handle *h)
{
	struct kd_stats st = { .sz = sizeof(st) };

	cr_assert_eq(kd_stats(h, &st), 0);
	return st;
}

/* Count the openat events of each pid in pids[n] until quiet. */
static void count_opens(struct kd_handle *h, const pid_t *pids, int *cnt, int n)
{
	int type = core_type("openat"), quiet = 0;
	const struct kd_event *ev;

	memset(cnt, 0, sizeof(int) * (size_t)n);
	for (uint64_t end = core_deadline(); core_until_quiet(quiet, end);) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "%s", kd_last_error(h));
		if (err == KD_TIMEOUT) {
			quiet++;
			continue;
		}
		if (kd_event_type(ev) != type)
			continue;
		for (int i = 0; i < n; i++)
			if (kd_event_pid(ev) == (uint32_t)pids[i])
				cnt[i]++;
	}
}

Test(core_filter, comm_prefix)
{
	const char *comms[] = { "kdft_a*" };
	KD_OPTS(kd_filter, f, .comms = comms, .ncomms = 1);
	struct kd_handle *h = open_filtered("openat", &f);
	const char *names[] = { "kdft_a1", "kdft_a22", "kdft_b1", "xkdft_a" };
	pid_t p[4];
	int cnt[4];
	struct kd_stats s0 = stats(h), s1;

	for (int i = 0; i < 4; i++)
		p[i] = child_named(names[i], "/dev/null");
	for (int i = 0; i < 4; i++)
		reap(p[i]);
	count_opens(h, p, cnt, 4);
	cr_expect_geq(cnt[0], NOPEN, "kdft_a1 matches: %d opens", cnt[0]);
	cr_expect_geq(cnt[1], NOPEN, "kdft_a22 matches: %d opens", cnt[1]);
	cr_expect_eq(cnt[2], 0, "kdft_b1 filtered");
	cr_expect_eq(cnt[3], 0, "xkdft_a filtered");
	s1 = stats(h);
	cr_expect_geq(s1.filtered_task - s0.filtered_task, 2 * NOPEN,
		      "the kernel counted the dropped opens: %llu",
		      (unsigned long long)(s1.filtered_task - s0.filtered_task));
	kd_close(h);
}

/* exact names: only kdft_x, not kdft_xy */
Test(core_filter, comm_exact)
{
	const char *comms[] = { "kdft_x", "kdft_zz*" };
	KD_OPTS(kd_filter, f, .comms = comms, .ncomms = 2);
	struct kd_handle *h = open_filtered("openat", &f);
	const char *names[] = { "kdft_x", "kdft_xy", "kdft_zzz", "kdft_z" };
	pid_t p[4];
	int cnt[4];

	for (int i = 0; i < 4; i++)
		p[i] = child_named(names[i], "/dev/null");
	for (int i = 0; i < 4; i++)
		reap(p[i]);
	count_opens(h, p, cnt, 4);
	cr_expect_geq(cnt[0], NOPEN);
	cr_expect_eq(cnt[1], 0);
	cr_expect_geq(cnt[2], NOPEN);
	cr_expect_eq(cnt[3], 0);
	kd_close(h);
}

Test(core_filter, path_prefix)
{
	char dir[64], ok[96], okp[96], no[96];
	const char *paths[] = { okp };
	const struct kd_event *ev;
	uint32_t tid = core_tid();
	int quiet = 0, seen_open = 0, seen_stat = 0, seen_unlink = 0, seen_close = 0;
	struct stat st;

	snprintf(dir, sizeof(dir), "/tmp/kdft.%d", (int)getpid());
	snprintf(okp, sizeof(okp), "%s/ok_", dir);
	snprintf(ok, sizeof(ok), "%s/ok_file", dir);
	snprintf(no, sizeof(no), "%s/no_file", dir);
	mkdir(dir, 0700);
	KD_OPTS(kd_filter, f, .paths = paths, .npaths = 1);
	struct kd_handle *h = open_filtered("openat,newfstatat,unlinkat,close", &f);
	struct kd_stats s0 = stats(h), s1;

	for (int i = 0; i < 2; i++) {
		const char *p = i ? no : ok;
		int fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_CREAT | O_WRONLY, 0600);

		cr_assert_geq(fd, 0);
		close(fd);
		cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0), 0);
		cr_assert_eq(syscall(SYS_unlinkat, AT_FDCWD, p, 0), 0);
	}
	rmdir(dir);
	for (uint64_t end = core_deadline(); core_until_quiet(quiet, end);) {
		int err = kd_next(h, &ev);
		struct kd_value v;

		cr_assert_geq(err, 0, "%s", kd_last_error(h));
		if (err == KD_TIMEOUT) {
			quiet++;
			continue;
		}
		if (kd_event_tid(ev) != tid)
			continue;
		if (strcmp(kd_event_name(ev), "close") == 0) {
			seen_close++; /* no path param: the path kind lets it through */
			continue;
		}
		for (unsigned i = 0; i < kd_event_nparams(ev); i++)
			if (kd_event_param(ev, i, &v) == 0 && v.kind == KD_PK_PATH)
				cr_expect(strncmp(v.ptr, okp, strlen(okp)) == 0, "%s: path %s",
					  kd_event_name(ev), (const char *)v.ptr);
		seen_open += strcmp(kd_event_name(ev), "openat") == 0;
		seen_stat += strcmp(kd_event_name(ev), "newfstatat") == 0;
		seen_unlink += strcmp(kd_event_name(ev), "unlinkat") == 0;
	}
	cr_expect_eq(seen_open, 1);
	cr_expect_eq(seen_stat, 1);
	cr_expect_eq(seen_unlink, 1);
	cr_expect_geq(seen_close, 2);
	s1 = stats(h);
	cr_expect_geq(s1.filtered_path - s0.filtered_path, 3, "kernel counted %llu path drops",
		      (unsigned long long)(s1.filtered_path - s0.filtered_path));
	kd_close(h);
}

/* The cgroup2 mount (a hybrid host has it at /sys/fs/cgroup/unified). */
static bool cg2_mount(char *out, size_t len)
{
	char line[1024], dev[128], dir[512], type[64];
	FILE *fp = fopen("/proc/self/mounts", "r");
	bool ok = false;

	if (!fp)
		return false;
	while (!ok && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%127s %511s %63s", dev, dir, type) == 3 && !strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			ok = true;
		}
	fclose(fp);
	return ok;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s), "%s: %s", path, strerror(errno));
	close(fd);
}

/* A child that waits for a byte on fd, then opens /dev/null NOPEN times. */
static pid_t child_waiting(int fd)
{
	pid_t p = fork();
	char c;

	cr_assert_geq(p, 0);
	if (p == 0) {
		if (read(fd, &c, 1) != 1)
			_exit(1);
		opens("/dev/null", NOPEN);
		_exit(0);
	}
	return p;
}

/* A fresh cgroup named prefix_<pid> under the cgroup2 mount: rel is its
 * path in the hierarchy, cg its directory. Skips (fails in CI) without root
 * or cgroup2. */
static void cg_make(const char *prefix, char *rel, size_t rlen, char *cg, size_t clen)
{
	char mnt[512];

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root");
	if (!cg2_mount(mnt, sizeof(mnt)))
		KD_SKIP_OR_FAIL("no cgroup2 mount here");
	snprintf(rel, rlen, "/%s_%d", prefix, (int)getpid());
	snprintf(cg, clen, "%s%s", mnt, rel);
	cr_assert(mkdir(cg, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", cg, strerror(errno));
}

/* Moves p[0] into cg, lets both children (waiting on the pipe) go and
 * reaps them: their events are read only once they are gone. */
static void cg_move_and_release(const char *cg, const pid_t p[2], int pfd[2])
{
	char procs[700], pidbuf[32];

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)p[0]);
	write_file(procs, pidbuf);
	cr_assert_eq(write(pfd[1], "xx", 2), 2);
	reap(p[0]);
	reap(p[1]);
	close(pfd[0]);
	close(pfd[1]);
}

Test(core_filter, cgroup)
{
	char cg[600], rel[64];
	int pfd[2];
	pid_t p[2];
	int cnt[2];

	cg_make("kdft", rel, sizeof(rel), cg, sizeof(cg));
	{
		const char *cgs[] = { rel };
		KD_OPTS(kd_filter, f, .cgroups = cgs, .ncgroups = 1);
		struct kd_handle *h = open_filtered("openat", &f);

		cr_assert_eq(pipe(pfd), 0);
		p[0] = child_waiting(pfd[0]);
		p[1] = child_waiting(pfd[0]);
		cg_move_and_release(cg, p, pfd);
		count_opens(h, p, cnt, 2);
		cr_expect_geq(cnt[0], NOPEN, "the child in %s: %d opens", rel, cnt[0]);
		cr_expect_eq(cnt[1], 0, "the child outside: %d opens", cnt[1]);
		kd_close(h);
	}
	cr_expect_eq(rmdir(cg), 0, "rmdir %s: %s", cg, strerror(errno));
}

/* This thread's openat filenames, in order, until quiet. */
static int thread_opens(struct kd_handle *h, char names[][64], int max)
{
	int type = core_type("openat"), quiet = 0, n = 0;
	uint32_t tid = core_tid();
	const struct kd_event *ev;

	for (uint64_t end = core_deadline(); core_until_quiet(quiet, end);) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "%s", kd_last_error(h));
		if (err == KD_TIMEOUT) {
			quiet++;
			continue;
		}
		if (kd_event_type(ev) == type && kd_event_tid(ev) == tid && n < max) {
			struct kd_value v = core_param(ev, "filename");

			snprintf(names[n++], 64, "%s", (const char *)v.ptr);
		}
	}
	return n;
}

static bool has(char names[][64], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return true;
	return false;
}

Test(core_filter, switch_at_runtime)
{
	const char *a[] = { "kdft_rA" }, *b[] = { "kdft_rB" };
	KD_OPTS(kd_filter, fa, .comms = a, .ncomms = 1);
	KD_OPTS(kd_filter, fb, .comms = b, .ncomms = 1);
	struct kd_handle *h = open_filtered("openat,getppid", &fa);
	char names[64][64];
	int n, ppid_events = 0;
	const struct kd_event *ev;

	prctl(PR_SET_NAME, "kdft_rA", 0, 0, 0);
	opens("/kdft/1-a-under-a", 1);
	prctl(PR_SET_NAME, "kdft_rB", 0, 0, 0);
	opens("/kdft/2-b-under-a", 1);
	cr_assert_eq(kd_filter_set(h, &fb), 0, "%s", kd_last_error(h));
	opens("/kdft/3-b-under-b", 1);
	prctl(PR_SET_NAME, "kdft_rA", 0, 0, 0);
	opens("/kdft/4-a-under-b", 1);
	cr_assert_eq(kd_filter_set(h, NULL), 0, "%s", kd_last_error(h));
	opens("/kdft/5-a-no-filter", 1);
	n = thread_opens(h, names, 64);
	cr_expect(has(names, n, "/kdft/1-a-under-a"));
	cr_expect(!has(names, n, "/kdft/2-b-under-a"));
	cr_expect(has(names, n, "/kdft/3-b-under-b"));
	cr_expect(!has(names, n, "/kdft/4-a-under-b"));
	cr_expect(has(names, n, "/kdft/5-a-no-filter"));

	/* bad input leaves the filter in force as it was (none) */
	const char *bad[] = { "a*b" };
	KD_OPTS(kd_filter, fbad, .comms = bad, .ncomms = 1);
	cr_assert_eq(kd_filter_set(h, &fbad), KD_EBADOPT);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	uint64_t end = core_deadline();

	for (int quiet = 0; core_until_quiet(quiet, end);) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0);
		if (err == KD_TIMEOUT)
			quiet++;
		else if (kd_event_tid(ev) == core_tid() && !strcmp(kd_event_name(ev), "getppid"))
			ppid_events++;
	}
	cr_expect_eq(ppid_events, 3, "capture went on unfiltered: %d getppid", ppid_events);
	cr_expect_eq(stats(h).drops, 0);
	kd_close(h);
}

/* ---------------------------------------------- with enrichment (the default) */

/* Child that execs target (argv: name, arg) once told to. */
static pid_t child_exec(const char *target, const char *name, const char *arg)
{
	pid_t p = fork();

	cr_assert_geq(p, 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(target, name, arg, (char *)NULL);
		_exit(127);
	}
	return p;
}

/* Child running "exec target arg" through /bin/sh: under valgrind (which
 * follows children but not /bin) the program then runs natively, under its
 * own name, rather than as memcheck. */
static pid_t child_sh_exec(const char *target, const char *arg)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "exec %s %s", target, arg);
	pid_t p = fork();

	cr_assert_geq(p, 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return p;
}

struct seen {
	int execs, opens, bad_comm;
};

/* Events of pid until quiet: execve count, openat count, and how many of
 * them (after the exec) carry a thread name other than comm. */
static void watch(struct kd_handle *h, pid_t pid, const char *comm, struct seen *s)
{
	const struct kd_event *ev;
	int quiet = 0;

	memset(s, 0, sizeof(*s));
	for (uint64_t end = core_deadline(); core_until_quiet(quiet, end);) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "%s", kd_last_error(h));
		if (err == KD_TIMEOUT) {
			quiet++;
			continue;
		}
		if (kd_event_pid(ev) != (uint32_t)pid)
			continue;
		const struct kd_thread *t = kd_event_thread(ev);

		if (kd_event_type(ev) == core_type("execve"))
			s->execs++;
		else if (kd_event_type(ev) == core_type("openat"))
			s->opens++;
		if (!t || strcmp(kd_thread_comm(t), comm) != 0)
			s->bad_comm++;
	}
}

/* The kernel lets execve through for enrichment; the library judges it by
 * the name it execs into: kdft_ecat's exec and opens come out under its new
 * name, the other program's exec is filtered (and counted) like its opens. */
Test(core_filter, comm_exec_judged_by_new_name)
{
	char dir[64], yes[96], no[96];
	const char *comms[] = { "kdft_e*" };
	KD_OPTS(kd_filter, f, .comms = comms, .ncomms = 1);
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF,
		.timeout_ms = 50, .events = "execve,openat", .filter = &f);
	struct kd_handle *h;
	struct kd_stats s0, s1;
	struct seen s;
	pid_t p;

	snprintf(dir, sizeof(dir), "/tmp/kdft_exec.%d", (int)getpid());
	snprintf(yes, sizeof(yes), "%s/kdft_ecat", dir);
	snprintf(no, sizeof(no), "%s/other_ecat", dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(symlink("/bin/cat", yes), 0);
	cr_assert_eq(symlink("/bin/cat", no), 0);
	h = core_open_opts(&o);
	core_drain(h);
	s0 = stats(h);

	p = child_sh_exec(yes, "/dev/null");
	reap(p);
	watch(h, p, "kdft_ecat", &s);
	cr_expect_eq(s.execs, 1, "kdft_ecat's execve: %d", s.execs);
	cr_expect_gt(s.opens, 0, "kdft_ecat's opens");
	cr_expect_eq(s.bad_comm, 0, "%d events without the new name", s.bad_comm);

	p = child_sh_exec(no, "/dev/null");
	reap(p);
	watch(h, p, "other_ecat", &s);
	cr_expect_eq(s.execs + s.opens, 0, "other_ecat: %d execs, %d opens", s.execs, s.opens);
	s1 = stats(h);
	cr_expect_gt(s1.filtered_task - s0.filtered_task, 1, "filtered: %llu",
		     (unsigned long long)(s1.filtered_task - s0.filtered_task));
	kd_close(h);
	unlink(yes);
	unlink(no);
	rmdir(dir);
}

/* A path prefix: cat's execve (/bin/cat) is outside it and not delivered,
 * yet the open of the file inside it names cat as its thread. */
Test(core_filter, path_prefix_keeps_exec_for_enrichment)
{
	char pre[64], file[96];
	const char *paths[1];
	struct kd_handle *h;
	struct seen s;
	pid_t p;

	snprintf(pre, sizeof(pre), "/tmp/kdft_pp.%d", (int)getpid());
	snprintf(file, sizeof(file), "%s.file", pre);
	fclose(fopen(file, "w"));
	paths[0] = pre;
	KD_OPTS(kd_filter, f, .paths = paths, .npaths = 1);
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF,
		.timeout_ms = 50, .events = "execve,openat", .filter = &f);
	h = core_open_opts(&o);
	core_drain(h);
	p = child_exec("/bin/cat", "cat", file);
	reap(p);
	watch(h, p, "cat", &s);
	cr_expect_eq(s.execs, 0, "execve of /bin/cat delivered");
	cr_expect_eq(s.opens, 1, "opens under the prefix: %d", s.opens);
	cr_expect_eq(s.bad_comm, 0, "the open does not name cat");
	kd_close(h);
	unlink(file);
}

/* A child that waits for a byte on fd, then execs /bin/cat /dev/null. */
static pid_t child_waiting_exec(int fd)
{
	pid_t p = fork();
	char c;

	cr_assert_geq(p, 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(fd, &c, 1) != 1)
			_exit(1);
		execl("/bin/cat", "cat", "/dev/null", (char *)NULL);
		_exit(127);
	}
	return p;
}

/* With enrichment on the kernel still checks the cgroup of an execve (an
 * exec does not change it), so a child moved into the cgroup has its exec and
 * opens delivered, even when it is gone before they are read; the other
 * child has nothing. */
Test(core_filter, cgroup_exec_with_enrichment)
{
	char cg[600], rel[64];
	struct seen in, out;
	int pfd[2];
	pid_t p[2];

	cg_make("kdfx", rel, sizeof(rel), cg, sizeof(cg));
	{
		const char *cgs[] = { rel };
		KD_OPTS(kd_filter, f, .cgroups = cgs, .ncgroups = 1);
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF,
			.timeout_ms = 50, .events = "execve,openat", .filter = &f);
		struct kd_handle *h = core_open_opts(&o);
		struct kd_stats s0, s1;

		core_drain(h);
		s0 = stats(h);
		cr_assert_eq(pipe(pfd), 0);
		p[0] = child_waiting_exec(pfd[0]);
		p[1] = child_waiting_exec(pfd[0]);
		cg_move_and_release(cg, p, pfd);
		watch(h, p[0], "cat", &in);
		cr_expect_eq(in.execs, 1, "the child in %s: %d execs", rel, in.execs);
		cr_expect_gt(in.opens, 0, "the child in %s: no opens", rel);
		cr_expect_eq(in.bad_comm, 0, "the child in %s: not named cat", rel);
		watch(h, p[1], "cat", &out);
		cr_expect_eq(out.execs + out.opens, 0, "the child outside: %d execs, %d opens",
			     out.execs, out.opens);
		s1 = stats(h);
		cr_expect_gt(s1.filtered_task, s0.filtered_task);
		kd_close(h);
	}
	cr_expect_eq(rmdir(cg), 0, "rmdir %s: %s", cg, strerror(errno));
}

/* Two children pinned to one CPU pass a byte back and forth n times: every
 * switch between them goes from one thread straight to the other. */
static void ping_pong(int n)
{
	int ab[2], ba[2];
	pid_t p[2];

	cr_assert_eq(pipe(ab), 0);
	cr_assert_eq(pipe(ba), 0);
	for (int i = 0; i < 2; i++) {
		p[i] = fork();
		cr_assert_geq(p[i], 0);
		if (p[i] == 0) {
			cpu_set_t one;
			char c = 0;

			CPU_ZERO(&one);
			CPU_SET(0, &one);
			sched_setaffinity(0, sizeof(one), &one);
			for (int k = 0; k < n; k++) {
				if (i == 0 && write(ab[1], &c, 1) != 1)
					_exit(1);
				if (read(i == 0 ? ba[0] : ab[0], &c, 1) != 1)
					_exit(1);
				if (i == 1 && write(ba[1], &c, 1) != 1)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st;

		cr_assert_eq(waitpid(p[i], &st, 0), p[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
}

/* A filter that no thread matches drops every scheduling event, and each is
 * counted once, where it would have been emitted: sched_switch per switch,
 * sched_offcpu and sched_wakeup per switch-in of a thread. The switch-out and
 * the wakeup that only keep state for the switch-in count nothing. Four
 * handles count over the same interval, in which switches straight from one
 * thread to another (ping_pong) far outnumber the machine's own: offcpu and
 * wakeup each count about as many as switch, all three together their sum
 * (counting the bookkeeping as well gave about twice as many). */
Test(core_filter, sched_filtered_counted_once)
{
	const char *comms[] = { "kdft-nobody" };
	KD_OPTS(kd_filter, f, .comms = comms, .ncomms = 1);
	const char *ev[4] = { "sched_switch", "sched_offcpu", "sched_wakeup",
			      "sched_switch,sched_offcpu,sched_wakeup" };
	/* fewer on the slow machines */
	const int n = kd_test_under_valgrind() || getenv("KD_GUEST") ? 2000 : 20000;
	struct kd_handle *h[4];
	struct kd_stats s0[4], s1[4];
	double d[4];

	for (int i = 0; i < 4; i++)
		h[i] = open_filtered(ev[i], &f);
	for (int i = 0; i < 4; i++)
		s0[i] = stats(h[i]);
	ping_pong(n);
	for (int i = 0; i < 4; i++)
		s1[i] = stats(h[i]);
	for (int i = 0; i < 4; i++) {
		d[i] = (double)(s1[i].filtered_task - s0[i].filtered_task);
		kd_close(h[i]);
	}
	cr_assert_geq(d[0], 2 * n, "switches: %.0f", d[0]);
	cr_expect(d[1] >= 0.5 * d[0] && d[1] <= 1.1 * d[0], "offcpu %.0f, switches %.0f", d[1], d[0]);
	cr_expect(d[2] >= 0.5 * d[0] && d[2] <= 1.1 * d[0], "wakeup %.0f, switches %.0f", d[2], d[0]);
	cr_expect(d[3] >= 0.9 * (d[0] + d[1] + d[2]) && d[3] <= 1.1 * (d[0] + d[1] + d[2]),
		  "all three %.0f, apart %.0f + %.0f + %.0f", d[3], d[0], d[1], d[2]);
}
