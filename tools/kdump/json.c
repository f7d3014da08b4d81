/* tools/kdump/json.c: one JSON object per event.
 *
 * Keys: ts cpu pid tid comm event category [res] latency_ns args [error].
 * Integer kinds are numbers, flags/enums/signals symbolic strings, paths
 * and strings with \xNN for what is not printable ASCII or valid UTF-8,
 * buffers with \xNN for every byte that is not printable ASCII (one char
 * or one \xNN per byte, so the bytes come back exactly), structs (sockaddr, timespec, ...) objects, argv an array. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kdump.h"


/* Length of the valid UTF-8 sequence at p (2..4), 0 if there is none.
 * Rejects overlongs, surrogates and code points past U+10FFFF, which JSON
 * parsers refuse. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Text (utf8: valid UTF-8 passes through) or bytes (every byte past ASCII
 * as \xNN: a buffer's random bytes are not characters). */
static void json_bytes(struct kdump_buf *b, const void *p, size_t n, bool utf8)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	char *o;

	/* at most 5 bytes out per byte in (\\xNN), and the quotes */
	if (!kdump_buf_reserve(b, 5 * n + 2))
		return;
	o = b->s + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t u;

		if (c == '"') {
			*o++ = '\\';
			*o++ = '"';
			i++;
		} else if (c >= 0x20 && c < 0x7f && c != '\\') {
			*o++ = (char)c;
			i++;
		} else if (utf8 && c >= 0x80 && (u = utf8_len(s + i, n - i))) {
			memcpy(o, s + i, u);
			o += u;
			i += u;
		} else {
			/* The decoded value holds \xNN; its backslash is escaped in JSON.
			 * A backslash in the data becomes \x5c so the form stays reversible. */
			*o++ = '\\';
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
			i++;
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->s);
}

void kdump_json_str(struct kdump_buf *b, const void *p, size_t n)
{
	json_bytes(b, p, n, true);
}

/* "key":number, the key a literal with its punctuation (",\"pid\":") */
#define put_key_u64(b, lit, v) (kdump_buf_lit(b, lit), kdump_buf_u64(b, v))

static void put_cstr(struct kdump_buf *b, const char *s)
{
	kdump_json_str(b, s, strlen(s));
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n < sizeof(v) ? n : sizeof(v));
	return v; /* x86_64 and arm64 are little endian, like the records */
}

static const char *family_name(unsigned f)
{
	switch (f) {
	case 0: return "AF_UNSPEC";
	case 1: return "AF_UNIX";
	case 2: return "AF_INET";
	case 10: return "AF_INET6";
	case 16: return "AF_NETLINK";
	case 17: return "AF_PACKET";
	case 40: return "AF_VSOCK";
	default: return NULL;
	}
}

static void put_sockaddr(struct kdump_buf *b, const unsigned char *p, size_t n)
{
	if (n < 2) {
		kdump_buf_lit(b, "null");
		return;
	}
	unsigned fam = (unsigned)(p[0] | p[1] << 8);
	const char *fname = family_name(fam);
	char addr[INET6_ADDRSTRLEN];

	kdump_buf_lit(b, "{\"family\":");
	if (fname)
		put_cstr(b, fname);
	else
		kdump_buf_printf(b, "%u", fam);
	if ((fam == 2 && n >= 8) || (fam == 10 && n >= 24)) {
		if (!inet_ntop(fam == 2 ? AF_INET : AF_INET6, p + (fam == 2 ? 4 : 8), addr,
			       sizeof(addr)))
			strcpy(addr, "?");
		kdump_buf_lit(b, ",\"addr\":");
		put_cstr(b, addr);
		kdump_buf_printf(b, ",\"port\":%u", (unsigned)(p[2] << 8 | p[3]));
	} else if (fam == 1 && n > 2) {
		/* sun_path: up to its NUL; an abstract name starts with NUL, shown as @ */
		const unsigned char *path = p + 2;
		size_t len = n - 2;
		kdump_buf_lit(b, ",\"path\":");
		if (path[0] == '\0') {
			unsigned char at[sizeof(struct sockaddr_storage) + 1];
			size_t alen = len < sizeof(struct sockaddr_storage) ? len : sizeof(struct sockaddr_storage);
			at[0] = '@';
			memcpy(at + 1, path + 1, alen - 1);
			kdump_json_str(b, at, alen);
		} else {
			const unsigned char *nul = memchr(path, 0, len);
			kdump_json_str(b, path, nul ? (size_t)(nul - path) : len);
		}
	}
	kdump_buf_putc(b, '}');
}

