/*
 * tests/test_core_net.c: socket syscalls through the CO-RE engine over
 * loopback (IPv4, IPv6) and unix sockets, with exact sockaddr bytes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "core_test.h"

TestSuite(core_net, .timeout = 30);

Test(core_net, tcp4_lifecycle)
{
	struct kd_handle *h = core_open("socket,setsockopt,bind,listen,getsockname,connect,accept4,"
					"getpeername,sendto,recvfrom,shutdown");
	struct sockaddr_in sa = { .sin_family = AF_INET }, got, peer;
	socklen_t glen = sizeof(got), plen = sizeof(peer);
	const struct kd_event *ev;
	int one = 1, ls, cs, as;
	char buf[32];

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(ls, 0);
	ev = core_expect(h, "socket", ls);
	core_eq_i(ev, "family", AF_INET);
	core_eq_i(ev, "type", SOCK_STREAM | SOCK_CLOEXEC);
	core_eq_i(ev, "protocol", 0);

	cr_assert_eq(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), -1);
	ev = core_expect(h, "socket", -errno);
	cr_assert_eq(kd_event_result(ev), -EPROTONOSUPPORT);
	core_eq_i(ev, "protocol", IPPROTO_TCP);

	cr_assert_eq(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ev = core_expect(h, "setsockopt", 0);
	core_eq_i(ev, "fd", ls);
	core_eq_i(ev, "level", SOL_SOCKET);
	core_eq_i(ev, "optname", SO_REUSEADDR);
	core_eq_bytes(ev, "optval", &one, sizeof(one));
	core_eq_i(ev, "optlen", sizeof(one));
	/* the option by name at its level, an unknown one by number */
	cr_assert_geq(kd_event_param_format(ev, 2, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "SO_REUSEADDR");

	cr_assert_eq(setsockopt(ls, SOL_SOCKET, 9999, &one, sizeof(one)), -1);
	ev = core_expect(h, "setsockopt", -ENOPROTOOPT);
	core_eq_i(ev, "optname", 9999);
	cr_assert_geq(kd_event_param_format(ev, 2, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "9999");
	cr_assert_eq(setsockopt(ls, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	ev = core_expect(h, "setsockopt", 0);
	cr_assert_geq(kd_event_param_format(ev, 1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "SOL_TCP");
	cr_assert_geq(kd_event_param_format(ev, 2, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "TCP_NODELAY");

	cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ev = core_expect(h, "bind", 0);
	core_eq_i(ev, "fd", ls);
	core_eq_bytes(ev, "umyaddr", &sa, sizeof(sa));
	core_eq_i(ev, "addrlen", sizeof(sa));

	cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), -1);
	core_expect(h, "bind", -EINVAL);

	cr_assert_eq(getsockname(ls, (struct sockaddr *)&got, &glen), 0);
	ev = core_expect(h, "getsockname", 0);
	core_eq_i(ev, "fd", ls);
	core_eq_bytes(ev, "usockaddr", &got, sizeof(got));
	core_eq_ptr(ev, "usockaddr_len", &glen);

	cr_assert_eq(listen(ls, 4), 0);
	ev = core_expect(h, "listen", 0);
	core_eq_i(ev, "fd", ls);
	core_eq_i(ev, "backlog", 4);
	cr_assert_eq(listen(CORE_BAD_FD, 4), -1);
	core_expect(h, "listen", -EBADF);

	cs = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(cs, 0);
	core_expect(h, "socket", cs);
	cr_assert_eq(connect(cs, (struct sockaddr *)&got, sizeof(got)), 0);
	ev = core_expect(h, "connect", 0);
	core_eq_i(ev, "fd", cs);
	core_eq_bytes(ev, "uservaddr", &got, sizeof(got));
	core_eq_i(ev, "addrlen", sizeof(got));

	as = accept4(ls, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	cr_assert_geq(as, 0);
	ev = core_expect(h, "accept4", as);
	core_eq_i(ev, "fd", ls);
	core_eq_bytes(ev, "upeer_sockaddr", &peer, sizeof(peer));
	core_eq_ptr(ev, "upeer_addrlen", &plen);
	core_eq_i(ev, "flags", SOCK_CLOEXEC);

	cr_assert_eq(accept4(cs, NULL, NULL, SOCK_NONBLOCK), -1); /* not listening */
	ev = core_expect(h, "accept4", -EINVAL);
	core_eq_null(ev, "upeer_sockaddr");
	core_eq_i(ev, "flags", SOCK_NONBLOCK);

	plen = sizeof(peer);
	cr_assert_eq(getpeername(cs, (struct sockaddr *)&peer, &plen), 0);
	ev = core_expect(h, "getpeername", 0);
	core_eq_bytes(ev, "usockaddr", &got, sizeof(got));
	cr_assert_eq(getpeername(ls, (struct sockaddr *)&peer, &plen), -1);
	core_expect(h, "getpeername", -ENOTCONN);

	cr_assert_eq(send(cs, "ping!", 5, MSG_NOSIGNAL), 5);
	ev = core_expect(h, "sendto", 5);
	core_eq_i(ev, "fd", cs);
	core_eq_bytes(ev, "buff", "ping!", 5);
	core_eq_u(ev, "len", 5);
	core_eq_u(ev, "flags", MSG_NOSIGNAL);
	core_eq_null(ev, "addr");
	core_eq_null(ev, "tuple"); /* connected: no address, no socket read */

	cr_assert_eq(recv(as, buf, 5, MSG_WAITALL), 5);
	ev = core_expect(h, "recvfrom", 5);
	core_eq_i(ev, "fd", as);
	core_eq_bytes(ev, "ubuf", "ping!", 5);
	core_eq_u(ev, "size", 5);
	core_eq_u(ev, "flags", MSG_WAITALL);
	core_eq_null(ev, "addr");

	cr_assert_eq(recv(as, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ev = core_expect(h, "recvfrom", -EAGAIN);
	core_eq_null(ev, "ubuf");

	cr_assert_eq(shutdown(cs, SHUT_WR), 0);
	ev = core_expect(h, "shutdown", 0);
	core_eq_i(ev, "fd", cs);
	core_eq_i(ev, "how", SHUT_WR);
	cr_assert_eq(shutdown(CORE_BAD_FD, SHUT_RD), -1);
	core_eq_i(core_expect(h, "shutdown", -EBADF), "fd", CORE_BAD_FD);

	close(as);
	close(cs);
	close(ls);
	kd_close(h);
}

Test(core_net, udp6_and_refused)
{
	struct kd_handle *h = core_open("socket,bind,connect,sendto,recvfrom");
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT }, from;
	socklen_t alen = sizeof(a), flen = sizeof(from);
	const struct kd_event *ev;
	char buf[16];
	int s, t;

	s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0)
		cr_skip_test("no IPv6 here");
	core_eq_i(core_expect(h, "socket", s), "family", AF_INET6);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	core_eq_bytes(core_expect(h, "bind", 0), "umyaddr", &a, sizeof(a));
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);

	t = socket(AF_INET6, SOCK_DGRAM, 0);
	cr_assert_geq(t, 0);
	core_expect(h, "socket", t);
	cr_assert_eq(sendto(t, "dgram", 5, 0, (struct sockaddr *)&a, sizeof(a)), 5);
	ev = core_expect(h, "sendto", 5);
	core_eq_i(ev, "fd", t);
	core_eq_bytes(ev, "buff", "dgram", 5);
	core_eq_bytes(ev, "addr", &a, sizeof(a));
	core_eq_i(ev, "addr_len", sizeof(a));

	cr_assert_eq(recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 5);
	ev = core_expect(h, "recvfrom", 5);
	core_eq_bytes(ev, "ubuf", "dgram", 5);
	core_eq_bytes(ev, "addr", &from, sizeof(from));
	core_eq_ptr(ev, "addr_len", &flen);

	cr_assert_eq(connect(t, (struct sockaddr *)&a, sizeof(a)), 0);
	core_eq_bytes(core_expect(h, "connect", 0), "uservaddr", &a, sizeof(a));
	close(s);
	close(t);

	/* TCP to a port nobody listens on: the port of the closed UDP socket */
	t = socket(AF_INET6, SOCK_STREAM, 0);
	cr_assert_geq(t, 0);
	core_expect(h, "socket", t);
	cr_assert_eq(connect(t, (struct sockaddr *)&a, sizeof(a)), -1);
	ev = core_expect(h, "connect", -ECONNREFUSED);
	core_eq_bytes(ev, "uservaddr", &a, sizeof(a));
	close(t);
	kd_close(h);
}

Test(core_net, unix_and_socketpair)
{
	struct kd_handle *h = core_open("socket,bind,listen,connect,socketpair");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t ulen;
	const struct kd_event *ev;
	struct kd_value v;
	int sv[2], ls, cs;

	snprintf(un.sun_path, sizeof(un.sun_path), "/tmp/kd-net-%d.sock", getpid());
	ulen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
	unlink(un.sun_path);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ev = core_expect(h, "socketpair", 0);
	core_eq_i(ev, "family", AF_UNIX);
	core_eq_i(ev, "type", SOCK_STREAM);
	core_eq_bytes(ev, "usockvec", sv, sizeof(sv));
	cr_assert_eq(socketpair(AF_INET, SOCK_STREAM, 0, sv), -1);
	core_eq_i(core_expect(h, "socketpair", -EOPNOTSUPP), "family", AF_INET);

	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(ls, 0);
	core_eq_i(core_expect(h, "socket", ls), "family", AF_UNIX);
	cr_assert_eq(bind(ls, (struct sockaddr *)&un, ulen), 0);
	ev = core_expect(h, "bind", 0);
	core_eq_bytes(ev, "umyaddr", &un, ulen);
	core_eq_i(ev, "addrlen", ulen);
	cr_assert_eq(listen(ls, 1), 0);
	core_expect(h, "listen", 0);

	cs = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(cs, 0);
	core_expect(h, "socket", cs);
	cr_assert_eq(connect(cs, (struct sockaddr *)&un, ulen), 0);
	ev = core_expect(h, "connect", 0);
	v = core_param(ev, "uservaddr");
	cr_assert_eq(v.len, ulen);
	cr_assert_str_eq(((const struct sockaddr_un *)v.ptr)->sun_path, un.sun_path);
	cr_assert_eq(connect(cs, (struct sockaddr *)&un, ulen), -1);
	core_expect(h, "connect", -EISCONN);

	close(cs);
	close(ls);
	close(sv[0]);
	close(sv[1]);
	unlink(un.sun_path);
	kd_close(h);
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

static struct kd_sock_tuple tuple_of(const struct kd_event *ev)
{
	struct kd_value v = core_param(ev, "tuple");
	struct kd_sock_tuple t;

	cr_assert_eq(v.len, sizeof(t), "%s: tuple of %zu bytes", kd_event_name(ev), v.len);
	memcpy(&t, v.ptr, sizeof(t));
	return t;
}

/* A failed call has no tuple (a refused connect has reset the socket, a
 * failed bind left it unbound); a non-blocking connect in progress has both
 * ends. */
Test(core_net, tuple_of_failed_calls)
{
	struct kd_handle *h = core_open("connect,bind");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	const struct kd_event *ev;
	struct kd_sock_tuple t;
	int ls, c, r;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(ls, 0);
	cr_assert_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
	core_expect(h, "bind", 0);

	/* the port is taken until listen: a second bind is refused */
	c = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(c, 0);
	cr_assert_eq(bind(c, (struct sockaddr *)&a, sizeof(a)), -1);
	ev = core_expect(h, "bind", -EADDRINUSE);
	core_eq_null(ev, "tuple");

	/* nobody listens yet: refused */
	cr_assert_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), -1);
	cr_assert_eq(errno, ECONNREFUSED);
	ev = core_expect(h, "connect", -ECONNREFUSED);
	core_eq_bytes(ev, "uservaddr", &a, sizeof(a));
	core_eq_null(ev, "tuple");
	close(c);

	cr_assert_eq(listen(ls, 1), 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(c, 0);
	r = connect(c, (struct sockaddr *)&a, sizeof(a));
	cr_assert(r == 0 || errno == EINPROGRESS, "connect: %s", strerror(errno));
	ev = core_expect(h, "connect", r ? -EINPROGRESS : 0);
	t = tuple_of(ev);
	cr_assert_eq(t.family, AF_INET);
	cr_assert_eq(t.sport, port_of(c), "the ephemeral port, picked before the handshake");
	cr_assert_eq(t.dport, ntohs(a.sin_port));
	close(c);
	close(ls);
	kd_close(h);
}

/* sendmsg and recvmsg, through their msghdr (schema 4): the address and the
 * data of every iovec entry, for a datagram with two entries each way; the
 * port the first send of an unbound socket binds, in sendto's and sendmsg's
 * tuple; and nothing where the call failed: a recvmsg or recvfrom that found
 * no datagram leaves the address buffer as it was (here: a stale address),
 * so none is shown. */
Test(core_net, msg_calls_and_send_tuple)
{
	struct kd_handle *h = core_open("sendto,recvfrom,sendmsg,recvmsg");
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in from, stale = srv;
	socklen_t slen = sizeof(srv), flen;
	char b1[3], b2[16];
	struct iovec out[2] = { { "ab", 2 }, { "cde", 3 } }, in[2] = { { b1, 3 }, { b2, 16 } };
	struct msghdr m = { .msg_name = &srv, .msg_namelen = sizeof(srv), .msg_iov = out, .msg_iovlen = 2 };
	const struct kd_event *ev;
	struct kd_sock_tuple t;
	int s, u, v;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&srv, sizeof(srv)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&srv, &slen), 0);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	v = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(u >= 0 && v >= 0);

	/* unbound: the send picks the port */
	cr_assert_eq(sendto(u, "hello", 5, 0, (struct sockaddr *)&srv, sizeof(srv)), 5);
	ev = core_expect(h, "sendto", 5);
	t = tuple_of(ev);
	cr_assert_eq(t.family, AF_INET);
	cr_assert_eq(t.type, SOCK_DGRAM);
	cr_assert_eq(t.proto, IPPROTO_UDP);
	cr_assert_eq(t.sport, port_of(u), "sendto tuple: local port %u", t.sport);
	cr_assert_eq(t.dport, 0, "not connected");

	cr_assert_eq(sendmsg(v, &m, 0), 5);
	ev = core_expect(h, "sendmsg", 5);
	core_eq_i(ev, "fd", v);
	core_eq_ptr(ev, "msg", &m);
	core_eq_bytes(ev, "addr", &srv, sizeof(srv));
	core_eq_bytes(ev, "data", "abcde", 5);
	t = tuple_of(ev);
	cr_assert_eq(t.sport, port_of(v), "sendmsg tuple: local port %u", t.sport);

	/* hello first, then abcde over two entries of 3 and 16 bytes */
	flen = sizeof(from);
	cr_assert_eq(recvfrom(s, b2, sizeof(b2), 0, (struct sockaddr *)&from, &flen), 5);
	core_expect(h, "recvfrom", 5);
	m = (struct msghdr){ .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = in, .msg_iovlen = 2 };
	cr_assert_eq(recvmsg(s, &m, 0), 5);
	ev = core_expect(h, "recvmsg", 5);
	core_eq_i(ev, "fd", s);
	core_eq_bytes(ev, "addr", &from, sizeof(from));
	cr_assert_eq(ntohs(from.sin_port), port_of(v));
	core_eq_bytes(ev, "data", "abcde", 5);

	/* nothing waiting: the stale address is not the call's */
	m = (struct msghdr){ .msg_name = &stale, .msg_namelen = sizeof(stale), .msg_iov = in, .msg_iovlen = 2 };
	cr_assert_eq(recvmsg(s, &m, 0), -1);
	ev = core_expect(h, "recvmsg", -EAGAIN);
	core_eq_null(ev, "addr");
	core_eq_null(ev, "data");
	flen = sizeof(stale);
	cr_assert_eq(recvfrom(s, b2, sizeof(b2), 0, (struct sockaddr *)&stale, &flen), -1);
	ev = core_expect(h, "recvfrom", -EAGAIN);
	core_eq_null(ev, "addr");

	/* no msghdr at all */
	cr_assert_eq(syscall(SYS_sendmsg, v, NULL, 0), -1);
	ev = core_expect(h, "sendmsg", -EFAULT);
	core_eq_null(ev, "addr");
	core_eq_null(ev, "data");
	core_eq_null(ev, "tuple");

	close(s);
	close(u);
	close(v);
	kd_close(h);
}

/* A non-blocking UDP server socket *s bound on loopback (its address in
 * *srv) and an unbound client *c. */
static void udp_pair(struct sockaddr_in *srv, int *s, int *c)
{
	socklen_t slen = sizeof(*srv);

	*srv = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	*s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	*c = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(*s >= 0 && *c >= 0);
	cr_assert_eq(bind(*s, (struct sockaddr *)srv, sizeof(*srv)), 0);
	cr_assert_eq(getsockname(*s, (struct sockaddr *)srv, &slen), 0);
}

/* Message k of ev's msgs: its msg_len, address and data. */
static uint32_t mmsg_at(const struct kd_event *ev, unsigned k, struct kd_value *addr,
			struct kd_value *data)
{
	struct kd_value v = core_param(ev, "msgs");
	uint32_t len = 0;

	cr_assert_eq(kd_value_mmsg(&v, k, &len, addr, data), 1, "%s: message %u", kd_event_name(ev), k);
	return len;
}

static unsigned mmsg_count(const struct kd_event *ev)
{
	struct kd_value v = core_param(ev, "msgs");
	unsigned k = 0;

	if (!(v.flags & KD_VAL_BYTES))
		return 0;
	while (kd_value_mmsg(&v, k, NULL, NULL, NULL) == 1)
		k++;
	cr_assert_eq(kd_value_mmsg(&v, k, NULL, NULL, NULL), 0);
	return k;
}

#define mmsg_eq_data(d, want, n)                                                                  \
	do {                                                                                      \
		cr_assert_eq((d).len, (size_t)(n), "data: %zu bytes, expected %zu", (d).len,      \
			     (size_t)(n));                                                        \
		cr_assert((n) == 0 || memcmp((d).ptr, (want), (n)) == 0, "data differs");         \
	} while (0)

/* sendmmsg and recvmmsg: addr and data (schema 5) are the first message's,
 * its data up to its own msg_len (the call returns a count of messages);
 * msgs (schema 9) holds every message the call moved, each with its
 * msg_len, address and data (gathered over its iovecs, up to msg_len and
 * snaplen), at most 8, then cut; nothing when no message moved. */
Test(core_net, mmsg_messages)
{
	struct kd_handle *h = core_open("sendmmsg,recvmmsg");
	struct sockaddr_in srv, from[10];
	static char big[200], rb[10][256];
	struct iovec out[4] = { { "dns", 3 }, { "-query", 6 }, { "second", 6 }, { big, sizeof(big) } };
	struct iovec in[10], one = { "x", 1 }, bad = { (void *)8, 4 };
	struct mmsghdr mm[10];
	struct kd_value a, d;
	const struct kd_event *ev;
	int s, c;

	memset(big, 'b', sizeof(big));
	udp_pair(&srv, &s, &c);

	/* two iovecs, one, none (an empty datagram), one longer than snaplen */
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr = (struct msghdr){ .msg_name = &srv, .msg_namelen = sizeof(srv), .msg_iov = out,
					 .msg_iovlen = 2 };
	mm[1].msg_hdr = (struct msghdr){ .msg_name = &srv, .msg_namelen = sizeof(srv), .msg_iov = out + 2,
					 .msg_iovlen = 1 };
	mm[2].msg_hdr = (struct msghdr){ .msg_name = &srv, .msg_namelen = sizeof(srv) };
	mm[3].msg_hdr = (struct msghdr){ .msg_name = &srv, .msg_namelen = sizeof(srv), .msg_iov = out + 3,
					 .msg_iovlen = 1 };
	cr_assert_eq(sendmmsg(c, mm, 4, 0), 4);
	cr_assert_eq(mm[0].msg_len, 9);
	ev = core_expect(h, "sendmmsg", 4);
	core_eq_i(ev, "fd", c);
	core_eq_ptr(ev, "mmsg", mm);
	core_eq_u(ev, "vlen", 4);
	core_eq_bytes(ev, "addr", &srv, sizeof(srv));
	core_eq_bytes(ev, "data", "dns-query", 9);
	cr_assert_eq(tuple_of(ev).sport, port_of(c), "the port the first send bound");
	cr_assert_eq(mmsg_count(ev), 4);
	cr_assert_eq(mmsg_at(ev, 0, &a, &d), 9);
	cr_assert_eq(a.len, sizeof(srv));
	cr_assert_eq(memcmp(a.ptr, &srv, sizeof(srv)), 0);
	mmsg_eq_data(d, "dns-query", 9);
	cr_assert_not(d.flags & KD_VAL_TRUNCATED);
	cr_assert_eq(mmsg_at(ev, 1, &a, &d), 6);
	mmsg_eq_data(d, "second", 6);
	cr_assert_eq(mmsg_at(ev, 2, &a, &d), 0);
	cr_assert_eq(a.len, sizeof(srv));
	mmsg_eq_data(d, "", 0);
	cr_assert_eq(mmsg_at(ev, 3, &a, &d), sizeof(big));
	mmsg_eq_data(d, big, 80); /* the default snaplen */
	cr_assert(d.flags & KD_VAL_TRUNCATED, "a message cut at snaplen says so");
	cr_assert_not(core_param(ev, "msgs").flags & KD_VAL_TRUNCATED, "all four are there");

	/* received: each message's sender and data, the empty one included */
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 10; i++) {
		in[i] = (struct iovec){ rb[i], sizeof(rb[i]) };
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
						 .msg_iov = &in[i], .msg_iovlen = 1 };
	}
	cr_assert_eq(recvmmsg(s, mm, 3, 0, NULL), 3);
	ev = core_expect(h, "recvmmsg", 3);
	core_eq_i(ev, "fd", s);
	core_eq_bytes(ev, "addr", &from[0], sizeof(from[0]));
	core_eq_bytes(ev, "data", "dns-query", 9);
	cr_assert_eq(mmsg_count(ev), 3);
	for (unsigned k = 0; k < 3; k++) {
		uint32_t want[3] = { 9, 6, 0 };

		cr_assert_eq(mmsg_at(ev, k, &a, &d), want[k]);
		cr_assert_eq(a.len, sizeof(from[k]));
		cr_assert_eq(memcmp(a.ptr, &from[k], sizeof(from[k])), 0);
		cr_assert_eq(ntohs(from[k].sin_port), port_of(c));
	}
	mmsg_eq_data(d, "", 0);
	cr_assert_eq(recvmmsg(s, mm, 1, 0, NULL), 1); /* the long one */
	ev = core_expect(h, "recvmmsg", 1);
	cr_assert_eq(mmsg_at(ev, 0, &a, &d), sizeof(big));
	mmsg_eq_data(d, big, 80);

	/* ten messages moved, eight kept: the list says it is cut */
	for (int i = 0; i < 10; i++)
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &srv, .msg_namelen = sizeof(srv),
						 .msg_iov = &one, .msg_iovlen = 1 };
	cr_assert_eq(sendmmsg(c, mm, 10, 0), 10);
	ev = core_expect(h, "sendmmsg", 10);
	cr_assert_eq(mmsg_count(ev), 8);
	cr_assert(core_param(ev, "msgs").flags & KD_VAL_TRUNCATED);
	cr_assert_eq(mmsg_at(ev, 7, &a, &d), 1);
	mmsg_eq_data(d, "x", 1);

	/* the second message faults: the call reports the first one only
	 * (memcheck reports the bad pointer itself: not under it) */
	if (!kd_test_under_valgrind()) {
		mm[1].msg_hdr.msg_iov = &bad;
		cr_assert_eq(sendmmsg(c, mm, 2, 0), 1);
		ev = core_expect(h, "sendmmsg", 1);
		cr_assert_eq(mmsg_count(ev), 1);
		cr_assert_not(core_param(ev, "msgs").flags & KD_VAL_TRUNCATED);
	}

	/* nothing waiting (recv is not selected: no event), a bad fd: no
	 * message moved, none shown */
	while (recv(s, rb[0], sizeof(rb[0]), 0) >= 0)
		;
	for (int i = 0; i < 2; i++)
		mm[i].msg_hdr = (struct msghdr){ .msg_iov = &in[i], .msg_iovlen = 1 };
	cr_assert_eq(recvmmsg(s, mm, 2, 0, NULL), -1);
	ev = core_expect(h, "recvmmsg", -EAGAIN);
	core_eq_null(ev, "addr");
	core_eq_null(ev, "data");
	core_eq_null(ev, "msgs");
	cr_assert_eq(sendmmsg(CORE_BAD_FD, mm, 2, 0), -1);
	ev = core_expect(h, "sendmmsg", -EBADF);
	core_eq_null(ev, "addr");
	core_eq_null(ev, "data");
	core_eq_null(ev, "tuple");
	core_eq_null(ev, "msgs");
	cr_assert_eq(mmsg_count(ev), 0);
	close(s);
	close(c);
	kd_close(h);
}
