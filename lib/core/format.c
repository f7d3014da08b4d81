/* lib/core/format.c: params and results as strace shows them. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

/* snprintf-like sink: counts everything, stores what fits. */
struct out {
	char *buf;
	size_t len;
	size_t n;
};

static void put(struct out *o, const char *s, size_t k)
{
	if (o->n < o->len) {
		size_t room = o->len - o->n;

		memcpy(o->buf + o->n, s, k < room ? k : room);
	}
	o->n += k;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, ...) KD__PRINTF(2, 3);
static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k > 0)
		put(o, tmp, (size_t)k < sizeof(tmp) ? (size_t)k : sizeof(tmp) - 1);
}

/* Integers without vsnprintf: most of what a line costs went there. */
static void put_u64(struct out *o, uint64_t v)
{
	char tmp[20], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0)
		put(o, "-", 1);
	put_u64(o, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* as "%#" PRIx64: 0x1f, and 0 alone */
static void put_hex(struct out *o, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[18], *p = tmp + sizeof(tmp);

	if (!v) {
		put(o, "0", 1);
		return;
	}
	for (; v; v >>= 4)
		*--p = hex[v & 15];
	*--p = 'x';
	*--p = '0';
	put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int finish(struct out *o)
{
	if (o->len)
		o->buf[o->n < o->len ? o->n : o->len - 1] = '\0';
	return o->n > INT32_MAX ? INT32_MAX : (int)o->n;
}

static void put_escaped(struct out *o, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[256]; /* built in chunks: put() per byte was most of a line */
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		char e = 0;

		if (k > sizeof(tmp) - 4) {
			put(o, tmp, k);
			k = 0;
		}
		switch (c) {
		case '\n': e = 'n'; break;
		case '\t': e = 't'; break;
		case '\r': e = 'r'; break;
		case '\\': e = '\\'; break;
		case '"': e = '"'; break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				tmp[k++] = '\\';
				tmp[k++] = 'x';
				tmp[k++] = hex[c >> 4];
				tmp[k++] = hex[c & 15];
			} else {
				tmp[k++] = (char)c;
			}
			continue;
		}
		tmp[k++] = '\\';
		tmp[k++] = e;
	}
	put(o, tmp, k);
}

static void put_quoted(struct out *o, const uint8_t *s, size_t n, bool cut)
{
	put(o, "\"", 1);
	put_escaped(o, s, n);
	put(o, "\"", 1);
	if (cut)
		put(o, "...", 3);
}

/* A byte kind too short for its struct: show what is there. */
static void put_hexbytes(struct out *o, const uint8_t *s, size_t n)
{
	size_t i;

	put(o, "<", 1);
	for (i = 0; i < n; i++)
		putf(o, "%02x", s[i]);
	put(o, ">", 1);
}

