/*
 * tests/test_enrich.c: thread and fd enrichment on the live kernel (core
 * engine). Each test makes a child process do real syscalls and checks the
 * thread and fd that come with the child's events (filtered on its pid).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sendfile.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enrich_test.h"

TestSuite(enrich, .timeout = 60);

static int need_type(const char *name)
{
	int t = kd_event_type_by_name(name);

	if (t <= 0)
		cr_skip_test("schema has no '%s' event", name);
	return t;
}

/* Child side of a handshake: block until the parent writes a byte. */
static void wait_go(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(90);
}

static void go(int fd)
{
	cr_assert_eq(write(fd, "g", 1), 1);
}

static void reap(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

static const char *fd_path(const struct kd_event *ev)
{
	const struct kd_fd *f = kd_event_fd(ev);

	cr_assert_not_null(f, "%s event has no fd", kd_event_name(ev));
	return kd_fd_path(f);
}

static int count_path(const struct kd_fd *f, void *ctx)
{
	if (strcmp(kd_fd_path(f), ctx) == 0)
		return 1;
	return 0;
}

/* write(.., "x", 1): the child's, not one of valgrind's own 1-byte writes */
static bool res_is_1(const struct kd_event *ev, const void *arg)
{
	struct kd_value v;

	(void)arg;
	return kd_event_result(ev) == 1 && kd_event_param(ev, 1, &v) == 0 && v.len == 1 &&
	       ((const char *)v.ptr)[0] == 'x';
}

/* close(fd) of the given fd */
static bool close_of(const struct kd_event *ev, const void *arg)
{
	struct kd_value v;

	return kd_event_param(ev, 0, &v) == 0 && (int32_t)v.u == *(const int *)arg;
}

/* a result of *(const int *)arg */
static bool res_is(const struct kd_event *ev, const void *arg)
{
	return kd_event_result(ev) == *(const int *)arg;
}

/* A child, with dir (a mkdtemp template) made and path set to dir/file;
 * the pid in the parent, 0 in the child (which dies with the test). */
static pid_t fork_in_tempdir(char *dir, char *path, size_t n)
{
	pid_t pid;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, n, "%s/file", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		et_child();
	return pid;
}

/* ------------------------------------------------------------ files */

Test(enrich, open_dup_write_close)
{
	int t_open = need_type("openat"), t_dup = need_type("dup"), t_write = need_type("write"),
	    t_close = need_type("close"), t_exit = need_type("exit_group");
	struct kd_handle *h = et_open("openat,dup,write,close,exit_group,clone,clone3,fork", 0);
	char dir[] = "/tmp/kd-enrich-XXXXXX", path[64];
	const struct kd_event *ev;
	const struct kd_thread *t;
	int fd = -1, d = -1;
	pid_t pid;

	pid = fork_in_tempdir(dir, path, sizeof(path));
	if (pid == 0) {
		int a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), b = dup(a);

		if (a < 0 || b < 0 || write(b, "x", 1) != 1)
			_exit(1);
		close(a);
		close(b);
		_exit(0);
	}
	ev = et_wait(h, t_open, (uint32_t)pid, et_res_ge0, NULL);
	fd = (int)kd_event_result(ev);
	cr_assert_str_eq(fd_path(ev), path);
	cr_assert_eq(kd_fd_type(kd_event_fd(ev)), KD_FD_FILE);
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), fd);
	cr_assert(kd_fd_flags(kd_event_fd(ev)) & O_RDWR);
	t = kd_event_thread(ev);
	cr_assert_not_null(t);
	cr_assert_eq(kd_thread_pid(t), (uint32_t)pid);
	cr_assert_eq(kd_thread_ppid(t), (uint32_t)getpid());

	ev = et_wait(h, t_dup, (uint32_t)pid, et_res_ge0, NULL);
	d = (int)kd_event_result(ev);
	cr_assert_neq(d, fd);
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), d);
	cr_assert_str_eq(fd_path(ev), path);

	ev = et_wait(h, t_write, (uint32_t)pid, res_is_1, NULL); /* not valgrind's own writes */
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), d);
	cr_assert_str_eq(fd_path(ev), path);

	ev = et_wait(h, t_close, (uint32_t)pid, close_of, &fd);
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), fd, "a close shows what it closes");
	cr_assert_str_eq(fd_path(ev), path);
	ev = et_wait(h, t_close, (uint32_t)pid, close_of, &d);
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), d);
	cr_assert_str_eq(fd_path(ev), path);

	ev = et_wait(h, t_exit, (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_fd_iter(h, (uint32_t)pid, count_path, path), 0,
		     "closed fds are gone from the table");
	cr_assert(kd_thread_flags(kd_event_thread(ev)) & KD_THREAD_EXITING);
	reap(pid);
	cr_assert(et_until(h, et_gone, (uint32_t)pid), "the exited process left the table");
	unlink(path);
	rmdir(dir);
	et_close(h);
}

