/* lib/enrich/sockets.c: socket fds: family, protocol, both ends and role, from
 * socket/connect/accept/bind/listen/sendto/recvfrom, with the kernel asked once
 * for what no event says (the local end of a connected socket). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "enrich.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int kd__sockaddr_parse(const void *sa, size_t len, struct kd__addr *a, char *path, size_t pathlen)
{
	uint16_t fam;

	memset(a, 0, sizeof(*a));
	if (path && pathlen)
		path[0] = '\0';
	if (!sa || len < sizeof(fam))
		return 0;
	memcpy(&fam, sa, sizeof(fam));
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;

		memcpy(&in, sa, sizeof(in));
		memcpy(a->ip, &in.sin_addr, 4);
		a->port = ntohs(in.sin_port);
		a->set = a->has_port = 1;
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;

		memcpy(&in6, sa, sizeof(in6));
		memcpy(a->ip, &in6.sin6_addr, 16);
		a->port = ntohs(in6.sin6_port);
		a->set = a->has_port = 1;
	} else if (fam == AF_UNIX) {
		size_t off = offsetof(struct sockaddr_un, sun_path), n = len > off ? len - off : 0;
		const char *p = (const char *)sa + off;

		if (path && pathlen) {
			if (n && p[0] == '\0') { /* abstract: shown as "@name" */
				n = n - 1 < pathlen - 2 ? n - 1 : pathlen - 2;
				path[0] = '@';
				memcpy(path + 1, p + 1, n);
				path[n + 1] = '\0';
			} else {
				n = strnlen(p, n);
				n = n < pathlen - 1 ? n : pathlen - 1;
				memcpy(path, p, n);
				path[n] = '\0';
			}
		}
		a->set = 1;
	} else if (fam != AF_UNSPEC) {
		return fam;
	}
	return fam;
}

void kd__sock_set_proto(struct kd_fd *f, int family, int type, int proto)
{
	int st = type & 0xf;

	f->family = (uint16_t)family;
	f->sotype = (uint8_t)st;
	switch (family) {
	case AF_INET:
		f->type = KD_FD_IPV4;
		break;
	case AF_INET6:
		f->type = KD_FD_IPV6;
		break;
	case AF_UNIX:
		f->type = KD_FD_UNIX;
		break;
	case AF_NETLINK:
		f->type = KD_FD_NETLINK;
		break;
	default:
		f->type = KD_FD_SOCKET;
		break;
	}
	if ((family == AF_INET || family == AF_INET6) && !proto)
		proto = st == SOCK_STREAM ? IPPROTO_TCP : st == SOCK_DGRAM ? IPPROTO_UDP : 0;
	f->proto = (uint16_t)proto;
}

static bool addr_eq(const struct kd__addr *a, const struct kd__addr *b, int family)
{
	size_t n = family == AF_INET ? 4 : 16;

	return a->port == b->port && memcmp(a->ip, b->ip, n) == 0;
}

static bool addr_unspecified(const struct kd__addr *a, int family)
{
	static const uint8_t zero[16];

	return !a->set || memcmp(a->ip, zero, family == AF_INET ? 4 : 16) == 0;
}

/* Borrow the socket from its process (pidfd_getfd) and ask it. With verify,
 * a socket whose peer is not f's peer is some later fd with the same
 * number: leave f alone. */
