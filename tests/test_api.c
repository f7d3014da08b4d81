/* tests/test_api.c: kd_open option checks, engines, selection, stats, error
 * codes, through KD_ENGINE_BUFFER where records are needed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rec_builder.h"

TestSuite(api, .timeout = 30);

static struct kd_rb b;
static struct kd_handle *h;

static void setup(void)
{
	kd_rb_init(&b);
	h = NULL;
}

static void teardown(void)
{
	kd_close(h);
	kd_rb_free(&b);
}

/* kd_open must fail with code and a message containing what. */
static void open_fails(const struct kd_open_opts *o, int code, const char *what)
{
	struct kd_handle *x = (struct kd_handle *)1;

	cr_assert_eq(kd_open(o, &x), code, "want %s: %s", kd_err_name(code), kd_last_error(NULL));
	cr_assert_null(x, "*out is NULL on failure");
	cr_assert(strstr(kd_last_error(NULL), what), "'%s' not in '%s'", what, kd_last_error(NULL));
}

Test(api, opts_macro)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .snaplen = 100);

	cr_assert_eq(o.sz, sizeof(struct kd_open_opts));
	cr_assert_eq(o.engine, KD_ENGINE_BUFFER);
	cr_assert_eq(o.snaplen, 100);
	cr_assert_null(o.events);
	KD_OPTS(kd_stats, st);
	cr_assert_eq(st.sz, sizeof(struct kd_stats));
	cr_assert_eq(st.events, 0);
}

Test(api, bad_options, .init = setup, .fini = teardown)
{
	static const char rec[1];
	KD_OPTS(kd_open_opts, o, .engine = 99);

	open_fails(&o, KD_EBADOPT, "unknown engine 99");

	o = (struct kd_open_opts){ .sz = sizeof(int), .engine = KD_ENGINE_BUFFER, .records = rec };
	open_fails(&o, KD_EBADOPT, "KD_OPTS");
	o.sz = 0;
	open_fails(&o, KD_EBADOPT, "sz is 0");

	/* a caller built against a newer header: new fields must be zero */
	struct {
		struct kd_open_opts o;
		uint64_t newer;
	} big = { .o = { .engine = KD_ENGINE_BUFFER, .records = rec }, .newer = 1 };
	big.o.sz = sizeof(big);
	open_fails(&big.o, KD_EBADOPT, "leave newer fields zero");
	big.newer = 0;
	cr_assert_eq(kd_open(&big.o, &h), 0, "%s", kd_last_error(NULL));
	kd_close(h);
	h = NULL;

	/* an older caller: only the fields up to sz count */
	o = (struct kd_open_opts){ .sz = offsetof(struct kd_open_opts, engine) + sizeof(int32_t),
				   .engine = KD_ENGINE_BUFFER, .records = rec };
	open_fails(&o, KD_EBADOPT, "records");

	cr_assert_eq(kd_open(&o, NULL), -EINVAL);
	cr_assert(strstr(kd_last_error(NULL), "out is NULL"));

	KD_OPTS(kd_open_opts, nobuf, .engine = KD_ENGINE_BUFFER);
	open_fails(&nobuf, KD_EBADOPT, "opts.records");

	KD_OPTS(kd_open_opts, snap, .engine = KD_ENGINE_BUFFER, .records = rec, .snaplen = 70000);
	open_fails(&snap, KD_EBADOPT, "snaplen 70000");

	KD_OPTS(kd_open_opts, ring, .engine = KD_ENGINE_BUFFER, .records = rec, .ring_bytes = 3000);
	open_fails(&ring, KD_EBADOPT, "ring_bytes 3000");
	ring.ring_bytes = 1 << 20;
	cr_assert_eq(kd_open(&ring, &h), 0, "%s", kd_last_error(NULL));
	kd_close(h);
	h = NULL;

	KD_OPTS(kd_open_opts, ev, .engine = KD_ENGINE_BUFFER, .records = rec, .events = "read,  bogus");
	open_fails(&ev, KD_EBADOPT, "'bogus'");

	KD_OPTS(kd_open_opts, fl, .engine = KD_ENGINE_BUFFER, .records = rec, .flags = 1u << 30);
	open_fails(&fl, KD_EBADOPT, "opts.flags");

	KD_OPTS(kd_open_opts, pids, .engine = KD_ENGINE_BUFFER, .records = rec, .npids = 2);
	open_fails(&pids, KD_EBADOPT, "pids");

	KD_OPTS(kd_dump_opts, dopts, .level = 1);
	KD_OPTS(kd_open_opts, cap, .engine = KD_ENGINE_BUFFER, .records = rec, .capture_opts = &dopts);
	open_fails(&cap, KD_EBADOPT, "capture_opts");
}

