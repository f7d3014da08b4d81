/*
 * tests/test_core_proc.c: process and signal syscalls through the CO-RE
 * engine: ids, fork (clone) seen from both sides, wait4, exit_group (emitted
 * at entry), setpgid, prctl, kill, tgkill, rt_sigaction, rt_sigprocmask.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "core_test.h"

TestSuite(core_proc, .timeout = 30);

Test(core_proc, ids)
{
	struct kd_handle *h = core_open("getpid,getppid,gettid");
	const struct kd_event *ev;

	cr_assert_eq(syscall(SYS_getpid), getpid());
	ev = core_expect(h, "getpid", getpid());
	cr_assert_eq(kd_event_nparams(ev), 0);
	cr_assert_eq(syscall(SYS_getppid), getppid());
	core_expect(h, "getppid", getppid());
	cr_assert_eq(syscall(SYS_gettid), (long)core_tid());
	ev = core_expect(h, "gettid", core_tid());
	cr_assert_eq(kd_event_tid(ev), core_tid());
	kd_close(h);
}

/* fork() is clone(SIGCHLD | CLONE_CHILD_*TID, ...) in glibc: the parent's
 * event returns the child's pid, the child's own event returns 0. The child
 * runs on the other CPU at once, so its events may come first. The child is
 * reaped before its events are looked for: under valgrind its exit_group
 * comes only after valgrind's own exit work, which can take seconds. */
/* The handle, for the forked child's sake: under valgrind the child runs its
 * own leak check at _exit, and a handle held only in a register the child's
 * path dropped reads as definitely lost (exit status 1, not 3). */
static struct kd_handle *volatile fork_handle;

/* A child that exits with 3 at once, or (paused) waits to be killed. */
static pid_t child_of(struct kd_handle *h, bool paused)
{
	pid_t pid;

	fork_handle = h;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (paused)
			pause();
		_exit(paused ? 0 : 3);
	}
	return pid;
}

Test(core_proc, fork_wait_exit_group)
{
	struct kd_handle *h = core_open("clone,wait4,exit_group");
	int tclone = core_type("clone"), texit = core_type("exit_group"), twait = core_type("wait4");
	bool parent = false, child = false, child_exit = false, waited = false;
	char buf[64];
	uint64_t deadline;
	const struct kd_event *ev;
	int status = 0;
	pid_t pid;

	pid = child_of(h, false);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	deadline = core_now_ns() + CORE_WAIT_MS * 1000000ull;
	while (!(parent && child && child_exit && waited) && core_now_ns() < deadline) {
		int err = kd_next(h, &ev), t;

		cr_assert_geq(err, 0, "kd_next: %s", kd_last_error(h));
		if (err)
			continue;
		t = kd_event_type(ev);
		if (t == tclone && kd_event_tid(ev) == core_tid()) {
			parent = true;
			cr_assert_eq(kd_event_result(ev), pid);
			cr_assert_eq(core_param(ev, "clone_flags").u & 0xff, SIGCHLD);
			if (!kd_test_under_valgrind()) { /* valgrind makes the clone itself */
				core_eq_u(ev, "clone_flags",
					  SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID);
				core_eq_u(ev, "newsp", 0);
				cr_assert_neq(core_param(ev, "child_tidptr").u, 0);
			}
		} else if (t == tclone && kd_event_tid(ev) == (uint32_t)pid) {
			child = true;
			cr_assert_eq(kd_event_result(ev), 0);
			cr_assert_eq(kd_event_pid(ev), (uint32_t)pid);
		} else if (t == texit && kd_event_tid(ev) == (uint32_t)pid) {
			child_exit = true;
			core_eq_i(ev, "error_code", 3);
			cr_assert(kd_event_record_flags(ev) & KD_RF_AT_ENTRY);
		} else if (t == twait && kd_event_tid(ev) == core_tid() && kd_event_result(ev) == pid) {
			waited = true;
			core_eq_i(ev, "upid", pid);
			core_eq_ptr(ev, "stat_addr", &status);
			core_eq_i(ev, "options", 0);
			core_eq_ptr(ev, "ru", 0);
			/* the status the call wrote, and how it reads */
			core_eq_bytes(ev, "status", &status, sizeof(status));
			cr_assert_geq(kd_event_param_format(ev, 4, buf, sizeof(buf)), 0);
			cr_assert_str_eq(buf, "exited(3)");
		}
	}
	cr_assert(parent && child && child_exit && waited,
		  "clone in parent %d, in child %d, exit_group %d, wait4 %d", parent, child, child_exit,
		  waited);

	cr_assert_eq(waitpid(pid, &status, WNOHANG), -1);
	ev = core_expect(h, "wait4", -ECHILD);
	core_eq_i(ev, "options", WNOHANG);
	core_eq_null(ev, "status"); /* nothing reported, nothing written */

	/* killed: the signal; a running child with WNOHANG: no status */
	pid = child_of(h, true);
	status = 12345;
	cr_assert_eq(waitpid(pid, &status, WNOHANG), 0);
	ev = core_expect(h, "wait4", 0);
	core_eq_null(ev, "status");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ev = core_expect(h, "wait4", pid);
	core_eq_bytes(ev, "status", &status, sizeof(status));
	cr_assert_geq(kd_event_param_format(ev, 4, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "killed(SIGKILL)");
	kd_close(h);
}

/* waitid's info (schema 5): the siginfo head the call wrote, by name; none
 * when the call failed. */
Test(core_proc, waitid_info)
{
	struct kd_handle *h = core_open("waitid");
	const struct kd_event *ev;
	siginfo_t si;
	char buf[128], want[128];
	pid_t pid;

	pid = child_of(h, false);
	memset(&si, 0, sizeof(si));
	cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED), 0);
	cr_assert_eq(si.si_code, CLD_EXITED);
	ev = core_expect(h, "waitid", 0);
	core_eq_i(ev, "which", P_PID);
	core_eq_i(ev, "upid", pid);
	core_eq_ptr(ev, "infop", &si);
	core_eq_bytes(ev, "info", &si, 32);
	cr_assert_geq(kd_event_param_format(ev, 5, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "{code=CLD_EXITED, pid=%d, uid=%u, status=3}", pid, getuid());
	cr_assert_str_eq(buf, want);

	pid = child_of(h, true);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED), 0);
	ev = core_expect(h, "waitid", 0);
	core_eq_bytes(ev, "info", &si, 32);
	cr_assert_geq(kd_event_param_format(ev, 5, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "{code=CLD_KILLED, pid=%d, uid=%u, status=SIGKILL}", pid, getuid());
	cr_assert_str_eq(buf, want);

	memset(&si, 0x55, sizeof(si));
	cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED), -1);
	core_eq_null(core_expect(h, "waitid", -ECHILD), "info");
	kd_close(h);
}

