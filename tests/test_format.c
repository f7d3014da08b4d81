/* tests/test_format.c: every param kind rendered as strace shows it, and the
 * snprintf contract of the formatters. Events are picked by param kind, so
 * the tests follow the schema rather than hard-coding rows. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "rec_builder.h"

TestSuite(format, .timeout = 30);

static struct kd_rb b;
static struct kd_event ev;
static char msg[256];
static unsigned pidx;

static void setup(void)
{
	kd_rb_init(&b);
	memset(&ev, 0, sizeof(ev));
}

static void teardown(void)
{
	kd_rb_free(&b);
}

/* The first event with a param of this kind (with a flag set, if set). */
static bool find_kind(int kind, bool want_set, const char **event, const char **param)
{
	for (size_t t = 0; t < kd_event_type_count(); t++) {
		int type = kd_event_type_at(t);

		for (int i = 0; i < kd_event_type_nparams(type); i++) {
			if (kd_event_type_param_kind(type, (unsigned)i) != kind)
				continue;
			if (want_set && !kd_event_type_param_set(type, (unsigned)i))
				continue;
			*event = kd_event_type_name(type);
			*param = kd_event_type_param_name(type, (unsigned)i);
			return true;
		}
	}
	return false;
}

/* Build and decode a record whose param of this kind is arg; pidx is it. */
static void build(int kind, struct kd_rb_arg arg, uint32_t flags, int64_t res)
{
	const char *event, *param;

	cr_assert(find_kind(kind, false, &event, &param), "no event in the schema has a %s param",
		  kd_param_kind_name(kind));
	arg.name = param;
	cr_assert(kd_rb_event_begin(&b, event, res, (struct kd_rb_arg[]){ arg, { NULL } }));
	b.hdr.flags = flags;
	size_t off = kd_rb_end(&b);
	cr_assert_eq(kd__decode(b.data + off, b.len - off, &ev, msg, sizeof(msg)), 0, "%s", msg);
	for (pidx = 0; strcmp(kd_event_type_param_name(kd_event_type(&ev), pidx), param); pidx++)
		;
}

static const char *fmt_now(void)
{
	static char out[16384];
	int n = kd_event_param_format(&ev, pidx, out, sizeof(out));

	cr_assert_geq(n, 0);
	cr_assert_eq((size_t)n, strlen(out));
	return out;
}

static const char *val(int kind, uint64_t v)
{
	build(kind, (struct kd_rb_arg)KD_RB_V("", v), 0, 0);
	return fmt_now();
}

static const char *bytes(int kind, const void *p, size_t n, uint32_t flags)
{
	build(kind, (struct kd_rb_arg)KD_RB_B("", p, n), flags, 0);
	return fmt_now();
}

Test(format, integers, .init = setup, .fini = teardown)
{
	cr_assert_str_eq(val(KD_PK_FD, 7), "7");
	cr_assert_str_eq(val(KD_PK_DIRFD, 9), "9");
	cr_assert_str_eq(val(KD_PK_DIRFD, (uint64_t)-100), "AT_FDCWD");
	cr_assert_str_eq(val(KD_PK_MODE, 0644), "0644");
	cr_assert_str_eq(val(KD_PK_MODE, 0), "000");
	cr_assert_str_eq(val(KD_PK_SIZE, 123456789012ull), "123456789012");
	cr_assert_str_eq(val(KD_PK_PID, (uint64_t)-1), "-1");
	cr_assert_str_eq(val(KD_PK_UID, 1000), "1000");
	cr_assert_str_eq(val(KD_PK_UID, 0xffffffffu), "-1");
	cr_assert_str_eq(val(KD_PK_PTR, 0), "NULL");
	cr_assert_str_eq(val(KD_PK_PTR, 0x7ffd1000), "0x7ffd1000");
	cr_assert_str_eq(val(KD_PK_HEX, 0), "0");
	cr_assert_str_eq(val(KD_PK_HEX, 0x1234), "0x1234");
	cr_assert_str_eq(val(KD_PK_SIGNAL, SIGTERM), "SIGTERM");
	cr_assert_str_eq(val(KD_PK_SIGNAL, 99), "99");
	/* the ends of the ranges (integers are written without printf) */
	cr_assert_str_eq(val(KD_PK_SIZE, UINT64_MAX), "18446744073709551615");
	cr_assert_str_eq(val(KD_PK_SIZE, 0), "0");
	cr_assert_str_eq(val(KD_PK_OFFSET, (uint64_t)INT64_MIN), "-9223372036854775808");
	cr_assert_str_eq(val(KD_PK_OFFSET, INT64_MAX), "9223372036854775807");
	cr_assert_str_eq(val(KD_PK_PTR, UINT64_MAX), "0xffffffffffffffff");
	cr_assert_str_eq(val(KD_PK_PTR, 1), "0x1");
}

