/*
 * tests/test_core_tuples.c: the socket tuple the CO-RE driver reads from the
 * kernel's struct sock when connect, accept, accept4, bind and listen return
 * (their synthetic "tuple" param). The child making the calls is reaped
 * before its first event is read, so no /proc or pidfd lookup can help: the
 * ephemeral port of a connect, the peer of accept(fd, NULL, NULL) and the
 * port bind(0) picked come from the records alone, live, in a replay and in
 * kdump. Also: a capture of schema 1 (examples/demo.kd) replays under this
 * schema.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enrich_test.h"

TestSuite(core_tuples, .timeout = 60);

extern char **environ;

struct got {
	int lfd, cfd, afd, ufd;   /* listener, client, accepted, udp */
	uint16_t lport, cport, uport;
	int err;
};

static socklen_t loopback(int family, struct sockaddr_storage *ss, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a6 = (void *)ss;

	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	a6->sin6_addr = in6addr_loopback;
	return sizeof(*a6);
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Listener on port 0, a client connecting to it, accept without an address
 * buffer, a UDP socket bound to port 0; the ports as getsockname says, then
 * exit at once. */
static void child(int family, int out)
{
	struct sockaddr_storage ss;
	struct got g = { 0 };
	socklen_t sl = loopback(family, &ss, 0);

	g.lfd = socket(family, SOCK_STREAM, 0);
	if (g.lfd < 0 || bind(g.lfd, (struct sockaddr *)&ss, sl) || listen(g.lfd, 4))
		g.err = 1;
	g.lport = local_port(g.lfd);
	sl = loopback(family, &ss, g.lport);
	g.cfd = socket(family, SOCK_STREAM, 0);
	if (!g.err && (g.cfd < 0 || connect(g.cfd, (struct sockaddr *)&ss, sl)))
		g.err = 2;
	g.cport = local_port(g.cfd);
	g.afd = g.err ? -1 : accept(g.lfd, NULL, NULL);
	if (g.afd < 0)
		g.err = 3;
	sl = loopback(family, &ss, 0);
	g.ufd = socket(family, SOCK_DGRAM, 0);
	if (g.ufd < 0 || bind(g.ufd, (struct sockaddr *)&ss, sl))
		g.err = 4;
	g.uport = local_port(g.ufd);
	_exit(write(out, &g, sizeof(g)) == (ssize_t)sizeof(g) ? 0 : 9);
}

static bool fd0_is(const struct kd_event *ev, const void *arg)
{
	struct kd_value v;

	return kd_event_param(ev, 0, &v) == 0 && (int32_t)v.u == *(const int *)arg;
}

static struct kd_sock_tuple ev_tuple(const struct kd_event *ev)
{
	struct kd_sock_tuple t;
	struct kd_value v;
	int err = kd_event_param_by_name(ev, "tuple", &v);

	cr_assert_eq(err, 0, "%s has no tuple: %s", kd_event_name(ev), kd_strerror(err));
	cr_assert(v.flags & KD_VAL_BYTES, "%s: tuple is NULL", kd_event_name(ev));
	cr_assert_eq(v.len, sizeof(t), "%s: tuple of %zu bytes", kd_event_name(ev), v.len);
	memcpy(&t, v.ptr, sizeof(t));
	return t;
}

static void tuple_eq(const struct kd_event *ev, int family, int type, int proto, uint16_t sport,
		     uint16_t dport)
{
	struct kd_sock_tuple t = ev_tuple(ev);
	uint8_t lo[16] = { 0 };

	if (family == AF_INET)
		inet_pton(AF_INET, "127.0.0.1", lo);
	else
		inet_pton(AF_INET6, "::1", lo);
	cr_assert_eq(t.family, family, "%s: family %u", kd_event_name(ev), t.family);
	cr_assert_eq(t.type, type, "%s: type %u", kd_event_name(ev), t.type);
	cr_assert_eq(t.proto, proto, "%s: proto %u", kd_event_name(ev), t.proto);
	cr_assert_eq(t.sport, sport, "%s: local port %u, getsockname said %u", kd_event_name(ev),
		     t.sport, sport);
	cr_assert_eq(memcmp(t.saddr, lo, 16), 0, "%s: local address", kd_event_name(ev));
	cr_assert_eq(t.dport, dport, "%s: remote port %u, want %u", kd_event_name(ev), t.dport, dport);
	if (dport)
		cr_assert_eq(memcmp(t.daddr, lo, 16), 0, "%s: remote address", kd_event_name(ev));
}

static void fd_str_eq(const struct kd_event *ev, const char *want)
{
	const struct kd_fd *f = kd_event_fd(ev);
	char s[200];

	cr_assert_not_null(f, "%s: no fd", kd_event_name(ev));
	cr_assert_geq(kd_fd_format(f, s, sizeof(s)), 0);
	cr_assert_str_eq(s, want, "%s: fd %s, want %s", kd_event_name(ev), s, want);
}

/* "127.0.0.1:80" or "[::1]:80" */
static const char *ep(int family, uint16_t port, char *buf, size_t len)
{
	snprintf(buf, len, family == AF_INET ? "127.0.0.1:%u" : "[::1]:%u", port);
	return buf;
}

static void run_kdump(const char *capture, bool json, char **out)
{
	char opath[] = "/tmp/kd_tuples_out_XXXXXX";
	const char *argv[] = { KDUMP_PATH, "-r", capture, json ? "--json" : "-q", NULL };
	posix_spawn_file_actions_t fa;
	int ofd = mkstemp(opath), st;
	pid_t pid;
	FILE *f;
	long n;

	cr_assert_geq(ofd, 0);
	if (!json)
		argv[3] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, KDUMP_PATH, &fa, NULL, (char **)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kdump -r: status %#x", st);
	f = fopen(opath, "r");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(*out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	close(ofd);
	unlink(opath);
}

/* The line of out from pid with event name( in it, or NULL. */
static char *line_of(char *out, pid_t pid, const char *needle)
{
	char pidtag[32], *l = out, *nl;

	snprintf(pidtag, sizeof(pidtag), "%d", (int)pid);
	for (; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (strstr(l, needle) && strstr(l, pidtag)) {
			*nl = '\n';
			return l;
		}
		*nl = '\n';
	}
	return NULL;
}

/* events: with or without socket (without: the fds come from the tuples alone) */
static void short_lived(int family, const char *events)
{
	int t_bind = kd_event_type_by_name("bind"), t_listen = kd_event_type_by_name("listen"),
	    t_conn = kd_event_type_by_name("connect"), t_acc = kd_event_type_by_name("accept"),
	    t_acc4 = kd_event_type_by_name("accept4");
	char cap[] = "/tmp/kd_tuples_XXXXXX", want[200], a[64], b[64], *out = NULL, *l, needle[300];
	struct kd_handle *h = NULL;
	const struct kd_event *ev;
	struct got g;
	int pfd[2], st, err, cfd;
	pid_t pid;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	cfd = mkstemp(cap);
	cr_assert_geq(cfd, 0);
	close(cfd);
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_TRACE_SELF,
			.timeout_ms = 50, .events = events,
			.capture = cap);
		err = kd_open(&o, &h);
		if (err == KD_ENOPERM || err == -EPERM || err == KD_ENOENGINE)
			KD_SKIP_OR_FAIL("no core engine here: %s", kd_last_error(NULL));
		cr_assert_eq(err, 0, "kd_open: %s: %s", kd_strerror(err), kd_last_error(NULL));
	}
	et_handle = h;
	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		child(family, pfd[1]);
	}
	close(pfd[1]);
	cr_assert_eq(read(pfd[0], &g, sizeof(g)), (ssize_t)sizeof(g));
	close(pfd[0]);
	/* gone before a single event of it is read */
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	cr_assert_eq(g.err, 0, "child step %d failed", g.err);
	cr_assert(g.lport && g.cport && g.uport);

	/* bind(port 0): the port the kernel picked */
	ev = et_wait(h, t_bind, (uint32_t)pid, fd0_is, &g.lfd);
	cr_assert_eq(kd_event_result(ev), 0);
	tuple_eq(ev, family, SOCK_STREAM, IPPROTO_TCP, g.lport, 0);
	cr_assert_eq(kd_fd_local_port(kd_event_fd(ev)), g.lport);

	ev = et_wait(h, t_listen, (uint32_t)pid, fd0_is, &g.lfd);
	tuple_eq(ev, family, SOCK_STREAM, IPPROTO_TCP, g.lport, 0);
	snprintf(want, sizeof(want), "tcp:%s", ep(family, g.lport, a, sizeof(a)));
	fd_str_eq(ev, want);
	cr_assert_eq(kd_fd_role(kd_event_fd(ev)), KD_FD_ROLE_SERVER);

	/* connect: the ephemeral local port */
	ev = et_wait(h, t_conn, (uint32_t)pid, fd0_is, &g.cfd);
	cr_assert_eq(kd_event_result(ev), 0);
	tuple_eq(ev, family, SOCK_STREAM, IPPROTO_TCP, g.cport, g.lport);
	snprintf(want, sizeof(want), "tcp:%s->%s", ep(family, g.cport, a, sizeof(a)),
		 ep(family, g.lport, b, sizeof(b)));
	fd_str_eq(ev, want);
	cr_assert_eq(kd_fd_role(kd_event_fd(ev)), KD_FD_ROLE_CLIENT);
	{
		char s[200];
		unsigned ti = (unsigned)kd_event_nparams(ev) - 1;

		cr_assert_geq(kd_event_param_format(ev, ti, s, sizeof(s)), 0);
		cr_assert_str_eq(s, want, "tuple param text");
	}

	/* accept(fd, NULL, NULL): the peer, exact */
	{
		uint64_t deadline = et_now_ns() + ET_WAIT_MS * 1000000ull;

		for (ev = NULL; !ev && et_now_ns() < deadline;) {
			const struct kd_event *e2;

			if (et_next(h, &e2) == 0 && kd_event_pid(e2) == (uint32_t)pid &&
			    (kd_event_type(e2) == t_acc || kd_event_type(e2) == t_acc4))
				ev = e2;
		}
		cr_assert_not_null(ev, "no accept from the child");
	}
	cr_assert_eq(kd_event_result(ev), g.afd);
	tuple_eq(ev, family, SOCK_STREAM, IPPROTO_TCP, g.lport, g.cport);
	fd_str_eq(ev, want); /* client->server */
	cr_assert_eq(kd_fd_num(kd_event_fd(ev)), g.afd);
	cr_assert_eq(kd_fd_remote_port(kd_event_fd(ev)), g.cport);

	/* UDP bind(port 0) */
	ev = et_wait(h, t_bind, (uint32_t)pid, fd0_is, &g.ufd);
	tuple_eq(ev, family, SOCK_DGRAM, IPPROTO_UDP, g.uport, 0);
	snprintf(want, sizeof(want), "udp:%s", ep(family, g.uport, a, sizeof(a)));
	fd_str_eq(ev, want);
	kd_close(h);
	et_handle = NULL;

	/* kdump replays the capture from the records alone: the same tuples */
	run_kdump(cap, false, &out);
	snprintf(want, sizeof(want), "tcp:%s->%s", ep(family, g.cport, a, sizeof(a)),
		 ep(family, g.lport, b, sizeof(b)));
	l = line_of(out, pid, "connect(");
	cr_assert_not_null(l, "kdump: no connect line of pid %d", (int)pid);
	snprintf(needle, sizeof(needle), "connect(fd=%d<%s>", g.cfd, want);
	cr_assert(strstr(l, needle), "kdump: %.300s lacks %s", l, needle);
	snprintf(needle, sizeof(needle), "tuple=%s)", want);
	cr_assert(strstr(l, needle), "kdump: %.300s lacks %s", l, needle);
	l = line_of(out, pid, "accept");
	cr_assert_not_null(l, "kdump: no accept line of pid %d", (int)pid);
	snprintf(needle, sizeof(needle), " = %d<%s>", g.afd, want);
	cr_assert(strstr(l, needle), "kdump: %.300s lacks %s", l, needle);
	free(out);

	run_kdump(cap, true, &out);
	l = line_of(out, pid, "\"event\":\"connect\"");
	cr_assert_not_null(l, "kdump --json: no connect of pid %d", (int)pid);
	snprintf(needle, sizeof(needle),
		 "\"tuple\":{\"family\":\"%s\",\"socktype\":\"SOCK_STREAM\",\"proto\":\"tcp\","
		 "\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u}",
		 family == AF_INET ? "AF_INET" : "AF_INET6", family == AF_INET ? "127.0.0.1" : "::1",
		 g.cport, family == AF_INET ? "127.0.0.1" : "::1", g.lport);
	cr_assert(strstr(l, needle), "kdump --json: %.600s lacks %s", l, needle);
	snprintf(needle, sizeof(needle), "\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,\"role\":\"client\"",
		 g.cport, family == AF_INET ? "127.0.0.1" : "::1", g.lport);
	cr_assert(strstr(l, "\"fd_info\":") && strstr(l, needle), "kdump --json fd_info: %.600s", l);
	l = line_of(out, pid, "\"event\":\"accept");
	cr_assert_not_null(l, "kdump --json: no accept of pid %d", (int)pid);
	snprintf(needle, sizeof(needle), "\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,\"role\":\"server\"",
		 g.cport, family == AF_INET ? "127.0.0.1" : "::1", g.lport);
	cr_assert(strstr(l, needle), "kdump --json accept fd_info: %.600s lacks %s", l, needle);
	free(out);
	unlink(cap);
}

