/*
 * tests/test_core_probes_net.c: TCP and packet-drop probes on the CO-RE
 * engine, on loopback: a connection's state changes with its tuple, connect
 * latency, socket destroy counters, resets both ways, UDP drops with their
 * reason. Events are matched by this test's own ports (they often run in
 * softirq context, on no particular thread).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>

#include <bpf/btf.h>

#include "probes_test.h"

TestSuite(core_probes_net, .timeout = 30);

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return sa;
}

static int local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	return ntohs(sa.sin_port);
}

/* A listening socket on 127.0.0.1:ephemeral; its port in *port. */
static int listener(int *port)
{
	struct sockaddr_in sa = loopback(0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	*port = local_port(fd);
	return fd;
}

/* A port nothing listens on (bound and closed again). */
static int closed_port(int type)
{
	struct sockaddr_in sa = loopback(0);
	int fd = socket(AF_INET, type, 0), port;

	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	port = local_port(fd);
	close(fd);
	return port;
}

struct tuple {
	int sport, dport;
};

static bool has_tuple(const struct kd_event *ev, const void *arg)
{
	const struct tuple *t = arg;
	struct kd_value s, d;

	return kd_event_param_by_name(ev, "sport", &s) == 0 && kd_event_param_by_name(ev, "dport", &d) == 0 &&
	       s.i == t->sport && d.i == t->dport;
}

/* saddr/daddr are 127.0.0.1 with the ports, family AF_INET */
static void check_tuple(const struct kd_event *ev, const struct tuple *t)
{
	struct sockaddr_in want = loopback(t->sport);

	core_eq_bytes(ev, "saddr", &want, sizeof(want));
	want = loopback(t->dport);
	core_eq_bytes(ev, "daddr", &want, sizeof(want));
	core_eq_u(ev, "family", AF_INET);
}

static const char *state_name(const struct kd_event *ev, const char *param, char *buf, size_t len)
{
	unsigned i;

	for (i = 0; i < kd_event_nparams(ev); i++)
		if (strcmp(kd_event_type_param_name(kd_event_type(ev), i), param) == 0)
			break;
	kd_event_param_format(ev, i, buf, len);
	return buf;
}

Test(core_probes_net, tcp_state_chain)
{
	struct kd_handle *h = probes_open("tcp");
	char out[100] = { 0 }, in[100], back[50] = { 0 }, o[32], n[32];
	int lfd, port, cfd, sfd, tstate = core_type("tcp_state");
	struct sockaddr_in sa;
	struct tuple t;
	const struct kd_event *ev;
	char seq[512] = "";
	uint64_t deadline;
	bool closed = false;
	int prev = 7; /* TCP_CLOSE */

	probes_require(h, "tcp_state");
	lfd = listener(&port);
	sa = loopback(port);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sfd = accept(lfd, NULL, NULL);
	cr_assert_geq(sfd, 0);
	t.sport = local_port(cfd);
	t.dport = port;
	cr_assert_eq(write(cfd, out, sizeof(out)), (ssize_t)sizeof(out));
	cr_assert_eq(read(sfd, in, sizeof(in)), (ssize_t)sizeof(in));
	cr_assert_eq(write(sfd, back, sizeof(back)), (ssize_t)sizeof(back));
	cr_assert_eq(read(cfd, in, sizeof(back)), (ssize_t)sizeof(back));
	close(cfd);
	close(sfd);
	close(lfd);

	/* the client's states, in order, each change starting where the last ended */
	deadline = core_now_ns() + CORE_WAIT_MS * 1000000ull;
	while (!closed && core_now_ns() < deadline) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0);
		if (err || kd_event_type(ev) != tstate)
			continue;
		/* connect() enters SYN_SENT before it picks the local port */
		if (core_param(ev, "new_state").i == 2 && core_param(ev, "sport").i == 0 &&
		    core_param(ev, "dport").i == t.dport && kd_event_tid(ev) == core_tid()) {
			struct tuple t0 = { 0, t.dport };

			check_tuple(ev, &t0);
		} else if (has_tuple(ev, &t)) {
			check_tuple(ev, &t);
		} else {
			continue;
		}
		cr_assert_eq(core_param(ev, "old_state").i, prev, "after %s", seq);
		prev = (int)core_param(ev, "new_state").i;
		snprintf(seq + strlen(seq), sizeof(seq) - strlen(seq), "%s%s -> %s",
			 seq[0] ? ", " : "", state_name(ev, "old_state", o, sizeof(o)),
			 state_name(ev, "new_state", n, sizeof(n)));
		closed = prev == 7;
	}
	cr_assert(closed, "client states: %s", seq);
	cr_assert(strstr(seq, "TCP_CLOSE -> TCP_SYN_SENT, TCP_SYN_SENT -> TCP_ESTABLISHED, "
			      "TCP_ESTABLISHED -> TCP_FIN_WAIT1") == seq,
		  "client states: %s", seq);
	kd_close(h);
}