static int64_t le64(const uint8_t *p)
{
	int64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int32_t le32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_signal(struct out *o, int64_t sig)
{
	const char *n = sig >= 0 && sig <= INT32_MAX ? kd_signal_name((int)sig) : NULL;

	if (n)
		puts_(o, n);
	else
		putf(o, "%" PRId64, sig);
}

/* A wait status as <sys/wait.h> encodes it: exited(3), killed(SIGKILL),
 * killed(SIGSEGV, core dumped), stopped(SIGSTOP), continued. */
static void put_wstatus(struct out *o, uint32_t s)
{
	if (s == 0xffff) {
		puts_(o, "continued");
	} else if ((s & 0xff) == 0x7f) {
		puts_(o, "stopped(");
		put_signal(o, (s >> 8) & 0xff);
		puts_(o, ")");
	} else if ((s & 0x7f) == 0) {
		putf(o, "exited(%u)", (s >> 8) & 0xff);
	} else {
		puts_(o, "killed(");
		put_signal(o, s & 0x7f);
		puts_(o, s & 0x80 ? ", core dumped)" : ")");
	}
}

/* sockaddr bytes as captured: every read is checked against n. */
static void put_sockaddr(struct out *o, const uint8_t *s, size_t n)
{
	char addr[INET6_ADDRSTRLEN];
	uint16_t fam, port;
	const char *name;
	int set;

	if (n < 2) {
		put_hexbytes(o, s, n);
		return;
	}
	memcpy(&fam, s, 2);
	switch (fam) {
	case AF_INET:
		if (n < 8)
			break;
		memcpy(&port, s + 2, 2);
		putf(o, "%u.%u.%u.%u:%u", s[4], s[5], s[6], s[7], ntohs(port));
		return;
	case AF_INET6:
		if (n < 24 || !inet_ntop(AF_INET6, s + 8, addr, sizeof(addr)))
			break;
		memcpy(&port, s + 2, 2);
		putf(o, "[%s]:%u", addr, ntohs(port));
		return;
	case AF_UNIX:
		if (n == 2)
			break; /* unnamed socket */
		if (s[2] == '\0') { /* abstract: exact length, NULs allowed */
			put(o, "@", 1);
			put_escaped(o, s + 3, n - 3);
		} else {
			const uint8_t *end = memchr(s + 2, '\0', n - 2);

			put_escaped(o, s + 2, end ? (size_t)(end - (s + 2)) : n - 2);
		}
		return;
	default:
		break;
	}
	if ((fam == AF_INET || fam == AF_INET6) && n > 2) {
		put_hexbytes(o, s, n);
		return;
	}
	set = kd__set_by_name("socket_family");
	name = set > 0 ? kd__set_lookup(set, fam) : NULL;
	if (name)
		putf(o, "{family=%s}", name);
	else
		putf(o, "{family=%u}", fam);
}

_Static_assert(sizeof(struct kd_sock_tuple) == KD_SOCKTUPLE_SIZE &&
		       sizeof(struct kd_socktuple) == KD_SOCKTUPLE_SIZE &&
		       offsetof(struct kd_sock_tuple, saddr) == offsetof(struct kd_socktuple, saddr),
	       "kindling.h and record.h agree on the socket tuple");

static void put_tuple_end(struct out *o, int fam, const uint8_t *ip, uint16_t port)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(fam, ip, addr, sizeof(addr)))
		strcpy(addr, "?");
	putf(o, fam == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, port);
}

/* "tcp:127.0.0.1:41234->127.0.0.1:8080" (local->remote), "tcp:0.0.0.0:8080"
 * while unconnected; other families by name. */
static void put_socktuple(struct out *o, const uint8_t *s)
{
	static const uint8_t zero[16];
	struct kd_sock_tuple t;
	const char *name;
	int set;

	memcpy(&t, s, sizeof(t));
	if (t.family != AF_INET && t.family != AF_INET6) {
		set = kd__set_by_name("socket_family");
		name = set > 0 ? kd__set_lookup(set, t.family) : NULL;
		if (name)
			putf(o, "{family=%s, type=%u}", name, t.type);
		else
			putf(o, "{family=%u, type=%u}", t.family, t.type);
		return;
	}
	name = t.proto == IPPROTO_TCP ? "tcp" : t.proto == IPPROTO_UDP ? "udp" : NULL;
	if (name)
		putf(o, "%s:", name);
	else
		putf(o, "%s/%u:", t.family == AF_INET ? "ipv4" : "ipv6", t.proto);
	put_tuple_end(o, t.family, t.saddr, t.sport);
	if (t.dport || memcmp(t.daddr, zero, t.family == AF_INET ? 4 : 16) != 0) {
		puts_(o, "->");
		put_tuple_end(o, t.family, t.daddr, t.dport);
	}
}

