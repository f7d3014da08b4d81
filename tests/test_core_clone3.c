/*
 * tests/test_core_clone3.c: clone3's flags (struct clone_args.flags, which
 * the CO-RE driver reads at exit into the synthetic "flags" param) on a real
 * clone3, and the enrichment that needs them: a child made with CLONE_FILES
 * shares its parent's fd table, as with clone. A thread's clone3 shows the
 * flags its parent passed, though the parent has reused that memory.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enrich_test.h"

TestSuite(core_clone3, .timeout = 60);

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

struct found {
	int fd;
	bool seen;
};

static int find_fd(const struct kd_fd *f, void *ctx)
{
	struct found *w = ctx;

	if (kd_fd_num(f) == w->fd && strcmp(kd_fd_path(f), "/dev/null") == 0)
		w->seen = true;
	return 0;
}

static bool res_is(const struct kd_event *ev, const void *arg)
{
	return kd_event_result(ev) == *(const long *)arg;
}

/* The child's open(/dev/null) that returned fd */
static bool open_res(const struct kd_event *ev, const void *arg)
{
	return kd_event_result(ev) == *(const int *)arg;
}

/* clone3(CLONE_FILES): the parent's table is the child's; what the child
 * opens shows in the parent's fds. fork-like otherwise (own memory). */
static void clone3_case(uint64_t flags, bool shared)
{
	struct kd_handle *h;
	struct clone_args ca = { .flags = flags, .exit_signal = SIGCHLD };
	int go_p[2], res_p[2], t_clone3 = kd_event_type_by_name("clone3"), fd = -1, st;
	const struct kd_event *ev;
	struct kd_value v;
	struct found w;
	char s[128];
	long pid;

	/* a kernel says EINVAL to a size-0 struct; valgrind ENOSYS to any clone3 */
	if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
		cr_skip_test("clone3 is not available here (valgrind does not run it)");
	h = et_open("clone3,openat", 0);
	cr_assert_eq(pipe(go_p), 0);
	cr_assert_eq(pipe(res_p), 0);
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	cr_assert_geq(pid, 0, "clone3: %s", strerror(errno));
	if (pid == 0) {
		char c;

		if (read(go_p[0], &c, 1) != 1)
			_exit(2);
		fd = open("/dev/null", O_RDONLY);
		_exit(write(res_p[1], &fd, sizeof(fd)) == (ssize_t)sizeof(fd) ? 0 : 3);
	}
	/* the parent's clone3 first, so the child's table is decided by its flags
	 * (this one: kd_open's /proc scan may start threads, with clone3 too) */
	ev = et_wait(h, t_clone3, (uint32_t)getpid(), res_is, &pid);
	cr_assert_eq(kd_event_result(ev), pid);
	cr_assert_eq(kd_event_param_by_name(ev, "flags", &v), 0);
	cr_assert_eq(v.u, flags, "clone3 flags %#llx, want %#llx", (unsigned long long)v.u,
		     (unsigned long long)flags);
	cr_assert_eq(kd_event_param_format(ev, 2, s, sizeof(s)) > 0, true);
	if (flags == CLONE_FILES)
		cr_assert_str_eq(s, "CLONE_FILES");
	cr_assert_eq(write(go_p[1], "g", 1), 1);
	cr_assert_eq(read(res_p[0], &fd, sizeof(fd)), (ssize_t)sizeof(fd));
	cr_assert_geq(fd, 0);
	cr_assert_eq(waitpid((pid_t)pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	ev = et_wait(h, kd_event_type_by_name("openat"), (uint32_t)pid, open_res, &fd);
	w.fd = fd;
	w.seen = false;
	cr_assert_eq(kd_fd_iter(h, (uint32_t)getpid(), find_fd, &w), 0);
	cr_assert_eq(w.seen, shared, "parent's table %s the child's fd %d",
		     w.seen ? "has" : "lacks", fd);
	if (shared)
		close(fd); /* it is ours too */
	close(go_p[0]);
	close(go_p[1]);
	close(res_p[0]);
	close(res_p[1]);
	et_close(h);
}

Test(core_clone3, files_shared)
{
	clone3_case(CLONE_FILES, true);
}

Test(core_clone3, files_copied)
{
	clone3_case(0, false);
}


static bool from_tid(const struct kd_event *ev, const void *arg)
{
	return kd_event_tid(ev) == *(const uint32_t *)arg;
}

static long thread_tid;

static void *thread_fn(void *arg)
{
	thread_tid = syscall(SYS_gettid);
	return arg;
}

/* Writes over the stack below the caller, where pthread_create's frames
 * (and its struct clone_args) were. */
static __attribute__((noinline)) void scribble(void)
{
	volatile unsigned char junk[16384];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
}

/* pthread_create's clone3 (glibc >= 2.34): the new thread's return shows the
 * flags its parent passed. Its clone_args was on the parent's stack; pinned
 * to one CPU under SCHED_FIFO, the parent runs on (a FIFO task is not
 * preempted by an equal one) and writes over it before the thread's first
 * instruction, so reading the struct at the thread's return gives junk. */
Test(core_clone3, thread_flags_are_its_parents)
{
	struct sched_param rt = { .sched_priority = 1 }, normal = { 0 };
	int t_clone3 = kd_event_type_by_name("clone3");
	const struct kd_event *ev;
	cpu_set_t one, all;
	struct kd_value v;
	uint64_t flags;
	uint32_t tid;
	pthread_t t;

	if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
		cr_skip_test("clone3 is not available here (valgrind does not run it)");
	struct kd_handle *h = et_open("clone3", 0);

	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	cr_assert_eq(sched_setscheduler(0, SCHED_FIFO, &rt), 0, "SCHED_FIFO: %s", strerror(errno));
	cr_assert_eq(pthread_create(&t, NULL, thread_fn, NULL), 0);
	scribble();
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(sched_setscheduler(0, SCHED_OTHER, &normal), 0);
	cr_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);

	/* our thread's (kd_open's /proc scan may start threads, with clone3 too) */
	ev = et_wait(h, t_clone3, (uint32_t)getpid(), res_is, &thread_tid);
	tid = (uint32_t)kd_event_result(ev);
	cr_assert_eq(kd_event_param_by_name(ev, "flags", &v), 0);
	flags = v.u;
	cr_assert_eq(flags & (CLONE_VM | CLONE_THREAD), (uint64_t)(CLONE_VM | CLONE_THREAD),
		     "pthread_create's clone3 flags %#llx", (unsigned long long)flags);
	ev = et_wait(h, t_clone3, (uint32_t)getpid(), from_tid, &tid);
	cr_assert_eq(kd_event_result(ev), 0);
	cr_assert_eq(kd_event_param_by_name(ev, "flags", &v), 0);
	cr_assert_eq(v.u, flags, "the thread's clone3 flags %#llx, its parent's %#llx",
		     (unsigned long long)v.u, (unsigned long long)flags);
	et_close(h);
}