static void put_pair(struct kdump_buf *b, const char *k1, const char *k2, const unsigned char *p,
		     bool s2_signed)
{
	int64_t a = (int64_t)get_le(p, 8), c = (int64_t)get_le(p + 8, 8);
	if (s2_signed)
		kdump_buf_printf(b, "{\"%s\":%" PRId64 ",\"%s\":%" PRId64 "}", k1, a, k2, c);
	else
		kdump_buf_printf(b, "{\"%s\":%" PRIu64 ",\"%s\":%" PRIu64 "}", k1, (uint64_t)a, k2,
				 (uint64_t)c);
}

static void put_argv(struct kdump_buf *b, const unsigned char *p, size_t n)
{
	kdump_buf_putc(b, '[');
	for (size_t i = 0, first = 1; i < n; first = 0) {
		const unsigned char *nul = memchr(p + i, 0, n - i);
		size_t len = nul ? (size_t)(nul - (p + i)) : n - i;
		if (!first)
			kdump_buf_putc(b, ',');
		kdump_json_str(b, p + i, len);
		i += len + 1;
	}
	kdump_buf_putc(b, ']');
}

/* {"family":"AF_INET","socktype":"SOCK_STREAM","proto":"tcp","src":..,"sport":..,"dst":..,
 * "dport":..}: local is src, as the kernel's socket sees it (fd_info orders by role). */
static void put_socktuple(struct kdump_buf *b, const unsigned char *p)
{
	struct kd_sock_tuple t;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], fam[64], st[64];

	memcpy(&t, p, sizeof(t));
	if (kd_flags_format("socket_family", t.family, fam, sizeof(fam)) < 0)
		snprintf(fam, sizeof(fam), "%u", t.family);
	if (kd_flags_format("socket_type", t.type, st, sizeof(st)) < 0)
		snprintf(st, sizeof(st), "%u", t.type);
	kdump_buf_lit(b, "{\"family\":");
	put_cstr(b, fam);
	kdump_buf_lit(b, ",\"socktype\":");
	put_cstr(b, st);
	if (t.family != AF_INET && t.family != AF_INET6) {
		kdump_buf_putc(b, '}');
		return;
	}
	if (!inet_ntop(t.family, t.saddr, s, sizeof(s)))
		strcpy(s, "?");
	if (!inet_ntop(t.family, t.daddr, d, sizeof(d)))
		strcpy(d, "?");
	kdump_buf_lit(b, ",\"proto\":");
	put_cstr(b, t.proto == IPPROTO_TCP ? "tcp" : t.proto == IPPROTO_UDP ? "udp" : "");
	kdump_buf_lit(b, ",\"src\":");
	put_cstr(b, s);
	kdump_buf_printf(b, ",\"sport\":%u,\"dst\":", t.sport);
	put_cstr(b, d);
	kdump_buf_printf(b, ",\"dport\":%u}", t.dport);
}

/* A wait status: {"exit_code":3}, {"signal":"SIGKILL","core_dumped":false},
 * {"stopped":"SIGSTOP"} or {"continued":true}. */
static void put_wstatus(struct kdump_buf *b, uint32_t s)
{
	const char *sig;
	uint32_t n;

	if (s == 0xffff) {
		kdump_buf_lit(b, "{\"continued\":true}");
		return;
	}
	if ((s & 0x7f) == 0) {
		kdump_buf_printf(b, "{\"exit_code\":%u}", (s >> 8) & 0xff);
		return;
	}
	n = (s & 0xff) == 0x7f ? (s >> 8) & 0xff : s & 0x7f;
	kdump_buf_puts(b, (s & 0xff) == 0x7f ? "{\"stopped\":" : "{\"signal\":");
	if ((sig = kd_signal_name((int)n)))
		put_cstr(b, sig);
	else
		kdump_buf_printf(b, "%u", n);
	if ((s & 0xff) != 0x7f)
		kdump_buf_puts(b, s & 0x80 ? ",\"core_dumped\":true" : ",\"core_dumped\":false");
	kdump_buf_putc(b, '}');
}