static void put_argv(struct out *o, const uint8_t *s, size_t n, bool cut)
{
	size_t i = 0;

	put(o, "[", 1);
	while (i < n) {
		const uint8_t *end = memchr(s + i, '\0', n - i);
		size_t k = end ? (size_t)(end - (s + i)) : n - i;

		if (i)
			put(o, ", ", 2);
		put_quoted(o, s + i, k, false);
		i += k + 1;
	}
	if (cut)
		put(o, n ? ", ..." : "...", n ? 5 : 3);
	put(o, "]", 1);
}

static void put_time(struct out *o, const uint8_t *s, const char *sub)
{
	putf(o, "{tv_sec=%" PRId64 ", %s=%" PRId64 "}", le64(s), sub, le64(s + 8));
}

static void put_rlim(struct out *o, uint64_t v)
{
	if (v == UINT64_MAX)
		puts_(o, "RLIM_INFINITY");
	else
		putf(o, "%" PRIu64, v);
}

/* [SIGINT SIGTERM]; a set of more than half the signals as the ones it
 * leaves out, ~[32 33] (strace's way: a handler blocking all but glibc's
 * own two reads at a glance) */
static void put_sigset(struct out *o, uint64_t mask)
{
	bool first = true;
	int b;

	if (__builtin_popcountll(mask) > 32) {
		put(o, "~", 1);
		mask = ~mask;
	}
	put(o, "[", 1);
	for (b = 0; b < 64; b++) {
		if (!(mask & (1ull << b)))
			continue;
		if (!first)
			put(o, " ", 1);
		put_signal(o, b + 1);
		first = false;
	}
	put(o, "]", 1);
}

static void put_set(struct out *o, unsigned set, uint64_t v);

/* The kernel's struct sigaction: {handler=SIG_IGN, flags=SA_RESTART, mask=[SIGINT]}. */
static void put_sigaction(struct out *o, unsigned set, const uint8_t *s)
{
	uint64_t handler = (uint64_t)le64(s), flags = (uint64_t)le64(s + 8);

	if (handler <= 1)
		putf(o, "{handler=%s", handler ? "SIG_IGN" : "SIG_DFL");
	else
		putf(o, "{handler=%#" PRIx64, handler);
	puts_(o, ", flags=");
	if (set)
		put_set(o, set, flags);
	else
		putf(o, "%#" PRIx64, flags);
	puts_(o, ", mask=");
	put_sigset(o, (uint64_t)le64(s + 24));
	puts_(o, "}");
}

/* openat2's struct open_how: {flags=O_RDWR|O_CREAT, mode=0640, resolve=RESOLVE_BENEATH}. */
static void put_openhow(struct out *o, unsigned set, const uint8_t *s)
{
	int resolve = kd__set_by_name("resolve_flags");

	puts_(o, "{flags=");
	if (set)
		put_set(o, set, (uint64_t)le64(s));
	else
		putf(o, "%#" PRIx64, (uint64_t)le64(s));
	putf(o, ", mode=%#03" PRIo64 ", resolve=", (uint64_t)le64(s + 8));
	if (resolve > 0)
		put_set(o, (unsigned)resolve, (uint64_t)le64(s + 16));
	else
		putf(o, "%#" PRIx64, (uint64_t)le64(s + 16));
	puts_(o, "}");
}

/* fcntl's struct flock: {type=F_WRLCK, whence=SEEK_SET, start=0, len=0}, and
 * pid= when the kernel wrote it (answered: a GETLK that found a lock); what
 * a request holds there is whatever the caller left. */
static void put_flock(struct out *o, unsigned set, const uint8_t *s, bool answered)
{
	int whence = kd__set_by_name("lseek_whence");
	int16_t type, wh;

	memcpy(&type, s, 2);
	memcpy(&wh, s + 2, 2);
	puts_(o, "{type=");
	if (set)
		put_set(o, set, (uint64_t)(uint16_t)type);
	else
		putf(o, "%d", type);
	puts_(o, ", whence=");
	if (whence > 0)
		put_set(o, (unsigned)whence, (uint64_t)(uint16_t)wh);
	else
		putf(o, "%d", wh);
	putf(o, ", start=%" PRId64 ", len=%" PRId64, le64(s + 8), le64(s + 16));
	if (answered)
		putf(o, ", pid=%" PRId32, le32(s + 24));
	puts_(o, "}");
}