/* Absolute names, clean ones copied as they are, others cleaned. */
Test(enrich, path_resolve_absolute)
{
	static const char *const cases[][2] = {
		{ "/dev/null", "/dev/null" },  { "/", "/" },
		{ "/a//b/", "/a/b" },          { "/a/./b/../c", "/a/c" },
		{ "/.git/x", "/.git/x" },      { "/a/b/", "/a/b" },
		{ "/..", "/" },                { "//", "/" },
		{ "/a/b/..", "/a" },           { "/a/.b/.", "/a/.b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = kd__path_resolve(NULL, AT_FDCWD, cases[i][0]);

		cr_assert_not_null(s);
		cr_assert_str_eq(s, cases[i][1], "%s", cases[i][0]);
		free(s);
	}
	/* relative without a known cwd: as the call said */
	{
		char *s = kd__path_resolve(NULL, AT_FDCWD, "x//y");

		cr_assert_str_eq(s, "x//y");
		free(s);
	}
}

/* A write to /proc/<pid>/task/<tid>/comm renames the thread, byte for byte
 * as the kernel does (a newline stays: `echo x > comm` names it "x\n").
 * Writes to an fd whose name cannot rename skip the name test once it was
 * made (KD__FD_PLAIN): the comm file opened on the same fd number after a
 * close must be tested again. */
Test(enrich, comm_write_on_a_reused_fd_number)
{
	int t_open = need_type("openat"), t_write = need_type("write");
	struct kd_handle *h = et_open("openat,write,close,exit_group,clone,clone3,fork", 0);
	const struct kd_event *ev;
	int go_p[2], go2_p[2], fd, len;
	char proc_comm[32] = "";
	pid_t pid;

	cr_assert_eq(pipe(go_p), 0);
	cr_assert_eq(pipe(go2_p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char path[64];
		int a, b;

		et_child();
		prctl(PR_SET_NAME, "kd-comm-before");
		wait_go(go_p[0]);
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)syscall(SYS_gettid));
		a = open("/dev/null", O_WRONLY);
		if (a < 0 || write(a, "abc", 3) != 3 || write(a, "abcd", 4) != 4 || close(a))
			_exit(1);
		wait_go(go2_p[0]); /* the tables saw the name before */
		b = open(path, O_WRONLY);
		if (b != a || write(b, "kd-after\n", 9) != 9)
			_exit(2);
		wait_go(go_p[0]);
		_exit(0);
	}
	go(go_p[1]);
	ev = et_wait(h, t_open, (uint32_t)pid, et_res_ge0, NULL);
	fd = (int)kd_event_result(ev);
	cr_assert_str_eq(fd_path(ev), "/dev/null");
	len = 4;
	ev = et_wait(h, t_write, (uint32_t)pid, res_is, &len);
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), fd);
	cr_assert_str_eq(kd_thread_comm(kd_event_thread(ev)), "kd-comm-before");
	go(go2_p[1]);
	ev = et_wait(h, t_open, (uint32_t)pid, et_res_ge0, NULL);
	cr_assert_eq(kd_event_result(ev), fd, "the comm file got the same fd number");
	cr_assert(strstr(fd_path(ev), "/comm") != NULL, "%s", fd_path(ev));
	len = 9;
	ev = et_wait(h, t_write, (uint32_t)pid, res_is, &len);
	cr_assert_str_eq(kd_thread_comm(kd_event_thread(ev)), "kd-after\n");
	/* what the kernel holds: /proc shows the name and a newline of its own */
	{
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		cr_assert_gt(fread(proc_comm, 1, sizeof(proc_comm) - 1, f), 0);
		fclose(f);
	}
	cr_assert_str_eq(proc_comm, "kd-after\n\n");
	go(go_p[1]);
	reap(pid);
	close(go_p[0]);
	close(go_p[1]);
	close(go2_p[0]);
	close(go2_p[1]);
	et_close(h);
}

/* Every fd param names its fd: both of sendfile's, dup2's newfd (the copy,
 * once the call is delivered), a dirfd's directory; other params none. */