static bool probe(uint32_t pid, struct kd_fd *f, bool fill_type, bool verify)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct kd__addr loc, rem;
	char path[108], rpath[108];
	int pfd, sfd, v, fam = 0, st = 0, pr = 0, acc = 0;
	bool ok = false;

	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return false;
	sfd = (int)syscall(SYS_pidfd_getfd, pfd, f->num, 0);
	close(pfd);
	if (sfd < 0)
		return false;
	sl = sizeof(v);
	if (getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &v, &sl) == 0)
		fam = v;
	sl = sizeof(v);
	if (getsockopt(sfd, SOL_SOCKET, SO_TYPE, &v, &sl) == 0)
		st = v;
	sl = sizeof(v);
	if (getsockopt(sfd, SOL_SOCKET, SO_PROTOCOL, &v, &sl) == 0)
		pr = v;
	sl = sizeof(v);
	if (getsockopt(sfd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) == 0)
		acc = v;
	if (!fam || (!fill_type && fam != f->family))
		goto out;
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(sfd, (struct sockaddr *)&ss, &sl) == 0)
		kd__sockaddr_parse(&ss, sl, &rem, rpath, sizeof(rpath));
	else
		memset(&rem, 0, sizeof(rem)), rpath[0] = '\0';
	if (verify && f->remote.set && fam != AF_UNIX && (!rem.set || !addr_eq(&rem, &f->remote, fam)))
		goto out;
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(sfd, (struct sockaddr *)&ss, &sl) == 0)
		kd__sockaddr_parse(&ss, sl, &loc, path, sizeof(path));
	else
		memset(&loc, 0, sizeof(loc)), path[0] = '\0';
	if (fill_type) {
		kd__sock_set_proto(f, fam, st, pr);
		if (acc)
			f->role = KD_FD_ROLE_SERVER;
		if (rem.set)
			f->remote = rem;
	}
	if (loc.set && fam != AF_UNIX)
		f->local = loc;
	if (rem.set && !f->remote.set && fam != AF_UNIX)
		f->remote = rem; /* accept() without an address buffer */
	if (fam == AF_UNIX && fill_type && !f->path) {
		const char *pp = path[0] ? path : rpath;

		f->path = pp[0] ? strdup(pp) : NULL;
	}
	ok = true;
out:
	close(sfd);
	return ok;
}

bool kd__sock_probe(struct kd__enrich *e, uint32_t pid, struct kd_fd *f)
{
	bool ok = probe(pid, f, true, false);

	if (ok && f->path)
		e->bytes += strlen(f->path) + 1;
	return ok;
}

/* Without pidfd_getfd (old kernel, ptrace denied): the socket's inode in
 * /proc/<pid>/net, checked against the peer f already has. */
static void procnet_local(uint32_t pid, struct kd_fd *f)
{
	const struct kd__netsock *n;
	struct kd__netmap *m;
	char path[64], target[64];
	unsigned long long ino;
	ssize_t k;

	snprintf(path, sizeof(path), "/proc/%u/fd/%d", pid, f->num);
	k = readlink(path, target, sizeof(target) - 1);
	if (k <= 0)
		return;
	target[k] = '\0';
	if (sscanf(target, "socket:[%llu]", &ino) != 1)
		return;
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	kd__netmap_load(m, pid);
	n = kd__netmap_find(m, ino);
	if (n && n->family == f->family &&
	    (!f->remote.set || (n->remote.set && addr_eq(&n->remote, &f->remote, f->family)))) {
		f->local = n->local;
		if (!f->remote.set)
			f->remote = n->remote;
	}
	kd__netmap_free(m);
	free(m);
}

void kd__sock_resolve_local(struct kd__enrich *e, struct kd__proc *p, struct kd_fd *f)
{
	if (!e->live || (f->state & KD__FD_LOCAL_TRIED) || (f->type != KD_FD_IPV4 && f->type != KD_FD_IPV6))
		return;
	if (!kd__enrich_may_lookup(e))
		return;
	f->state |= KD__FD_LOCAL_TRIED;
	e->lookups++;
	if (!probe(p->pid, f, false, true))
		procnet_local(p->pid, f);
}


static bool is_inet(const struct kd_fd *f)
{
	return f->type == KD_FD_IPV4 || f->type == KD_FD_IPV6;
}

/* The address in param i into a; AF_UNIX paths into f->path if it has none. */
static int param_addr(struct kd__enrich *e, const struct kd_event *ev, unsigned i, struct kd_fd *f,
		      struct kd__addr *a, bool set_path)
{
	const void *sa;
	size_t n;
	char path[110];
	int fam;

	if (!kd__ev_bytes(ev, i, &sa, &n))
		return -1;
	fam = kd__sockaddr_parse(sa, n, a, path, sizeof(path));
	if (fam == AF_UNIX && f && set_path && path[0] && !f->path)
		kd__str_set(e, &f->path, path, strlen(path));
	return fam;
}

/* Where a send's or receive's address param is: sendto/recvfrom's 5th,
 * sendmsg/recvmsg's 4th (msg_name, schema 4), sendmmsg's 5th and recvmmsg's
 * 6th (their first message's, schema 5). */
static unsigned addr_param(int type)
{
	switch (type) {
	case KD_EV_SENDMSG:
	case KD_EV_RECVMSG:
		return 3;
	case KD_EV_RECVMMSG:
		return 5;
	default:
		return 4;
	}
}