/* waitid's info: {code=CLD_EXITED, pid=42, uid=0, status=3}, the status a
 * signal for the codes that carry one. */
static void put_chldinfo(struct out *o, unsigned set, const uint8_t *s)
{
	int32_t code = le32(s + 8), st = le32(s + 24);
	const char *name = set ? kd__set_lookup((uint16_t)set, (uint32_t)code) : NULL;

	if (name)
		putf(o, "{code=%s", name);
	else
		putf(o, "{code=%" PRId32, code);
	putf(o, ", pid=%" PRId32 ", uid=%" PRIu32 ", status=", le32(s + 16), (uint32_t)le32(s + 20));
	if (code >= 2 && code <= 5) /* killed, dumped, trapped, stopped */
		put_signal(o, st);
	else
		putf(o, "%" PRId32, st);
	puts_(o, "}");
}

/* "S_IFREG|0644": the file type by name, the other bits in octal. */
static void put_file_mode(struct out *o, uint32_t mode)
{
	int set = kd__set_by_name("s_ifmt");
	const char *type = set > 0 ? kd__set_lookup((uint16_t)set, mode & 0170000) : NULL;

	if (type)
		putf(o, "%s|%#04" PRIo32, type, mode & 07777);
	else
		putf(o, "%#" PRIo32, mode);
}

/* major:minor of a dev_t as stat(2) encodes it (glibc's major()/minor()) */
static void put_dev(struct out *o, uint64_t d)
{
	putf(o, "%" PRIu64 ":%" PRIu64, (d >> 8 & 0xfff) | (d >> 32 & 0xfffff000u),
	     (d & 0xff) | (d >> 12 & 0xffffff00u));
}

/* The stat family's stat and statx's, one form: {dev=8:1, ino=12, mode=S_IFREG|0644,
 * nlink=1, uid=0, gid=0, size=5, blocks=8, mtime=1700000000.123456789}; a
 * device file gains rdev. */
static void put_stat(struct out *o, const struct kd_value *v)
{
	struct kd_stat st;
	uint32_t type;

	if (kd_value_stat(v, &st) < 0) {
		put_hexbytes(o, v->ptr, v->len);
		return;
	}
	type = st.mode & 0170000;
	puts_(o, "{dev=");
	put_dev(o, st.dev);
	putf(o, ", ino=%" PRIu64 ", mode=", st.ino);
	put_file_mode(o, st.mode);
	putf(o, ", nlink=%" PRIu64 ", uid=%" PRIu32 ", gid=%" PRIu32, st.nlink, st.uid, st.gid);
	if (type == 0020000 || type == 0060000) {
		puts_(o, ", rdev=");
		put_dev(o, st.rdev);
	}
	putf(o, ", size=%" PRId64 ", blocks=%" PRId64 ", mtime=%" PRId64 ".%09" PRIu32 "}", st.size,
	     st.blocks, st.mtime_sec, st.mtime_nsec);
}

/* Fixed-size struct kinds: bytes needed, 0 for the others. */
static size_t struct_size(int kind)
{
	switch (kind) {
	case KD_PK_TIMESPEC:
	case KD_PK_TIMEVAL:
	case KD_PK_RLIMIT:
		return 16;
	case KD_PK_ITIMERSPEC:
	case KD_PK_ITIMERVAL:
		return 32;
	case KD_PK_FDPAIR:
	case KD_PK_SIGSET:
		return 8;
	case KD_PK_WSTATUS:
		return 4;
	case KD_PK_SIGACTION:
	case KD_PK_CHLDINFO:
	case KD_PK_FLOCK:
		return 32;
	case KD_PK_OPENHOW:
		return 24;
	case KD_PK_STAT:
		return 120;
	case KD_PK_STATX:
		return 144;
	case KD_PK_SOCKTUPLE:
		return KD_SOCKTUPLE_SIZE;
	default:
		return 0;
	}
}

