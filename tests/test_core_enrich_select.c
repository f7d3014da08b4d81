/*
 * tests/test_core_enrich_select.c: enrichment stays exact when the user
 * selects only a few events: the engine still follows the state syscalls
 * (exec, fd changes...) in the kernel and kd_next() hides them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "enrich_test.h"

TestSuite(core_enrich_select, .timeout = 60);

static bool is_on_fd(const struct kd_event *ev, const void *arg)
{
	struct kd_value v;

	return kd_event_param_by_name(ev, "fd", &v) == 0 && v.i == *(const int *)arg;
}

/* The test's own 1-byte read of fd *arg: kd_open's /proc scan, traced too
 * (KD_OPEN_TRACE_SELF), reads with the same fd numbers. */
static bool is_read_of(const struct kd_event *ev, const void *arg)
{
	struct kd_value n;

	return is_on_fd(ev, arg) && kd_event_param_by_name(ev, "count", &n) == 0 && n.u == 1;
}

static void expect_path(const struct kd_event *ev, const char *path)
{
	const struct kd_fd *f = kd_event_fd(ev);

	cr_assert_not_null(f, "read has no fd info");
	cr_assert_str_eq(kd_fd_path(f), path);
}

/* Only "read" selected: a close and an open that reuses the fd number are
 * not delivered, yet the next read names the new file, not the old one. */