/* The "tuple" param (schema 2+): the socket as the kernel had it at exit. */
static bool ev_tuple(const struct kd_event *ev, struct kd_sock_tuple *t)
{
	struct kd_value v;

	if (kd_event_param_by_name(ev, "tuple", &v) != 0 || !(v.flags & KD_VAL_BYTES) ||
	    v.len < sizeof(*t))
		return false;
	memcpy(t, v.ptr, sizeof(*t));
	return t->family != AF_UNSPEC;
}

static void tuple_end(struct kd__addr *a, const uint8_t *ip, uint16_t port, int family)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->ip, ip, family == AF_INET ? 4 : 16);
	a->port = port;
	a->set = 1;
	a->has_port = port != 0;
}

/* Fill f from the kernel's view of ev's socket: it is authoritative, so
 * nothing needs asking later. An end the kernel does not have yet (no peer
 * while listening, no address before bind) keeps what the params said.
 * True when f is an IP socket whose tuple was applied. */
static bool apply_tuple(const struct kd_event *ev, struct kd_fd *f)
{
	static const uint8_t zero[16];
	struct kd_sock_tuple t;
	size_t n;

	if (!ev_tuple(ev, &t))
		return false;
	kd__sock_set_proto(f, t.family, t.type, t.proto);
	if (t.family != AF_INET && t.family != AF_INET6)
		return false;
	n = t.family == AF_INET ? 4 : 16;
	if (t.sport || memcmp(t.saddr, zero, n) != 0)
		tuple_end(&f->local, t.saddr, t.sport, t.family);
	if (t.dport || memcmp(t.daddr, zero, n) != 0)
		tuple_end(&f->remote, t.daddr, t.dport, t.family);
	f->state |= KD__FD_LOCAL_TRIED;
	return true;
}

/* f for fd num of p. When the table lacks it: a socket made from ev's tuple
 * if it has one (the process may be gone already), else read from /proc
 * (live only, rate-limited). */
static struct kd_fd *sock_fd(struct kd__enrich *e, struct kd__proc *p, int64_t num,
			     const struct kd_event *ev)
{
	struct kd_fd *f = kd__fd_find(p, (int32_t)num);
	struct kd_sock_tuple t;

	if (f)
		return f;
	if (ev && ev_tuple(ev, &t)) {
		f = kd__fd_add(e, p, (int32_t)num, KD_FD_SOCKET);
		if (f) {
			kd__sock_set_proto(f, t.family, t.type, t.proto);
			f->flags = O_RDWR;
		}
		return f;
	}
	if (!e->live || !kd__enrich_may_lookup(e))
		return NULL;
	e->lookups++;
	return kd__proc_read_fd(e, p, (int32_t)num);
}

/* kd__fd_event() calls this for the types its switch names only: a case
 * added here is named there too. */
