/*
 * tests/test_enrich_replay.c: enrichment from events alone (the buffer
 * engine replays records built here: no root, no /proc), and container ids
 * from cgroup paths.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "enrich_test.h"
#include "rec_builder.h"

TestSuite(enrich_replay, .timeout = 30);

#define PID 4240u

/* One record per call: begin with pid/tid, add params by name, end. */
/* A record at kernel time ts (ns). */
static void rec_at(struct kd_rb *b, uint64_t ts, const char *event, int64_t res, uint32_t pid, uint32_t tid,
		   const struct kd_rb_arg *args)
{
	cr_assert(kd_rb_event_begin(b, event, res, args), "no event %s or bad param", event);
	b->hdr.pid = pid;
	b->hdr.tid = tid;
	if (ts)
		b->hdr.ts = ts;
	kd_rb_end(b);
}

static void rec(struct kd_rb *b, const char *event, int64_t res, uint32_t pid, uint32_t tid,
		const struct kd_rb_arg *args)
{
	rec_at(b, 0, event, res, pid, tid, args);
}

/* A replay of b's records; events: the selection (NULL: the default). */
static struct kd_handle *replay_of(struct kd_rb *b, const char *events)
{
	struct kd_handle *h = NULL;
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b->data, .records_len = b->len,
		.max_fds_per_proc = 8, .events = events);
	int err = kd_open(&o, &h);

	cr_assert_eq(err, 0, "%s", kd_last_error(NULL));
	cr_assert_eq(kd__enrich_open(h), 0);
	return h;
}

static struct kd_handle *replay(struct kd_rb *b)
{
	return replay_of(b, NULL);
}

/* The next event, enriched; fails at the end of the records. */
static const struct kd_event *next(struct kd_handle *h)
{
	const struct kd_event *ev;
	int err;

	kd__enrich_flush(h); /* as kd_next does */
	err = kd_next(h, &ev);
	cr_assert_eq(err, 0, "kd_next: %s", kd_strerror(err));
	kd__enrich_event(h, ev);
	return ev;
}

static int count(const struct kd_fd *f, void *ctx)
{
	(void)f;
	(*(int *)ctx)++;
	return 0;
}

static int nfds(struct kd_handle *h, uint32_t pid)
{
	int n = 0;

	cr_assert_eq(kd_fd_iter(h, pid, count, &n), 0);
	return n;
}

Test(enrich_replay, paths_dup_close_exec)
{
	static const char *const argv[] = { "ls", "-l", NULL };
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_event *ev;
	const struct kd_thread *t;
	char s[256];
	int32_t pfd[2] = { 7, 8 };

	kd_rb_init(&b);
	rec(&b, "chdir", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_S("filename", "/srv/app"), { NULL } });
	rec(&b, "openat", 3, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("dfd", AT_FDCWD), KD_RB_S("filename", "../data/./x.txt"),
				  KD_RB_V("flags", O_RDONLY | O_CLOEXEC), { NULL } });
	rec(&b, "openat", 4, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("dfd", 3), KD_RB_S("filename", "y"), KD_RB_V("flags", O_RDONLY),
				  { NULL } });
	rec(&b, "dup2", 5, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("oldfd", 3), KD_RB_V("newfd", 5), { NULL } });
	rec(&b, "openat", -2, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("dfd", AT_FDCWD), KD_RB_S("filename", "/nope"), { NULL } });
	rec(&b, "pipe2", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_B("fildes", pfd, sizeof(pfd)), KD_RB_V("flags", O_CLOEXEC), { NULL } });
	rec(&b, "close", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 4), { NULL } });
	rec(&b, "read", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 5), { NULL } });
	rec(&b, "execve", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/ls"), KD_RB_A("argv", argv), { NULL } });
	rec(&b, "read", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 5), { NULL } });
	h = replay(&b);

	ev = next(h); /* chdir */
	t = kd_event_thread(ev);
	cr_assert_not_null(t);
	cr_assert_str_eq(kd_thread_cwd(t), "/srv/app");
	cr_assert(kd_thread_flags(t) & KD_THREAD_INCOMPLETE, "a replay knows only what events say");
	ev = next(h);
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/srv/data/x.txt");
	ev = next(h);
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/srv/data/x.txt/y", "relative to dirfd 3");
	ev = next(h);
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), 5);
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/srv/data/x.txt");
	cr_assert_not(kd_fd_flags(kd_event_fd(ev)) & O_CLOEXEC, "dup2 clears close-on-exec");
	ev = next(h); /* failed openat */
	cr_assert_null(kd_event_fd(ev));
	cr_assert_eq(nfds(h, PID), 3);
	ev = next(h); /* pipe2 */
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), 7);
	cr_assert_eq(kd_fd_type(kd_event_fd(ev)), KD_FD_PIPE);
	cr_assert_eq(nfds(h, PID), 5);
	ev = next(h); /* close 4: still there while delivered */
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/srv/data/x.txt/y");
	ev = next(h); /* read 5 */
	cr_assert_eq(nfds(h, PID), 4, "close took effect after its delivery");
	cr_assert_geq(kd_fd_format(kd_event_fd(ev), s, sizeof(s)), 0);
	cr_assert_str_eq(s, "file:/srv/data/x.txt");
	ev = next(h); /* execve: 3 (O_CLOEXEC) and the pipe (O_CLOEXEC) go, 5 stays */
	t = kd_event_thread(ev);
	cr_assert_str_eq(kd_thread_exe(t), "/bin/ls");
	cr_assert_str_eq(kd_thread_comm(t), "ls");
	cr_assert_eq(nfds(h, PID), 1);
	ev = next(h);
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/srv/data/x.txt");
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