Test(enrich, every_fd_param_named)
{
	int t_dup2 = need_type("dup2"), t_send = need_type("sendfile"), t_open = need_type("openat");
	struct kd_handle *h = et_open("openat,dup2,sendfile,close,exit_group,clone,clone3,fork", 0);
	char dir[] = "/tmp/kd-enrich-XXXXXX", path[64];
	const struct kd_event *ev;
	const struct kd_fd *f;
	pid_t pid;

	pid = fork_in_tempdir(dir, path, sizeof(path));
	if (pid == 0) {
		int d = open(dir, O_RDONLY | O_DIRECTORY), a = openat(d, "file", O_RDWR | O_CREAT, 0600);
		int p[2];

		if (d < 0 || a < 0 || pipe(p) || write(a, "xy", 2) != 2 || dup2(a, 100) != 100 ||
		    sendfile(p[1], 100, &(off_t){ 0 }, 2) != 2)
			_exit(1);
		_exit(0);
	}
	ev = et_wait(h, t_open, (uint32_t)pid, et_res_ge0, NULL);
	while (kd_event_param_fd(ev, 0) == NULL) /* open(dir) is an openat(AT_FDCWD, ..) */
		ev = et_wait(h, t_open, (uint32_t)pid, et_res_ge0, NULL);
	f = kd_event_param_fd(ev, 0);
	cr_assert_eq(kd_fd_type(f), KD_FD_DIR);
	cr_assert_str_eq(kd_fd_path(f), dir);
	cr_assert_null(kd_event_param_fd(ev, 1), "a path is no fd");
	cr_assert_null(kd_event_param_fd(ev, 9), "no param 9");
	cr_assert_str_eq(fd_path(ev), path);

	ev = et_wait(h, t_dup2, (uint32_t)pid, et_res_ge0, NULL);
	f = kd_event_param_fd(ev, 0);
	cr_assert_not_null(f);
	cr_assert_str_eq(kd_fd_path(f), path);
	f = kd_event_param_fd(ev, 1);
	cr_assert_not_null(f);
	cr_assert_eq(kd_fd_num(f), 100);
	cr_assert_str_eq(kd_fd_path(f), path);

	ev = et_wait(h, t_send, (uint32_t)pid, et_res_ge0, NULL);
	cr_assert_eq(kd_fd_type(kd_event_param_fd(ev, 0)), KD_FD_PIPE);
	f = kd_event_param_fd(ev, 1);
	cr_assert_eq(kd_fd_num(f), 100);
	cr_assert_str_eq(kd_fd_path(f), path);
	cr_assert_null(kd_event_param_fd(ev, 2), "offset is a pointer");
	reap(pid);
	unlink(path);
	rmdir(dir);
	et_close(h);
}

/* ------------------------------------------------------------ sockets */

struct net_case {
	int family;
	const char *addr; /* as kd_fd_*_addr() shows it */
};

/* The child: a server and a client in one process, talking over loopback or a
 * unix socket; it reports the client's local port, then waits before closing
 * so that the parent can ask the kernel for what it needs. */
static void net_child(int family, const char *upath, int go_fd, int res_fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int srv = socket(family, SOCK_STREAM, 0), cli = socket(family, SOCK_STREAM, 0), acc;
	uint16_t ports[2] = { 0, 0 };
	char buf[8];

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*in);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		sl = sizeof(*in6);
	} else {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", upath);
		sl = sizeof(*un);
	}
	if (srv < 0 || cli < 0 || bind(srv, (struct sockaddr *)&ss, sl) || listen(srv, 4))
		_exit(1);
	if (family != AF_UNIX) {
		sl = sizeof(ss);
		getsockname(srv, (struct sockaddr *)&ss, &sl);
		ports[0] = ntohs(((struct sockaddr_in *)&ss)->sin_port); /* same offset in in6 */
	}
	if (connect(cli, (struct sockaddr *)&ss, sl))
		_exit(2);
	acc = accept(srv, NULL, NULL);
	if (acc < 0)
		_exit(3);
	if (send(cli, "ping", 4, 0) != 4 || recv(acc, buf, 4, 0) != 4 || send(acc, "pong", 4, 0) != 4 ||
	    recv(cli, buf, 4, 0) != 4)
		_exit(4);
	if (family != AF_UNIX) {
		struct sockaddr_storage c;
		socklen_t cl = sizeof(c);

		getsockname(cli, (struct sockaddr *)&c, &cl);
		ports[1] = ntohs(((struct sockaddr_in *)&c)->sin_port);
	}
	if (write(res_fd, ports, sizeof(ports)) != sizeof(ports))
		_exit(5);
	wait_go(go_fd);
	close(acc);
	close(cli);
	close(srv);
	_exit(0);
}

static bool is_type(const struct kd_event *ev, const void *arg)
{
	return kd_event_type(ev) == *(const int *)arg;
}

static void check_tuple(const struct kd_fd *f, const struct net_case *c, int role, unsigned sport,
			unsigned cport)
{
	char a[64];
	unsigned lport = role == KD_FD_ROLE_CLIENT ? cport : sport;
	unsigned rport = role == KD_FD_ROLE_CLIENT ? sport : cport;

	cr_assert_not_null(f);
	kd_fd_format(f, a, sizeof(a));
	cr_log_info("fd %d: %s", kd_fd_num(f), a);
	cr_assert_eq(kd_fd_type(f), c->family == AF_INET ? KD_FD_IPV4 : KD_FD_IPV6);
	cr_assert_eq(kd_fd_sock_family(f), c->family);
	cr_assert_str_eq(kd_fd_proto_name(f), "tcp");
	cr_assert_eq(kd_fd_role(f), role, "role %d, want %d", kd_fd_role(f), role);
	cr_assert_geq(kd_fd_local_addr(f, a, sizeof(a)), 0);
	cr_assert_str_eq(a, c->addr);
	cr_assert_geq(kd_fd_remote_addr(f, a, sizeof(a)), 0, "fd %d role %d", kd_fd_num(f), kd_fd_role(f));
	cr_assert_str_eq(a, c->addr);
	cr_assert_eq(kd_fd_local_port(f), (int)lport, "local port %d, want %u", kd_fd_local_port(f), lport);
	cr_assert_eq(kd_fd_remote_port(f), (int)rport, "remote port %d, want %u", kd_fd_remote_port(f), rport);
}