/* v with its row's flag set (0: none), for the structs that hold flags */
static void put_bytes_kind(struct out *o, unsigned set, const struct kd_value *v)
{
	const uint8_t *s = v->ptr;
	bool cut = v->flags & KD_VAL_TRUNCATED;
	size_t need = struct_size(v->kind);

	if (v->flags & KD_VAL_NULL) {
		puts_(o, "NULL");
		return;
	}
	if (need && v->len < need) {
		put_hexbytes(o, s, v->len);
		return;
	}
	switch (v->kind) {
	case KD_PK_PATH:
	case KD_PK_STR:
	case KD_PK_BUF:
	case KD_PK_IOVEC:
		put_quoted(o, s, v->len, cut);
		break;
	case KD_PK_SOCKADDR:
		put_sockaddr(o, s, v->len);
		break;
	case KD_PK_ARGV:
		put_argv(o, s, v->len, cut);
		break;
	case KD_PK_TIMESPEC:
		put_time(o, s, "tv_nsec");
		break;
	case KD_PK_TIMEVAL:
		put_time(o, s, "tv_usec");
		break;
	case KD_PK_ITIMERSPEC:
	case KD_PK_ITIMERVAL: {
		const char *sub = v->kind == KD_PK_ITIMERSPEC ? "tv_nsec" : "tv_usec";

		puts_(o, "{it_interval=");
		put_time(o, s, sub);
		puts_(o, ", it_value=");
		put_time(o, s + 16, sub);
		puts_(o, "}");
		break;
	}
	case KD_PK_FDPAIR:
		putf(o, "[%" PRId32 ", %" PRId32 "]", le32(s), le32(s + 4));
		break;
	case KD_PK_SIGSET:
		put_sigset(o, (uint64_t)le64(s));
		break;
	case KD_PK_SOCKTUPLE:
		put_socktuple(o, s);
		break;
	case KD_PK_WSTATUS:
		put_wstatus(o, (uint32_t)le32(s));
		break;
	case KD_PK_SIGACTION:
		put_sigaction(o, set, s);
		break;
	case KD_PK_CHLDINFO:
		put_chldinfo(o, set, s);
		break;
	case KD_PK_OPENHOW:
		put_openhow(o, set, s);
		break;
	case KD_PK_STAT:
	case KD_PK_STATX:
		put_stat(o, v);
		break;
	case KD_PK_RLIMIT:
		puts_(o, "{cur=");
		put_rlim(o, (uint64_t)le64(s));
		puts_(o, ", max=");
		put_rlim(o, (uint64_t)le64(s + 8));
		puts_(o, "}");
		break;
	default:
		put_hexbytes(o, s, v->len);
		break;
	}
}

static void put_set(struct out *o, unsigned set, uint64_t v)
{
	char spare[1];
	size_t room = o->n < o->len ? o->len - o->n : 0;
	int k = room ? kd__set_format(set, v, o->buf + o->n, room) : kd__set_format(set, v, spare, 0);

	if (k > 0)
		o->n += (size_t)k;
}