Test(format, flags_and_enums, .init = setup, .fini = teardown)
{
	const char *event, *param;

	/* a flag param shows the names kd_flags_format() gives with its set */
	cr_assert(find_kind(KD_PK_FLAGS, true, &event, &param));
	int type = kd_event_type_by_name(event);
	unsigned i = 0;
	while (strcmp(kd_event_type_param_name(type, i), param))
		i++;
	char want[256];
	cr_assert_gt(kd_flags_format(kd_event_type_param_set(type, i), 0x3, want, sizeof(want)), 0);
	cr_assert_str_eq(val(KD_PK_FLAGS, 0x3), want);
	cr_assert_neq(want[0], '3');
	if (find_kind(KD_PK_ENUM, true, &event, &param)) {
		/* an enum value without a name is shown as a number */
		cr_assert_str_eq(val(KD_PK_ENUM, 0xabcdef), "11259375");
	}
}

Test(format, strings, .init = setup, .fini = teardown)
{
	char big[KD_STR_MAX];

	build(KD_PK_PATH, (struct kd_rb_arg)KD_RB_S("", "a\tb\\c\"d\x7f\xff\n"), 0, 0);
	cr_assert_str_eq(fmt_now(), "\"a\\tb\\\\c\\\"d\\x7f\\xff\\n\"");
	build(KD_PK_PATH, (struct kd_rb_arg)KD_RB_S("", ""), 0, 0);
	cr_assert_str_eq(fmt_now(), "\"\"");
	build(KD_PK_PATH, (struct kd_rb_arg)KD_RB_S("", NULL), 0, 0);
	cr_assert_str_eq(fmt_now(), "NULL");
	struct kd_value v;
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(v.flags, KD_VAL_NULL);
	cr_assert_null(v.ptr);

	/* a path cut at the string limit */
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	build(KD_PK_PATH, (struct kd_rb_arg)KD_RB_S("", big), KD_RF_TRUNCATED, 0);
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert(v.flags & KD_VAL_TRUNCATED);
	cr_assert_eq(v.len, KD_STR_MAX - 1);
	const char *s = fmt_now();
	cr_assert_eq(strlen(s), KD_STR_MAX - 1 + 2 + 3);
	cr_assert_str_eq(s + strlen(s) - 5, "p\"...");
	/* same length without the record flag: complete */
	build(KD_PK_PATH, (struct kd_rb_arg)KD_RB_S("", big), 0, 0);
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(v.flags & KD_VAL_TRUNCATED, 0);
}

Test(format, argv, .init = setup, .fini = teardown)
{
	const char *argv[] = { "a", "", "b\n", NULL };
	const char *none[] = { NULL };

	build(KD_PK_ARGV, (struct kd_rb_arg)KD_RB_A("", argv), 0, 0);
	cr_assert_str_eq(fmt_now(), "[\"a\", \"\", \"b\\n\"]");
	cr_assert_str_eq(bytes(KD_PK_ARGV, NULL, 0, 0), "NULL");
	build(KD_PK_ARGV, (struct kd_rb_arg)KD_RB_A("", none), 0, 0);
	cr_assert_str_eq(fmt_now(), "NULL");

	/* cut at the argv byte limit */
	static char big[KD_STRARR_MAX];
	memset(big, 'x', sizeof(big));
	big[9] = big[sizeof(big) - 1] = '\0';
	cr_assert_str_eq(strrchr(bytes(KD_PK_ARGV, big, sizeof(big), KD_RF_TRUNCATED), ','),
			 ", ...]");
}