Test(api, engines_not_built, .init = setup, .fini = teardown)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CLASSIC);

	open_fails(&o, KD_ENOENGINE, "engine classic (2) is not available");
	o.engine = KD_ENGINE_KMOD;
	open_fails(&o, KD_ENOENGINE, "kmod");
	o.engine = KD_ENGINE_FILE;
	o.file = "/nonexistent.kd";
	open_fails(&o, -ENOENT, "/nonexistent.kd");
}

static int logged;
static char last_log[512];

static void log_cb(int level, const char *msg, void *ctx)
{
	(void)level;
	cr_assert_eq(ctx, &logged);
	logged++;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

/* AUTO: whatever this machine offers, the outcome says which engine and why. */
Test(api, engine_auto, .init = setup, .fini = teardown)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_AUTO, .log = log_cb, .log_ctx = &logged,
		.log_level = KD_LOG_INFO);
	int err = kd_open(&o, &h);

	if (err == 0) {
		int e = kd_handle_engine(h);

		cr_assert(e == KD_ENGINE_CORE || e == KD_ENGINE_CLASSIC || e == KD_ENGINE_KMOD);
		cr_assert_eq(strncmp(kd_last_error(h), "engine ", 7), 0, "%s", kd_last_error(h));
		cr_assert(strstr(kd_last_error(h), kd_engine_name(e)));
		cr_assert_geq(logged, 1);
		cr_assert(strstr(last_log, kd_engine_name(e)), "%s", last_log);
	} else {
		cr_assert_lt(err, 0);
		cr_assert(strstr(kd_last_error(NULL), "KD_ENGINE_AUTO"), "%s", kd_last_error(NULL));
		cr_assert(strstr(kd_last_error(NULL), "classic: not built"), "%s", kd_last_error(NULL));
		cr_assert(strstr(kd_last_error(NULL), "kmod: not built"), "%s", kd_last_error(NULL));
		cr_assert(strstr(kd_last_error(NULL), "core: "), "%s", kd_last_error(NULL));
	}
}

Test(api, error_codes)
{
#define CHECK(name, val, msg)                                                                  \
	cr_assert_str_eq(kd_strerror(KD_##name), msg);                                        \
	cr_assert_str_eq(kd_err_name(KD_##name), "KD_" #name);                               \
	cr_assert_eq(KD_##name, val);
	KD_ERRNO_MAP(CHECK)
#undef CHECK
	cr_assert_str_eq(kd_strerror(0), "success");
	cr_assert_str_eq(kd_err_name(0), "OK");
	cr_assert_str_eq(kd_strerror(-ENOENT), strerror(ENOENT));
	cr_assert_str_eq(kd_strerror(-EPERM), strerror(EPERM));
	if (kd_errno_name(ENOENT))
		cr_assert_str_eq(kd_err_name(-ENOENT), "ENOENT");
	cr_assert_not_null(kd_strerror(77));
	cr_assert_not_null(kd_strerror(-3999));
	cr_assert_not_null(kd_strerror(-9999));
	cr_assert_str_eq(kd_err_name(-9999), "UNKNOWN");
}

Test(api, names_and_version)
{
	cr_assert_str_eq(kd_engine_name(KD_ENGINE_AUTO), "auto");
	cr_assert_str_eq(kd_engine_name(KD_ENGINE_CORE), "core");
	cr_assert_str_eq(kd_engine_name(KD_ENGINE_CLASSIC), "classic");
	cr_assert_str_eq(kd_engine_name(KD_ENGINE_KMOD), "kmod");
	cr_assert_str_eq(kd_engine_name(KD_ENGINE_FILE), "file");
	cr_assert_str_eq(kd_engine_name(KD_ENGINE_BUFFER), "buffer");
	cr_assert_str_eq(kd_engine_name(42), "unknown");
	cr_assert_str_eq(kd_engine_name(-1), "unknown");
	cr_assert_eq(kd_version(), KD_VERSION_HEX);
	char v[32];
	snprintf(v, sizeof(v), "%d.%d.%d", KD_VERSION_MAJOR, KD_VERSION_MINOR, KD_VERSION_PATCH);
	cr_assert_str_eq(kd_version_string(), v);
	cr_assert_eq(kd_handle_engine(NULL), -EINVAL);
	cr_assert_str_eq(kd_last_error(NULL), kd_last_error(NULL));
	kd_close(NULL);
	const struct kd_event *e;
	cr_assert_eq(kd_next(NULL, &e), -EINVAL);
	cr_assert_eq(kd_probe_enable(NULL, "all", true), -EINVAL);
	cr_assert_eq(kd_stats(NULL, NULL), -EINVAL);
}

static void three_records(void)
{
	cr_assert_neq(kd_rb_event(&b, "openat", 3, (struct kd_rb_arg[]){ KD_RB_S("filename", "/x"), { NULL } }),
		      SIZE_MAX, "the schema has no openat row");
	cr_assert_neq(kd_rb_event(&b, "kill", 0, (struct kd_rb_arg[]){ KD_RB_V("sig", 9), { NULL } }),
		      SIZE_MAX, "the schema has no kill row");
	cr_assert_neq(kd_rb_event(&b, "read", 0, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } }),
		      SIZE_MAX, "the schema has no read row");
}

/* Names of what kd_next delivers, space separated. */
static const char *drain(void)
{
	static char out[256];
	const struct kd_event *e;
	int err;

	out[0] = '\0';
	while ((err = kd_next(h, &e)) == 0)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? " " : "",
			 kd_event_name(e));
	cr_assert_eq(err, KD_EOF, "%s", kd_last_error(h));
	return out;
}

static void open_buffer(const char *events)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b.data,
		.records_len = b.len, .events = events);

	kd_close(h);
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	cr_assert_eq(kd_handle_engine(h), KD_ENGINE_BUFFER);
}