/* connect latency and the counters of the destroyed socket */
Test(core_probes_net, tcp_latency_destroy)
{
	struct kd_handle *h = probes_open("tcp_connect_latency,tcp_destroy");
	char out[100] = { 0 }, in[100], back[50] = { 0 };
	int lfd, port, cfd, sfd;
	struct sockaddr_in sa;
	struct tuple t;
	const struct kd_event *ev;

	lfd = listener(&port);
	sa = loopback(port);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sfd = accept(lfd, NULL, NULL);
	t.sport = local_port(cfd);
	t.dport = port;
	cr_assert_eq(write(cfd, out, sizeof(out)), (ssize_t)sizeof(out));
	cr_assert_eq(read(sfd, in, sizeof(in)), (ssize_t)sizeof(in));
	cr_assert_eq(write(sfd, back, sizeof(back)), (ssize_t)sizeof(back));
	cr_assert_eq(read(cfd, in, sizeof(back)), (ssize_t)sizeof(back));
	close(cfd);
	close(sfd);
	close(lfd);
	ev = probes_wait(h, core_type("tcp_connect_latency"), PROBES_ANY_TID, has_tuple, &t);
	check_tuple(ev, &t);
	cr_assert_gt(core_param(ev, "latency_ns").u, 0);
	cr_assert_lt(core_param(ev, "latency_ns").u, 1000000000ull);
	ev = probes_wait(h, core_type("tcp_destroy"), PROBES_ANY_TID, has_tuple, &t);
	check_tuple(ev, &t);
	/* SYN and FIN each take one byte of sequence space, which some kernels count */
	cr_assert(core_param(ev, "bytes_acked").u >= 100 && core_param(ev, "bytes_acked").u <= 102,
		  "bytes_acked %llu", (unsigned long long)core_param(ev, "bytes_acked").u);
	cr_assert(core_param(ev, "bytes_received").u >= 50 && core_param(ev, "bytes_received").u <= 52,
		  "bytes_received %llu", (unsigned long long)core_param(ev, "bytes_received").u);
	cr_assert_gt(core_param(ev, "srtt_us").u, 0);
	kd_close(h);
}

/* The same over ::1: addresses are struct sockaddr_in6 with the 16 bytes
 * of each end (the tuple once copied only the first byte of each, so every
 * IPv6 address read "::"). */
Test(core_probes_net, tcp_ipv6_tuple)
{
	struct kd_handle *h = probes_open("tcp_state,tcp_connect_latency");
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET6, SOCK_STREAM, 0), cfd, sfd;
	const struct kd_event *ev;
	struct tuple t;

	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind ::1: %s", strerror(errno));
	cr_assert_eq(listen(lfd, 4), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	t.dport = ntohs(sa.sin6_port);
	cfd = socket(AF_INET6, SOCK_STREAM, 0);
	cr_assert_eq(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sfd = accept(lfd, NULL, NULL);
	cr_assert_geq(sfd, 0);
	sl = sizeof(sa);
	cr_assert_eq(getsockname(cfd, (struct sockaddr *)&sa, &sl), 0);
	t.sport = ntohs(sa.sin6_port);
	close(cfd);
	close(sfd);
	close(lfd);

	for (int i = 0; i < 2; i++) {
		ev = probes_wait(h, core_type(i ? "tcp_connect_latency" : "tcp_state"), PROBES_ANY_TID,
				 has_tuple, &t);
		struct sockaddr_in6 want = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)t.sport),
					     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		core_eq_bytes(ev, "saddr", &want, sizeof(want));
		want.sin6_port = htons((uint16_t)t.dport);
		core_eq_bytes(ev, "daddr", &want, sizeof(want));
		core_eq_u(ev, "family", AF_INET6);
	}
	kd_close(h);
}