Test(format, buffers, .init = setup, .fini = teardown)
{
	cr_assert_str_eq(bytes(KD_PK_BUF, "\0\x01z", 3, 0), "\"\\x00\\x01z\"");
	cr_assert_str_eq(bytes(KD_PK_BUF, NULL, 0, 0), "\"\"");
	cr_assert_str_eq(bytes(KD_PK_IOVEC, "GET / HTTP/1.1\r\n", 16, 0), "\"GET / HTTP/1.1\\r\\n\"");
	/* readv moved 100 bytes (the result), 16 were captured */
	build(KD_PK_IOVEC, (struct kd_rb_arg)KD_RB_B("", "0123456789abcdef", 16), KD_RF_TRUNCATED, 100);
	cr_assert_str_eq(fmt_now(), "\"0123456789abcdef\"...");
}

Test(format, structs, .init = setup, .fini = teardown)
{
	int64_t ts[4] = { 1, 500, 2, 999999 };
	int32_t fds[2] = { 3, 4 };
	uint64_t mask = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1));
	uint64_t rl[2] = { 1024, UINT64_MAX };

	cr_assert_str_eq(bytes(KD_PK_TIMESPEC, ts, 16, 0), "{tv_sec=1, tv_nsec=500}");
	cr_assert_str_eq(bytes(KD_PK_TIMESPEC, NULL, 0, 0), "NULL");
	cr_assert_str_eq(bytes(KD_PK_TIMESPEC, ts, 8, 0), "<0100000000000000>");
	cr_assert_str_eq(bytes(KD_PK_TIMEVAL, ts, 16, 0), "{tv_sec=1, tv_usec=500}");
	cr_assert_str_eq(bytes(KD_PK_ITIMERSPEC, ts, 32, 0),
			 "{it_interval={tv_sec=1, tv_nsec=500}, it_value={tv_sec=2, tv_nsec=999999}}");
	cr_assert_str_eq(bytes(KD_PK_ITIMERVAL, ts, 32, 0),
			 "{it_interval={tv_sec=1, tv_usec=500}, it_value={tv_sec=2, tv_usec=999999}}");
	/* one byte short of the struct: the bytes there are */
	const char *s = bytes(KD_PK_ITIMERVAL, ts, 31, 0);
	cr_assert_eq(strlen(s), 2 + 2 * 31, "%s", s);
	cr_assert_eq(strncmp(s, "<0100000000000000f401", 21), 0, "%s", s);
	cr_assert_str_eq(bytes(KD_PK_FDPAIR, fds, 8, 0), "[3, 4]");
	cr_assert_str_eq(bytes(KD_PK_SIGSET, &mask, 8, 0), "[SIGINT SIGTERM]");
	mask = 0;
	cr_assert_str_eq(bytes(KD_PK_SIGSET, &mask, 8, 0), "[]");
	/* more than half set: the ones left out */
	mask = ~((1ull << 31) | (1ull << 32));
	cr_assert_str_eq(bytes(KD_PK_SIGSET, &mask, 8, 0), "~[32 33]");
	mask = ~0ull;
	cr_assert_str_eq(bytes(KD_PK_SIGSET, &mask, 8, 0), "~[]");
	mask = (1ull << 32) - 1; /* 32 of 64: not more than half */
	cr_assert_eq(bytes(KD_PK_SIGSET, &mask, 8, 0)[0], '[');
	cr_assert_str_eq(bytes(KD_PK_RLIMIT, rl, 16, 0), "{cur=1024, max=RLIM_INFINITY}");
}

/* sendmmsg's and recvmmsg's msgs: each message with its length, address
 * and data; kd_value_mmsg() refuses bytes that do not hold what they say. */