static void net_test(const struct net_case *c)
{
	int t_conn = need_type("connect"), t_acc = need_type("accept"), t_acc4 = need_type("accept4"),
	    t_send = need_type("sendto"), t_recv = need_type("recvfrom");
	struct kd_handle *h = et_open("socket,bind,listen,connect,accept,accept4,sendto,recvfrom,close", 0);
	int go_p[2], res_p[2];
	char dir[] = "/tmp/kd-enrich-XXXXXX", upath[80] = "", want[200], got[200];
	const struct kd_event *ev;
	const struct kd_fd *f;
	uint16_t ports[2];
	pid_t pid;
	int i;

	cr_assert_eq(pipe(go_p), 0);
	cr_assert_eq(pipe(res_p), 0);
	if (c->family == AF_UNIX) {
		cr_assert_not_null(mkdtemp(dir));
		snprintf(upath, sizeof(upath), "%s/sock", dir);
	}
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		et_child();
		net_child(c->family, upath, go_p[0], res_p[1]);
	}
	cr_assert_eq(read(res_p[0], ports, sizeof(ports)), (ssize_t)sizeof(ports));

	ev = et_wait(h, t_conn, (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_event_result(ev), 0);
	f = kd_event_fd(ev);
	if (c->family == AF_UNIX) {
		cr_assert_eq(kd_fd_type(f), KD_FD_UNIX);
		cr_assert_str_eq(kd_fd_path(f), upath);
		cr_assert_eq(kd_fd_role(f), KD_FD_ROLE_CLIENT);
	} else {
		check_tuple(f, c, KD_FD_ROLE_CLIENT, ports[0], ports[1]);
	}

	{
		const int acc_types[2] = { t_acc, t_acc4 };
		uint64_t deadline = et_now_ns() + ET_WAIT_MS * 1000000ull;

		for (ev = NULL; !ev && et_now_ns() < deadline;) {
			const struct kd_event *e2;

			if (et_next(h, &e2) == 0 && kd_event_pid(e2) == (uint32_t)pid &&
			    (is_type(e2, &acc_types[0]) || is_type(e2, &acc_types[1])))
				ev = e2;
		}
		cr_assert_not_null(ev, "no accept from the child");
	}
	cr_assert_geq(kd_event_result(ev), 0);
	f = kd_event_fd(ev);
	cr_assert_eq(kd_fd_num(f), (int)kd_event_result(ev), "accept: the new connection's fd");
	if (c->family == AF_UNIX) {
		cr_assert_eq(kd_fd_type(f), KD_FD_UNIX);
		cr_assert_str_eq(kd_fd_path(f), upath);
		cr_assert_eq(kd_fd_role(f), KD_FD_ROLE_SERVER);
		snprintf(want, sizeof(want), "unix:%s", upath);
	} else {
		check_tuple(f, c, KD_FD_ROLE_SERVER, ports[0], ports[1]);
		if (c->family == AF_INET)
			snprintf(want, sizeof(want), "tcp:%s:%u->%s:%u", c->addr, ports[1], c->addr, ports[0]);
		else
			snprintf(want, sizeof(want), "tcp:[%s]:%u->[%s]:%u", c->addr, ports[1], c->addr,
				 ports[0]);
	}
	cr_assert_geq(kd_fd_format(f, got, sizeof(got)), 0);
	cr_assert_str_eq(got, want);

	/* ping (client send, server recv), pong (server send, client recv): every
	 * one shows the same connection, client->server */
	for (i = 0; i < 4; i++) {
		int tt = (i % 2 == 0) ? t_send : t_recv;

		ev = et_wait(h, tt, (uint32_t)pid, et_res_ge0, NULL);
		f = kd_event_fd(ev);
		cr_assert_not_null(f);
		cr_assert_geq(kd_fd_format(f, got, sizeof(got)), 0);
		cr_assert_str_eq(got, want, "%s #%d: %s, want %s", kd_event_name(ev), i, got, want);
		if (c->family != AF_UNIX)
			check_tuple(f, c, (i == 0 || i == 3) ? KD_FD_ROLE_CLIENT : KD_FD_ROLE_SERVER,
				    ports[0], ports[1]);
	}
	go(go_p[1]);
	reap(pid);
	close(go_p[0]);
	close(go_p[1]);
	close(res_p[0]);
	close(res_p[1]);
	if (c->family == AF_UNIX) {
		unlink(upath);
		rmdir(dir);
	}
	et_close(h);
}

Test(enrich, tcp_ipv4_tuples)
{
	net_test(&(struct net_case){ AF_INET, "127.0.0.1" });
}

Test(enrich, tcp_ipv6_tuples)
{
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (s >= 0)
			close(s);
		cr_skip_test("no IPv6 loopback here");
	}
	close(s);
	net_test(&(struct net_case){ AF_INET6, "::1" });
}

Test(enrich, unix_socket_paths)
{
	net_test(&(struct net_case){ AF_UNIX, "" });
}

/* ------------------------------------------------------------ /proc scan */