static void put_value(struct out *o, const struct kd__param *sp, const struct kd_value *v)
{
	const char *name;

	switch (v->kind) {
	case KD_PK_UINT:
	case KD_PK_SIZE:
		put_u64(o, v->u);
		break;
	case KD_PK_UID:
	case KD_PK_GID:
		/* -1 means "unchanged" for the set*id family */
		if (v->u == UINT32_MAX || v->u == UINT64_MAX)
			puts_(o, "-1");
		else
			put_u64(o, v->u);
		break;
	case KD_PK_HEX:
		/* a request code (ioctl's cmd) by name when its set knows it */
		name = sp->set ? kd__set_lookup(sp->set, v->u) : NULL;
		if (name)
			puts_(o, name);
		else
			put_hex(o, v->u);
		break;
	case KD_PK_PTR:
		if (v->u)
			put_hex(o, v->u);
		else
			puts_(o, "NULL");
		break;
	case KD_PK_DIRFD:
		if ((int32_t)v->u == -100)
			puts_(o, "AT_FDCWD");
		else
			put_i64(o, v->i);
		break;
	case KD_PK_MODE:
		putf(o, "%#03" PRIo64, v->u);
		break;
	case KD_PK_SIGNAL:
		put_signal(o, v->i);
		break;
	case KD_PK_FLAGS:
	case KD_PK_PFLAGS:
		if (sp->set)
			put_set(o, sp->set, v->u);
		else
			put_hex(o, v->u);
		break;
	case KD_PK_ENUM:
		name = sp->set ? kd__set_lookup(sp->set, v->u) : NULL;
		if (name)
			puts_(o, name);
		else
			put_i64(o, v->i);
		break;
	case KD_PK_ERRNO:
		name = v->i > 0 && v->i < 4096 ? kd_errno_name((int)v->i) : NULL;
		if (name)
			puts_(o, name);
		else
			put_i64(o, v->i);
		break;
	default: /* INT, FD, PID, OFFSET */
		put_i64(o, v->i);
		break;
	}
}

/* poll's fds: [{fd=3, events=POLLIN, revents=POLLIN}, ...], revents only
 * when the call succeeded (a failed one may not have written them). */
static void put_pollfds(struct out *o, unsigned set, const struct kd_value *v, bool revents)
{
	const uint8_t *s = v->ptr;
	uint16_t bits;

	puts_(o, "[");
	for (size_t off = 0; off + 8 <= v->len; off += 8) {
		putf(o, "%s{fd=%" PRId32 ", events=", off ? ", " : "", le32(s + off));
		memcpy(&bits, s + off + 4, sizeof(bits));
		put_set(o, set, bits);
		if (revents) {
			puts_(o, ", revents=");
			memcpy(&bits, s + off + 6, sizeof(bits));
			put_set(o, set, bits);
		}
		puts_(o, "}");
	}
	puts_(o, v->flags & KD_VAL_TRUNCATED ? (v->len >= 8 ? ", ...]" : "...]") : "]");
}

/* getdents64's entries: [{ino=2, type=DT_DIR, name="."}, ...], "..." when the
 * capture ends inside one (snaplen) or before the last the call returned. */
static void put_dirents(struct out *o, unsigned set, const struct kd_value *v)
{
	const uint8_t *s = v->ptr;
	size_t off = 0;
	uint16_t reclen;

	puts_(o, "[");
	while (off + 19 <= v->len) {
		const uint8_t *name = s + off + 19, *nul;

		memcpy(&reclen, s + off + 16, sizeof(reclen));
		if (reclen < 20 || off + reclen > v->len)
			break;
		nul = memchr(name, 0, reclen - 19);
		putf(o, "%s{ino=%" PRIu64 ", type=", off ? ", " : "", (uint64_t)le64(s + off));
		put_set(o, set, s[off + 18]);
		puts_(o, ", name=");
		put_quoted(o, name, nul ? (size_t)(nul - name) : reclen - 19u, false);
		puts_(o, "}");
		off += reclen;
	}
	puts_(o, off < v->len || (v->flags & KD_VAL_TRUNCATED) ? (off ? ", ...]" : "...]") : "]");
}

/* epoll_ctl's ev, {events=EPOLLIN, data=0x3}, and epoll_wait's ready, an
 * array of them: 12 bytes each, u32 events then u64 data (packed). */