Test(core_enrich_select, fd_reuse_unselected)
{
	struct kd_handle *h = et_open("read", 0);
	const struct kd_event *ev;
	char c;
	int fd, fd2;

	fd = open("/etc/hostname", O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_geq(read(fd, &c, 1), 0);
	ev = et_wait(h, kd_event_type_by_name("read"), (uint32_t)getpid(), is_read_of, &fd);
	expect_path(ev, "/etc/hostname");
	close(fd);
	fd2 = open("/etc/passwd", O_RDONLY);
	cr_assert_eq(fd2, fd, "fd number not reused");
	cr_assert_eq(read(fd2, &c, 1), 1);
	ev = et_wait(h, kd_event_type_by_name("read"), (uint32_t)getpid(), is_read_of, &fd2);
	expect_path(ev, "/etc/passwd");
	close(fd2);
	/* none of the hidden events came out */
	for (int i = 0; i < 100 && et_next(h, &ev) == 0; i++)
		cr_assert_eq(kd_event_type(ev), kd_event_type_by_name("read"), "%s delivered",
			     kd_event_name(ev));
	et_close(h);
}

/* ioctl(TIOCGPTPEER) opens the other end of a pty master: with ioctl
 * selected, the fd table knows the new fd (its /dev/pts path). */
Test(core_enrich_select, pty_peer_from_ioctl)
{
	struct kd_handle *h;
	const struct kd_event *ev;
	struct termios tio;
	int m, peer;

	/* memcheck warns that it does not know this ioctl: an error line there */
	if (kd_test_under_valgrind())
		cr_skip_test("valgrind does not know TIOCGPTPEER (runs natively, under ASan, in the guests)");
	h = et_open("ioctl", 0);
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(m, 0);
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(peer, 0);
	cr_assert_eq(tcgetattr(peer, &tio), 0);
	ev = et_wait(h, kd_event_type_by_name("ioctl"), (uint32_t)getpid(), is_on_fd, &peer);
	expect_path(ev, ptsname(m));
	cr_assert_eq(kd_fd_type(kd_event_fd(ev)), KD_FD_FILE);
	close(peer);
	close(m);
	et_close(h);
}

/* by the thread's comm: kd_event_thread() is valid inside et_wait's match */
static bool comm_is(const struct kd_event *ev, const void *arg)
{
	const struct kd_thread *t = kd_event_thread(ev);

	return t && strcmp(kd_thread_comm(t), arg) == 0;
}

/* A process that exists before kd_open (found by the /proc scan) execs cat
 * with only "read" selected: its reads carry cat's name, exe and args. */
Test(core_enrich_select, exec_unselected)
{
	int go[2];
	pid_t child;
	struct kd_handle *h;
	const struct kd_event *ev;
	const struct kd_thread *t;
	char c = 'g';

	cr_assert_eq(pipe(go), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		execl("/bin/cat", "cat", "/etc/hostname", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	h = et_open("read", 0);
	cr_assert_eq(write(go[1], &c, 1), 1);
	close(go[1]);
	/* the reads before the exec (the go pipe; valgrind's own) carry the old
	 * name; with a stale table no read ever carries "cat" */
	ev = et_wait(h, kd_event_type_by_name("read"), (uint32_t)child, comm_is, "cat");
	t = kd_event_thread(ev);
	cr_assert(strstr(kd_thread_exe(t), "cat"), "exe %s", kd_thread_exe(t));
	size_t len;
	const char *args = kd_thread_args(t, &len);
	/* "cat\0/etc/hostname\0" */
	cr_assert(len > 4 && !strcmp(args, "cat") && !strcmp(args + 4, "/etc/hostname"), "args %.*s",
		  (int)len, args);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	et_close(h);
}

/* A storm into 16 KiB rings with only getppid selected: the open/close the
 * kernel side also captures for enrichment are neither delivered nor lost
 * from the books: events + drops == kernel_events, enrich_events apart. */
Test(core_enrich_select, drops_counted_exactly_with_followed_events)
{
	struct kd_stats st = { .sz = sizeof(st) };
	const struct kd_event *ev;
	uint64_t delivered = 0;
	int go, status, err;
	struct kd_handle *h = NULL;
	int32_t pid;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	pid = fork_held(&go);
	if (pid == 0) {
		for (int i = 0; i < 5000; i++) {
			(void)getppid();
			close(open("/dev/null", O_RDONLY));
		}
		_exit(0);
	}
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .timeout_ms = 200, .events = "getppid",
		.ring_bytes = 4096 * 4, .pids = &pid, .npids = 1);
	err = kd_open(&o, &h);
	if (err == KD_ENOENGINE || err == KD_ENOPERM)
		KD_SKIP_OR_FAIL("no core engine: %s", kd_last_error(NULL));
	cr_assert_eq(err, 0, "kd_open: %s", kd_last_error(NULL));
	release_held(go);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	while ((err = kd_next(h, &ev)) == 0) {
		cr_assert_str_eq(kd_event_name(ev), "getppid");
		delivered++;
	}
	cr_assert_eq(err, KD_TIMEOUT, "kd_next: %s", kd_last_error(h));
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_gt(st.drops, 0, "no drops with 16 KiB rings");
	cr_assert_gt(st.enrich_events, 0, "no open/close followed");
	cr_assert_gt(delivered, 0);
	cr_assert_eq(st.events, delivered);
	cr_assert_eq(delivered + st.drops, st.kernel_events,
		     "delivered %llu + dropped %llu != kernel %llu (followed %llu)",
		     (unsigned long long)delivered, (unsigned long long)st.drops,
		     (unsigned long long)st.kernel_events, (unsigned long long)st.enrich_events);
	kd_close(h);
}

static bool known(struct kd_handle *h, uint32_t tid)
{
	return kd_thread_lookup(h, tid) != NULL;
}

static bool gone(struct kd_handle *h, uint32_t tid)
{
	return !known(h, tid);
}

/* A process killed by SIGKILL never calls exit: the kernel's process-exit
 * probe, followed whatever the selection, removes it from the table. */
Test(core_enrich_select, killed_process_removed)
{
	struct kd_handle *h;
	pid_t child;
	int ready[2];
	char c;

	cr_assert_eq(pipe(ready), 0);
	h = et_open("read", 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	/* known to the table: its clone was followed */
	cr_assert(et_until(h, known, (uint32_t)child), "child %d never in the table", child);
	cr_assert_eq(kill(child, SIGKILL), 0);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	cr_assert(et_until(h, gone, (uint32_t)child), "killed child %d still in the table", child);
	et_close(h);
}