/* Bits of a set: "POLLIN|POLLOUT", or the number. */
static void put_bits(struct kdump_buf *b, const char *set, uint64_t v)
{
	char tmp[256];
	int n = set ? kd_flags_format(set, v, tmp, sizeof(tmp)) : -1;

	if (n >= 0 && (size_t)n < sizeof(tmp))
		put_cstr(b, tmp);
	else
		kdump_buf_printf(b, "%" PRIu64, v);
}

static void put_poll_bits(struct kdump_buf *b, uint16_t v)
{
	put_bits(b, "poll_events", v);
}

/* getdents64's entries: [{"ino":2,"type":"DT_DIR","name":"."},...], the
 * whole ones the capture holds (an entry cut at snaplen is left out). */
static void put_dirents(struct kdump_buf *b, const char *set, const unsigned char *p, size_t n)
{
	size_t off = 0;

	kdump_buf_putc(b, '[');
	while (off + 19 <= n) {
		size_t reclen = (size_t)get_le(p + off + 16, 2);
		const unsigned char *name = p + off + 19, *nul;

		if (reclen < 20 || off + reclen > n)
			break;
		nul = memchr(name, 0, reclen - 19);
		kdump_buf_printf(b, "%s{\"ino\":%" PRIu64 ",\"type\":", off ? "," : "", get_le(p + off, 8));
		put_bits(b, set, p[off + 18]);
		kdump_buf_lit(b, ",\"name\":");
		kdump_json_str(b, name, nul ? (size_t)(nul - name) : reclen - 19);
		kdump_buf_putc(b, '}');
		off += reclen;
	}
	kdump_buf_putc(b, ']');
}

/* epoll_ctl's ev {"events":"EPOLLIN","data":3}, epoll_wait's ready an array
 * of them: 12 bytes each, u32 events then u64 data (packed). */
static void put_epoll_events(struct kdump_buf *b, const char *set, const unsigned char *p, size_t n,
			     bool array)
{
	if (array)
		kdump_buf_putc(b, '[');
	for (size_t off = 0; off + 12 <= n; off += 12) {
		if (off)
			kdump_buf_putc(b, ',');
		kdump_buf_lit(b, "{\"events\":");
		put_bits(b, set, (uint32_t)get_le(p + off, 4));
		kdump_buf_printf(b, ",\"data\":%" PRIu64 "}", get_le(p + off + 4, 8));
		if (!array)
			return;
	}
	kdump_buf_putc(b, ']');
}

/* poll's fds: [{"fd":3,"events":"POLLIN","revents":"POLLIN"},...], revents
 * only when the call succeeded (a failed one may not have written them). */
static void put_pollfds(struct kdump_buf *b, const unsigned char *p, size_t n, bool revents)
{
	kdump_buf_putc(b, '[');
	for (size_t off = 0; off + 8 <= n; off += 8) {
		if (off)
			kdump_buf_putc(b, ',');
		kdump_buf_printf(b, "{\"fd\":%" PRId32 ",\"events\":", (int32_t)get_le(p + off, 4));
		put_poll_bits(b, (uint16_t)get_le(p + off + 4, 2));
		if (revents) {
			kdump_buf_lit(b, ",\"revents\":");
			put_poll_bits(b, (uint16_t)get_le(p + off + 6, 2));
		}
		kdump_buf_putc(b, '}');
	}
	kdump_buf_putc(b, ']');
}

/* select's ready fds: {"in":[3,5],"out":[1]}, the sets with one (strace's
 * "(in [3 5], out [1])"); false when the bytes do not hold what their
 * header says */
static bool put_fdsets(struct kdump_buf *b, const struct kd_value *v)
{
	static const char *const names[3] = { "in", "out", "ex" };
	bool first = true;

	if (kd_value_fdset_next(v, 0, -1) < -1)
		return false;
	kdump_buf_putc(b, '{');
	for (unsigned k = 0; k < 3; k++) {
		int fd = kd_value_fdset_next(v, k, -1);

		if (fd < 0)
			continue;
		kdump_buf_printf(b, "%s\"%s\":[%d", first ? "" : ",", names[k], fd);
		first = false;
		while ((fd = kd_value_fdset_next(v, k, fd)) >= 0)
			kdump_buf_printf(b, ",%d", fd);
		kdump_buf_putc(b, ']');
	}
	kdump_buf_putc(b, '}');
	return true;
}

static bool put_set(struct kdump_buf *b, const char *set, uint64_t v);