void kd__sock_event(struct kd__enrich *e, struct kd__proc *p, const struct kd_event *ev)
{
	int64_t r = ev->hdr->res, fd = -1, a = 0, b = 0, c = 0;
	struct kd_fd *f, *lf, snap;
	struct kd__addr addr;
	bool send;
	int fam;

	switch (ev->hdr->type) {
	case KD_EV_SOCKET:
		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 1, &b);
		kd__ev_int(ev, 2, &c);
		f = kd__fd_add(e, p, (int32_t)r, KD_FD_SOCKET);
		if (!f)
			return;
		kd__sock_set_proto(f, (int)a, (int)b, (int)c);
		if (b & SOCK_CLOEXEC) {
			f->state |= KD__FD_CLOEXEC;
			f->flags |= O_CLOEXEC;
		}
		if (b & SOCK_NONBLOCK)
			f->flags |= O_NONBLOCK;
		f->flags |= O_RDWR;
		break;
	case KD_EV_CONNECT:
		if (r < 0 && r != -EINPROGRESS)
			return;
		kd__ev_int(ev, 0, &fd);
		f = sock_fd(e, p, fd, ev);
		if (!f)
			return;
		fam = param_addr(e, ev, 1, f, &addr, true);
		if (fam == AF_UNSPEC) { /* a datagram socket's disconnect */
			memset(&f->remote, 0, sizeof(f->remote));
			return;
		}
		if (fam <= 0)
			return;
		f->remote = addr;
		if (f->role == KD_FD_ROLE_NONE)
			f->role = KD_FD_ROLE_CLIENT;
		if (!apply_tuple(ev, f) && is_inet(f) && (!f->local.set || !f->local.port))
			kd__sock_resolve_local(e, p, f);
		break;
	case KD_EV_ACCEPT:
	case KD_EV_ACCEPT4:
		kd__ev_int(ev, 0, &fd);
		kd__ev_int(ev, 3, &c);
		lf = sock_fd(e, p, fd, NULL);
		if (lf) {
			lf->role = KD_FD_ROLE_SERVER;
			snap = *lf;
		}
		f = kd__fd_add(e, p, (int32_t)r, KD_FD_SOCKET);
		if (!f)
			return;
		if (lf) { /* lf may have been evicted by the add: use the copy */
			f->type = snap.type;
			f->family = snap.family;
			f->sotype = snap.sotype;
			f->proto = snap.proto;
			f->local = snap.local;
			if (snap.type == KD_FD_UNIX && (lf = kd__fd_find(p, (int32_t)fd)) && lf->path)
				kd__str_set(e, &f->path, lf->path, strlen(lf->path));
		}
		f->role = KD_FD_ROLE_SERVER;
		f->flags = O_RDWR;
		if (kd_event_type(ev) == KD_EV_ACCEPT4 && (c & SOCK_CLOEXEC)) {
			f->state |= KD__FD_CLOEXEC;
			f->flags |= O_CLOEXEC;
		}
		fam = param_addr(e, ev, 1, NULL, &addr, false);
		if (fam == AF_INET || fam == AF_INET6) {
			if (!f->family)
				kd__sock_set_proto(f, fam, SOCK_STREAM, 0);
			f->remote = addr;
		}
		if (!apply_tuple(ev, f) && is_inet(f) &&
		    (addr_unspecified(&f->local, f->family) || !f->remote.set))
			kd__sock_resolve_local(e, p, f);
		break;
	case KD_EV_BIND:
		if (r < 0)
			return;
		kd__ev_int(ev, 0, &fd);
		f = sock_fd(e, p, fd, ev);
		if (!f)
			return;
		fam = param_addr(e, ev, 1, f, &addr, true);
		if (fam == AF_INET || fam == AF_INET6) {
			f->local = addr;
			if (!addr.port) /* ephemeral: the kernel picks it; ask at listen/connect */
				f->local.has_port = 0;
		}
		apply_tuple(ev, f); /* the port the kernel picked */
		break;
	case KD_EV_LISTEN:
		if (r < 0)
			return;
		kd__ev_int(ev, 0, &fd);
		f = sock_fd(e, p, fd, ev);
		if (!f)
			return;
		f->role = KD_FD_ROLE_SERVER;
		if (!apply_tuple(ev, f) && is_inet(f) && (!f->local.set || !f->local.has_port)) {
			f->state &= ~KD__FD_LOCAL_TRIED;
			kd__sock_resolve_local(e, p, f);
		}
		break;
	case KD_EV_SENDTO:
	case KD_EV_RECVFROM:
	case KD_EV_SENDMSG:
	case KD_EV_RECVMSG:
	case KD_EV_SENDMMSG:
	case KD_EV_RECVMMSG:
		if (r < 0)
			return;
		kd__ev_int(ev, 0, &fd);
		f = sock_fd(e, p, fd, ev);
		if (!f)
			return;
		send = ev->hdr->type == KD_EV_SENDTO || ev->hdr->type == KD_EV_SENDMSG ||
		       ev->hdr->type == KD_EV_SENDMMSG;
		fam = param_addr(e, ev, addr_param(ev->hdr->type), f, &addr, false);
		if ((fam == AF_INET || fam == AF_INET6) && (f->sotype != SOCK_STREAM || !f->remote.set)) {
			f->remote = addr;
			if (f->role == KD_FD_ROLE_NONE)
				f->role = send ? KD_FD_ROLE_CLIENT : KD_FD_ROLE_SERVER;
		}
		/* the first send binds a port: the tuple (sendto, sendmsg, schema
		 * 4) has it, else ask the system */
		if (!apply_tuple(ev, f) && is_inet(f) && (!f->local.set || !f->local.port))
			kd__sock_resolve_local(e, p, f);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ public accessors */

int kd_fd_sock_family(const struct kd_fd *f)
{
	return f ? f->family : 0;
}

int kd_fd_sock_type(const struct kd_fd *f)
{
	return f ? f->sotype : 0;
}

int kd_fd_proto(const struct kd_fd *f)
{
	return f ? f->proto : 0;
}

const char *kd_fd_proto_name(const struct kd_fd *f)
{
	if (!f)
		return "";
	switch (f->proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_RAW:
		return "raw";
	case IPPROTO_UDPLITE:
		return "udplite";
	default:
		return "";
	}
}

int kd_fd_role(const struct kd_fd *f)
{
	return f ? f->role : KD_FD_ROLE_NONE;
}

static int addr_str(const struct kd_fd *f, const struct kd__addr *a, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!f || !buf)
		return -EINVAL;
	if (f->type == KD_FD_UNIX) {
		if (!f->path)
			return -ENOENT;
		return snprintf(buf, len, "%s", f->path);
	}
	if (!a->set || (f->family != AF_INET && f->family != AF_INET6))
		return -ENOENT;
	if (!inet_ntop(f->family, a->ip, s, sizeof(s)))
		return -ENOENT;
	return snprintf(buf, len, "%s", s);
}