Test(format, mmsgs, .init = setup, .fini = teardown)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(53),
				   .sin_addr.s_addr = htonl(0x0a000001) };
	uint8_t s[8 + 8 + sizeof(sin) + 5 + 8 + 3] = { 2 };
	size_t at = 8;
	struct kd_value v, a, d;
	uint32_t len = 0;

	/* message 0: 5 bytes to 10.0.0.1:53, all kept; 1: 300 moved, 3 kept, no address */
	memcpy(s + at, &(uint32_t){ 5 }, 4);
	memcpy(s + at + 4, &(uint16_t){ sizeof(sin) }, 2);
	memcpy(s + at + 6, &(uint16_t){ 5 }, 2);
	memcpy(s + at + 8, &sin, sizeof(sin));
	memcpy(s + at + 8 + sizeof(sin), "q\0\1ab", 5);
	at += 8 + sizeof(sin) + 5;
	memcpy(s + at, &(uint32_t){ 300 }, 4);
	memcpy(s + at + 6, &(uint16_t){ 3 }, 2);
	memcpy(s + at + 8, "xyz", 3);
	cr_assert_str_eq(bytes(KD_PK_MMSGS, s, sizeof(s), 0),
			 "[{len=5, addr=10.0.0.1:53, data=\"q\\x00\\x01ab\"}, {len=300, addr=NULL, data=\"xyz\"...}]");
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_mmsg(&v, 0, &len, &a, &d), 1);
	cr_assert_eq(len, 5);
	cr_assert_eq(a.kind, KD_PK_SOCKADDR);
	cr_assert_eq(a.len, sizeof(sin));
	cr_assert_eq(memcmp(a.ptr, &sin, sizeof(sin)), 0);
	cr_assert_eq(d.kind, KD_PK_IOVEC);
	cr_assert_eq(d.len, 5);
	cr_assert_not(d.flags & KD_VAL_TRUNCATED);
	cr_assert_eq(kd_value_mmsg(&v, 1, &len, &a, &d), 1);
	cr_assert_eq(len, 300);
	cr_assert(a.flags & KD_VAL_NULL);
	cr_assert(d.flags & KD_VAL_TRUNCATED);
	cr_assert_eq(kd_value_mmsg(&v, 1, NULL, NULL, NULL), 1, "any out may be NULL");
	cr_assert_eq(kd_value_mmsg(&v, 2, &len, &a, &d), 0, "past the last one");
	cr_assert_eq(kd_value_mmsg(NULL, 0, NULL, NULL, NULL), -EINVAL);
	/* 9 moved, 2 kept (the record says it was cut) */
	build(KD_PK_MMSGS, (struct kd_rb_arg)KD_RB_B("", s, sizeof(s)), KD_RF_TRUNCATED, 9);
	cr_assert(strstr(fmt_now(), "}, ...]"), "%s", fmt_now());
	/* malformed: a count past the messages, more data than msg_len, an
	 * address over 128 bytes, a byte left over, a short header, no
	 * messages: the bytes in hex, and KD_EBADPARAMS */
	s[0] = 3;
	cr_assert_eq(bytes(KD_PK_MMSGS, s, sizeof(s), 0)[0], '<');
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_mmsg(&v, 0, NULL, NULL, NULL), KD_EBADPARAMS, "message 0 is fine, the value is not");
	s[0] = 2;
	s[8] = 4; /* msg_len 4 < 5 bytes of data */
	cr_assert_eq(bytes(KD_PK_MMSGS, s, sizeof(s), 0)[0], '<');
	s[8] = 5;
	s[8 + 5] = 1; /* address of 256 + 16 bytes */
	cr_assert_eq(bytes(KD_PK_MMSGS, s, sizeof(s), 0)[0], '<');
	s[8 + 5] = 0;
	cr_assert_eq(bytes(KD_PK_MMSGS, s, sizeof(s) - 1, 0)[0], '<');
	cr_assert_eq(bytes(KD_PK_MMSGS, s, 7, 0)[0], '<');
	s[0] = 0;
	cr_assert_eq(bytes(KD_PK_MMSGS, s, 8, 0)[0], '<');
	s[0] = 9;
	cr_assert_eq(bytes(KD_PK_MMSGS, s, sizeof(s), 0)[0], '<');
	s[0] = 2;
	s[4] = 1; /* the reserved word */
	cr_assert_eq(bytes(KD_PK_MMSGS, s, sizeof(s), 0)[0], '<');
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_mmsg(&v, 0, NULL, NULL, NULL), KD_EBADPARAMS);
	/* none: NULL; another kind: KD_EBADKIND */
	cr_assert_str_eq(bytes(KD_PK_MMSGS, NULL, 0, 0), "NULL");
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_mmsg(&v, 0, NULL, NULL, NULL), KD_EBADKIND);
	bytes(KD_PK_TIMESPEC, s, 16, 0);
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_mmsg(&v, 0, NULL, NULL, NULL), KD_EBADKIND);
}

/* select's ready: the sets with a ready fd; kd_value_fdset_next() walks
 * them and refuses bytes that do not hold what their header says. */