/* ioctl's data by its length: 1 (an int), {"ws_row":24,...} (struct
 * winsize), {"c_iflag":"ICRNL|IXON",...} (struct termios, its flag words by
 * name); false for any other length */
static bool put_ioctldata(struct kdump_buf *b, const unsigned char *p, size_t n)
{
	switch (n) {
	case 4:
		kdump_buf_i64(b, (int32_t)get_le(p, 4));
		return true;
	case 8:
		kdump_buf_printf(b, "{\"ws_row\":%u,\"ws_col\":%u,\"ws_xpixel\":%u,\"ws_ypixel\":%u}",
				 (unsigned)get_le(p, 2), (unsigned)get_le(p + 2, 2),
				 (unsigned)get_le(p + 4, 2), (unsigned)get_le(p + 6, 2));
		return true;
	case 36:
		for (unsigned k = 0; k < 4; k++) {
			static const char *const words[4] = { "iflag", "oflag", "cflag", "lflag" };
			char set[16];

			kdump_buf_printf(b, "%s\"c_%s\":", k ? "," : "{", words[k]);
			snprintf(set, sizeof(set), "termios_%s", words[k]);
			if (!put_set(b, set, (uint32_t)get_le(p + 4 * k, 4)))
				kdump_buf_printf(b, "%u", (unsigned)get_le(p + 4 * k, 4));
		}
		kdump_buf_printf(b, ",\"c_line\":%u}", p[16]);
		return true;
	}
	return false;
}

/* sendmmsg's and recvmmsg's messages: [{"len":5,"addr":{...},"data":"..."}],
 * addr null when the message had none; false when the bytes do not hold
 * what they say */
static bool put_mmsgs(struct kdump_buf *b, const struct kd_value *v)
{
	struct kd_value addr, data;
	uint32_t len;

	if (kd_value_mmsg(v, 0, NULL, NULL, NULL) < 0)
		return false;
	kdump_buf_putc(b, '[');
	for (unsigned k = 0; kd_value_mmsg(v, k, &len, &addr, &data) == 1; k++) {
		kdump_buf_printf(b, "%s{\"len\":%" PRIu32 ",\"addr\":", k ? "," : "", len);
		if (addr.flags & KD_VAL_NULL)
			kdump_buf_lit(b, "null");
		else
			put_sockaddr(b, addr.ptr, addr.len);
		kdump_buf_lit(b, ",\"data\":");
		json_bytes(b, data.ptr, data.len, false);
		kdump_buf_putc(b, '}');
	}
	kdump_buf_putc(b, ']');
	return true;
}

/* {"handler":"SIG_IGN","flags":"SA_RESTART","mask":2}: SIG_DFL and SIG_IGN by
 * name, a function by its address; the mask as sigsets are. */
static void put_sigaction(struct kdump_buf *b, const char *set, const unsigned char *p)
{
	uint64_t handler = get_le(p, 8);

	kdump_buf_lit(b, "{\"handler\":");
	if (handler <= 1)
		put_cstr(b, handler ? "SIG_IGN" : "SIG_DFL");
	else
		kdump_buf_printf(b, "%" PRIu64, handler);
	kdump_buf_lit(b, ",\"flags\":");
	put_bits(b, set, (uint32_t)get_le(p + 8, 8));
	kdump_buf_printf(b, ",\"mask\":%" PRIu64 "}", get_le(p + 24, 8));
}

/* openat2's struct open_how: {"flags":"O_RDWR|O_CREAT","mode":416,"resolve":"RESOLVE_BENEATH"}. */
static void put_openhow(struct kdump_buf *b, const char *set, const unsigned char *p)
{
	kdump_buf_lit(b, "{\"flags\":");
	put_bits(b, set, get_le(p, 8));
	kdump_buf_printf(b, ",\"mode\":%" PRIu64 ",\"resolve\":", get_le(p + 8, 8));
	put_bits(b, "resolve_flags", get_le(p + 16, 8));
	kdump_buf_putc(b, '}');
}

/* fcntl's struct flock: {"type":"F_WRLCK","whence":"SEEK_SET","start":0,"len":0},
 * and "pid" when the kernel wrote it: a GETLK that found a lock. A
 * request's l_pid is whatever the caller left. */