Test(enrich, process_from_scan_with_earlier_fd)
{
	int t_write = need_type("write"), four = 4;
	char dir[] = "/tmp/kd-enrich-XXXXXX", path[64], exe[4096], link[64];
	int go_p[2], ready[2], fd;
	struct kd_handle *h;
	const struct kd_event *ev;
	const struct kd_thread *t;
	const struct kd_fd *f;
	ssize_t n;
	pid_t pid;
	char c;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/early", dir);
	cr_assert_eq(pipe(go_p), 0);
	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		et_child();
		int e = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (e < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		wait_go(go_p[0]);
		_exit(write(e, "late", 4) == 4 ? 0 : 2);
	}
	cr_assert_eq(read(ready[0], &c, 1), 1);
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1); /* not /proc/self: valgrind may run us */
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	h = et_open("write", 0); /* after the child opened its file */
	fd = -1;
	go(go_p[1]);
	ev = et_wait(h, t_write, (uint32_t)pid, res_is, &four);
	t = kd_event_thread(ev);
	cr_assert_not_null(t);
	cr_assert_eq(kd_thread_tid(t), (uint32_t)pid);
	cr_assert_eq(kd_thread_ppid(t), (uint32_t)getpid());
	cr_assert_not(kd_thread_flags(t) & KD_THREAD_INCOMPLETE);
	cr_assert_str_eq(kd_thread_exe(t), exe);
	cr_assert_gt(kd_thread_start_time(t), 0);
	cr_assert_str_eq(kd_thread_user(t), "root");
	f = kd_event_fd(ev);
	cr_assert_not_null(f, "the fd opened before kd_open comes from the scan");
	fd = kd_fd_num(f);
	cr_assert_geq(fd, 0);
	cr_assert_str_eq(kd_fd_path(f), path);
	cr_assert(kd_fd_flags(f) & O_WRONLY);
	reap(pid);
	unlink(path);
	rmdir(dir);
	close(go_p[0]);
	close(go_p[1]);
	close(ready[0]);
	close(ready[1]);
	et_close(h);
}