Test(format, fdsets, .init = setup, .fini = teardown)
{
	uint8_t s[8 + 48] = {70, 0, 0, 0, 0x7};
	struct kd_value v;

	s[8] = 0x09;      /* in: 0, 3 */
	s[8 + 8] = 0x02;  /* in: 65 */
	s[8 + 32] = 0x20; /* ex: 5; out (bytes 24-39) empty */
	cr_assert_str_eq(bytes(KD_PK_FDSETS, s, sizeof(s), 0), "{in=[0, 3, 65], ex=[5]}");
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 0, -1), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 0, 0), 3);
	cr_assert_eq(kd_value_fdset_next(&v, 0, 3), 65);
	cr_assert_eq(kd_value_fdset_next(&v, 0, 65), -1);
	cr_assert_eq(kd_value_fdset_next(&v, 1, -1), -1, "given, none ready");
	cr_assert_eq(kd_value_fdset_next(&v, 2, -1), 5);
	cr_assert_eq(kd_value_fdset_next(&v, 3, -1), -EINVAL);
	cr_assert_eq(kd_value_fdset_next(&v, 0, -2), -EINVAL);
	cr_assert_eq(kd_value_fdset_next(NULL, 0, -1), -EINVAL);
	/* only out given: in and ex are -1 */
	s[4] = 0x2;
	s[8 + 3] = 0x80; /* out: fd 31 */
	bytes(KD_PK_FDSETS, s, 8 + 16, 0);
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 0, -1), -1);
	cr_assert_eq(kd_value_fdset_next(&v, 1, -1), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 1, 0), 3);
	cr_assert_eq(kd_value_fdset_next(&v, 1, 3), 31);
	cr_assert_eq(kd_value_fdset_next(&v, 1, 31), 65);
	cr_assert_str_eq(fmt_now(), "{out=[0, 3, 31, 65]}");
	/* malformed: a set missing, a length past the header's, too many fds,
	 * a short header: the bytes in hex, and KD_EBADPARAMS */
	s[4] = 0x3;
	cr_assert_eq(bytes(KD_PK_FDSETS, s, 8 + 16, 0)[0], '<');
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 0, -1), KD_EBADPARAMS);
	s[4] = 0x2;
	cr_assert_eq(bytes(KD_PK_FDSETS, s, 8 + 17, 0)[0], '<');
	s[1] = 0x10; /* 4166 fds */
	cr_assert_eq(bytes(KD_PK_FDSETS, s, 8 + 16, 0)[0], '<');
	cr_assert_eq(bytes(KD_PK_FDSETS, s, 5, 0)[0], '<');
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 0, -1), KD_EBADPARAMS);
	/* none: NULL; another kind: KD_EBADKIND */
	cr_assert_str_eq(bytes(KD_PK_FDSETS, NULL, 0, 0), "NULL");
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 0, -1), KD_EBADKIND);
	bytes(KD_PK_TIMESPEC, s, 16, 0);
	cr_assert_eq(kd_event_param(&ev, pidx, &v), 0);
	cr_assert_eq(kd_value_fdset_next(&v, 0, -1), KD_EBADKIND);
}

/* ioctl's data by its length: an int, a winsize, a termios; else hex */
Test(format, ioctldata, .init = setup, .fini = teardown)
{
	uint32_t tio[9] = { 0x500, 0x5, 0xbf, 0x8a3b, 0x0300 }; /* c_line 0, VINTR 3 */
	uint16_t ws[4] = { 24, 80, 1, 2 };
	int32_t n = -7;

	cr_assert_str_eq(bytes(KD_PK_IOCTLDATA, &n, 4, 0), "[-7]");
	cr_assert_str_eq(bytes(KD_PK_IOCTLDATA, ws, 8, 0), "{ws_row=24, ws_col=80, ws_xpixel=1, ws_ypixel=2}");
	/* a terminal's defaults: the flag words by name (flags.def's termios sets) */
	cr_assert_str_eq(bytes(KD_PK_IOCTLDATA, tio, 36, 0),
			 "{c_iflag=ICRNL|IXON, c_oflag=OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, "
			 "c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN, c_line=0}");
	/* raw mode at 115200 with an input rate (CIBAUD, left in hex), a delay
	 * field, a bit no set names; all zero */
	uint32_t raw[9] = { 0x80000000, 014000, 010002 | 060 | 0200 | 02000000, 0 };
	cr_assert_str_eq(bytes(KD_PK_IOCTLDATA, raw, 36, 0),
			 "{c_iflag=0x80000000, c_oflag=TAB3, c_cflag=B115200|CS8|CREAD|0x80000, c_lflag=0, "
			 "c_line=0}");
	memset(raw, 0, sizeof(raw));
	cr_assert_str_eq(bytes(KD_PK_IOCTLDATA, raw, 36, 0),
			 "{c_iflag=0, c_oflag=0, c_cflag=B0|CS5, c_lflag=0, c_line=0}");
	cr_assert_str_eq(bytes(KD_PK_IOCTLDATA, ws, 6, 0), "<180050000100>");
	cr_assert_str_eq(bytes(KD_PK_IOCTLDATA, NULL, 0, 0), "NULL");
}