static void put_flock(struct kdump_buf *b, const struct kd_event *ev, const char *set,
		      const unsigned char *p)
{
	struct kd_value cmd;
	uint64_t type = get_le(p, 2);

	kdump_buf_lit(b, "{\"type\":");
	put_bits(b, set, type);
	kdump_buf_lit(b, ",\"whence\":");
	put_bits(b, "lseek_whence", get_le(p + 2, 2));
	kdump_buf_printf(b, ",\"start\":%" PRId64 ",\"len\":%" PRId64, (int64_t)get_le(p + 8, 8),
			 (int64_t)get_le(p + 16, 8));
	if (kd_event_result(ev) >= 0 && type != F_UNLCK && !kd_event_param_by_name(ev, "cmd", &cmd) &&
	    (cmd.u == F_GETLK || cmd.u == F_OFD_GETLK))
		kdump_buf_printf(b, ",\"pid\":%" PRId32, (int32_t)get_le(p + 24, 4));
	kdump_buf_putc(b, '}');
}

/* waitid's info: {"code":"CLD_EXITED","pid":42,"uid":0,"status":3}, the
 * status a signal name for the codes that carry one; an unknown code (0: no
 * child yet, WNOHANG) as its number. */
static void put_chldinfo(struct kdump_buf *b, const char *set, const unsigned char *p)
{
	int32_t code = (int32_t)get_le(p + 8, 4), st = (int32_t)get_le(p + 24, 4);
	const char *sig = code >= 2 && code <= 5 ? kd_signal_name(st) : NULL;
	const char *name = kd_flags_name(set, (uint32_t)code);

	kdump_buf_lit(b, "{\"code\":");
	if (name)
		put_cstr(b, name);
	else
		kdump_buf_printf(b, "%" PRId32, code);
	kdump_buf_printf(b, ",\"pid\":%" PRId32 ",\"uid\":%" PRIu32 ",\"status\":",
			 (int32_t)get_le(p + 16, 4), (uint32_t)get_le(p + 20, 4));
	if (sig)
		put_cstr(b, sig);
	else
		kdump_buf_printf(b, "%" PRId32, st);
	kdump_buf_putc(b, '}');
}

/* {"tv_sec":..,"tv_nsec":..} of a stat time */
static void put_stat_time(struct kdump_buf *b, const char *key, int64_t sec, uint32_t nsec)
{
	kdump_buf_printf(b, ",\"%s\":{\"tv_sec\":%" PRId64 ",\"tv_nsec\":%" PRIu32 "}", key, sec, nsec);
}

/* The stat family's stat and statx's, one object: {"dev":..,"ino":..,
 * "mode":"S_IFREG|0644",...}; dev and rdev as stat(2)'s st_dev encodes
 * them. False for a short struct (shown as its bytes). */
static bool put_stat(struct kdump_buf *b, const struct kd_value *v)
{
	struct kd_stat st;
	char type[32];

	if (kd_value_stat(v, &st) < 0)
		return false;
	kdump_buf_printf(b, "{\"dev\":%" PRIu64 ",\"ino\":%" PRIu64 ",\"mode\":", st.dev, st.ino);
	if ((st.mode & 0170000) && kd_flags_format("s_ifmt", st.mode & 0170000, type, sizeof(type)) >= 0 &&
	    strncmp(type, "S_IF", 4) == 0)
		kdump_buf_printf(b, "\"%s|%#04" PRIo32 "\"", type, st.mode & 07777);
	else
		kdump_buf_printf(b, "\"%#" PRIo32 "\"", st.mode);
	kdump_buf_printf(b,
			 ",\"nlink\":%" PRIu64 ",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32 ",\"rdev\":%" PRIu64
			 ",\"size\":%" PRId64 ",\"blocks\":%" PRId64 ",\"blksize\":%" PRIu32,
			 st.nlink, st.uid, st.gid, st.rdev, st.size, st.blocks, st.blksize);
	put_stat_time(b, "atime", st.atime_sec, st.atime_nsec);
	put_stat_time(b, "mtime", st.mtime_sec, st.mtime_nsec);
	put_stat_time(b, "ctime", st.ctime_sec, st.ctime_nsec);
	kdump_buf_putc(b, '}');
	return true;
}

