/*
 * tests/test_core_filter_str.c: the bounded string helpers of
 * drivers/bpf-core/kd_filter.bpf.h run in the kernel on their own, through
 * BPF_PROG_TEST_RUN of tests/bpf/kd_filter_test.bpf.c: exact and prefix,
 * equal, shorter, longer, empty, at the maximum length, not NUL-terminated,
 * bytes >= 0x80, differences at word boundaries. Needs root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kd_test.h"
#include "bpf-core/kd_filter.h"

#ifdef KD_HAVE_FILTER_SKEL
#include "kd_filter_test.skel.h"

TestSuite(filter_str, .timeout = 60);

static struct kd_filter_test *skel;

static void setup(void)
{
	int err;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: loads a BPF program");
	skel = kd_filter_test__open_and_load();
	err = skel ? 0 : -errno;
	if (err == -EPERM)
		KD_SKIP_OR_FAIL("no BPF here: %s", strerror(-err));
	cr_assert_not_null(skel, "kd_filter_test: open and load: %s", strerror(-err));
}

static void teardown(void)
{
	kd_filter_test__destroy(skel);
}

/* One BPF_PROG_TEST_RUN over the inputs already in the globals. */
static void run(void)
{
	uint8_t pkt[64] = { 0 }, back[64];
	uint32_t before = skel->bss->runs;
	/* data_out too: valgrind checks it as a buffer even when the kernel would not */
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .data_out = back, .data_size_out = sizeof(back), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.kd_flt_test), &o);

	cr_assert_eq(err, 0, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	cr_assert_eq(o.retval, XDP_PASS);
	cr_assert_eq(skel->bss->runs, before + 1, "the program ran once");
}

/* The library's encoding (lib/core/filter.c): name zero-padded; an exact
 * name masks all 16 bytes, "p*" only strlen(p). comm: n bytes, the rest 0. */
static int str16(const void *comm, size_t n, const char *pat, bool prefix)
{
	size_t pl = strlen(pat);

	memset(skel->bss->in_comm, 0, 16);
	memset(skel->bss->in_pat, 0, 16);
	memset(skel->bss->in_mask, 0, 16);
	memcpy(skel->bss->in_comm, comm, n);
	memcpy(skel->bss->in_pat, pat, pl);
	memset(skel->bss->in_mask, 0xff, prefix ? pl : 16);
	run();
	return (int)skel->bss->out_str16;
}

Test(filter_str, comm_exact_and_prefix, .init = setup, .fini = teardown)
{
	static const char a16[16] = "aaaaaaaaaaaaaaaa"; /* no NUL: a full comm slot */

	cr_assert_eq(str16("bash", 4, "bash", false), 1, "exact, equal");
	cr_assert_eq(str16("bashx", 5, "bash", false), 0, "exact, longer name");
	cr_assert_eq(str16("bas", 3, "bash", false), 0, "exact, shorter name");
	cr_assert_eq(str16("", 0, "a", false), 0, "exact, empty name");
	cr_assert_eq(str16("bash", 4, "ba", true), 1, "prefix of it");
	cr_assert_eq(str16("bash", 4, "bash", true), 1, "prefix, equal");
	cr_assert_eq(str16("bas", 3, "bash", true), 0, "prefix, name shorter");
	cr_assert_eq(str16("bbsh", 4, "ba", true), 0, "prefix, second byte differs");
	cr_assert_eq(str16("bash", 4, "", true), 1, "empty prefix matches all (the library rejects it)");
	cr_assert_eq(str16("kworker/0:1", 11, "kworker/", true), 1);
	cr_assert_eq(str16("aaaaaaaaaaaaaaa", 15, "aaaaaaaaaaaaaaa", false), 1, "max length, exact");
	cr_assert_eq(str16("aaaaaaaaaaaaaab", 15, "aaaaaaaaaaaaaaa", false), 0, "max length, last byte");
	cr_assert_eq(str16(a16, 16, "aaaaaaaaaaaaaaa", true), 1, "no NUL, prefix of 15");
	cr_assert_eq(str16(a16, 16, "aaaaaaaaaaaaaaa", false), 0, "no NUL: not equal to 15 bytes + NUL");
	cr_assert_eq(str16("aaaaaaaa", 8, "aaaaaaaab", true), 0, "word boundary: 9th byte");
	cr_assert_eq(str16("aaaaaaaab", 9, "aaaaaaaa", false), 0, "word boundary: longer by one");
	cr_assert_eq(str16("\xc3\xa9t\xe9", 4, "\xc3\xa9t\xe9", false), 1, "bytes >= 0x80, equal");
	cr_assert_eq(str16("\xc3\xa9t\xe8", 4, "\xc3\xa9t\xe9", false), 0, "bytes >= 0x80, last differs");
	cr_assert_eq(str16("\xfe\x80", 2, "\xff", true), 0, "0xfe vs 0xff");
	cr_assert_eq(str16("\xff\x80", 2, "\xff", true), 1, "0xff prefix");
}