Test(format, results, .init = setup, .fini = teardown)
{
	char out[64];

	build(KD_PK_FD, (struct kd_rb_arg)KD_RB_V("", 1), 0, 5);
	cr_assert_eq(kd_event_result_format(&ev, out, sizeof(out)), 1);
	cr_assert_str_eq(out, "5");
	build(KD_PK_FD, (struct kd_rb_arg)KD_RB_V("", 1), 0, -13);
	kd_event_result_format(&ev, out, sizeof(out));
	cr_assert_str_eq(out, "-13 EACCES");
	/* below -4095 is a value, not an errno */
	build(KD_PK_FD, (struct kd_rb_arg)KD_RB_V("", 1), 0, -5000);
	kd_event_result_format(&ev, out, sizeof(out));
	cr_assert_str_eq(out, "-5000");
	build(KD_PK_FD, (struct kd_rb_arg)KD_RB_V("", 1), 0, INT64_MIN);
	kd_event_result_format(&ev, out, sizeof(out));
	cr_assert_str_eq(out, "-9223372036854775808");
	/* emitted at entry: no result */
	build(KD_PK_FD, (struct kd_rb_arg)KD_RB_V("", 1), KD_RF_AT_ENTRY, 0);
	kd_event_result_format(&ev, out, sizeof(out));
	cr_assert_str_eq(out, "?");
}

Test(format, snprintf_contract, .init = setup, .fini = teardown)
{
	char out[8];

	build(KD_PK_PATH, (struct kd_rb_arg)KD_RB_S("", "/etc/hosts"), 0, -2);
	/* "\"/etc/hosts\"" is 12 characters */
	cr_assert_eq(kd_event_param_format(&ev, pidx, NULL, 0), 12);
	memset(out, 'X', sizeof(out));
	cr_assert_eq(kd_event_param_format(&ev, pidx, out, 1), 12);
	cr_assert_eq(out[0], '\0');
	cr_assert_eq(out[1], 'X', "nothing past len is written");
	cr_assert_eq(kd_event_param_format(&ev, pidx, out, sizeof(out)), 12);
	cr_assert_str_eq(out, "\"/etc/h");
	cr_assert_eq(kd_event_param_format(&ev, pidx, out, 0), 12);
	cr_assert_eq(kd_event_param_format(&ev, pidx, NULL, 5), -EINVAL);
	cr_assert_eq(kd_event_param_format(NULL, 0, out, sizeof(out)), -EINVAL);

	cr_assert_eq(kd_event_result_format(&ev, NULL, 0), 9); /* "-2 ENOENT" */
	cr_assert_eq(kd_event_result_format(&ev, out, 4), 9);
	cr_assert_str_eq(out, "-2 ");

	/* flags through the set formatter, cut short */
	const char *event, *param;
	cr_assert(find_kind(KD_PK_FLAGS, true, &event, &param));
	build(KD_PK_FLAGS, (struct kd_rb_arg)KD_RB_V("", 0xffffffffull), 0, 0);
	char full[512];
	int n = kd_event_param_format(&ev, pidx, full, sizeof(full));
	cr_assert_gt(n, 8);
	cr_assert_eq(kd_event_param_format(&ev, pidx, out, sizeof(out)), n);
	cr_assert_eq(strncmp(out, full, 7), 0);
	cr_assert_eq(out[7], '\0');
}

/* Build and decode fcntl(3, cmd, arg); pidx is arg. */
static const char *fcntl_arg(uint64_t cmd, uint64_t arg)
{
	cr_assert(kd_rb_event_begin(&b, "fcntl", 0,
				    (struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_V("cmd", cmd),
							  KD_RB_V("arg", arg), { NULL } }));
	size_t off = kd_rb_end(&b);
	cr_assert_eq(kd__decode(b.data + off, b.len - off, &ev, msg, sizeof(msg)), 0, "%s", msg);
	pidx = 2;
	cr_assert_eq(kd_event_type_param_kind(kd_event_type(&ev), pidx), KD_PK_FCNTLARG);
	return fmt_now();
}