/* Struct kinds need their whole struct; a short one shows as its bytes. */
static bool put_struct(struct kdump_buf *b, int kind, const char *set, const unsigned char *p,
		       size_t n)
{
	switch (kind) {
	case KD_PK_SOCKADDR:
		put_sockaddr(b, p, n);
		return true;
	case KD_PK_ARGV:
		put_argv(b, p, n);
		return true;
	case KD_PK_TIMESPEC:
		if (n < 16)
			return false;
		put_pair(b, "tv_sec", "tv_nsec", p, true);
		return true;
	case KD_PK_TIMEVAL:
		if (n < 16)
			return false;
		put_pair(b, "tv_sec", "tv_usec", p, true);
		return true;
	case KD_PK_ITIMERSPEC:
	case KD_PK_ITIMERVAL: {
		const char *sub = kind == KD_PK_ITIMERSPEC ? "tv_nsec" : "tv_usec";
		if (n < 32)
			return false;
		kdump_buf_lit(b, "{\"it_interval\":");
		put_pair(b, "tv_sec", sub, p, true);
		kdump_buf_lit(b, ",\"it_value\":");
		put_pair(b, "tv_sec", sub, p + 16, true);
		kdump_buf_putc(b, '}');
		return true;
	}
	case KD_PK_RLIMIT:
		if (n < 16)
			return false;
		put_pair(b, "rlim_cur", "rlim_max", p, false);
		return true;
	case KD_PK_WSTATUS:
		if (n < 4)
			return false;
		put_wstatus(b, (uint32_t)get_le(p, 4));
		return true;
	case KD_PK_SIGACTION:
		if (n < 32)
			return false;
		put_sigaction(b, set, p);
		return true;
	case KD_PK_CHLDINFO:
		if (n < 32)
			return false;
		put_chldinfo(b, set, p);
		return true;
	case KD_PK_OPENHOW:
		if (n < 24)
			return false;
		put_openhow(b, set, p);
		return true;
	case KD_PK_FDPAIR:
		if (n < 8)
			return false;
		kdump_buf_printf(b, "[%" PRId32 ",%" PRId32 "]", (int32_t)get_le(p, 4),
				 (int32_t)get_le(p + 4, 4));
		return true;
	case KD_PK_SIGSET:
		if (n < 1)
			return false;
		kdump_buf_printf(b, "%" PRIu64, get_le(p, n));
		return true;
	default:
		return false;
	}
}

/* v with a named set, as a string ("O_RDWR|O_CREAT"); false if it cannot. */
static bool put_set(struct kdump_buf *b, const char *set, uint64_t v)
{
	char tmp[256], *big;
	int n = kd_flags_format(set, v, tmp, sizeof(tmp));

	if (n >= 0 && (size_t)n < sizeof(tmp)) {
		put_cstr(b, tmp);
		return true;
	}
	big = n > 0 ? malloc((size_t)n + 1) : NULL;
	if (big && kd_flags_format(set, v, big, (size_t)n + 1) == n) {
		put_cstr(b, big);
		free(big);
		return true;
	}
	free(big);
	return false;
}

static void put_int(struct kdump_buf *b, int type, unsigned i, const struct kd_value *v)
{
	const char *name;

	switch (v->kind) {
	case KD_PK_FD:
	case KD_PK_DIRFD:
	case KD_PK_PID:
		/* int in the userspace ABI, whatever width the kernel declares */
		kdump_buf_i64(b, (int32_t)v->i);
		return;
	case KD_PK_INT:
	case KD_PK_OFFSET:
	case KD_PK_ERRNO:
		kdump_buf_i64(b, v->i);
		return;
	case KD_PK_SIGNAL:
		if ((name = kd_signal_name((int)v->i))) {
			put_cstr(b, name);
			return;
		}
		kdump_buf_i64(b, v->i);
		return;
	case KD_PK_FLAGS:
	case KD_PK_PFLAGS:
	case KD_PK_ENUM:
	case KD_PK_HEX: /* with a set (ioctl's cmd): its name, or "0x..." */
		name = kd_event_type_param_set(type, i);
		if (name && put_set(b, name, v->u))
			return;
		kdump_buf_u64(b, v->u);
		return;
	default:
		kdump_buf_u64(b, v->u);
		return;
	}
}