Test(core_proc, setpgid_prctl)
{
	struct kd_handle *h = core_open("setpgid,prctl");
	static const char name[] = "kd-proc-name";
	const struct kd_event *ev;

	int status;
	pid_t pid;

	/* in a child: the test worker may lead its session (setpgid: EPERM) */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(setpgid(0, 0) == 0 ? 0 : 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ev = core_wait(h, core_type("setpgid"), (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_event_result(ev), 0);
	core_eq_i(ev, "pid", 0);
	core_eq_i(ev, "pgid", 0);
	cr_assert_eq(setpgid(-1, 0), -1);
	core_eq_i(core_expect(h, "setpgid", -EINVAL), "pid", -1);

	cr_assert_eq(prctl(PR_SET_NAME, name, 0, 0, 0), 0);
	ev = core_expect(h, "prctl", 0);
	core_eq_i(ev, "option", PR_SET_NAME);
	core_eq_ptr(ev, "arg2", name);
	core_eq_u(ev, "arg3", 0);
	cr_assert_eq(prctl(0x7fff, 1, 2, 3, 4), -1);
	ev = core_expect(h, "prctl", -EINVAL);
	core_eq_i(ev, "option", 0x7fff);
	core_eq_u(ev, "arg2", 1);
	core_eq_u(ev, "arg5", 4);
	kd_close(h);
}

Test(core_proc, kill_tgkill)
{
	struct kd_handle *h = core_open("kill,tgkill");
	const struct kd_event *ev;

	cr_assert_eq(kill(getpid(), 0), 0);
	ev = core_expect(h, "kill", 0);
	core_eq_i(ev, "pid", getpid());
	core_eq_i(ev, "sig", 0);
	cr_assert_eq(kill(0x3ffffff0, 0), -1);
	core_eq_i(core_expect(h, "kill", -ESRCH), "pid", 0x3ffffff0);

	/* SIGWINCH is ignored by default: delivered and gone */
	cr_assert_eq(syscall(SYS_tgkill, getpid(), core_tid(), SIGWINCH), 0);
	ev = core_expect(h, "tgkill", 0);
	core_eq_i(ev, "tgid", getpid());
	core_eq_i(ev, "pid", core_tid());
	core_eq_i(ev, "sig", SIGWINCH);
	if (!kd_test_under_valgrind()) { /* which refuses a bad signal itself */
		cr_assert_eq(syscall(SYS_tgkill, getpid(), core_tid(), 99), -1);
		core_eq_i(core_expect(h, "tgkill", -EINVAL), "sig", 99);
	}
	kd_close(h);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* Valgrind runs signal handlers and masks itself: the kernel never sees the
 * program's own calls. */
Test(core_proc, sigaction_sigprocmask)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	uint64_t set = 1ull << (SIGUSR2 - 1), oset = 0, zero = 0;
	const struct kd_event *ev;
	struct kd_handle *h;

	if (kd_test_under_valgrind())
		cr_skip_test("valgrind emulates signal handling");
	h = core_open("rt_sigaction,rt_sigprocmask");
	cr_assert_eq(sigaction(SIGUSR1, &sa, &old), 0);
	ev = core_expect(h, "rt_sigaction", 0);
	core_eq_i(ev, "sig", SIGUSR1);
	cr_assert_neq(core_param(ev, "act").u, 0);
	cr_assert_neq(core_param(ev, "oact").u, 0);
	core_eq_u(ev, "sigsetsize", 8);
	cr_assert_eq(sigaction(SIGKILL, &sa, NULL), -1);
	ev = core_expect(h, "rt_sigaction", -EINVAL);
	core_eq_i(ev, "sig", SIGKILL);
	core_eq_u(ev, "oact", 0);
	sigaction(SIGUSR1, &old, NULL);
	core_expect(h, "rt_sigaction", 0);

	/* raw, with the kernel's struct: action and old_action (schema 5) are
	 * what act and oact point to; old_action only when the call succeeded */
	struct { uint64_t handler, flags, restorer, mask; } kact = { 1, SA_RESTART, 0, 1ull << (SIGINT - 1) },
							  kold, kcur, kdef;
	char buf[256];

	cr_assert_eq(syscall(SYS_rt_sigaction, SIGUSR2, &kact, &kdef, 8), 0);
	ev = core_expect(h, "rt_sigaction", 0);
	core_eq_bytes(ev, "action", &kact, sizeof(kact));
	core_eq_bytes(ev, "old_action", &kdef, sizeof(kdef));
	cr_assert_geq(kd_event_param_format(ev, 4, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{handler=SIG_IGN, flags=SA_RESTART, mask=[SIGINT]}");
	cr_assert_eq(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &kcur, 8), 0);
	ev = core_expect(h, "rt_sigaction", 0);
	core_eq_null(ev, "action");
	core_eq_bytes(ev, "old_action", &kcur, sizeof(kcur));
	cr_assert_geq(kd_event_param_format(ev, 5, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{handler=SIG_IGN, flags=SA_RESTART, mask=[SIGINT]}");
	memset(&kold, 0x55, sizeof(kold));
	cr_assert_eq(syscall(SYS_rt_sigaction, SIGKILL, &kact, &kold, 8), -1);
	ev = core_expect(h, "rt_sigaction", -EINVAL);
	core_eq_bytes(ev, "action", &kact, sizeof(kact));
	core_eq_null(ev, "old_action");
	cr_assert_eq(syscall(SYS_rt_sigaction, SIGUSR2, &kdef, NULL, 8), 0);
	core_expect(h, "rt_sigaction", 0);

	/* raw: glibc would add its own bits to the set */
	cr_assert_eq(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &oset, 8), 0);
	ev = core_expect(h, "rt_sigprocmask", 0);
	core_eq_i(ev, "how", SIG_BLOCK);
	core_eq_bytes(ev, "nset", &set, 8);
	core_eq_bytes(ev, "oset", &oset, 8); /* read at exit: the old mask */
	core_eq_u(ev, "sigsetsize", 8);
	cr_assert_eq(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &oset, NULL, 8), 0);
	ev = core_expect(h, "rt_sigprocmask", 0);
	core_eq_null(ev, "oset");
	cr_assert_eq(syscall(SYS_rt_sigprocmask, 99, &zero, NULL, 8), -1);
	core_eq_i(core_expect(h, "rt_sigprocmask", -EINVAL), "how", 99);
	kd_close(h);
}

/* rt_sigreturn's exit has no syscall number (the kernel restores orig_ax
 * with the other registers, as -1): kindling takes an exit with -1 that is
 * no syscall(-1), which returns -ENOSYS, for it. Its result is the restored
 * rax: kill's 0, the call the handler interrupted. With and without the
 * entry program (latency). */
static void sigreturn_case(uint32_t flags)
{
	struct kd_handle *h = core_open_with((struct core_open_args){
		.events = "rt_sigreturn,kill,getppid", .flags = flags });
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	const struct kd_event *ev;

	cr_assert_eq(sigaction(SIGUSR1, &sa, &old), 0);
	cr_assert_eq(kill(getpid(), SIGUSR1), 0);
	core_expect(h, "kill", 0);
	ev = core_expect(h, "rt_sigreturn", 0);
	cr_assert_eq(kd_event_nparams(ev), 0);
	cr_assert_eq(kd_event_has_latency(ev), !!(flags & KD_OPEN_LATENCY));
	cr_assert_eq(sigaction(SIGUSR1, &old, NULL), 0);

	/* syscall(-1) also exits with -1, and is no rt_sigreturn: nothing of
	 * this thread comes before the getppid after it */
	cr_assert_eq(syscall(-1), -1);
	cr_assert_eq(errno, ENOSYS);
	cr_assert_eq(syscall(SYS_getppid), getppid());
	for (uint64_t end = core_deadline();;) {
		cr_assert_lt(core_now_ns(), end, "no getppid within %d ms", CORE_WAIT_MS);
		if (kd_next(h, &ev) || kd_event_tid(ev) != core_tid())
			continue;
		cr_assert_neq(kd_event_type(ev), core_type("rt_sigreturn"),
			      "syscall(-1) taken for rt_sigreturn");
		if (kd_event_type(ev) == core_type("getppid"))
			break;
	}
	kd_close(h);
}

Test(core_proc, rt_sigreturn_without_its_number)
{
	if (kd_test_under_valgrind())
		cr_skip_test("valgrind takes the signal itself: the handler returns inside it");
	sigreturn_case(0);
	sigreturn_case(KD_OPEN_LATENCY);
}