/* s: slen bytes of string, then junk to the end of the slot (the helper
 * must not look past slen); p: plen bytes, then zeros. */
static void path_in(const void *s, size_t slen, const void *p, size_t plen)
{
	memset(skel->bss->in_s, 0x5a, KD_FLT_PATH_MAX);
	memset(skel->bss->in_p, 0, KD_FLT_PATH_MAX);
	memcpy(skel->bss->in_s, s, slen);
	memcpy(skel->bss->in_p, p, plen);
	skel->bss->in_slen = (uint32_t)slen;
	skel->bss->in_plen = (uint32_t)plen;
	run();
}

#define PATH_IS(s, p, want_prefix, want_eq)                                                     \
	do {                                                                                    \
		path_in(s, strlen(s), p, strlen(p));                                            \
		cr_assert_eq(skel->bss->out_prefix, want_prefix, "prefix('%s', '%s')", s, p);   \
		cr_assert_eq(skel->bss->out_eq, want_eq, "eq('%s', '%s')", s, p);               \
	} while (0)

Test(filter_str, path_prefix_and_eq, .init = setup, .fini = teardown)
{
	char a[KD_FLT_PATH_MAX], b[KD_FLT_PATH_MAX];

	PATH_IS("/etc/passwd", "/etc/", 1, 0);
	PATH_IS("/etc/", "/etc/", 1, 1);
	PATH_IS("/et", "/etc/", 0, 0);
	PATH_IS("/etcx", "/etc/", 0, 0);
	PATH_IS("/etc", "/etc", 1, 1);
	PATH_IS("", "", 1, 1);
	PATH_IS("/x", "", 1, 0);
	PATH_IS("", "/", 0, 0);
	PATH_IS("/tmp/abcdefg", "/tmp/abc", 1, 0);      /* 8 bytes: one whole word */
	PATH_IS("/tmp/abcXefg", "/tmp/abcd", 0, 0);     /* differs at byte 8 */
	PATH_IS("/tmp/abcdefgh/ijklmnop", "/tmp/abcdefgh/ijklmnoq", 0, 0); /* last of 3 words */
	PATH_IS("/d\xe9j\xe0/x", "/d\xe9j\xe0/", 1, 0);
	PATH_IS("/d\xe9j\xe0/x", "/d\xe9j\xe1", 0, 0);
	PATH_IS("\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\xfe", 0, 0);

	/* the bytes after slen match the prefix, but the string ends first */
	path_in("/etc/passwd", 5, "/etc/p", 6);
	cr_assert_eq(skel->bss->out_prefix, 0, "junk past slen must not count");

	/* max: a full slot without NUL, prefixes of 127 and 128 bytes */
	memset(a, 'a', sizeof(a));
	memset(b, 'a', sizeof(b));
	path_in(a, KD_FLT_PATH_MAX, b, KD_FLT_PATH_MAX - 1);
	cr_assert_eq(skel->bss->out_prefix, 1, "127-byte prefix of a full slot");
	cr_assert_eq(skel->bss->out_eq, 0);
	path_in(a, KD_FLT_PATH_MAX, b, KD_FLT_PATH_MAX);
	cr_assert_eq(skel->bss->out_prefix, 1, "128 of 128");
	cr_assert_eq(skel->bss->out_eq, 1);
	b[KD_FLT_PATH_MAX - 2] = 'b';
	path_in(a, KD_FLT_PATH_MAX, b, KD_FLT_PATH_MAX - 1);
	cr_assert_eq(skel->bss->out_prefix, 0, "127-byte prefix, last byte differs");
	b[KD_FLT_PATH_MAX - 2] = 'a';
	b[KD_FLT_PATH_MAX - 1] = 'b';
	path_in(a, KD_FLT_PATH_MAX, b, KD_FLT_PATH_MAX);
	cr_assert_eq(skel->bss->out_prefix, 0, "128th byte differs");
	/* lengths past the slot never match, whatever the bytes */
	skel->bss->in_plen = KD_FLT_PATH_MAX + 1;
	skel->bss->in_slen = 1000;
	run();
	cr_assert_eq(skel->bss->out_prefix, 0, "prefix longer than a slot");
}

#else
Test(filter_str, no_skeleton)
{
	KD_SKIP_OR_FAIL("built without clang/bpftool: no filter helper test program");
}
#endif
