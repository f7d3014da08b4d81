/*
 * tests/test_core_exec.c: execve, execveat, exit and exit_group through the
 * CO-RE engine: the syscalls that need more than their exit. A successful
 * exec is reported at exit with the filename the kernel used
 * (sched_process_exec) and argv/envp from the new image, so nothing depends
 * on whether the caller's strings were paged in; a failed one reports what
 * its caller's memory held. Without latency no syscall entry hook is
 * attached (drivers/bpf-core/kd_noentry.bpf.h); with latency, or the
 * entry_hooks knob, the raw sys_enter program serves them: both are tested.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <bpf/bpf.h>

#include "core_debug.h" /* lib/engines: kd__core_debug_set() */
#include "core_test.h"

TestSuite(core_exec, .timeout = 60);

static void reap_ok(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
}

static void expect_exec(struct kd_handle *h, pid_t pid, const char *name, const char *file,
			const void *argv, size_t argv_len, const void *envp, size_t envp_len)
{
	const struct kd_event *ev = core_wait(h, core_type(name), (uint32_t)pid, NULL, NULL);

	cr_assert_eq(kd_event_result(ev), 0);
	cr_assert_eq(kd_event_pid(ev), (uint32_t)pid);
	core_eq_str(ev, "filename", file);
	core_eq_bytes(ev, "argv", argv, argv_len);
	core_eq_bytes(ev, "envp", envp, envp_len);
	cr_assert_not(kd_event_record_flags(ev) & (KD_RF_READ_FAULT | KD_RF_TRUNCATED),
		      "flags %#x", kd_event_record_flags(ev));
}

/* String literals in a forked child: their pages are file-backed and often
 * not mapped in the child yet, which used to lose filename and argv. */
Test(core_exec, execve_literals_in_forked_child_20x)
{
	static const char want_argv[] = "/bin/true\0kd-lit-1\0kd lit 2";
	static const char want_env[] = "KD_EXEC_TEST=1\0KD_X=y";
	struct kd_handle *h = core_open("execve");

	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			execve("/bin/true", (char *const[]){ "/bin/true", "kd-lit-1", "kd lit 2", NULL },
			       (char *const[]){ "KD_EXEC_TEST=1", "KD_X=y", NULL });
			_exit(127);
		}
		expect_exec(h, pid, "execve", "/bin/true", want_argv, sizeof(want_argv), want_env,
			    sizeof(want_env));
		reap_ok(pid);
	}
	kd_close(h);
}

/* Latency on: the rebuilt exit record carries exit - entry. */
Test(core_exec, execve_latency)
{
	static const char want_argv[] = "/bin/true";
	struct kd_handle *h = core_open_with((struct core_open_args){ .events = "execve",
								      .flags = KD_OPEN_LATENCY });
	const struct kd_event *ev;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execve("/bin/true", (char *const[]){ "/bin/true", NULL }, (char *const[]){ NULL });
		_exit(127);
	}
	ev = core_wait(h, core_type("execve"), (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_event_result(ev), 0);
	core_eq_str(ev, "filename", "/bin/true");
	core_eq_bytes(ev, "argv", want_argv, sizeof(want_argv));
	core_eq_null(ev, "envp");
	cr_assert(kd_event_has_latency(ev));
	cr_assert_gt(kd_event_latency(ev), 0);
	cr_assert_lt(kd_event_latency(ev), 5000000000ull);
	reap_ok(pid);
	kd_close(h);
}

/* A failed execve returns: what was readable at entry is reported, from this
 * thread, whose strings are on its stack (present). */
Test(core_exec, execve_enoent_from_entry)
{
	static const char want_argv[] = "kd-nope\0a1";
	struct kd_handle *h = core_open("execve");
	char path[] = "/nonexistent/kd-nope", a0[] = "kd-nope", a1[] = "a1", e0[] = "E=1";
	char *argv[] = { a0, a1, NULL }, *envp[] = { e0, NULL };
	const struct kd_event *ev;

	if (kd_test_under_valgrind())
		cr_skip_test("valgrind fails a missing file's execve itself");
	cr_assert_eq(execve(path, argv, envp), -1);
	cr_assert_eq(errno, ENOENT);
	ev = core_expect(h, "execve", -ENOENT);
	core_eq_str(ev, "filename", path);
	core_eq_bytes(ev, "argv", want_argv, sizeof(want_argv));
	core_eq_bytes(ev, "envp", "E=1", 4);
	kd_close(h);
}

/* execveat relative to a directory fd: the kernel names the file
 * "/dev/fd/<dirfd>/<name>"; fd and flags come from the entry registers. */