static void put_value(struct kdump_buf *b, const struct kd_event *ev, int type, unsigned i)
{
	struct kd_value v;

	if (kd_event_param(ev, i, &v) < 0) {
		kdump_buf_lit(b, "null");
		return;
	}
	if (v.flags & KD_VAL_NULL) {
		kdump_buf_lit(b, "null");
		return;
	}
	if (v.kind == KD_PK_SOCKOPT || v.kind == KD_PK_FCNTLARG) {
		/* with the set the param before it picks, else the number */
		const char *set = kd_event_param_set(ev, i), *name;

		if (set && v.kind == KD_PK_SOCKOPT && (name = kd_flags_name(set, v.u)))
			put_cstr(b, name);
		else if (!set || v.kind != KD_PK_FCNTLARG || !put_set(b, set, v.u))
			kdump_buf_printf(b, "%" PRId64, v.kind == KD_PK_SOCKOPT ? (int64_t)(int32_t)v.i : v.i);
		return;
	}
	if (!(v.flags & KD_VAL_BYTES)) {
		put_int(b, type, i, &v);
		return;
	}
	if (v.kind == KD_PK_SOCKTUPLE && v.len >= sizeof(struct kd_sock_tuple)) {
		put_socktuple(b, v.ptr);
		return;
	}
	if (v.kind == KD_PK_POLLFDS) {
		put_pollfds(b, v.ptr, v.len, kd_event_result(ev) >= 0);
		return;
	}
	if (v.kind == KD_PK_FDSETS && put_fdsets(b, &v))
		return;
	if (v.kind == KD_PK_MMSGS && put_mmsgs(b, &v))
		return;
	if (v.kind == KD_PK_IOCTLDATA && put_ioctldata(b, v.ptr, v.len))
		return;
	if ((v.kind == KD_PK_STAT || v.kind == KD_PK_STATX) && put_stat(b, &v))
		return;
	if (v.kind == KD_PK_DIRENTS) {
		put_dirents(b, kd_event_type_param_set(type, i), v.ptr, v.len);
		return;
	}
	if ((v.kind == KD_PK_EPOLLEVENT || v.kind == KD_PK_EPOLLEVENTS) && v.len >= 12) {
		put_epoll_events(b, kd_event_type_param_set(type, i), v.ptr, v.len,
				 v.kind == KD_PK_EPOLLEVENTS);
		return;
	}
	if (v.kind == KD_PK_FLOCK && v.len >= 32) {
		put_flock(b, ev, kd_event_type_param_set(type, i), v.ptr);
		return;
	}
	if (put_struct(b, (int)v.kind, kd_event_type_param_set(type, i), v.ptr, v.len))
		return;
	json_bytes(b, v.ptr, v.len, v.kind == KD_PK_PATH || v.kind == KD_PK_STR);
}

/* "thread":{...} and, in a container, "container":{"id":...,"runtime":...}. */
static void put_thread(struct kdump_buf *b, const struct kd_thread *t)
{
	size_t len, off;
	const char *args = kd_thread_args(t, &len), *user = kd_thread_user(t);

	put_key_u64(b, ",\"thread\":{\"tid\":", kd_thread_tid(t));
	put_key_u64(b, ",\"pid\":", kd_thread_pid(t));
	put_key_u64(b, ",\"ppid\":", kd_thread_ppid(t));
	kdump_buf_lit(b, ",\"comm\":");
	put_cstr(b, kd_thread_comm(t));
	kdump_buf_lit(b, ",\"exe\":");
	put_cstr(b, kd_thread_exe(t));
	kdump_buf_lit(b, ",\"args\":[");
	for (off = 0; off < len; off += strlen(args + off) + 1) {
		if (off)
			kdump_buf_putc(b, ',');
		put_cstr(b, args + off);
	}
	kdump_buf_lit(b, "],\"cwd\":");
	put_cstr(b, kd_thread_cwd(t));
	put_key_u64(b, ",\"uid\":", kd_thread_euid(t));
	kdump_buf_lit(b, ",\"user\":");
	if (user)
		put_cstr(b, user);
	else
		kdump_buf_lit(b, "null");
	kdump_buf_putc(b, '}');
	if (kd_thread_container_id(t)[0]) {
		kdump_buf_lit(b, ",\"container\":{\"id\":");
		put_cstr(b, kd_thread_container_id(t));
		kdump_buf_lit(b, ",\"runtime\":");
		put_cstr(b, kd_thread_container_runtime(t));
		kdump_buf_putc(b, '}');
	}
}

/* A string of fd_info, null while unknown. */
static void put_known(struct kdump_buf *b, const char *key, const char *v)
{
	kdump_buf_printf(b, ",\"%s\":", key);
	if (v && *v)
		put_cstr(b, v);
	else
		kdump_buf_lit(b, "null");
}

