/* tests/test_capture_stats.c: STATS blocks: the capturing handle's counters
 * travel with the file, so a replay's kd_stats() says what the capture lost
 * (docs/capture-format.md, docs/api/stats.md). */
#include <stddef.h>

#include "capture_test.h"

TestSuite(capture_stats, .init = setup, .fini = teardown, .timeout = 30);

static struct kd_stats stats_of(struct kd_handle *h)
{
	struct kd_stats st = { .sz = sizeof(st) };

	cr_assert_eq(kd_stats(h, &st), 0, "%s", kd_last_error(h));
	return st;
}

/* Record i of b gets schema 0, which the decoder refuses (KD_DROP_INVALID). */
static void spoil_record(unsigned i)
{
	size_t off = 0;
	struct kd_rec_hdr h;

	for (;;) {
		cr_assert_lt(off + sizeof(h), b.len + 1);
		memcpy(&h, b.data + off, sizeof(h));
		if (!i--)
			break;
		off += h.len;
	}
	h.schema = 0;
	memcpy(b.data + off, &h, sizeof(h));
}

/* Replay p to its end: events delivered, record errors met. */
static unsigned drain(struct kd_handle *h, unsigned *errors)
{
	const struct kd_event *ev;
	unsigned n = 0;
	int err;

	*errors = 0;
	while ((err = kd_next(h, &ev)) != KD_EOF) {
		if (err == 0)
			n++;
		else
			(*errors)++;
		cr_assert_lt(*errors, 100, "%s", kd_last_error(h));
	}
	return n;
}

static char warned[1024];

static void on_log(int level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == KD_LOG_WARN && strstr(msg, "the capture lost"))
		snprintf(warned, sizeof(warned), "%s", msg);
}

/* opts.capture: a record the capturing handle refused is a drop of the
 * replay too, although the file never held it. */
Test(capture_stats, opts_capture_keeps_what_it_lost)
{
	struct kd_stats live, rep;
	struct kd_handle *h;
	unsigned n, errors;

	make_records(&b, 40, 1, 1);
	spoil_record(7);
	h = open_buffer(b.data, b.len, path);
	n = drain(h, &errors);
	cr_assert_eq(n, 39);
	cr_assert_eq(errors, 1);
	live = stats_of(h);
	cr_assert_eq(live.drops_by_reason[KD_DROP_INVALID], 1);
	kd_close(h);

	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all",
		.log = on_log, .log_level = KD_LOG_WARN);
	warned[0] = '\0';
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	n = drain(h, &errors);
	cr_assert_eq(n, 39);
	cr_assert_eq(errors, 0, "the file holds only what was delivered");
	rep = stats_of(h);
	cr_assert_eq(rep.events, 39);
	cr_assert_eq(rep.drops, 1, "the capture's refused record is a drop of the replay");
	cr_assert_eq(rep.drops_by_reason[KD_DROP_INVALID], 1);
	cr_assert_eq(rep.kernel_events, live.kernel_events);
	cr_assert_eq(rep.filtered, live.filtered);
	cr_assert(strstr(warned, "lost 1 events before byte offset"), "warning: '%s'", warned);
	kd_close(h);
}

/* kd_dump_stats(): counters between blocks are in force from where they
 * stand in the file; the last one read wins; an older file has none. */