Test(core_exec, execveat_dirfd)
{
	static const char want_argv[] = "true\0kd-at";
	struct kd_handle *h = core_open("execveat");
	int dfd = open("/bin", O_RDONLY | O_DIRECTORY);
	char want_file[64];
	const struct kd_event *ev;
	pid_t pid;

	if (kd_test_under_valgrind()) {
		close(dfd);
		kd_close(h);
		cr_skip_test("valgrind turns execveat into an execve of its own");
	}
	cr_assert_geq(dfd, 0);
	snprintf(want_file, sizeof(want_file), "/dev/fd/%d/true", dfd);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		syscall(SYS_execveat, dfd, "true", (char *const[]){ "true", "kd-at", NULL },
			(char *const[]){ NULL }, 0);
		_exit(127);
	}
	ev = core_wait(h, core_type("execveat"), (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_event_result(ev), 0);
	core_eq_i(ev, "fd", dfd);
	core_eq_str(ev, "filename", want_file);
	core_eq_bytes(ev, "argv", want_argv, sizeof(want_argv));
	core_eq_i(ev, "flags", 0);
	reap_ok(pid);
	close(dfd);
	kd_close(h);
}

/* A thread that is not the leader execs: the event comes back under the
 * leader's tid (the kernel's de_thread), still with the right strings. */
static void *exec_from_thread(void *arg)
{
	(void)arg;
	execve("/bin/true", (char *const[]){ "/bin/true", "from-thread", NULL }, (char *const[]){ NULL });
	return NULL;
}

Test(core_exec, execve_from_non_leader_thread)
{
	static const char want_argv[] = "/bin/true\0from-thread";
	struct kd_handle *h = core_open("execve");
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, exec_from_thread, NULL) == 0)
			pthread_join(t, NULL);
		_exit(127);
	}
	expect_exec(h, pid, "execve", "/bin/true", want_argv, sizeof(want_argv), "", 0);
	reap_ok(pid);
	kd_close(h);
}

/* ------------------------------------------------------------ entry hooks */

/* Names of the BPF programs behind this process's own BPF links (its fds):
 * what a handle attached, whatever other processes attached meanwhile. */
static int own_linked_progs(char names[][BPF_OBJ_NAME_LEN], int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert(d);
	while ((e = readdir(d)) && n < max) {
		struct bpf_link_info li = { 0 };
		struct bpf_prog_info pi = { 0 };
		uint32_t ll = sizeof(li), pl = sizeof(pi);
		char target[64];
		ssize_t len;
		int pfd;

		len = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:bpf_link") != 0 ||
		    bpf_obj_get_info_by_fd(atoi(e->d_name), &li, &ll) != 0)
			continue;
		pfd = bpf_prog_get_fd_by_id(li.prog_id);
		if (pfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(pfd, &pi, &pl) == 0)
			memcpy(names[n++], pi.name, BPF_OBJ_NAME_LEN);
		close(pfd);
	}
	closedir(d);
	return n;
}

