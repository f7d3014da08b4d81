/* tests/test_decode.c: records -> typed params -> strace-like text, and the
 * decoder's answer to every kind of malformed record. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rec_builder.h"

TestSuite(decode, .timeout = 30);

static struct kd_rb b;
static struct kd_event ev;
static char msg[256];

static void setup(void)
{
	kd_rb_init(&b);
	memset(&ev, 0, sizeof(ev));
	msg[0] = '\0';
}

static void teardown(void)
{
	kd_rb_free(&b);
}

/* Decode the record at off (exactly its bytes) into ev; returns the code. */
static int dec(size_t off)
{
	cr_assert_neq(off, SIZE_MAX, "record builder: unknown event or param name");
	return kd__decode(b.data + off, b.len - off, &ev, msg, sizeof(msg));
}

static int idx(const char *name)
{
	for (unsigned i = 0; i < kd_event_nparams(&ev); i++) {
		struct kd_value v;

		cr_assert_eq(kd_event_param(&ev, i, &v), 0);
		if (strcmp(v.name, name) == 0)
			return (int)i;
	}
	cr_assert_fail("no param %s in %s", name, kd_event_name(&ev));
	return -1;
}

static const char *fmt(const char *name)
{
	static char out[512];
	int n = kd_event_param_format(&ev, (unsigned)idx(name), out, sizeof(out));

	cr_assert_geq(n, 0, "format %s: %d", name, n);
	cr_assert_eq((size_t)n, strlen(out), "format %s returns its length", name);
	return out;
}

static const char *res(void)
{
	static char out[128];

	cr_assert_geq(kd_event_result_format(&ev, out, sizeof(out)), 0);
	return out;
}

static struct kd_value val(const char *name)
{
	struct kd_value v;

	cr_assert_eq(kd_event_param_by_name(&ev, name, &v), 0, "param %s", name);
	return v;
}