/* A port of fd_info, null while unknown (< 0, -ENOENT). */
static void put_port(struct kdump_buf *b, const char *key, int port)
{
	if (port >= 0)
		kdump_buf_printf(b, ",\"%s\":%d", key, port);
	else
		kdump_buf_printf(b, ",\"%s\":null", key);
}

/* "fd_info":{"num":3,"type":"file","path":...}; IP sockets: {"num":5,"type":"ipv4",
 * "proto":"tcp","src":...,"sport":...,"dst":...,"dport":...,"role":...}, src the
 * client when the role is known. What is not known yet (a socket neither bound
 * nor connected, its role) is null, never a made-up value: the keys stay. */
static void put_fd(struct kdump_buf *b, const struct kd_fd *f)
{
	int t = kd_fd_type(f), role = kd_fd_role(f);
	bool server = role == KD_FD_ROLE_SERVER;
	char a[128], r[128];

	kdump_buf_lit(b, ",\"fd_info\":{\"num\":");
	kdump_buf_i64(b, kd_fd_num(f));
	kdump_buf_lit(b, ",\"type\":");
	put_cstr(b, kd_fd_type_name(t));
	if (t == KD_FD_IPV4 || t == KD_FD_IPV6) {
		int lp = kd_fd_local_port(f), rp = kd_fd_remote_port(f);
		const char *la = kd_fd_local_addr(f, a, sizeof(a)) < 0 ? NULL : a;
		const char *ra = kd_fd_remote_addr(f, r, sizeof(r)) < 0 ? NULL : r;

		put_known(b, "proto", kd_fd_proto_name(f));
		put_known(b, "src", server ? ra : la);
		put_port(b, "sport", server ? rp : lp);
		put_known(b, "dst", server ? la : ra);
		put_port(b, "dport", server ? lp : rp);
		put_known(b, "role", server ? "server" : role == KD_FD_ROLE_CLIENT ? "client" : NULL);
	} else if (kd_fd_path(f)[0]) {
		kdump_buf_lit(b, ",\"path\":");
		put_cstr(b, kd_fd_path(f));
	}
	kdump_buf_putc(b, '}');
}

void kdump_json_event(struct kdump_buf *b, const struct kd_event *ev, const char *comm)
{
	const struct kd_thread *t = kd_event_thread(ev);
	const struct kd_fd *f = kd_event_fd(ev);
	int type = kd_event_type(ev);
	unsigned n = kd_event_nparams(ev);
	bool syscall = kd_event_type_flags(type) & KD_EF_SYSCALL;
	bool has_res = syscall && !(kd_event_record_flags(ev) & KD_RF_AT_ENTRY);
	int64_t res = kd_event_result(ev);

	put_key_u64(b, "{\"ts\":", kd_event_ts(ev));
	put_key_u64(b, ",\"cpu\":", kd_event_cpu(ev));
	put_key_u64(b, ",\"pid\":", kd_event_pid(ev));
	put_key_u64(b, ",\"tid\":", kd_event_tid(ev));
	kdump_buf_lit(b, ",\"comm\":");
	if (comm)
		put_cstr(b, comm);
	else
		kdump_buf_lit(b, "null");
	kdump_buf_lit(b, ",\"event\":");
	put_cstr(b, kd_event_name(ev));
	kdump_buf_lit(b, ",\"category\":");
	put_cstr(b, kd_category_name(kd_event_category(ev)));
	if (t)
		put_thread(b, t);
	if (f)
		put_fd(b, f);
	if (has_res) {
		kdump_buf_lit(b, ",\"res\":");
		kdump_buf_i64(b, res);
	}
	put_key_u64(b, ",\"latency_ns\":", kd_event_latency(ev));
	kdump_buf_lit(b, ",\"args\":{");
	for (unsigned i = 0; i < n; i++) {
		const char *name = kd_event_type_param_name(type, i);
		if (i)
			kdump_buf_putc(b, ',');
		put_cstr(b, name ? name : "?");
		kdump_buf_putc(b, ':');
		put_value(b, ev, type, i);
	}
	kdump_buf_putc(b, '}');
	if (has_res && res < 0 && res >= -4095) {
		const char *e = kd_errno_name((int)-res);
		kdump_buf_lit(b, ",\"error\":");
		if (e)
			put_cstr(b, e);
		else
			kdump_buf_printf(b, "\"E%d\"", (int)-res);
	}
	kdump_buf_lit(b, "}\n");
}