/* fcntl's arg is read as its cmd says; setsockopt's optname by its level. */
Test(format, qualified_by_the_param_before, .init = setup, .fini = teardown)
{
	cr_assert_str_eq(fcntl_arg(4 /* F_SETFL */, 02 | 04000), "O_RDWR|O_NONBLOCK");
	cr_assert_str_eq(kd_event_param_set(&ev, 2), "open_flags");
	cr_assert_str_eq(kd_event_param_set(&ev, 1), "fcntl_cmd", "the cmd has its own set");
	cr_assert_null(kd_event_param_set(&ev, 0));
	cr_assert_str_eq(kd_event_param_set(&ev, 3), "fcntl_lease", "lock's l_type");
	cr_assert_null(kd_event_param_set(&ev, 4), "past the params");
	cr_assert_null(kd_event_param_set(NULL, 0));
	cr_assert_str_eq(fcntl_arg(2 /* F_SETFD */, 1), "FD_CLOEXEC");
	cr_assert_str_eq(fcntl_arg(10 /* F_SETSIG */, SIGUSR1), "SIGUSR1");
	cr_assert_str_eq(fcntl_arg(1024 /* F_SETLEASE */, 1), "F_WRLCK");
	cr_assert_str_eq(fcntl_arg(1026 /* F_NOTIFY */, 0x80000004), "DN_CREATE|DN_MULTISHOT");
	cr_assert_str_eq(fcntl_arg(1033 /* F_ADD_SEALS */, 0x3), "F_SEAL_SEAL|F_SEAL_SHRINK");
	cr_assert_str_eq(fcntl_arg(0 /* F_DUPFD */, 10), "10");
	cr_assert_null(kd_event_param_set(&ev, 2), "a number");
	cr_assert_str_eq(fcntl_arg(8 /* F_SETOWN */, (uint64_t)-42), "-42", "a process group");
	cr_assert_str_eq(fcntl_arg(6 /* F_SETLK */, 0x7ffd1000), "0x7ffd1000", "a struct flock *");

	/* flags fcntl returns, by name too; a number stays a number */
	static const struct {
		uint64_t cmd;
		int64_t res;
		const char *want;
	} res[] = {
		{ 3 /* F_GETFL */, 0104002, "34818 (O_RDWR|O_NONBLOCK|O_LARGEFILE)" },
		{ 3, 0, "0 (O_RDONLY)" },
		{ 1 /* F_GETFD */, 1, "1 (FD_CLOEXEC)" },
		{ 1, 0, "0" },
		{ 11 /* F_GETSIG */, SIGIO, "29 (SIGIO)" },
		{ 1034 /* F_GET_SEALS */, 0x8, "8 (F_SEAL_WRITE)" },
		{ 0 /* F_DUPFD */, 12, "12" },
		{ 3, -EBADF, "-9 EBADF" },
	};
	for (size_t k = 0; k < sizeof(res) / sizeof(res[0]); k++) {
		char out[128];

		cr_assert(kd_rb_event_begin(&b, "fcntl", res[k].res,
					    (struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_V("cmd", res[k].cmd),
								  KD_RB_V("arg", 0), { NULL } }));
		size_t at = kd_rb_end(&b);
		cr_assert_eq(kd__decode(b.data + at, b.len - at, &ev, msg, sizeof(msg)), 0, "%s", msg);
		cr_assert_gt(kd_event_result_format(&ev, out, sizeof(out)), 0);
		cr_assert_str_eq(out, res[k].want);
	}

	cr_assert(kd_rb_event_begin(&b, "setsockopt", 0,
				    (struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_V("level", 6),
							  KD_RB_V("optname", 1), { NULL } }));
	size_t off = kd_rb_end(&b);
	cr_assert_eq(kd__decode(b.data + off, b.len - off, &ev, msg, sizeof(msg)), 0, "%s", msg);
	pidx = 2;
	cr_assert_str_eq(kd_event_param_set(&ev, 2), "tcp_optname");
	cr_assert_str_eq(fmt_now(), "TCP_NODELAY");
}