Test(core_tuples, ipv4_short_lived)
{
	short_lived(AF_INET, "socket,bind,listen,connect,accept,accept4");
}

Test(core_tuples, ipv6_short_lived)
{
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (s >= 0)
			close(s);
		cr_skip_test("no IPv6 loopback here");
	}
	close(s);
	short_lived(AF_INET6, "socket,bind,listen,connect,accept,accept4");
}

/* socket() not captured: the tuples alone make the fds */
Test(core_tuples, ipv4_without_socket_events)
{
	short_lived(AF_INET, "bind,listen,connect,accept,accept4");
}

/* An unbound UDP socket's first sendto/sendmsg/sendmmsg binds its port; the
 * child is gone before its events are read, so only the send's tuple can say
 * which port (schema 4, sendmmsg 5). */
Test(core_tuples, udp_send_binds_short_lived)
{
	struct kd_handle *h = et_open("sendto,sendmsg,sendmmsg", 0);
	struct sockaddr_storage ss;
	socklen_t sl = loopback(AF_INET, &ss, 0);
	struct { int u, v, w; uint16_t uport, vport, wport; } g = { 0 }; /* padding written too */
	int s = socket(AF_INET, SOCK_DGRAM, 0), pfd[2], st;
	const struct kd_event *ev;
	char want[200], a[64];
	pid_t pid;

	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&ss, sl), 0);
	sl = loopback(AF_INET, &ss, local_port(s));
	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct iovec iov = { "x", 1 };
		struct msghdr m = { .msg_name = &ss, .msg_namelen = sl, .msg_iov = &iov, .msg_iovlen = 1 };
		struct mmsghdr mm = { .msg_hdr = m };

		g.u = socket(AF_INET, SOCK_DGRAM, 0);
		g.v = socket(AF_INET, SOCK_DGRAM, 0);
		g.w = socket(AF_INET, SOCK_DGRAM, 0);
		if (sendto(g.u, "x", 1, 0, (struct sockaddr *)&ss, sl) != 1 || sendmsg(g.v, &m, 0) != 1 ||
		    sendmmsg(g.w, &mm, 1, 0) != 1)
			_exit(3);
		g.uport = local_port(g.u);
		g.vport = local_port(g.v);
		g.wport = local_port(g.w);
		_exit(write(pfd[1], &g, sizeof(g)) == (ssize_t)sizeof(g) ? 0 : 9);
	}
	close(pfd[1]);
	cr_assert_eq(read(pfd[0], &g, sizeof(g)), (ssize_t)sizeof(g));
	close(pfd[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);

	ev = et_wait(h, kd_event_type_by_name("sendto"), (uint32_t)pid, fd0_is, &g.u);
	snprintf(want, sizeof(want), "udp:0.0.0.0:%u->%s", g.uport, ep(AF_INET, local_port(s), a, sizeof(a)));
	fd_str_eq(ev, want);
	cr_assert_eq(kd_fd_role(kd_event_fd(ev)), KD_FD_ROLE_CLIENT);
	ev = et_wait(h, kd_event_type_by_name("sendmsg"), (uint32_t)pid, fd0_is, &g.v);
	snprintf(want, sizeof(want), "udp:0.0.0.0:%u->%s", g.vport, ep(AF_INET, local_port(s), a, sizeof(a)));
	fd_str_eq(ev, want);
	ev = et_wait(h, kd_event_type_by_name("sendmmsg"), (uint32_t)pid, fd0_is, &g.w);
	snprintf(want, sizeof(want), "udp:0.0.0.0:%u->%s", g.wport, ep(AF_INET, local_port(s), a, sizeof(a)));
	fd_str_eq(ev, want);
	cr_assert_eq(kd_fd_role(kd_event_fd(ev)), KD_FD_ROLE_CLIENT);
	close(s);
	et_close(h);
}

