/* tests/test_filter.c: struct kd_filter checks (kd_filter_set, opts.filter)
 * and engines that cannot filter; no root needed. The kernel side is in
 * tests/test_core_filter.c and tests/test_core_filter_str.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "rec_builder.h"

TestSuite(filter, .timeout = 30);

static struct kd_rb b;
static struct kd_handle *h;

/* A buffer-engine handle: filters are checked before the engine is asked. */
static void setup(void)
{
	kd_rb_init(&b);
	kd_rb_begin(&b, kd_event_type_by_name("getpid"), 0);
	kd_rb_end(&b);
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b.data, .records_len = b.len,
		.flags = KD_OPEN_NO_ENRICH);
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
}

static void teardown(void)
{
	kd_close(h);
	kd_rb_free(&b);
}

static void set_fails(const struct kd_filter *f, int code, const char *what)
{
	int err = kd_filter_set(h, f);

	cr_assert_eq(err, code, "kd_filter_set: got %s (%s), want %s", kd_err_name(err), kd_last_error(h),
		     kd_err_name(code));
	cr_assert(strstr(kd_last_error(h), what), "message '%s' lacks '%s'", kd_last_error(h), what);
}

#define COMMS(...) (const char *const[]){ __VA_ARGS__ }, sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

Test(filter, bad_comms, .init = setup, .fini = teardown)
{
	const char *nine[9] = { "a", "b", "c", "d", "e", "f", "g", "h", "i" };
	struct { const char *const *c; size_t n; const char *what; } cases[] = {
		{ COMMS(""), "empty" },
		{ COMMS("*"), "\"*\"" },
		{ COMMS("a*b"), "'*' only ends" },
		{ COMMS("*abc"), "'*' only ends" },
		{ COMMS("ab**"), "'*' only ends" },
		{ COMMS("0123456789abcdef"), "16 bytes" },
		{ COMMS("0123456789abcdef*"), "16 bytes" },
		{ COMMS("ok", NULL), "comms[1] is NULL" },
		{ nine, 9, "at most 8" },
		{ NULL, 1, "comms is NULL" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		KD_OPTS(kd_filter, f, .comms = cases[i].c, .ncomms = cases[i].n);
		set_fails(&f, KD_EBADOPT, cases[i].what);
	}
}

Test(filter, bad_paths_pids_cgroups_sz, .init = setup, .fini = teardown)
{
	char longp[KD_FILTER_PATH_LEN + 2];
	const char *lp[] = { longp };
	int32_t badpid[] = { 5, -1 };
	uint64_t noid[] = { 0 };
	uint64_t nowhere[] = { 0xfffffffffff1ull };

	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	{
		KD_OPTS(kd_filter, f, .paths = COMMS(""));
		set_fails(&f, KD_EBADOPT, "paths[0] is empty");
	}
	{
		KD_OPTS(kd_filter, f, .paths = lp, .npaths = 1);
		set_fails(&f, KD_EBADOPT, "at most 127");
	}
	{
		KD_OPTS(kd_filter, f, .pids = badpid, .npids = 2);
		set_fails(&f, KD_EBADOPT, "pids[1] is -1");
	}
	{
		KD_OPTS(kd_filter, f, .pids = badpid, .npids = KD_FILTER_MAX_PIDS + 1);
		set_fails(&f, KD_EBADOPT, "at most 16");
	}
	{
		KD_OPTS(kd_filter, f, .cgroup_ids = noid, .ncgroup_ids = 1);
		set_fails(&f, KD_EBADOPT, "cgroup id 0");
	}
	{
		KD_OPTS(kd_filter, f, .cgroup_ids = nowhere, .ncgroup_ids = 1);
		set_fails(&f, KD_EBADOPT, "no cgroup v2 directory");
	}
	{
		KD_OPTS(kd_filter, f, .cgroups = COMMS("/no/such/kd/cgroup"));
		set_fails(&f, KD_EBADOPT, "/no/such/kd/cgroup");
	}
	{
		KD_OPTS(kd_filter, f, .cgroups = COMMS("relative"));
		set_fails(&f, KD_EBADOPT, "not absolute");
	}
	{
		struct kd_filter f = { .sz = 8 };
		set_fails(&f, KD_EBADOPT, "kd_filter.sz");
	}
	{
		/* a newer caller's struct: unknown bytes must be zero */
		struct { struct kd_filter f; uint64_t extra; } big = { .f = { .sz = sizeof(big) }, .extra = 1 };
		set_fails(&big.f, KD_EBADOPT, "byte");
	}
	cr_assert_eq(kd_filter_set(NULL, NULL), -EINVAL);
}

/* Limits are inclusive: 15-byte names, 8 comms, 127-byte paths are fine
 * (the check passes; the buffer engine then says it cannot filter). */
Test(filter, limits_accepted_then_enotsup, .init = setup, .fini = teardown)
{
	const char *eight[8] = { "0123456789abcde", "0123456789abcde*", "b", "c*", "d", "e", "f", "g" };
	char longp[KD_FILTER_PATH_LEN + 1];
	const char *lp[] = { longp };

	memset(longp, '/', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	KD_OPTS(kd_filter, f, .comms = eight, .ncomms = 8, .paths = lp, .npaths = 1);
	set_fails(&f, KD_ENOTSUP, "buffer engine cannot filter");
	/* nothing to filter is fine on any engine */
	cr_assert_eq(kd_filter_set(h, NULL), 0);
	KD_OPTS(kd_filter, empty);
	cr_assert_eq(kd_filter_set(h, &empty), 0);
}

Test(filter, open_opts_filter)
{
	struct kd_handle *x = NULL;
	struct kd_rb rb;
	int err;

	kd_rb_init(&rb);
	kd_rb_begin(&rb, kd_event_type_by_name("getpid"), 0);
	kd_rb_end(&rb);
	{
		KD_OPTS(kd_filter, f, .comms = COMMS("a*b"));
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = rb.data,
			.records_len = rb.len, .filter = &f);
		err = kd_open(&o, &x);
		cr_assert_eq(err, KD_EBADOPT, "%s: %s", kd_err_name(err), kd_last_error(NULL));
		cr_assert_null(x);
	}
	{
		KD_OPTS(kd_filter, f, .comms = COMMS("sh"));
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = rb.data,
			.records_len = rb.len, .filter = &f);
		err = kd_open(&o, &x);
		cr_assert_eq(err, KD_ENOTSUP, "%s: %s", kd_err_name(err), kd_last_error(NULL));
		cr_assert(strstr(kd_last_error(NULL), "opts.filter"));
		cr_assert_null(x);
	}
	{
		KD_OPTS(kd_filter, f);
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = rb.data,
			.records_len = rb.len, .filter = &f, .flags = KD_OPEN_NO_ENRICH);
		cr_assert_eq(kd_open(&o, &x), 0, "%s", kd_last_error(NULL));
		kd_close(x);
	}
	kd_rb_free(&rb);
}