Test(enrich_replay, fork_files_threads_exit)
{
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_event *ev;
	const struct kd_thread *t;

	kd_rb_init(&b);
	rec(&b, "openat", 3, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("dfd", AT_FDCWD), KD_RB_S("filename", "/a"), { NULL } });
	/* a thread, a fork, and a CLONE_FILES child */
	rec(&b, "clone", 4241, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("clone_flags", CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_THREAD |
								 CLONE_SIGHAND), { NULL } });
	rec(&b, "fork", 5000, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	rec(&b, "clone", 6000, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("clone_flags", CLONE_FILES | SIGCHLD), { NULL } });
	rec(&b, "close", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	rec(&b, "openat", 9, 6000, 6000,
	    (struct kd_rb_arg[]){ KD_RB_V("dfd", AT_FDCWD), KD_RB_S("filename", "/shared"), { NULL } });
	rec(&b, "read", 0, PID, 4241, (struct kd_rb_arg[]){ KD_RB_V("fd", 9), { NULL } });
	rec(&b, "read", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	rec(&b, "exit", 0, PID, 4241, (struct kd_rb_arg[]){ { NULL } });
	rec(&b, "exit_group", 0, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	rec(&b, "proc_exit", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("code", 0), KD_RB_V("signal", 0), { NULL } });
	rec(&b, "read", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	h = replay(&b);

	next(h);
	next(h); /* thread 4241 */
	t = kd_thread_lookup(h, 4241);
	cr_assert_not_null(t);
	cr_assert_eq(kd_thread_pid(t), PID);
	next(h); /* fork 5000 */
	t = kd_thread_lookup(h, 5000);
	cr_assert_not_null(t);
	cr_assert_eq(kd_thread_ppid(t), PID);
	next(h); /* clone 6000, CLONE_FILES */
	ev = next(h); /* 5000 closes its copy of 3 */
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/a");
	next(h); /* 6000 opens 9 in the table it shares with 4240 */
	ev = next(h);
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/shared", "CLONE_FILES shares the table");
	ev = next(h);
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/a", "the fork's close left 4240's fd alone");
	cr_assert_eq(nfds(h, 5000), 0);
	ev = next(h); /* exit of the thread */
	cr_assert(kd_thread_flags(kd_event_thread(ev)) & KD_THREAD_EXITING);
	ev = next(h); /* exit_group */
	cr_assert_null(kd_thread_lookup(h, 4241));
	cr_assert_not_null(kd_thread_lookup(h, PID), "still there while its exit is delivered");
	ev = next(h); /* proc_exit (not selected) went by for the tables only */
	cr_assert_null(kd_thread_lookup(h, PID));
	t = kd_thread_lookup(h, 5000);
	cr_assert_eq(kd_thread_ppid(t), 1, "orphans go to init");
	cr_assert_not_null(kd_thread_lookup(h, 6000), "a CLONE_FILES sibling keeps the shared table");
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* exit_group, then the proc_exit the kernel sends once per process, from
 * its last thread (here not the caller): that thread is named by it, and
 * the whole process goes after it. */
Test(enrich_replay, proc_exit_after_exit_group)
{
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_event *ev;
	const struct kd_thread *t;
	static const char *const argv[] = { "ls", NULL };

	kd_rb_init(&b);
	rec(&b, "execve", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/ls"), KD_RB_A("argv", argv), { NULL } });
	rec(&b, "clone", PID + 1, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("clone_flags", CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_THREAD |
								 CLONE_SIGHAND), { NULL } });
	rec(&b, "exit_group", 0, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	rec(&b, "proc_exit", 0, PID, PID + 1,
	    (struct kd_rb_arg[]){ KD_RB_V("code", 0), KD_RB_V("signal", 0), { NULL } });
	rec(&b, "read", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	h = replay_of(&b, "execve,clone,exit_group,proc_exit,read");

	next(h);
	next(h);
	ev = next(h); /* exit_group */
	cr_assert_eq(kd_thread_flags(kd_event_thread(ev)), KD_THREAD_EXITING);
	ev = next(h);
	cr_assert_str_eq(kd_event_name(ev), "proc_exit");
	t = kd_event_thread(ev);
	cr_assert(t && kd_thread_tid(t) == PID + 1 && kd_thread_pid(t) == PID);
	cr_assert_eq(kd_thread_flags(t), KD_THREAD_EXITING, "not a stand-in");
	cr_assert_str_eq(kd_thread_comm(t), "ls");
	cr_assert_str_eq(kd_thread_exe(t), "/bin/ls");
	ev = next(h);
	cr_assert_eq(kd_event_pid(ev), 5000);
	cr_assert_null(kd_thread_lookup(h, PID));
	cr_assert_null(kd_thread_lookup(h, PID + 1));
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* A record of a process that ended, delivered after its proc_exit (its CPU
 * published it late: the merge's order holds within KD__MERGE_SLACK), does
 * not bring it back into the tables; a later life of the tid does. Seen in
 * a loaded QEMU guest: the dead child stayed in the table. */
Test(enrich_replay, late_record_of_the_dead_stays_out)
{
	const uint64_t t0 = 5000000000ull;
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_event *ev;

	kd_rb_init(&b);
	rec_at(&b, t0, "read", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	rec_at(&b, t0 + 1000, "clone", PID + 1, PID, PID,
	       (struct kd_rb_arg[]){ KD_RB_V("clone_flags", CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_THREAD |
							      CLONE_SIGHAND), { NULL } });
	rec_at(&b, t0 + 2000, "exit_group", 0, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	rec_at(&b, t0 + 3000, "proc_exit", 0, PID, PID,
	       (struct kd_rb_arg[]){ KD_RB_V("code", 0), KD_RB_V("signal", 0), { NULL } });
	/* late: made before the end, delivered after it (both threads) */
	rec_at(&b, t0 + 1500, "read", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	rec_at(&b, t0 + 2500, "read", 0, PID, PID + 1, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	/* a parent's fork returns after its child (PID + 2) ran and ended */
	rec_at(&b, t0 + 4000, "proc_fork", 0, 7000, 7000,
	       (struct kd_rb_arg[]){ KD_RB_V("parent_pid", 7000), KD_RB_V("child_pid", PID + 2),
				     KD_RB_V("child_tid", PID + 2), { NULL } });
	rec_at(&b, t0 + 4100, "exit_group", 0, PID + 2, PID + 2, (struct kd_rb_arg[]){ { NULL } });
	rec_at(&b, t0 + 4200, "proc_exit", 0, PID + 2, PID + 2,
	       (struct kd_rb_arg[]){ KD_RB_V("code", 0), KD_RB_V("signal", 0), { NULL } });
	rec_at(&b, t0 + 4300, "clone", PID + 2, 7000, 7000,
	       (struct kd_rb_arg[]){ KD_RB_V("clone_flags", SIGCHLD), { NULL } });
	/* the tid's next life */
	rec_at(&b, t0 + 9000, "read", 0, PID + 1, PID + 1, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	h = replay_of(&b, "read,clone,exit_group,proc_exit,proc_fork");

	for (int i = 0; i < 4; i++)
		next(h);
	ev = next(h);
	cr_assert_eq(kd_event_ts_mono(ev), t0 + 1500);
	cr_assert_null(kd_event_thread(ev), "a late record names no thread");
	cr_assert_null(kd_thread_lookup(h, PID), "the dead process came back");
	ev = next(h);
	cr_assert_null(kd_event_thread(ev));
	cr_assert_null(kd_thread_lookup(h, PID + 1), "its dead thread came back");
	for (int i = 0; i < 3; i++)
		next(h);
	cr_assert_not_null(kd_thread_lookup(h, PID + 2), "the child goes once its proc_exit was delivered");
	ev = next(h); /* the parent's clone, after its child's end */
	cr_assert_str_eq(kd_event_name(ev), "clone");
	cr_assert_null(kd_thread_lookup(h, PID + 2), "the parent's late clone made the dead child again");
	ev = next(h);
	cr_assert_not_null(kd_event_thread(ev), "a new life of the tid is known");
	cr_assert_eq(kd_thread_pid(kd_event_thread(ev)), PID + 1);
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* Other processes' events come between an exit_group and the proc_exit
 * (other CPUs; the process's other threads take time to die): the process
 * waits for its proc_exit. One whose proc_exit is lost goes after a second
 * of event time; so does the last thread that called exit. */
Test(enrich_replay, exit_waits_for_its_proc_exit)
{
	static const char *const argv[] = { "ls", NULL };
	const uint64_t t0 = 1000000000ull;
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_event *ev;
	const struct kd_thread *t;

	kd_rb_init(&b);
	rec_at(&b, t0, "execve", 0, PID, PID,
	       (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/ls"), KD_RB_A("argv", argv), { NULL } });
	rec_at(&b, t0 + 1, "exit_group", 0, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	rec_at(&b, t0 + 2, "read", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	rec_at(&b, t0 + 3, "exit_group", 0, 6000, 6000, (struct kd_rb_arg[]){ { NULL } });
	rec_at(&b, t0 + 4, "exit", 0, 7000, 7000, (struct kd_rb_arg[]){ { NULL } });
	rec_at(&b, t0 + 5, "read", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	rec_at(&b, t0 + 6, "proc_exit", 0, PID, PID,
	       (struct kd_rb_arg[]){ KD_RB_V("code", 0), KD_RB_V("signal", 0), { NULL } });
	/* the proc_exits of 6000 and 7000 are lost */
	rec_at(&b, t0 + 900000000ull, "read", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	rec_at(&b, t0 + 1100000000ull, "read", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	h = replay_of(&b, "execve,exit,exit_group,proc_exit,read");

	next(h);
	next(h); /* exit_group */
	for (int i = 0; i < 4; i++)
		next(h);
	cr_assert_not_null(kd_thread_lookup(h, PID), "kept for its proc_exit");
	ev = next(h);
	cr_assert_str_eq(kd_event_name(ev), "proc_exit");
	t = kd_event_thread(ev);
	cr_assert(t && kd_thread_tid(t) == PID);
	cr_assert_eq(kd_thread_flags(t), KD_THREAD_EXITING, "not a stand-in");
	cr_assert_str_eq(kd_thread_comm(t), "ls");
	cr_assert_str_eq(kd_thread_exe(t), "/bin/ls");
	next(h);
	cr_assert_null(kd_thread_lookup(h, PID), "gone after its proc_exit");
	cr_assert_not_null(kd_thread_lookup(h, 6000), "within the grace");
	cr_assert_not_null(kd_thread_lookup(h, 7000), "within the grace");
	next(h);
	cr_assert_null(kd_thread_lookup(h, 6000), "a second after exit_group");
	cr_assert_null(kd_thread_lookup(h, 7000), "a second after exit");
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* A pid forked again while its old process still waits for a proc_exit
 * that was lost: the old entry is dead, the child gets a fresh one. */
Test(enrich_replay, pid_reused_after_a_lost_proc_exit)
{
	static const char *const argv[] = { "ls", NULL };
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_thread *t;

	kd_rb_init(&b);
	rec(&b, "execve", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/ls"), KD_RB_A("argv", argv), { NULL } });
	rec(&b, "exit_group", 0, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	/* its proc_exit is lost; 5000 forks, and the kernel hands out PID again */
	rec(&b, "proc_fork", 0, 5000, 5000,
	    (struct kd_rb_arg[]){ KD_RB_V("parent_pid", 5000), KD_RB_V("child_pid", PID),
				  KD_RB_V("child_tid", PID), KD_RB_V("clone_flags", SIGCHLD), { NULL } });
	rec(&b, "read", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 0), { NULL } });
	h = replay_of(&b, "execve,exit_group,proc_fork,read");

	next(h);
	next(h); /* exit_group */
	next(h); /* proc_fork */
	next(h);
	t = kd_thread_lookup(h, PID);
	cr_assert_not_null(t);
	cr_assert_eq(kd_thread_flags(t) & KD_THREAD_EXITING, 0, "not the old, ending entry");
	cr_assert_eq(kd_thread_ppid(t), 5000);
	cr_assert_str_neq(kd_thread_exe(t), "/bin/ls", "not the old image");
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* Processes waiting for their proc_exit are bounded: past 256, the oldest goes. */
Test(enrich_replay, exits_waiting_are_bounded)
{
	const uint32_t n = 300, first = 10000;
	struct kd_rb b;
	struct kd_handle *h;

	kd_rb_init(&b);
	for (uint32_t i = 0; i < n; i++)
		rec(&b, "exit_group", 0, first + i, first + i, (struct kd_rb_arg[]){ { NULL } });
	h = replay_of(&b, "exit_group");
	for (uint32_t i = 0; i < n; i++)
		next(h);
	for (uint32_t i = 0; i < n; i++)
		cr_assert_eq(kd_thread_lookup(h, first + i) != NULL, i >= n - 256, "thread %u", first + i);
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* proc_exec (inside exec) comes before the execve's exit: the new exe,
 * comm and args from it; a proc_exec of schema 2 has no args: none until the
 * execve brings them, never the old image's. */
Test(enrich_replay, proc_exec_sets_new_args)
{
	static const char *const sh[] = { "sh", "-c", "ls", NULL }, *const ls[] = { "ls", NULL };
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_thread *t;
	size_t len;

	kd_rb_init(&b);
	rec(&b, "execve", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/sh"), KD_RB_A("argv", sh), { NULL } });
	rec(&b, "proc_exec", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/ls"), KD_RB_V("pid", PID),
				  KD_RB_V("old_pid", PID), KD_RB_A("args", ls), { NULL } });
	rec(&b, "execve", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/ls"), KD_RB_A("argv", ls), { NULL } });
	/* a proc_exec of schema 2, without the args param */
	cr_assert(kd_rb_event_begin(&b, "proc_exec", 0,
				    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/cat"), { NULL } }));
	b.hdr.pid = b.hdr.tid = PID;
	b.hdr.schema = 2;
	b.np = 3;
	kd_rb_end(&b);
	h = replay_of(&b, "execve,proc_exec");

	t = kd_event_thread(next(h));
	cr_assert_eq(memcmp(kd_thread_args(t, &len), "sh\0-c\0ls", 9), 0);
	t = kd_event_thread(next(h)); /* proc_exec */
	cr_assert_str_eq(kd_thread_exe(t), "/bin/ls");
	cr_assert_str_eq(kd_thread_comm(t), "ls");
	cr_assert_str_eq(kd_thread_args(t, &len), "ls");
	cr_assert_eq(len, 3);
	t = kd_event_thread(next(h)); /* execve */
	cr_assert_str_eq(kd_thread_args(t, &len), "ls");
	cr_assert_eq(len, 3);
	t = kd_event_thread(next(h)); /* proc_exec, schema 2 */
	cr_assert_str_eq(kd_thread_exe(t), "/bin/cat");
	kd_thread_args(t, &len);
	cr_assert_eq(len, 0, "the old image's args: %s", kd_thread_args(t, &len));
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* A child can exec before its parent's clone returns, so in time order its
 * exec comes first: the late clone links it to its parent and gives it the
 * parent's fds, but its name, exe and args stay the exec's. */
Test(enrich_replay, exec_before_parents_clone)
{
	static const char *const argv[] = { "cat", "/etc/hostname", NULL };
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_event *ev;
	const struct kd_thread *t;
	size_t len;

	kd_rb_init(&b);
	rec(&b, "execve", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/sh"), KD_RB_A("argv", argv), { NULL } });
	rec(&b, "openat", 3, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("dfd", AT_FDCWD), KD_RB_S("filename", "/a"), { NULL } });
	rec(&b, "execve", 0, 5000, 5000,
	    (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/cat"), KD_RB_A("argv", argv), { NULL } });
	rec(&b, "fork", 5000, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	rec(&b, "read", 0, 5000, 5000, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	h = replay(&b);

	next(h);
	next(h);
	ev = next(h); /* the child's exec, parent unknown */
	cr_assert_str_eq(kd_thread_comm(kd_event_thread(ev)), "cat");
	next(h); /* the parent's fork, late */
	ev = next(h);
	t = kd_event_thread(ev);
	cr_assert_str_eq(kd_thread_comm(t), "cat");
	cr_assert_str_eq(kd_thread_exe(t), "/bin/cat");
	cr_assert_str_eq(kd_thread_args(t, &len), "cat");
	cr_assert_eq(kd_thread_ppid(t), PID);
	cr_assert_not_null(kd_event_fd(ev), "the parent's fd 3 is inherited");
	cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), "/a");
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

Test(enrich_replay, sockets_and_fd_bound)
{
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(8080) };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct kd_stats st = { .sz = sizeof(st) };
	struct kd_rb b;
	struct kd_handle *h;
	const struct kd_event *ev;
	char s[128];
	int i;

	srv.sin_addr.s_addr = htonl(0x0a000001);
	peer.sin_addr.s_addr = htonl(0x0a000002);
	kd_rb_init(&b);
	rec(&b, "socket", 3, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("family", AF_INET), KD_RB_V("type", SOCK_STREAM), { NULL } });
	rec(&b, "bind", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_B("umyaddr", &srv, sizeof(srv)), { NULL } });
	rec(&b, "listen", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	rec(&b, "accept4", 4, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_B("upeer_sockaddr", &peer, sizeof(peer)), { NULL } });
	for (i = 0; i < 10; i++)
		rec(&b, "eventfd2", 10 + i, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	h = replay(&b);
	next(h);
	next(h);
	ev = next(h);
	cr_assert_geq(kd_fd_format(kd_event_fd(ev), s, sizeof(s)), 0);
	cr_assert_str_eq(s, "tcp:10.0.0.1:8080");
	ev = next(h);
	cr_assert_geq(kd_fd_format(kd_event_fd(ev), s, sizeof(s)), 0);
	cr_assert_str_eq(s, "tcp:10.0.0.2:40000->10.0.0.1:8080");
	cr_assert_eq(kd_fd_role(kd_event_fd(ev)), KD_FD_ROLE_SERVER);
	for (i = 0; i < 10; i++)
		next(h);
	cr_assert_eq(nfds(h, PID), 8, "max_fds_per_proc = 8");
	kd__enrich_stats(h, &st);
	cr_assert_eq(st.enrich_fd_evictions, 4);
	cr_assert_eq(st.enrich_fds, 8);
	kd__enrich_close(h);
	kd_close(h);
	kd_rb_free(&b);
}

/* ------------------------------------------------------------ containers */

#define ID64 "3f4e1a2b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef"

Test(enrich_replay, container_ids)
{
	static const struct {
		const char *cgroup, *id, *rt;
	} cases[] = {
		{ "0::/system.slice/docker-" ID64 ".scope\n", "3f4e1a2b5c6d", "docker" },
		{ "12:memory:/docker/" ID64 "\n0::/\n", "3f4e1a2b5c6d", "docker" },
		{ "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/"
		  "cri-containerd-" ID64 ".scope\n", "3f4e1a2b5c6d", "containerd" },
		{ "0::/machine.slice/libpod-" ID64 ".scope/container\n", "3f4e1a2b5c6d", "podman" },
		{ "0::/kubepods.slice/crio-" ID64 ".scope\n", "3f4e1a2b5c6d", "cri-o" },
		{ "0::/kubepods/besteffort/pod0f1e2d3c-aaaa-bbbb-cccc-000000000000/" ID64 "\n",
		  "3f4e1a2b5c6d", "kubepods" },
		{ "0::/user.slice/user-1000.slice/session-2.scope\n", "", "" },
		{ "0::/\n", "", "" },
		{ "0::/system.slice/docker-" ID64 "X.scope\n", "", "" },
	};
	char id[13];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rt = kd__container_parse(cases[i].cgroup, id);

		cr_assert_str_eq(id, cases[i].id, "case %zu", i);
		cr_assert_str_eq(kd__runtime_name(rt), cases[i].rt, "case %zu", i);
	}
}

Test(enrich_replay, no_enrich_flag)
{
	struct kd_rb b;
	struct kd_handle *h = NULL;
	const struct kd_event *ev;

	kd_rb_init(&b);
	rec(&b, "close", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b.data, .records_len = b.len,
		.flags = KD_OPEN_NO_ENRICH);
	cr_assert_eq(kd_open(&o, &h), 0);
	cr_assert_eq(kd__enrich_open(h), 0);
	cr_assert_null(h->enrich);
	cr_assert_eq(kd_next(h, &ev), 0);
	kd__enrich_event(h, ev);
	cr_assert_null(kd_event_thread(ev));
	cr_assert_null(kd_event_fd(ev));
	cr_assert_eq(kd_fd_iter(h, PID, count, NULL), KD_ENOTSUP);
	kd_close(h);
	kd_rb_free(&b);
}

/* What kd__ev_int()/kd__ev_bytes() must answer: kd_event_param()'s. */
static void check_param_readers(const struct kd_event *ev, unsigned *kinds_seen)
{
	for (unsigned i = 0; i < kd_event_nparams(ev) + 2; i++) {
		struct kd_value v;
		int err = kd_event_param(ev, i, &v);
		bool want_int = err == 0 && !(v.flags & KD_VAL_BYTES);
		bool want_bytes = err == 0 && (v.flags & KD_VAL_BYTES);
		int64_t n = 12345;
		const void *p = &n;
		size_t len = 99;

		cr_assert_eq(kd__ev_int(ev, i, &n), want_int, "%s param %u", kd_event_name(ev), i);
		if (want_int)
			cr_assert_eq(n, v.i, "%s param %u", kd_event_name(ev), i);
		cr_assert_eq(kd__ev_bytes(ev, i, &p, &len), want_bytes, "%s param %u", kd_event_name(ev), i);
		cr_assert_eq(p, want_bytes ? v.ptr : NULL, "%s param %u", kd_event_name(ev), i);
		cr_assert_eq(len, want_bytes ? v.len : 0, "%s param %u", kd_event_name(ev), i);
		if (err == 0)
			kinds_seen[v.kind]++;
	}
}

Test(enrich_replay, param_readers_match_kd_event_param)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = KD_SOURCE_DIR "/examples/demo.kd",
		.events = "all", .flags = KD_OPEN_NO_ENRICH);
	unsigned kinds[KD_PK__COUNT] = { 0 };
	const struct kd_event *ev;
	struct kd_handle *h = NULL;
	struct kd_rb b;
	size_t n = 0;
	int err;

	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) == 0) {
		check_param_readers(ev, kinds);
		n++;
	}
	cr_assert_eq(err, KD_EOF);
	cr_assert_gt(n, 50);
	kd_close(h);

	/* and the edges: -1 fds, NULL strings, empty buffers and structs */
	kd_rb_init(&b);
	rec(&b, "read", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", -1), { NULL } });
	rec(&b, "write", 0, PID, PID,
	    (struct kd_rb_arg[]){ KD_RB_V("fd", 0xffffffffu), KD_RB_B("buf", "", 0), { NULL } });
	rec(&b, "openat", 3, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("dfd", AT_FDCWD), { NULL } });
	rec(&b, "connect", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	rec(&b, "lseek", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_V("offset", -5), { NULL } });
	{
		KD_OPTS(kd_open_opts, ob, .engine = KD_ENGINE_BUFFER, .records = b.data,
			.records_len = b.len, .events = "all", .flags = KD_OPEN_NO_ENRICH);

		cr_assert_eq(kd_open(&ob, &h), 0, "%s", kd_last_error(NULL));
	}
	n = 0;
	while ((err = kd_next(h, &ev)) == 0) {
		check_param_readers(ev, kinds);
		n++;
	}
	cr_assert_eq(n, 5);
	kd_close(h);
	kd_rb_free(&b);
	for (int k = KD_PK_INT; k <= KD_PK_SOCKADDR; k++)
		if (k == KD_PK_FD || k == KD_PK_DIRFD || k == KD_PK_PATH || k == KD_PK_BUF || k == KD_PK_SOCKADDR)
			cr_assert_gt(kinds[k], 0, "no param of kind %d was checked", k);
}

/* Paths of many lengths, so freed entries and strings meet other sizes. */
static void fd_name(char *buf, size_t len, int i)
{
	snprintf(buf, len, "/srv/%.*s%d", i % 40, "abcdefghijklmnopqrstuvwxyzabcdefghijklmn", i);
}

/* Freed fd entries are reused: the tables and their byte count end the same. */
Test(enrich_replay, fd_entries_reused)
{
	struct kd_rb b;
	struct kd_handle *h = NULL;
	const struct kd_event *ev;
	struct kd_stats st[2];
	char path[64];
	int round, i;

	kd_rb_init(&b);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 100; i++) {
			fd_name(path, sizeof(path), i);
			rec(&b, "openat", 3 + i, PID, PID,
			    (struct kd_rb_arg[]){ KD_RB_V("dfd", AT_FDCWD), KD_RB_S("filename", path),
						  KD_RB_V("flags", O_RDONLY), { NULL } });
		}
		for (i = 0; i < 100; i++)
			rec(&b, "close", 0, PID, PID, (struct kd_rb_arg[]){ KD_RB_V("fd", 3 + (i * 37) % 100), { NULL } });
		rec(&b, "getppid", 1, PID, PID, (struct kd_rb_arg[]){ { NULL } });
	}
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b.data, .records_len = b.len,
			.events = "all");

		cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 100; i++) {
			cr_assert_eq(kd_next(h, &ev), 0);
			fd_name(path, sizeof(path), i);
			cr_assert_str_eq(kd_fd_path(kd_event_fd(ev)), path);
			cr_assert_eq(kd_fd_num(kd_event_fd(ev)), 3 + i);
		}
		cr_assert_eq(nfds(h, PID), 100);
		for (i = 0; i < 100; i++) {
			cr_assert_eq(kd_next(h, &ev), 0);
			cr_assert_eq(kd_fd_num(kd_event_fd(ev)), 3 + (i * 37) % 100);
		}
		cr_assert_eq(kd_next(h, &ev), 0); /* getppid: the last close is done */
		cr_assert_eq(nfds(h, PID), 0);
		st[round].sz = sizeof(st[round]);
		cr_assert_eq(kd_stats(h, &st[round]), 0);
		cr_assert_eq(st[round].enrich_fds, 0);
	}
	cr_assert_eq(st[0].enrich_bytes, st[1].enrich_bytes);
	kd_close(h);
	kd_rb_free(&b);
}