static bool linked(char names[][BPF_OBJ_NAME_LEN], int n, const char *prefix)
{
	for (int i = 0; i < n; i++)
		if (strncmp(names[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* Any program on a syscall entry makes every syscall of the machine pay:
 * all syscalls without latency attach none, with latency the raw one. */
Test(core_exec, no_entry_hook_without_latency)
{
	char names[64][BPF_OBJ_NAME_LEN];
	struct kd_handle *h = core_open_with((struct core_open_args){ .events = NULL });
	int n = own_linked_progs(names, 64);

	cr_assert(linked(names, n, "kd_exit_"), "the exit program is linked (%d links)", n);
	cr_assert_not(linked(names, n, "kd_enter"), "an entry program is linked");
	cr_assert(linked(names, n, "kd_noret_"));
	cr_assert(linked(names, n, "kd_rename_"));
	kd_close(h);

	h = core_open_with((struct core_open_args){ .events = NULL, .flags = KD_OPEN_LATENCY });
	n = own_linked_progs(names, 64);
	cr_assert(linked(names, n, "kd_enter"), "latency links the entry program");
	cr_assert_not(linked(names, n, "kd_noret_"));
	cr_assert_not(linked(names, n, "kd_rename_"));
	kd_close(h);

	/* nothing that needs more than its exit: no extra program at all */
	h = core_open("read,write");
	n = own_linked_progs(names, 64);
	cr_assert_not(linked(names, n, "kd_enter"));
	cr_assert_not(linked(names, n, "kd_noret_"));
	cr_assert_not(linked(names, n, "kd_rename_"));
	kd_close(h);
}

static void *thread_exit7(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 7);
	return NULL;
}

static void *thread_group_exit5(void *arg)
{
	(void)arg;
	syscall(SYS_exit_group, 5);
	return NULL;
}

static void *thread_block(void *arg)
{
	char c;

	(void)read(*(int *)arg, &c, 1); /* until the group exit kills it */
	return NULL;
}

/* A child with four threads: one leaves with exit(7), one blocks in read,
 * one calls exit_group(5) while the leader blocks in read too. Exactly two
 * events: exit from the first and exit_group from the third, each with its
 * own tid; the blocked threads, leader included, killed by the group exit,
 * report none. Then a process killed by SIGKILL while in a syscall reports
 * neither. */
static void exit_events(struct kd_handle *h)
{
	int texit = core_type("exit"), tgroup = core_type("exit_group");
	int nexit = 0, ngroup = 0, nkilled = 0, p[2], status;
	uint32_t exit_tid = 0;
	const struct kd_event *ev;
	pid_t pid, victim;
	uint64_t deadline;

	if (kd_test_under_valgrind())
		return; /* valgrind ends each thread with an exit of its own */
	cr_assert_eq(pipe(p), 0);
	victim = fork();
	cr_assert_geq(victim, 0);
	if (victim == 0) {
		char c;

		(void)read(p[0], &c, 1);
		_exit(1);
	}
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pthread_t a, b, c;

		if (pthread_create(&a, NULL, thread_exit7, NULL) || pthread_join(a, NULL) ||
		    pthread_create(&b, NULL, thread_block, &p[0]))
			_exit(100);
		usleep(20000); /* let b reach its read */
		if (pthread_create(&c, NULL, thread_group_exit5, NULL))
			_exit(100);
		thread_block(&p[0]);
		_exit(101);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 5, "status %#x", status);
	usleep(20000); /* the victim is in its read by now (or soon: it is only killed later) */
	cr_assert_eq(kill(victim, SIGKILL), 0);
	cr_assert_eq(waitpid(victim, &status, 0), victim);
	cr_assert(WIFSIGNALED(status));
	close(p[0]);
	close(p[1]);

	/* the records were written before waitpid returned: read what came */
	deadline = core_now_ns() + 500000000ull;
	while (core_now_ns() < deadline) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0, "kd_next: %s", kd_last_error(h));
		if (err)
			continue;
		if (kd_event_pid(ev) == (uint32_t)victim)
			nkilled++;
		if (kd_event_pid(ev) != (uint32_t)pid)
			continue;
		cr_assert(kd_event_record_flags(ev) & KD_RF_AT_ENTRY);
		if (kd_event_type(ev) == texit) {
			nexit++;
			exit_tid = kd_event_tid(ev);
			core_eq_i(ev, "error_code", 7);
		} else if (kd_event_type(ev) == tgroup) {
			ngroup++;
			cr_assert_neq(kd_event_tid(ev), (uint32_t)pid, "exit_group came from the leader");
			cr_assert_neq(kd_event_tid(ev), exit_tid);
			core_eq_i(ev, "error_code", 5);
		}
	}
	cr_assert_eq(nexit, 1, "%d exit events", nexit);
	cr_assert_neq(exit_tid, (uint32_t)pid, "exit came from the leader");
	cr_assert_eq(ngroup, 1, "%d exit_group events", ngroup);
	cr_assert_eq(nkilled, 0, "the killed process reported %d exit events", nkilled);
}

Test(core_exec, exit_and_exit_group_without_entry_hook)
{
	struct kd_handle *h;

	if (kd_test_under_valgrind())
		cr_skip_test("valgrind ends each thread with an exit of its own");
	h = core_open("exit,exit_group");
	exit_events(h);
	kd_close(h);
}

Test(core_exec, exit_and_exit_group_with_latency)
{
	struct kd_handle *h;

	if (kd_test_under_valgrind())
		cr_skip_test("valgrind ends each thread with an exit of its own");
	h = core_open_with((struct core_open_args){ .events = "exit,exit_group",
						    .flags = KD_OPEN_LATENCY });
	exit_events(h);
	kd_close(h);
}

/* The raw entry program without latency (the fallback when the no-entry
 * programs cannot attach): exit_group, execveat's registers, a failed
 * execve's strings. */
Test(core_exec, entry_hooks_knob)
{
	static const char want_argv[] = "kd-nope\0a1";
	char path[] = "/nonexistent/kd-nope", a0[] = "kd-nope", a1[] = "a1";
	char *argv[] = { a0, a1, NULL }, *envp[] = { NULL };
	char names[64][BPF_OBJ_NAME_LEN];
	struct kd_handle *h;
	const struct kd_event *ev;
	int n;

	kd__core_debug_set(&(struct kd__core_debug){ .entry_hooks = true });
	h = core_open("exit,exit_group,execve");
	kd__core_debug_set(NULL);
	n = own_linked_progs(names, 64);
	cr_assert(linked(names, n, "kd_enter"), "the knob links the raw entry program");
	cr_assert_not(linked(names, n, "kd_noret_"));
	exit_events(h);
	if (!kd_test_under_valgrind()) {
		cr_assert_eq(execve(path, argv, envp), -1);
		ev = core_expect(h, "execve", -ENOENT);
		core_eq_str(ev, "filename", path);
		core_eq_bytes(ev, "argv", want_argv, sizeof(want_argv));
	}
	kd_close(h);
}
