/*
 * tests/test_core_exec.c: execve and execveat through the CO-RE engine. A
 * successful exec is reported at exit with the filename the kernel used
 * (sched_process_exec) and argv/envp from the new image, so nothing depends
 * on whether the caller's strings were paged in; a failed one keeps what was
 * readable at entry.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

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

	if (core_under_valgrind())
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

	if (core_under_valgrind()) {
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