int kd_fd_local_addr(const struct kd_fd *f, char *buf, size_t len)
{
	return f ? addr_str(f, &f->local, buf, len) : -EINVAL;
}

int kd_fd_remote_addr(const struct kd_fd *f, char *buf, size_t len)
{
	return f ? addr_str(f, &f->remote, buf, len) : -EINVAL;
}

int kd_fd_local_port(const struct kd_fd *f)
{
	if (!f)
		return -EINVAL;
	return is_inet(f) && f->local.set && f->local.has_port ? f->local.port : -ENOENT;
}

int kd_fd_remote_port(const struct kd_fd *f)
{
	if (!f)
		return -EINVAL;
	return is_inet(f) && f->remote.set && f->remote.has_port ? f->remote.port : -ENOENT;
}

int kd_fd_sockaddr(const struct kd_fd *f, bool remote, void *sa, size_t len)
{
	const struct kd__addr *a;

	if (!f || !sa)
		return -EINVAL;
	a = remote ? &f->remote : &f->local;
	if (!is_inet(f) || !a->set)
		return -ENOENT;
	if (f->family == AF_INET) {
		struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(a->port) };

		if (len < sizeof(in))
			return -ENOSPC;
		memcpy(&in.sin_addr, a->ip, 4);
		memcpy(sa, &in, sizeof(in));
		return (int)sizeof(in);
	} else {
		struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(a->port) };

		if (len < sizeof(in6))
			return -ENOSPC;
		memcpy(&in6.sin6_addr, a->ip, 16);
		memcpy(sa, &in6, sizeof(in6));
		return (int)sizeof(in6);
	}
}

static int end_str(const struct kd_fd *f, const struct kd__addr *a, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!a->set || !inet_ntop(f->family, a->ip, s, sizeof(s)))
		return snprintf(buf, len, "?");
	if (!a->has_port)
		return snprintf(buf, len, f->family == AF_INET6 ? "[%s]" : "%s", s);
	return snprintf(buf, len, f->family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, a->port);
}

int kd_fd_format(const struct kd_fd *f, char *buf, size_t len)
{
	char x[64], y[64];
	const char *tn, *pn;

	if (!f || (!buf && len))
		return -EINVAL;
	tn = kd_fd_type_name(f->type);
	if (is_inet(f)) {
		const struct kd__addr *from = &f->local, *to = &f->remote;

		pn = kd_fd_proto_name(f);
		if (!pn[0])
			pn = tn;
		if (!f->local.set && !f->remote.set)
			return snprintf(buf, len, "%s", pn);
		if (!f->remote.set) {
			end_str(f, &f->local, x, sizeof(x));
			return snprintf(buf, len, "%s:%s", pn, x);
		}
		if (f->role == KD_FD_ROLE_SERVER) /* client->server */
			from = &f->remote, to = &f->local;
		end_str(f, from, x, sizeof(x));
		end_str(f, to, y, sizeof(y));
		return snprintf(buf, len, "%s:%s->%s", pn, x, y);
	}
	if (f->path)
		return snprintf(buf, len, "%s:%s", tn, f->path);
	return snprintf(buf, len, "%s", tn);
}