Test(capture_stats, dump_stats_in_file_order)
{
	struct kd_stats st1 = { .sz = sizeof(st1) }, st2 = { .sz = sizeof(st2) }, rep;
	struct kd_handle *h, *src;
	const struct kd_event *ev;
	struct kd_dump *d;
	unsigned n = 0;
	int err;

	make_records(&b, 20, 1, 1);
	src = open_buffer(b.data, b.len, NULL);
	cr_assert_eq(kd_dump_open(path, NULL, &d), 0, "%s", kd_last_error(NULL));
	st1.drops_by_reason[KD_DROP_BUFFER_FULL] = 5;
	st1.kernel_events = 15;
	st1.filtered = 3;
	st1.filtered_task = 2;
	st1.filtered_path = 1;
	st2 = st1;
	st2.drops_by_reason[KD_DROP_BUFFER_FULL] = 9;
	st2.drops_by_reason[KD_DROP_TOO_BIG] = 1;
	st2.kernel_events = 30;
	while ((err = kd_next(src, &ev)) == 0) {
		cr_assert_eq(kd_dump_event(d, ev), 0, "%s", kd_dump_last_error(d));
		if (++n == 10)
			cr_assert_eq(kd_dump_stats(d, &st1), 0, "%s", kd_dump_last_error(d));
	}
	cr_assert_eq(err, KD_EOF);
	cr_assert_eq(kd_dump_stats(d, &st2), 0);
	/* the same counters again add no block */
	cr_assert_eq(kd_dump_stats(d, &st2), 0);
	/* bad input */
	cr_assert_eq(kd_dump_stats(NULL, &st2), -EINVAL);
	cr_assert_eq(kd_dump_stats(d, NULL), -EINVAL);
	st1.sz = offsetof(struct kd_stats, filtered_path);
	cr_assert_eq(kd_dump_stats(d, &st1), KD_EBADOPT);
	cr_assert(strstr(kd_last_error(NULL), "st->sz"), "%s", kd_last_error(NULL));
	cr_assert_eq(kd_dump_close(d), 0);
	kd_close(src);

	{
		size_t len;
		uint8_t *raw = slurp(path, &len);
		struct blk bl[16];
		unsigned nb = walk(raw, len, bl, 16), nstats = 0;

		for (unsigned i = 0; i < nb; i++)
			nstats += bl[i].type == KD__BLK_STATS;
		cr_assert_eq(nstats, 2, "one block per kd_dump_stats() that changed something");
		free(raw);
	}

	cr_assert_eq(open_file(path, &h), 0, "%s", kd_last_error(NULL));
	rep = stats_of(h);
	cr_assert_eq(rep.drops, 0, "nothing read yet");
	for (n = 0; n < 11; n++)
		cr_assert_eq(kd_next(h, &ev), 0, "%s", kd_last_error(h));
	/* the 11th event is past the first STATS block */
	rep = stats_of(h);
	cr_assert_eq(rep.drops, 5);
	cr_assert_eq(rep.drops_by_reason[KD_DROP_BUFFER_FULL], 5);
	cr_assert_eq(rep.kernel_events, 15);
	cr_assert_eq(rep.filtered, 3);
	cr_assert_eq(rep.filtered_task, 2);
	cr_assert_eq(rep.filtered_path, 1);
	while ((err = kd_next(h, &ev)) == 0)
		n++;
	cr_assert_eq(err, KD_EOF);
	cr_assert_eq(n, 20);
	rep = stats_of(h);
	cr_assert_eq(rep.events, 20);
	cr_assert_eq(rep.drops, 10);
	cr_assert_eq(rep.drops_by_reason[KD_DROP_BUFFER_FULL], 9);
	cr_assert_eq(rep.drops_by_reason[KD_DROP_TOO_BIG], 1);
	cr_assert_eq(rep.kernel_events, 30);
	kd_close(h);
}

/* A STATS payload of nfields counters, field i = base + i. */
static size_t stats_payload(uint8_t *p, unsigned version, unsigned nfields, uint64_t base)
{
	memset(p, 0, KD__ST_FIELDS + 8 * nfields);
	kd__put16(p + KD__ST_VERSION, (uint16_t)version);
	kd__put16(p + KD__ST_NFIELDS, (uint16_t)nfields);
	for (unsigned i = 0; i < nfields; i++)
		kd__put64(p + KD__ST_FIELDS + 8 * i, base + i);
	return KD__ST_FIELDS + 8 * nfields;
}

/* Crafted blocks: a newer writer's extra counters, damaged ones (skipped
 * with one KD_EBADFILE each, the events go on), and a rotated set whose
 * second file has none (the first file's stay in force). */