Test(api, selection, .init = setup, .fini = teardown)
{
	three_records();
	open_buffer(NULL); /* all syscalls */
	cr_assert_str_eq(drain(), "openat kill read");
	open_buffer("all");
	cr_assert_str_eq(drain(), "openat kill read");
	open_buffer("file");
	cr_assert_str_eq(drain(), "openat read");
	open_buffer("cat:signal, read");
	cr_assert_str_eq(drain(), "kill read");
	open_buffer("syscalls,-openat");
	cr_assert_str_eq(drain(), "kill read");
	open_buffer("");
	cr_assert_str_eq(drain(), "");

	/* switched while open: the userspace filter follows */
	open_buffer("all");
	cr_assert_eq(kd_probe_enable(h, "kill", false), 0);
	cr_assert_str_eq(drain(), "openat read");
	open_buffer("kill");
	cr_assert_eq(kd_probe_enable(h, "file", true), 0);
	cr_assert_eq(kd_probe_enable(h, "read", false), 0);
	cr_assert_str_eq(drain(), "openat kill");
	open_buffer("all");
	cr_assert_eq(kd_probe_enable(h, "syscalls", false), 0);
	cr_assert_str_eq(drain(), "");

	open_buffer("all");
	cr_assert_eq(kd_probe_enable(h, "nosuchprobe", true), KD_ENOPARAM);
	cr_assert(strstr(kd_last_error(h), "'nosuchprobe'"), "%s", kd_last_error(h));
	cr_assert_eq(kd_probe_enable(h, NULL, true), -EINVAL);
	cr_assert_str_eq(drain(), "openat kill read", "a failed enable changes nothing");
}

Test(api, stats, .init = setup, .fini = teardown)
{
	const struct kd_event *e;

	three_records();
	open_buffer("file");
	cr_assert_str_eq(drain(), "openat read");

	KD_OPTS(kd_stats, st);
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_eq(st.sz, sizeof(st));
	cr_assert_eq(st.events, 2);
	cr_assert_eq(st.bytes, b.len);
	cr_assert_eq(st.drops, 0);

	/* the smallest struct a caller may pass: sz and events */
	struct {
		size_t sz;
		uint64_t events;
		uint64_t canary;
	} small = { offsetof(struct kd_stats, drops), 0, 0x5a5a };
	cr_assert_eq(kd_stats(h, (struct kd_stats *)&small), 0);
	cr_assert_eq(small.events, 2);
	cr_assert_eq(small.canary, 0x5a5a, "nothing past sz is written");
	small.sz = sizeof(size_t);
	cr_assert_eq(kd_stats(h, (struct kd_stats *)&small), KD_EBADOPT);
	cr_assert(strstr(kd_last_error(h), "kd_stats.sz"), "%s", kd_last_error(h));

	/* a newer, larger struct: the tail we do not know reads 0 */
	struct {
		struct kd_stats st;
		uint64_t newer;
	} big;
	memset(&big, 0xff, sizeof(big));
	big.st.sz = sizeof(big);
	cr_assert_eq(kd_stats(h, &big.st), 0);
	cr_assert_eq(big.st.events, 2);
	cr_assert_eq(big.newer, 0);
	cr_assert_eq(big.st.sz, sizeof(big));

	KD_OPTS(kd_cpu_stats, cs);
	cr_assert_eq(kd_stats_cpu(h, 0, &cs), -ERANGE);
	cr_assert_eq(kd_next(h, &e), KD_EOF);
}

Test(api, timestamps, .init = setup, .fini = teardown)
{
	struct timespec mono, rt;
	const struct kd_event *e;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &rt);
	cr_assert(kd_rb_event_begin(&b, "kill", 0, (struct kd_rb_arg[]){ { NULL } }), "no kill row");
	b.hdr.ts = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec;
	kd_rb_end(&b);
	open_buffer("all");
	cr_assert_eq(kd_next(h, &e), 0);
	cr_assert_eq(kd_event_ts_mono(e), b.hdr.ts);
	int64_t d = (int64_t)(kd_event_ts(e) - ((uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec));
	cr_assert(d > -1000000000 && d < 1000000000, "epoch time off by %lld ns", (long long)d);
}