Test(core_probes_net, reset_closed_port)
{
	struct kd_handle *h = probes_open("tcp_reset_recv");
	int port = closed_port(SOCK_STREAM), fd;
	struct sockaddr_in sa = loopback(0);
	const struct kd_event *ev;
	struct tuple t;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	t.sport = local_port(fd);
	t.dport = port;
	sa = loopback(port);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	cr_assert_eq(errno, ECONNREFUSED);
	close(fd);
	ev = probes_wait(h, core_type("tcp_reset_recv"), PROBES_ANY_TID, has_tuple, &t);
	check_tuple(ev, &t);
	core_eq_i(ev, "state", 2); /* TCP_SYN_SENT */
	kd_close(h);
}

/* close() with SO_LINGER {1, 0} aborts: an RST from the client, received by the server. */
Test(core_probes_net, reset_abort)
{
	struct kd_handle *h = probes_open("tcp_reset_send,tcp_reset_recv");
	struct linger lg = { 1, 0 };
	int lfd, port, cfd, sfd;
	struct sockaddr_in sa;
	const struct kd_event *ev;
	struct tuple t, back;
	bool sent = false, recvd = false;
	uint64_t deadline;

	lfd = listener(&port);
	sa = loopback(port);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sfd = accept(lfd, NULL, NULL);
	t.sport = local_port(cfd);
	t.dport = port;
	back.sport = port;
	back.dport = t.sport;
	cr_assert_eq(setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(cfd);
	/* the receiver may see it before the sender's trace fires: either order */
	deadline = core_now_ns() + CORE_WAIT_MS * 1000000ull;
	while (!(sent && recvd) && core_now_ns() < deadline) {
		int err = kd_next(h, &ev);

		cr_assert_geq(err, 0);
		if (err)
			continue;
		if (kd_event_type(ev) == core_type("tcp_reset_send") && has_tuple(ev, &t)) {
			check_tuple(ev, &t);
			sent = true;
		} else if (kd_event_type(ev) == core_type("tcp_reset_recv") && has_tuple(ev, &back)) {
			check_tuple(ev, &back);
			core_eq_i(ev, "state", 1); /* TCP_ESTABLISHED */
			recvd = true;
		}
	}
	cr_assert(sent && recvd, "reset sent %d, received %d", sent, recvd);
	close(sfd);
	close(lfd);
	kd_close(h);
}

/* SKB_DROP_REASON_NO_SOCKET from the running kernel's BTF; -1 before 5.17 */
static int no_socket_reason(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id, val = -1;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t); i++)
			if (strcmp(btf__name_by_offset(btf, e[i].name_off), "SKB_DROP_REASON_NO_SOCKET") == 0)
				val = e[i].val;
	}
	btf__free(btf);
	return val;
}

static bool udp_drop(const struct kd_event *ev, const void *arg)
{
	int reason = *(const int *)arg;

	if (core_param(ev, "protocol").u != 0x0800)
		return false;
	if (reason >= 0)
		return core_param(ev, "reason").i == reason;
	return kd_event_tid(ev) == core_tid();
}

Test(core_probes_net, udp_closed_port_drop)
{
	struct kd_handle *h = probes_open("packet_drop");
	int port = closed_port(SOCK_DGRAM), fd, reason = no_socket_reason();
	struct sockaddr_in sa = loopback(port);
	const struct kd_event *ev;
	char buf[64];

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
	close(fd);
	ev = probes_wait(h, core_type("packet_drop"), PROBES_ANY_TID, udp_drop, &reason);
	cr_assert_neq(core_param(ev, "location").u, 0);
	kd_event_param_format(ev, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ETH_P_IP");
	/* the name this kernel gives the reason; none where there are no reasons */
	if (reason >= 0)
		core_eq_str(ev, "reason_name", "NO_SOCKET");
	else
		core_eq_null(ev, "reason_name");
	kd_close(h);
}