static void put_epoll_events(struct out *o, unsigned set, const struct kd_value *v, bool array)
{
	const uint8_t *s = v->ptr;
	size_t off;

	if (v->len < 12) {
		put_hexbytes(o, s, v->len);
		return;
	}
	if (array)
		puts_(o, "[");
	for (off = 0; off + 12 <= v->len; off += 12) {
		putf(o, "%s{events=", off ? ", " : "");
		put_set(o, set, (uint32_t)le32(s + off));
		putf(o, ", data=%#" PRIx64 "}", (uint64_t)le64(s + off + 4));
		if (!array)
			return;
	}
	puts_(o, v->flags & KD_VAL_TRUNCATED ? ", ...]" : "]");
}

/* select's ready fds: {in=[3, 5], out=[1]}, the sets with one; false when
 * the bytes do not hold what their header says. */
static bool put_fdsets(struct out *o, const struct kd_value *v)
{
	static const char *const names[3] = { "in", "out", "ex" };
	bool first = true;

	if (kd_value_fdset_next(v, 0, -1) < -1)
		return false;
	puts_(o, "{");
	for (unsigned k = 0; k < 3; k++) {
		int fd = kd_value_fdset_next(v, k, -1);

		if (fd < 0)
			continue;
		putf(o, "%s%s=[%d", first ? "" : ", ", names[k], fd);
		first = false;
		while ((fd = kd_value_fdset_next(v, k, fd)) >= 0)
			putf(o, ", %d", fd);
		puts_(o, "]");
	}
	puts_(o, v->flags & KD_VAL_TRUNCATED ? ", ...}" : "}");
	return true;
}

/* The flag words of the kernel's struct termios, in order, and their sets. */
static const struct {
	const char *name, *set;
} termios_words[4] = { { "c_iflag", "termios_iflag" }, { "c_oflag", "termios_oflag" },
		       { "c_cflag", "termios_cflag" }, { "c_lflag", "termios_lflag" } };

/* ioctl's data, by its length (KD_PK_IOCTLDATA): [1] for an int,
 * {ws_row=24, ...} for a struct winsize, the four flag words (by name) and
 * the line discipline of a struct termios; false for any other length. */
static bool put_ioctldata(struct out *o, const struct kd_value *v)
{
	const uint8_t *s = v->ptr;
	uint16_t ws[4];

	switch (v->len) {
	case 4:
		putf(o, "[%" PRId32 "]", le32(s));
		return true;
	case 8:
		memcpy(ws, s, sizeof(ws));
		putf(o, "{ws_row=%u, ws_col=%u", ws[0], ws[1]);
		putf(o, ", ws_xpixel=%u, ws_ypixel=%u}", ws[2], ws[3]);
		return true;
	case 36:
		for (unsigned k = 0; k < 4; k++) {
			puts_(o, k ? ", " : "{");
			puts_(o, termios_words[k].name);
			puts_(o, "=");
			put_set(o, (unsigned)kd__set_by_name(termios_words[k].set), (uint32_t)le32(s + 4 * k));
		}
		putf(o, ", c_line=%u}", s[16]);
		return true;
	}
	return false;
}

/* sendmmsg's and recvmmsg's messages: [{len=5, addr=10.0.0.1:53,
 * data="..."}, ...]; false when the bytes do not hold what they say. */
static bool put_mmsgs(struct out *o, const struct kd_value *v)
{
	struct kd_value addr, data;
	uint32_t len;
	int k;

	if (kd_value_mmsg(v, 0, NULL, NULL, NULL) < 0)
		return false;
	puts_(o, "[");
	for (k = 0; kd_value_mmsg(v, (unsigned)k, &len, &addr, &data) == 1; k++) {
		putf(o, "%s{len=%" PRIu32 ", addr=", k ? ", " : "", len);
		put_bytes_kind(o, 0, &addr);
		puts_(o, ", data=");
		put_bytes_kind(o, 0, &data);
		puts_(o, "}");
	}
	puts_(o, v->flags & KD_VAL_TRUNCATED ? ", ...]" : "]");
	return true;
}

/* A param another one qualifies (setsockopt's optname, fcntl's arg): with
 * the set that one picks; an optname by its name only. */