Test(decode, openat, .init = setup, .fini = teardown)
{
	size_t off = kd_rb_event(&b, "openat", 3, (struct kd_rb_arg[]){
		KD_RB_V("dfd", (uint64_t)(int64_t)AT_FDCWD), KD_RB_S("filename", "/tmp/x"),
		KD_RB_V("flags", O_RDWR | O_CREAT | O_CLOEXEC), KD_RB_V("mode", 0750), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_str_eq(kd_event_name(&ev), "openat");
	cr_assert_eq(kd_event_type(&ev), kd_event_type_by_name("openat"));
	cr_assert_eq(kd_event_category(&ev), KD_CAT_FILE);
	cr_assert_eq(kd_event_tid(&ev), 4242);
	cr_assert_eq(kd_event_pid(&ev), 4240);
	cr_assert_eq(kd_event_result(&ev), 3);
	cr_assert_eq(kd_event_nparams(&ev), (unsigned)kd_event_type_nparams(kd_event_type(&ev)));

	struct kd_value v = val("dfd");
	cr_assert_eq(v.kind, KD_PK_DIRFD);
	cr_assert_eq(v.i, -100);
	cr_assert_eq(v.u, 0xffffff9cu, "I32: .u zero-extends the low 32 bits");
	v = val("filename");
	cr_assert_eq(v.kind, KD_PK_PATH);
	cr_assert_eq(v.len, 6);
	cr_assert_str_eq(v.ptr, "/tmp/x");
	cr_assert_eq(v.flags, KD_VAL_BYTES);
	v = val("flags");
	cr_assert_eq(v.u, (uint64_t)(O_RDWR | O_CREAT | O_CLOEXEC));

	cr_assert_str_eq(fmt("dfd"), "AT_FDCWD");
	cr_assert_str_eq(fmt("filename"), "\"/tmp/x\"");
	cr_assert_str_eq(fmt("flags"), "O_RDWR|O_CREAT|O_CLOEXEC");
	cr_assert_str_eq(fmt("mode"), "0750");
	cr_assert_str_eq(res(), "3");
}

Test(decode, openat_failed, .init = setup, .fini = teardown)
{
	size_t off = kd_rb_event(&b, "openat", -2, (struct kd_rb_arg[]){
		KD_RB_V("dfd", 5), KD_RB_S("filename", "nope"), KD_RB_V("flags", O_RDONLY), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_eq(kd_event_result(&ev), -2);
	cr_assert_str_eq(res(), "-2 ENOENT");
	cr_assert_str_eq(fmt("dfd"), "5");
	cr_assert_str_eq(fmt("flags"), "O_RDONLY");
	cr_assert_str_eq(fmt("mode"), "000");
}

Test(decode, read_buffer, .init = setup, .fini = teardown)
{
	size_t off = kd_rb_event(&b, "read", 6, (struct kd_rb_arg[]){
		KD_RB_V("fd", 3), KD_RB_B("buf", "hello\n", 6), KD_RB_V("count", 100), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	struct kd_value v = val("buf");
	cr_assert_eq(v.kind, KD_PK_BUF);
	cr_assert_eq(v.len, 6);
	cr_assert_eq(memcmp(v.ptr, "hello\n", 6), 0);
	cr_assert_eq(v.flags & KD_VAL_TRUNCATED, 0);
	cr_assert_str_eq(fmt("fd"), "3");
	cr_assert_str_eq(fmt("buf"), "\"hello\\n\"");
	cr_assert_str_eq(fmt("count"), "100");
	cr_assert_str_eq(res(), "6");
}

Test(decode, read_truncated_at_snaplen, .init = setup, .fini = teardown)
{
	char data[80];

	memset(data, 'a', sizeof(data));
	/* read returned 200 bytes, 80 were captured */
	cr_assert(kd_rb_event_begin(&b, "read", 200, (struct kd_rb_arg[]){
		KD_RB_V("fd", 3), KD_RB_B("buf", data, sizeof(data)), KD_RB_V("count", 4096), { NULL } }));
	b.hdr.flags = KD_RF_TRUNCATED;
	cr_assert_eq(dec(kd_rb_end(&b)), 0, "%s", msg);
	struct kd_value v = val("buf");
	cr_assert_eq(v.len, 80);
	cr_assert(v.flags & KD_VAL_TRUNCATED);
	const char *s = fmt("buf");
	cr_assert_eq(strlen(s), 80 + 2 + 3);
	cr_assert_str_eq(s + 82, "...");
}

Test(decode, write_truncation_from_count, .init = setup, .fini = teardown)
{
	/* write(1, "abcd"..., 10): buffer cut after 4 of 10 bytes */
	cr_assert(kd_rb_event_begin(&b, "write", -11, (struct kd_rb_arg[]){
		KD_RB_V("fd", 1), KD_RB_B("buf", "ab\"\x01", 4), KD_RB_V("count", 10), { NULL } }));
	b.hdr.flags = KD_RF_TRUNCATED;
	cr_assert_eq(dec(kd_rb_end(&b)), 0, "%s", msg);
	cr_assert(val("buf").flags & KD_VAL_TRUNCATED);
	cr_assert_str_eq(fmt("buf"), "\"ab\\\"\\x01\"...");
	cr_assert_str_eq(res(), "-11 EAGAIN");

	/* the whole buffer: not truncated even with the record flag */
	cr_assert(kd_rb_event_begin(&b, "write", 4, (struct kd_rb_arg[]){
		KD_RB_V("fd", 1), KD_RB_B("buf", "abcd", 4), KD_RB_V("count", 4), { NULL } }));
	b.hdr.flags = KD_RF_TRUNCATED;
	cr_assert_eq(dec(kd_rb_end(&b)), 0, "%s", msg);
	cr_assert_eq(val("buf").flags & KD_VAL_TRUNCATED, 0);
	cr_assert_str_eq(fmt("buf"), "\"abcd\"");
}

static void connect_with(const void *sa, size_t n)
{
	size_t off = kd_rb_event(&b, "connect", 0, (struct kd_rb_arg[]){
		KD_RB_V("fd", 4), KD_RB_B("uservaddr", sa, n), KD_RB_V("addrlen", n), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_eq(val("uservaddr").kind, KD_PK_SOCKADDR);
}

Test(decode, connect_ipv4, .init = setup, .fini = teardown)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	connect_with(&sin, sizeof(sin));
	cr_assert_str_eq(fmt("uservaddr"), "127.0.0.1:80");
	cr_assert_str_eq(fmt("fd"), "4");
	cr_assert_str_eq(fmt("addrlen"), "16");
	cr_assert_str_eq(res(), "0");
}

Test(decode, connect_ipv6, .init = setup, .fini = teardown)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(8080) };

	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	connect_with(&sin6, sizeof(sin6));
	cr_assert_str_eq(fmt("uservaddr"), "[::1]:8080");
}

Test(decode, connect_unix, .init = setup, .fini = teardown)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(sun.sun_path, "/run/x.sock");
	connect_with(&sun, offsetof(struct sockaddr_un, sun_path) + strlen(sun.sun_path) + 1);
	cr_assert_str_eq(fmt("uservaddr"), "/run/x.sock");

	/* abstract: leading NUL, exact length */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "\0kd-test", 8);
	connect_with(&sun, offsetof(struct sockaddr_un, sun_path) + 8);
	cr_assert_str_eq(fmt("uservaddr"), "@kd-test");
}

Test(decode, connect_other_and_short, .init = setup, .fini = teardown)
{
	uint8_t nl[12] = { AF_NETLINK, 0 };
	uint8_t sin_short[6] = { AF_INET, 0, 0, 80, 127, 0 };
	uint8_t one[1] = { 2 };

	connect_with(nl, sizeof(nl));
	cr_assert_str_eq(fmt("uservaddr"), "{family=AF_NETLINK}");
	/* too short for a sockaddr_in: shown as the bytes there are */
	connect_with(sin_short, sizeof(sin_short));
	cr_assert_str_eq(fmt("uservaddr"), "<020000507f00>");
	connect_with(one, 1);
	cr_assert_str_eq(fmt("uservaddr"), "<02>");
	connect_with(NULL, 0);
	cr_assert(val("uservaddr").flags & KD_VAL_NULL);
	cr_assert_str_eq(fmt("uservaddr"), "NULL");
}

Test(decode, execve_argv, .init = setup, .fini = teardown)
{
	const char *argv[] = { "ls", "-l", "a \"b\"", NULL };
	const char *envp[] = { "HOME=/root", NULL };
	size_t off = kd_rb_event(&b, "execve", 0, (struct kd_rb_arg[]){
		KD_RB_S("filename", "/bin/ls"), KD_RB_A("argv", argv), KD_RB_A("envp", envp), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	struct kd_value v = val("argv");
	cr_assert_eq(v.kind, KD_PK_ARGV);
	cr_assert_eq(v.len, 3 + 3 + 6);
	cr_assert_str_eq(fmt("filename"), "\"/bin/ls\"");
	cr_assert_str_eq(fmt("argv"), "[\"ls\", \"-l\", \"a \\\"b\\\"\"]");
	cr_assert_str_eq(fmt("envp"), "[\"HOME=/root\"]");
}

Test(decode, mmap_flags_and_ptr_result, .init = setup, .fini = teardown)
{
	size_t off = kd_rb_event(&b, "mmap", 0x7f0000001000, (struct kd_rb_arg[]){
		KD_RB_V("addr", 0), KD_RB_V("len", 8192), KD_RB_V("prot", PROT_READ | PROT_WRITE),
		KD_RB_V("flags", MAP_PRIVATE | MAP_ANONYMOUS), KD_RB_V("fd", (uint64_t)-1),
		KD_RB_V("off", 0), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_str_eq(fmt("addr"), "NULL");
	cr_assert_str_eq(fmt("len"), "8192");
	cr_assert_str_eq(fmt("prot"), "PROT_READ|PROT_WRITE");
	cr_assert_str_eq(fmt("flags"), "MAP_PRIVATE|MAP_ANONYMOUS");
	cr_assert_str_eq(fmt("fd"), "-1");
	cr_assert_str_eq(fmt("off"), "0");
	cr_assert_str_eq(res(), "0x7f0000001000");

	/* libc may pass the int -1 zero-extended into the 64-bit register */
	off = kd_rb_event(&b, "mmap", 0x7f0000001000, (struct kd_rb_arg[]){
		KD_RB_V("fd", 0xffffffffu), { NULL } });
	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_str_eq(fmt("fd"), "-1");

	/* failed mmap: the errno, not a pointer */
	off = kd_rb_event(&b, "mmap", -12, (struct kd_rb_arg[]){ KD_RB_V("len", 1), { NULL } });
	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_str_eq(res(), "-12 ENOMEM");
}

Test(decode, clone_flags, .init = setup, .fini = teardown)
{
	size_t off = kd_rb_event(&b, "clone", 1234, (struct kd_rb_arg[]){
		KD_RB_V("clone_flags", CLONE_VM | CLONE_FS | CLONE_FILES), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_str_eq(fmt("clone_flags"), "CLONE_VM|CLONE_FS|CLONE_FILES");
	cr_assert_str_eq(res(), "1234");
}

Test(decode, kill_signal, .init = setup, .fini = teardown)
{
	size_t off = kd_rb_event(&b, "kill", 0, (struct kd_rb_arg[]){
		KD_RB_V("pid", 1234), KD_RB_V("sig", SIGUSR1), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_eq(val("sig").kind, KD_PK_SIGNAL);
	cr_assert_str_eq(fmt("pid"), "1234");
	cr_assert_str_eq(fmt("sig"), "SIGUSR1");

	off = kd_rb_event(&b, "kill", -3, (struct kd_rb_arg[]){
		KD_RB_V("pid", (uint64_t)-1), KD_RB_V("sig", 0), { NULL } });
	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_str_eq(fmt("pid"), "-1");
	cr_assert_str_eq(fmt("sig"), "0");
	cr_assert_str_eq(res(), "-3 ESRCH");
}

Test(decode, header_fields, .init = setup, .fini = teardown)
{
	cr_assert(kd_rb_event_begin(&b, "kill", 0, (struct kd_rb_arg[]){ { NULL } }));
	b.hdr.ts = 5000;
	b.hdr.cpu = 1;
	b.hdr.latency = 777;
	b.hdr.flags = KD_RF_LATENCY;
	size_t off = kd_rb_end(&b);
	cr_assert_eq(dec(off), 0, "%s", msg);
	ev.boot_ns = 1000000;
	cr_assert_eq(kd_event_ts_mono(&ev), 5000);
	cr_assert_eq(kd_event_ts(&ev), 1005000);
	cr_assert_eq(kd_event_cpu(&ev), 1);
	cr_assert(kd_event_has_latency(&ev));
	cr_assert_eq(kd_event_latency(&ev), 777);
	cr_assert_eq(kd_event_record_flags(&ev), KD_RF_LATENCY);
	size_t len;
	cr_assert_eq(kd_event_record(&ev, &len), b.data + off);
	cr_assert_eq(len, b.len - off);

	struct kd_value v;
	cr_assert_eq(kd_event_param(&ev, 99, &v), KD_ENOPARAM);
	cr_assert_eq(kd_event_param_by_name(&ev, "nope", &v), KD_ENOPARAM);
	cr_assert_eq(kd_event_param(&ev, 0, NULL), -EINVAL);
	char s[8];
	cr_assert_eq(kd_event_param_format(&ev, 99, s, sizeof(s)), KD_ENOPARAM);
}

Test(decode, ctype_widths, .init = setup, .fini = teardown)
{
	/* upper register garbage must not leak into 32-bit params */
	size_t off = kd_rb_event(&b, "kill", 0, (struct kd_rb_arg[]){
		KD_RB_V("pid", 0xdeadbeef00000005ull), KD_RB_V("sig", 0xffffffff0000000full), { NULL } });

	cr_assert_eq(dec(off), 0, "%s", msg);
	cr_assert_eq(val("pid").i, 5);
	cr_assert_eq(val("sig").i, 15);
	cr_assert_str_eq(fmt("sig"), "SIGTERM");
}

/* ------------------------------------------------------------ malformed */

static size_t good_kill(void)
{
	size_t off = kd_rb_event(&b, "kill", 0, (struct kd_rb_arg[]){
		KD_RB_V("pid", 1), KD_RB_V("sig", SIGTERM), { NULL } });

	cr_assert_neq(off, SIZE_MAX, "the schema has no kill(pid, sig) row");
	return off;
}

Test(decode, empty_and_truncated_header, .init = setup, .fini = teardown)
{
	size_t off = good_kill();

	cr_assert_eq(kd__decode(b.data, 0, &ev, msg, sizeof(msg)), KD_EEMPTY);
	cr_assert(strstr(msg, "empty"), "%s", msg);
	cr_assert_eq(kd__decode(b.data + off, 47, &ev, msg, sizeof(msg)), KD_ETRUNCATED);
	cr_assert(strstr(msg, "47 bytes"), "%s", msg);
	/* a NULL msg is fine */
	cr_assert_eq(kd__decode(b.data + off, 10, &ev, NULL, 0), KD_ETRUNCATED);
}

Test(decode, length_lies, .init = setup, .fini = teardown)
{
	size_t off = good_kill();
	uint32_t l;

	/* buffer shorter than the header says */
	cr_assert_eq(kd__decode(b.data + off, b.len - off - 1, &ev, msg, sizeof(msg)), KD_EBADLEN);
	cr_assert(strstr(msg, "but only"), "%s", msg);
	/* header length below the header size */
	l = 20;
	kd_rb_patch(&b, off + offsetof(struct kd_rec_hdr, len), &l, sizeof(l));
	cr_assert_eq(dec(off), KD_EBADLEN);
	cr_assert(strstr(msg, "20 bytes"), "%s", msg);
	/* too short for the plen[] array */
	l = KD_REC_HDR_SIZE + 2;
	kd_rb_patch(&b, off + offsetof(struct kd_rec_hdr, len), &l, sizeof(l));
	cr_assert_eq(dec(off), KD_EBADLEN);
	cr_assert(strstr(msg, "param lengths"), "%s", msg);
}

Test(decode, wrong_param_count, .init = setup, .fini = teardown)
{
	/* too many */
	cr_assert(kd_rb_event_begin(&b, "kill", 0, (struct kd_rb_arg[]){ { NULL } }));
	kd_rb_val(&b, 1);
	cr_assert_eq(dec(kd_rb_end(&b)), KD_EBADPARAMS);
	cr_assert(strstr(msg, "3 params, the schema has 2"), "%s", msg);

	/* too few, from the current schema version */
	kd_rb_begin(&b, kd_event_type_by_name("kill"), 0);
	kd_rb_val(&b, 1);
	cr_assert_eq(dec(kd_rb_end(&b)), KD_EBADPARAMS);
	cr_assert(strstr(msg, "1 params"), "%s", msg);

	/* more than any record may have */
	kd_rb_begin(&b, kd_event_type_by_name("kill"), 0);
	for (int i = 0; i < 17; i++)
		kd_rb_val(&b, 1);
	cr_assert_eq(dec(kd_rb_end(&b)), KD_EBADPARAMS);
	cr_assert(strstr(msg, "limit"), "%s", msg);

	/* plen[] does not add up to what follows */
	size_t off = good_kill();
	uint16_t pl = 4;
	kd_rb_patch(&b, off + KD_REC_HDR_SIZE, &pl, sizeof(pl));
	cr_assert_eq(dec(off), KD_EBADPARAMS);
	cr_assert(strstr(msg, "sum to 12"), "%s", msg);
}

Test(decode, unknown_type_and_schema, .init = setup, .fini = teardown)
{
	kd_rb_begin(&b, 999, 0);
	cr_assert_eq(dec(kd_rb_end(&b)), KD_EUNKNOWN);
	cr_assert(strstr(msg, "999"), "%s", msg);
	kd_rb_begin(&b, 0xffff, 0);
	cr_assert_eq(dec(kd_rb_end(&b)), KD_EUNKNOWN);

	cr_assert(kd_rb_event_begin(&b, "kill", 0, (struct kd_rb_arg[]){ { NULL } }));
	b.hdr.schema = KD_SCHEMA_VERSION + 1;
	cr_assert_eq(dec(kd_rb_end(&b)), KD_ESCHEMA);
	cr_assert(strstr(msg, "schema version"), "%s", msg);
	cr_assert(kd_rb_event_begin(&b, "kill", 0, (struct kd_rb_arg[]){ { NULL } }));
	b.hdr.schema = 0;
	cr_assert_eq(dec(kd_rb_end(&b)), KD_ESCHEMA);
}

Test(decode, bad_param_bytes, .init = setup, .fini = teardown)
{
	int openat = kd_event_type_by_name("openat");

	/* string without its NUL */
	kd_rb_begin(&b, openat, 3);
	kd_rb_val(&b, 1);
	kd_rb_bytes(&b, "/tmp/x", 6);
	kd_rb_val(&b, 0);
	kd_rb_val(&b, 0);
	cr_assert_eq(dec(kd_rb_end(&b)), KD_EBADPARAMS);
	cr_assert(strstr(msg, "filename") && strstr(msg, "NUL"), "%s", msg);

	/* a value param of 4 bytes */
	kd_rb_begin(&b, openat, 3);
	kd_rb_bytes(&b, "\x01\x00\x00\x00", 4);
	kd_rb_str(&b, "/tmp/x");
	kd_rb_val(&b, 0);
	kd_rb_val(&b, 0);
	cr_assert_eq(dec(kd_rb_end(&b)), KD_EBADPARAMS);
	cr_assert(strstr(msg, "dfd") && strstr(msg, "4 bytes"), "%s", msg);
}

/* Each malformed record between two good ones, through KD_ENGINE_BUFFER:
 * its own code and message, then the next good record. */
Test(decode, malformed_through_kd_next, .init = setup, .fini = teardown)
{
	static const struct {
		const char *what;
		int code;
		const char *in_msg;
	} cases[] = {
		{ "too many params", KD_EBADPARAMS, "schema has" },
		{ "too few params", KD_EBADPARAMS, "schema version" },
		{ "unknown id", KD_EUNKNOWN, "unknown event type id" },
		{ "schema", KD_ESCHEMA, "upgrade" },
		{ "no NUL", KD_EBADPARAMS, "NUL" },
		{ "VAL of 4", KD_EBADPARAMS, "needs 8" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct kd_handle *h;
		const struct kd_event *e;
		size_t bad_off;

		kd_rb_reset(&b);
		good_kill();
		switch (c) {
		case 0:
			kd_rb_event_begin(&b, "kill", 0, (struct kd_rb_arg[]){ { NULL } });
			kd_rb_val(&b, 1);
			break;
		case 1:
			kd_rb_begin(&b, kd_event_type_by_name("kill"), 0);
			break;
		case 2:
			kd_rb_begin(&b, 998, 0);
			break;
		case 3:
			kd_rb_event_begin(&b, "kill", 0, (struct kd_rb_arg[]){ { NULL } });
			b.hdr.schema = 77;
			break;
		case 4:
			kd_rb_begin(&b, kd_event_type_by_name("openat"), 0);
			kd_rb_val(&b, 1);
			kd_rb_bytes(&b, "ab", 2);
			kd_rb_val(&b, 0);
			kd_rb_val(&b, 0);
			break;
		default:
			kd_rb_begin(&b, kd_event_type_by_name("kill"), 0);
			kd_rb_bytes(&b, "\x01\x00\x00\x00", 4);
			kd_rb_val(&b, 9);
			break;
		}
		bad_off = kd_rb_end(&b);
		good_kill();

		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b.data,
			.records_len = b.len, .events = "all");
		cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
		cr_assert_eq(kd_next(h, &e), 0, "%s: first good record", cases[c].what);
		cr_assert_str_eq(kd_event_name(e), "kill");
		cr_assert_eq(kd_next(h, &e), cases[c].code, "%s: %s", cases[c].what, kd_last_error(h));
		cr_assert_null(e);
		cr_assert(strstr(kd_last_error(h), cases[c].in_msg), "%s: %s", cases[c].what,
			  kd_last_error(h));
		char where[64];
		snprintf(where, sizeof(where), "byte offset %zu", bad_off);
		cr_assert(strstr(kd_last_error(h), where), "%s: %s", cases[c].what, kd_last_error(h));
		cr_assert_eq(kd_next(h, &e), 0, "%s: the next good record", cases[c].what);
		cr_assert_str_eq(kd_event_name(e), "kill");
		cr_assert_eq(kd_next(h, &e), KD_EOF);
		cr_assert_eq(kd_next(h, &e), KD_EOF);

		KD_OPTS(kd_stats, st);
		cr_assert_eq(kd_stats(h, &st), 0);
		cr_assert_eq(st.events, 2);
		cr_assert_eq(st.drops_by_reason[KD_DROP_INVALID], 1);
		cr_assert_eq(st.drops, 1);
		cr_assert_eq(st.bytes, b.len);
		kd_close(h);
	}
}

/* A length the walk cannot get past: one error with the offset, then EOF. */
Test(decode, buffer_walk_stops, .init = setup, .fini = teardown)
{
	struct kd_handle *h;
	const struct kd_event *e;
	size_t off;
	uint32_t l = 100000;

	good_kill();
	off = good_kill();
	good_kill();
	kd_rb_patch(&b, off + offsetof(struct kd_rec_hdr, len), &l, sizeof(l));

	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b.data, .records_len = b.len);
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	cr_assert_eq(kd_next(h, &e), 0);
	cr_assert_eq(kd_next(h, &e), KD_EBADLEN);
	char where[64];
	snprintf(where, sizeof(where), "byte offset %zu", off);
	cr_assert(strstr(kd_last_error(h), where), "%s", kd_last_error(h));
	cr_assert(strstr(kd_last_error(h), "100000"), "%s", kd_last_error(h));
	cr_assert_eq(kd_next(h, &e), KD_EOF);
	kd_close(h);

	/* the second record's length runs past the end */
	kd_rb_reset(&b);
	good_kill();
	good_kill();
	KD_OPTS(kd_open_opts, o2, .engine = KD_ENGINE_BUFFER, .records = b.data, .records_len = b.len - 10);
	cr_assert_eq(kd_open(&o2, &h), 0, "%s", kd_last_error(NULL));
	cr_assert_eq(kd_next(h, &e), 0);
	cr_assert_eq(kd_next(h, &e), KD_EBADLEN);
	cr_assert_eq(kd_next(h, &e), KD_EOF);
	kd_close(h);

	/* a tail too short for a header */
	o2.records_len = b.len / 2 + 20;
	cr_assert_eq(kd_open(&o2, &h), 0, "%s", kd_last_error(NULL));
	cr_assert_eq(kd_next(h, &e), 0);
	cr_assert_eq(kd_next(h, &e), KD_ETRUNCATED);
	cr_assert(strstr(kd_last_error(h), "20 bytes left"), "%s", kd_last_error(h));
	cr_assert_eq(kd_next(h, &e), KD_EOF);
	kd_close(h);

	/* no records at all */
	o2.records_len = 0;
	cr_assert_eq(kd_open(&o2, &h), 0, "%s", kd_last_error(NULL));
	cr_assert_eq(kd_next(h, &e), KD_EOF);
	kd_close(h);
}

/* ------------------------------------------------------------ fuzz-ish */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

Test(decode, random_mutations_never_crash, .init = setup, .fini = teardown)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(1) };
	const char *argv[] = { "sh", "-c", "true", NULL };
	size_t offs[6], n = 0, ok = 0;

	offs[n++] = kd_rb_event(&b, "openat", 3, (struct kd_rb_arg[]){
		KD_RB_V("dfd", -100), KD_RB_S("filename", "/etc/hosts"), KD_RB_V("flags", 02000002), { NULL } });
	offs[n++] = kd_rb_event(&b, "connect", -111, (struct kd_rb_arg[]){
		KD_RB_B("uservaddr", &sin6, sizeof(sin6)), KD_RB_V("addrlen", sizeof(sin6)), { NULL } });
	offs[n++] = kd_rb_event(&b, "execve", 0, (struct kd_rb_arg[]){
		KD_RB_S("filename", "/bin/sh"), KD_RB_A("argv", argv), { NULL } });
	offs[n++] = kd_rb_event(&b, "read", 5, (struct kd_rb_arg[]){
		KD_RB_B("buf", "ab\0\n\xff", 5), KD_RB_V("count", 9), { NULL } });
	offs[n++] = good_kill();
	offs[n] = b.len;
	for (size_t i = 0; i < n; i++)
		cr_assert_neq(offs[i], SIZE_MAX, "record %zu: the schema lacks an event or param", i);

	for (int it = 0; it < 20000; it++) {
		size_t r = next_rand() % n, len = offs[r + 1] - offs[r], m;
		uint8_t *copy;
		char out[96];

		/* an exact-size heap copy: ASan sees any read past the end */
		copy = malloc(len);
		cr_assert_not_null(copy);
		memcpy(copy, b.data + offs[r], len);
		m = 1 + next_rand() % 4;
		while (m--) {
			uint64_t x = next_rand();
			size_t at = (size_t)(x >> 8) % len;

			switch (x & 3) {
			case 0: copy[at] ^= (uint8_t)(1u << ((x >> 40) & 7)); break;
			case 1: copy[at] = (uint8_t)(x >> 48); break;
			case 2: /* lengths are where lies hurt: aim at hdr and plen[] */
				at = KD_REC_HDR_SIZE - 16 + (size_t)(x >> 20) % 28;
				if (at < len)
					copy[at] = (uint8_t)(x >> 48);
				break;
			default: len = at ? at : 1; break;
			}
		}
		if (kd__decode(copy, len, &ev, msg, sizeof(msg)) == 0) {
			struct kd_value v;

			ok++;
			for (unsigned i = 0; i < kd_event_nparams(&ev) + 1; i++) {
				kd_event_param(&ev, i, &v);
				kd_event_param_format(&ev, i, out, sizeof(out));
				kd_event_param_format(&ev, i, out, 3);
			}
			kd_event_result_format(&ev, out, sizeof(out));
		} else {
			cr_assert(msg[0], "every rejection says why");
		}
		free(copy);
	}
	cr_assert_gt(ok, 0, "some mutations keep records valid");
}