static void *scan_thread_main(void *arg)
{
	int *fds = arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char c;

	if (write(fds[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	(void)!read(fds[0], &c, 1); /* until the parent is done */
	return NULL;
}

/* The scan names every thread of a process that runs before kd_open: its
 * threads (task/) and a single-threaded one (the process's own stat). */
Test(enrich, threads_from_scan)
{
	int tids_p[2], go_p[2], solo_go[2];
	pid_t pid, solo, tids[3];
	struct kd_handle *h;
	const struct kd_thread *t;
	char c;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	cr_assert_eq(pipe(tids_p), 0);
	cr_assert_eq(pipe(go_p), 0);
	cr_assert_eq(pipe(solo_go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fds[2] = { go_p[0], tids_p[1] };
		pthread_t th[2];

		prctl(PR_SET_NAME, "kd-scan-main");
		for (int i = 0; i < 2; i++) {
			if (pthread_create(&th[i], NULL, scan_thread_main, fds))
				_exit(1);
			pthread_setname_np(th[i], i ? "kd-scan-b" : "kd-scan-a");
		}
		(void)!read(go_p[0], &c, 1);
		_exit(0);
	}
	solo = fork();
	cr_assert_geq(solo, 0);
	if (solo == 0) {
		prctl(PR_SET_NAME, "kd-scan-solo");
		(void)!read(solo_go[0], &c, 1);
		_exit(0);
	}
	tids[0] = pid;
	cr_assert_eq(read(tids_p[0], &tids[1], sizeof(pid_t)), sizeof(pid_t));
	cr_assert_eq(read(tids_p[0], &tids[2], sizeof(pid_t)), sizeof(pid_t));
	/* a thread's name is set by its creator after pthread_create: wait
	 * until both threads have theirs */
	for (int tries = 0, named = 0; named < 2 && tries < 2000; tries++) {
		named = 0;
		for (int i = 1; i < 3; i++) {
			char path[64], name[32] = "";
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tids[i]);
			f = fopen(path, "r");
			if (f) {
				(void)!fgets(name, sizeof(name), f);
				fclose(f);
			}
			named += strncmp(name, "kd-scan-main", 12) != 0;
		}
		if (named < 2)
			usleep(1000);
	}
	h = et_open("write", 0);
	for (int i = 0; i < 3; i++) {
		t = kd_thread_lookup(h, (uint32_t)tids[i]);
		cr_assert_not_null(t, "thread %d of the process from the scan", (int)tids[i]);
		cr_assert_eq(kd_thread_pid(t), (uint32_t)pid);
		cr_assert_gt(kd_thread_start_time(t), 0);
	}
	cr_assert_str_eq(kd_thread_comm(kd_thread_lookup(h, (uint32_t)pid)), "kd-scan-main");
	c = kd_thread_comm(kd_thread_lookup(h, (uint32_t)tids[1]))[8];
	cr_assert(c == 'a' || c == 'b', "%s", kd_thread_comm(kd_thread_lookup(h, (uint32_t)tids[1])));
	cr_assert_neq(c, kd_thread_comm(kd_thread_lookup(h, (uint32_t)tids[2]))[8]);
	t = kd_thread_lookup(h, (uint32_t)solo);
	cr_assert_not_null(t, "the single-threaded process from the scan");
	cr_assert_eq(kd_thread_pid(t), (uint32_t)solo);
	cr_assert_eq(kd_thread_ppid(t), (uint32_t)getpid());
	cr_assert_str_eq(kd_thread_comm(t), "kd-scan-solo");
	cr_assert_gt(kd_thread_start_time(t), 0);
	et_close(h);
	cr_assert_eq(write(go_p[1], "gggg", 4), 4);
	cr_assert_eq(write(solo_go[1], "g", 1), 1);
	reap(pid);
	reap(solo);
	close(tids_p[0]);
	close(tids_p[1]);
	close(go_p[0]);
	close(go_p[1]);
	close(solo_go[0]);
	close(solo_go[1]);
}

/* ------------------------------------------------------------ fork, exec, exit */

Test(enrich, fork_exec_exit)
{
	int t_exec = need_type("execve"), t_exit = need_type("exit_group");
	struct kd_handle *h = et_open("execve,exit_group,clone,clone3,fork,vfork", 0);
	static const char want_args[] = "true\0kd-arg-1";
	const struct kd_event *ev;
	const struct kd_thread *t;
	const char *args;
	size_t len;
	pid_t pid;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		et_child();
		char path[] = "/bin/true", a0[] = "true", a1[] = "kd-arg-1";
		char *argv[] = { a0, a1, NULL };

		execv(path, argv);
		_exit(127);
	}
	ev = et_wait(h, t_exec, (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_event_result(ev), 0);
	t = kd_event_thread(ev);
	cr_assert_not_null(t);
	cr_assert_eq(kd_thread_pid(t), (uint32_t)pid);
	cr_assert_eq(kd_thread_ppid(t), (uint32_t)getpid(), "ppid %u", kd_thread_ppid(t));
	cr_assert_str_eq(kd_thread_exe(t), "/bin/true");
	cr_assert_str_eq(kd_thread_comm(t), "true");
	args = kd_thread_args(t, &len);
	cr_assert_eq(len, sizeof(want_args), "args are %zu bytes", len);
	cr_assert_eq(memcmp(args, want_args, sizeof(want_args)), 0);

	ev = et_wait(h, t_exit, (uint32_t)pid, NULL, NULL);
	t = kd_event_thread(ev);
	cr_assert_not_null(t);
	cr_assert_str_eq(kd_thread_comm(t), "true", "the exiting event still names the thread");
	cr_assert(kd_thread_flags(t) & KD_THREAD_EXITING);
	reap(pid);
	cr_assert(et_until(h, et_gone, (uint32_t)pid), "removed after exit");
	cr_assert_eq(kd_fd_iter(h, (uint32_t)pid, count_path, "x"), -ESRCH);
	et_close(h);
}

/* exit_group and the proc_exit the kernel sends right after it both name
 * the thread (proc_exit came with an empty thread: the exit had removed it);
 * the entry goes after both. */
Test(enrich, proc_exit_names_the_thread)
{
	int t_exit = need_type("exit_group"), t_pexit = need_type("proc_exit");
	struct kd_handle *h = et_open("exit_group,proc_exit", 0);
	const struct kd_event *ev;
	const struct kd_thread *t;
	char comm[16] = "";
	pid_t pid;

	cr_assert_eq(prctl(PR_GET_NAME, comm), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		et_child();
		_exit(0);
	}
	reap(pid); /* /proc cannot stand in: the table must know */
	for (int i = 0; i < 2; i++) {
		ev = et_wait(h, i ? t_pexit : t_exit, (uint32_t)pid, NULL, NULL);
		t = kd_event_thread(ev);
		cr_assert_not_null(t, "%s without a thread", kd_event_name(ev));
		cr_assert_str_eq(kd_thread_comm(t), comm, "%s: comm %s", kd_event_name(ev), kd_thread_comm(t));
		cr_assert_eq(kd_thread_ppid(t), (uint32_t)getpid(), "%s: ppid %u", kd_event_name(ev),
			     kd_thread_ppid(t));
		cr_assert(kd_thread_flags(t) & KD_THREAD_EXITING, "%s", kd_event_name(ev));
	}
	cr_assert(et_until(h, et_gone, (uint32_t)pid), "removed after exit");
	et_close(h);
}

static void *note_tid(void *arg)
{
	*(int *)arg = (int)syscall(SYS_gettid);
	return NULL; /* then exit, not exit_group */
}

static bool tid_is(const struct kd_event *ev, const void *arg)
{
	return kd_event_tid(ev) == (uint32_t) * (const int *)arg;
}

/* A thread that exits and leaves others goes at the next kd_next (the
 * kernel sends no proc_exit for it); its process stays until it ends. */
Test(enrich, thread_exit_leaves_the_process)
{
	int t_exit = need_type("exit"), t_group = need_type("exit_group"), t_pexit = need_type("proc_exit");
	struct kd_handle *h = et_open("exit,exit_group,proc_exit", 0);
	const struct kd_event *ev;
	const struct kd_thread *t;
	int tid_p[2], go_p[2], tid = 0;
	pid_t pid;

	cr_assert_eq(pipe(tid_p), 0);
	cr_assert_eq(pipe(go_p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pthread_t th;
		char c;

		et_child();
		if (pthread_create(&th, NULL, note_tid, &tid) || pthread_join(th, NULL) ||
		    write(tid_p[1], &tid, sizeof(tid)) != sizeof(tid) || read(go_p[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	cr_assert_eq(read(tid_p[0], &tid, sizeof(tid)), (ssize_t)sizeof(tid));
	cr_assert_neq(tid, pid);
	ev = et_wait(h, t_exit, (uint32_t)pid, tid_is, &tid);
	t = kd_event_thread(ev);
	cr_assert(t && kd_thread_tid(t) == (uint32_t)tid && (kd_thread_flags(t) & KD_THREAD_EXITING));
	cr_assert(et_until(h, et_gone, (uint32_t)tid), "the thread goes");
	t = kd_thread_lookup(h, (uint32_t)pid);
	cr_assert(t && !(kd_thread_flags(t) & KD_THREAD_EXITING), "its process stays");
	cr_assert_eq(write(go_p[1], "g", 1), 1);
	reap(pid);
	et_wait(h, t_group, (uint32_t)pid, NULL, NULL);
	ev = et_wait(h, t_pexit, (uint32_t)pid, NULL, NULL);
	t = kd_event_thread(ev);
	cr_assert(t && kd_thread_tid(t) == (uint32_t)pid, "proc_exit from the last thread");
	cr_assert(et_until(h, et_gone, (uint32_t)pid), "removed after exit");
	for (int i = 0; i < 2; i++) {
		close(tid_p[i]);
		close(go_p[i]);
	}
	et_close(h);
}

/* A vfork child runs before its parent's vfork returns: its events come
 * first, yet it is known (from the fork itself) with its parent and comm,
 * even once it is reaped and /proc has nothing left to say. */
Test(enrich, vfork_child_known_before_parent_returns)
{
	int t_ppid = need_type("getppid");
	struct kd_handle *h = et_open("getppid,vfork", 0);
	const struct kd_event *ev;
	const struct kd_thread *t;
	char comm[16] = "";
	pid_t pid;

	cr_assert_eq(prctl(PR_GET_NAME, comm), 0);
	pid = vfork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		syscall(SYS_getppid);
		_exit(0);
	}
	reap(pid);
	ev = et_wait(h, t_ppid, (uint32_t)pid, NULL, NULL);
	cr_assert_eq(kd_event_result(ev), getpid());
	t = kd_event_thread(ev);
	cr_assert_not_null(t, "the vfork child is a stranger");
	cr_assert_eq(kd_thread_ppid(t), (uint32_t)getpid(), "ppid %u", kd_thread_ppid(t));
	cr_assert_str_eq(kd_thread_comm(t), comm);
	et_close(h);
}

/* ------------------------------------------------------------ containers */

/* The cgroup v2 mount point, from /proc/self/mountinfo. */
static bool cgroup2_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], mnt[512], fstype[64];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(dash + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
			snprintf(out, len, "%s", mnt);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s), "write %s: %s", path, strerror(errno));
	close(fd);
}

/* The test's cgroup, removed by the fixture even when an assertion fails. */
static char cg_made[700];

static void cg_cleanup(void)
{
	if (cg_made[0])
		rmdir(cg_made);
	cg_made[0] = '\0';
}

static void container_case(const char *prefix, const char *runtime)
{
	int t_open = need_type("openat");
	struct kd_handle *h;
	char mnt[512], cg[700], procs[760], id[65], pidstr[32], shortid[13];
	const struct kd_event *ev;
	const struct kd_thread *t;
	int go_p[2], i;
	pid_t pid;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: cgroups and BPF");
	if (!cgroup2_mount(mnt, sizeof(mnt)))
		KD_SKIP_OR_FAIL("no cgroup v2 hierarchy mounted");
	srand((unsigned)(et_now_ns() ^ (uint64_t)getpid()));
	for (i = 0; i < 64; i++)
		id[i] = "0123456789abcdef"[rand() % 16];
	id[64] = '\0';
	snprintf(cg, sizeof(cg), "%s/%s%s.scope", mnt, prefix, id);
	if (mkdir(cg, 0755) < 0)
		KD_SKIP_OR_FAIL("cgroup v2 at %s is not writable: %s", mnt, strerror(errno));
	snprintf(cg_made, sizeof(cg_made), "%s", cg);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);

	h = et_open("openat,write,clone,clone3,fork,exit_group", 0);
	cr_assert_eq(pipe(go_p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		et_child();
		wait_go(go_p[0]);
		_exit(open("/dev/null", O_RDONLY) >= 0 ? 0 : 1);
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	write_file(procs, pidstr);
	go(go_p[1]);
	ev = et_wait(h, t_open, (uint32_t)pid, et_res_ge0, NULL);
	t = kd_event_thread(ev);
	cr_assert_not_null(t);
	snprintf(shortid, sizeof(shortid), "%.12s", id);
	cr_assert_str_eq(kd_thread_container_id(t), shortid);
	cr_assert_str_eq(kd_thread_container_runtime(t), runtime);
	cr_assert(strstr(kd_thread_cgroup(t), id) != NULL, "cgroup %s", kd_thread_cgroup(t));
	reap(pid);

	/* a host process (this one) shows none */
	t = kd_thread_lookup(h, (uint32_t)getpid());
	cr_assert_not_null(t);
	cr_assert_str_eq(kd_thread_container_runtime(t), "");
	cr_assert_str_eq(kd_thread_container_id(t), "");
	close(go_p[0]);
	close(go_p[1]);
	cr_assert_eq(rmdir(cg), 0, "rmdir %s: %s", cg, strerror(errno));
	cg_made[0] = '\0';
	et_close(h);
}

Test(enrich, container_docker, .fini = cg_cleanup)
{
	container_case("docker-", "docker");
}

Test(enrich, container_containerd, .fini = cg_cleanup)
{
	container_case("cri-containerd-", "containerd");
}

/* ------------------------------------------------------------ bounds */

/* Peak threads and bytes of the tables while reading for up to ms. */
static void bounds_read(struct kd_handle *h, unsigned ms, uint64_t *max_seen, uint64_t *max_bytes)
{
	struct kd_stats st = { .sz = sizeof(st) };
	const struct kd_event *ev;

	for (uint64_t end = et_now_ns() + ms * 1000000ull; et_now_ns() < end && et_next(h, &ev) == 0;) {
		kd__enrich_stats(h, &st);
		*max_seen = st.enrich_threads > *max_seen ? st.enrich_threads : *max_seen;
		*max_bytes = st.enrich_bytes > *max_bytes ? st.enrich_bytes : *max_bytes;
	}
}

/* max_threads = 100. 1,000 short-lived processes (half exit, half are
 * killed: the followed proc_exit removes those) leave none of themselves
 * behind; then 150 alive at once overflow the table, which evicts instead
 * of growing. Whether the first part alone evicts depends on how many
 * threads the machine had at the scan, so only the second is counted on. */
Test(enrich, bounds_100_threads_1000_processes, .timeout = 120)
{
	enum { BATCH = 50, ALIVE = 150 };
	struct kd_handle *h = et_open("clone,clone3,fork,vfork,exit_group,execve", 100);
	struct kd_stats st = { .sz = sizeof(st) };
	uint64_t max_seen = 0, max_bytes = 0, evictions;
	int total = kd_test_under_valgrind() ? 200 : 1000; /* every fork copies the tool */
	pid_t *pids = calloc((size_t)total, sizeof(*pids)), alive[ALIVE];
	int i, k, hold[2];

	cr_assert_not_null(pids);
	for (i = 0; i < total; i += BATCH) {
		for (k = i; k < i + BATCH; k++) {
			pids[k] = fork();
			cr_assert_geq(pids[k], 0);
			if (pids[k] == 0) {
				char *sl[] = { "sleep", "60", NULL }, *tr[] = { "true", NULL };

				et_child();
				if (k % 2)
					execv("/bin/sleep", sl);
				else
					execv("/bin/true", tr);
				_exit(127);
			}
		}
		for (k = i; k < i + BATCH; k++) {
			if (k % 2)
				kill(pids[k], SIGKILL);
			waitpid(pids[k], NULL, 0);
		}
		bounds_read(h, 500, &max_seen, &max_bytes);
	}
	et_drain(h, 1000);
	for (k = 0; k < total; k++)
		cr_assert(et_gone(h, (uint32_t)pids[k]), "process %d (%s) is still in the table", (int)pids[k],
			  k % 2 ? "killed" : "exited");
	free(pids);
	kd__enrich_stats(h, &st);
	evictions = st.enrich_thread_evictions;

	cr_assert_eq(pipe(hold), 0);
	for (k = 0; k < ALIVE; k++) {
		alive[k] = fork();
		cr_assert_geq(alive[k], 0);
		if (alive[k] == 0) {
			char c;

			et_child();
			close(hold[1]);
			_exit(read(hold[0], &c, 1) == 0 ? 0 : 1);
		}
	}
	bounds_read(h, 1000, &max_seen, &max_bytes);
	kd__enrich_stats(h, &st);
	cr_assert_gt(st.enrich_thread_evictions, evictions,
		     "%d processes alive at once, max_threads 100: %llu evictions, as many as before them",
		     ALIVE, (unsigned long long)st.enrich_thread_evictions);
	close(hold[0]);
	close(hold[1]);
	for (k = 0; k < ALIVE; k++)
		cr_assert_eq(waitpid(alive[k], &i, 0), alive[k]);
	et_drain(h, 500);

	cr_assert_leq(max_seen, 100, "threads in the table peaked at %llu", (unsigned long long)max_seen);
	/* 100 threads with exe, args, cwd and fds: well under 4 MiB */
	cr_assert_lt(max_bytes, 4u << 20, "tables peaked at %llu bytes", (unsigned long long)max_bytes);
	et_close(h);
}