Test(capture_stats, crafted_blocks)
{
	uint8_t p[KD__ST_FIELDS + 8 * 40];
	struct kd_stats rep;
	struct kd_handle *h;
	struct replay r;
	struct fb f;
	size_t n;

	kd_rb_reset(&b);
	make_records(&b, 4, 1, 1);
	fb_header(&f, KD_SCHEMA_VERSION);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	/* 30 fields: the 13 this library knows, then a newer writer's */
	n = stats_payload(p, 2, 30, 100);
	fb_block(&f, KD__BLK_STATS, 0, p, n, 0);
	fb_finish(&f);
	spit(path, f.d, f.len);
	free(f.d);
	cr_assert_eq(open_file(path, &h), 0, "%s", kd_last_error(NULL));
	while (kd_next(h, &(const struct kd_event *){ NULL }) == 0)
		;
	rep = stats_of(h);
	cr_assert_eq(rep.kernel_events, 100 + KD__STF_KERNEL_EVENTS);
	cr_assert_eq(rep.filtered, 100 + KD__STF_FILTERED);
	cr_assert_eq(rep.filtered_task, 100 + KD__STF_FILTERED_TASK);
	cr_assert_eq(rep.filtered_path, 100 + KD__STF_FILTERED_PATH);
	for (unsigned i = 0; i < KD_DROP__MAX; i++)
		cr_assert_eq(rep.drops_by_reason[i], 100 + KD__STF_DROPS + i, "reason %u", i);
	kd_close(h);

	/* damage: a length that disagrees with nfields, version 0, too short */
	fb_header(&f, KD_SCHEMA_VERSION);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	n = stats_payload(p, 1, 13, 1);
	fb_block(&f, KD__BLK_STATS, 0, p, n - 8, 0);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	n = stats_payload(p, 0, 13, 1);
	fb_block(&f, KD__BLK_STATS, 0, p, n, 0);
	fb_block(&f, KD__BLK_STATS, 0, p, 4, 0);
	fb_block(&f, KD__BLK_EVENTS, 0, b.data, b.len, 4);
	fb_finish(&f);
	spit(path, f.d, f.len);
	free(f.d);
	replay(path, &r);
	cr_assert_eq(r.open_err, 0);
	cr_assert_eq(r.events, 12);
	cr_assert_eq(r.nerr, 3);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(r.errs[i], KD_EBADFILE);
		assert_msg(&r, i, "stats block at byte offset");
	}
	assert_msg(&r, 0, "13 fields");
	assert_msg(&r, 1, "version 0");
	cr_assert_eq(r.err_at[0], 4);
	cr_assert_eq(r.err_at[2], 8);

	/* a set: cap.kd with counters, cap.kd.1 without: still in force */
	{
		char p1[160];

		fb_header(&f, KD_SCHEMA_VERSION);
		fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
		n = stats_payload(p, 1, 13, 0);
		memset(p + KD__ST_FIELDS, 0, n - KD__ST_FIELDS);
		kd__put64(p + KD__ST_FIELDS + 8 * (KD__STF_DROPS + KD_DROP_NO_STATE), 6);
		fb_block(&f, KD__BLK_STATS, 0, p, n, 0);
		fb_finish(&f);
		spit(path, f.d, f.len);
		free(f.d);
		kd_rb_reset(&b);
		make_records(&b, 4, 100, 1);
		fb_header(&f, KD_SCHEMA_VERSION);
		kd__put32(f.d + KD__FH_SEQ, 1);
		fix_fcrc(f.d);
		fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
		fb_finish(&f);
		snprintf(p1, sizeof(p1), "%s.1", path);
		spit(p1, f.d, f.len);
		free(f.d);
	}
	cr_assert_eq(open_file(path, &h), 0, "%s", kd_last_error(NULL));
	n = 0;
	while (kd_next(h, &(const struct kd_event *){ NULL }) == 0)
		n++;
	cr_assert_eq(n, 8, "both files of the set: %s", kd_last_error(h));
	rep = stats_of(h);
	cr_assert_eq(rep.drops_by_reason[KD_DROP_NO_STATE], 6);
	cr_assert_eq(rep.drops, 6);
	kd_close(h);
}