static void put_qualified(struct out *o, const struct kd_event *ev, unsigned i, const struct kd_value *v)
{
	bool ptr;
	int set = kd__param_set_of(ev, i, &ptr);
	const char *name;

	if (set > 0 && v->kind == KD_PK_SOCKOPT && (name = kd__set_lookup((uint16_t)set, v->u)))
		puts_(o, name);
	else if (set > 0 && v->kind != KD_PK_SOCKOPT)
		put_set(o, (uint16_t)set, v->u);
	else if (ptr)
		putf(o, "0x%" PRIx64, v->u);
	else
		putf(o, "%" PRId64, v->i);
}

int kd_event_param_format(const struct kd_event *ev, unsigned i, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	struct kd_value v;
	int err;

	if (!ev || (!buf && len))
		return -EINVAL;
	err = kd_event_param(ev, i, &v);
	if (err)
		return err;
	if (v.kind == KD_PK_POLLFDS && !(v.flags & KD_VAL_NULL))
		put_pollfds(&o, ev->info->params[i].set, &v, kd_event_result(ev) >= 0);
	else if ((v.kind == KD_PK_EPOLLEVENT || v.kind == KD_PK_EPOLLEVENTS) &&
		 !(v.flags & KD_VAL_NULL))
		put_epoll_events(&o, ev->info->params[i].set, &v, v.kind == KD_PK_EPOLLEVENTS);
	else if (v.kind == KD_PK_SOCKOPT || v.kind == KD_PK_FCNTLARG)
		put_qualified(&o, ev, i, &v);
	else if (v.kind == KD_PK_FLOCK && (v.flags & KD_VAL_BYTES) && v.len >= KD_FLOCK_SIZE)
		put_flock(&o, ev->info->params[i].set, v.ptr, kd__flock_answered(ev, i, v.ptr));
	else if (v.kind == KD_PK_DIRENTS && (v.flags & KD_VAL_BYTES))
		put_dirents(&o, ev->info->params[i].set, &v);
	else if (v.kind == KD_PK_FDSETS && (v.flags & KD_VAL_BYTES) && put_fdsets(&o, &v))
		;
	else if (v.kind == KD_PK_IOCTLDATA && (v.flags & KD_VAL_BYTES) && put_ioctldata(&o, &v))
		;
	else if (v.kind == KD_PK_MMSGS && (v.flags & KD_VAL_BYTES) && put_mmsgs(&o, &v))
		;
	else if (v.flags & (KD_VAL_BYTES | KD_VAL_NULL))
		put_bytes_kind(&o, ev->info->params[i].set, &v);
	else
		put_value(&o, &ev->info->params[i], &v);
	return finish(&o);
}

int kd_event_result_format(const struct kd_event *ev, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	int64_t res;
	const char *name;

	if (!ev || (!buf && len))
		return -EINVAL;
	res = ev->hdr->res;
	if (ev->hdr->flags & KD_RF_AT_ENTRY) {
		puts_(&o, "?"); /* never returned */
	} else if (res < 0 && res >= -4095 && (ev->info->flags & KD_EF_SYSCALL)) {
		name = kd_errno_name((int)-res);
		put_i64(&o, res);
		if (name) {
			puts_(&o, " ");
			puts_(&o, name);
		}
	} else if (ev->info->result == KD_PK_PTR || ev->info->result == KD_PK_HEX) {
		put_hex(&o, (uint64_t)res);
	} else {
		char names[256];
		int set = kd__result_set_of(ev);

		put_i64(&o, res);
		/* flags the call returned, named: "32770 (O_RDWR|O_LARGEFILE)" */
		if (set > 0 && kd__set_format((uint16_t)set, (uint64_t)res, names, sizeof(names)) > 0 &&
		    strcmp(names, "0") != 0) {
			puts_(&o, " (");
			puts_(&o, names);
			puts_(&o, ")");
		}
	}
	return finish(&o);
}