/* A non-socket fd carries an empty tuple (NULL), no error. */
Test(core_tuples, not_a_socket_is_null)
{
	struct kd_handle *h = et_open("listen", 0);
	const struct kd_event *ev;
	struct kd_value v;
	int fd = open("/dev/null", O_RDONLY);
	char s[32];

	cr_assert_geq(fd, 0);
	cr_assert_eq(listen(fd, 1), -1);
	ev = et_wait(h, kd_event_type_by_name("listen"), (uint32_t)getpid(), fd0_is, &fd);
	cr_assert_eq(kd_event_param_by_name(ev, "tuple", &v), 0);
	cr_assert(v.flags & KD_VAL_NULL, "listen on /dev/null: tuple of %zu bytes", v.len);
	cr_assert_geq(kd_event_param_format(ev, 2, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "NULL");
	close(fd);
	et_close(h);
}

/* examples/demo.kd was written with schema 1: every event decodes under this
 * schema, and its connect/accept records simply have no tuple. */
Test(core_tuples, schema1_demo_replays)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = KD_SOURCE_DIR "/examples/demo.kd");
	struct kd_handle *h = NULL;
	const struct kd_event *ev;
	uint64_t n = 0, net = 0, bad = 0;
	int err, t_conn = kd_event_type_by_name("connect"), t_acc = kd_event_type_by_name("accept"),
		 t_acc4 = kd_event_type_by_name("accept4");

	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) != KD_EOF) {
		struct kd_rec_hdr hdr;
		struct kd_value v;
		int t;

		if (err == KD_TIMEOUT)
			continue;
		if (err < 0) {
			bad++;
			cr_log_error("demo.kd: %s: %s", kd_strerror(err), kd_last_error(h));
			continue;
		}
		n++;
		memcpy(&hdr, kd_event_record(ev, NULL), sizeof(hdr));
		cr_assert_eq(hdr.schema, 1, "demo.kd is a schema 1 capture");
		t = kd_event_type(ev);
		if (t != t_conn && t != t_acc && t != t_acc4)
			continue;
		net++;
		cr_assert_eq(kd_event_nparams(ev), (unsigned)kd_event_type_nparams(t) - 1);
		cr_assert_eq(kd_event_param_by_name(ev, "tuple", &v), KD_ENOPARAM);
		cr_assert_eq(kd_event_param(ev, kd_event_nparams(ev), &v), KD_ENOPARAM);
	}
	cr_assert_eq(bad, 0);
	cr_assert_gt(n, 0);
	cr_assert_gt(net, 0, "demo.kd has no connect/accept: the test proves nothing");
	cr_log_info("demo.kd: %llu events, %llu connect/accept without a tuple", (unsigned long long)n,
		    (unsigned long long)net);
	kd_close(h);
}
