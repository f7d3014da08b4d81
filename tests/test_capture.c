/* tests/test_capture.c: capture files: write (opts.capture, kd_dump_*), replay
 * with KD_ENGINE_FILE field by field, rotation, older and newer schemas,
 * files cut short, writer errors. Damage: test_capture_damage.c; snapshots:
 * test_capture_snapshot.c. */
#include "capture_test.h"

TestSuite(capture, .init = setup, .fini = teardown, .timeout = 30);

/* ------------------------------------------------------------ round trips */

Test(capture, open_capture_roundtrip)
{
	struct kd_handle *h;
	const struct kd_event *ev;
	unsigned n = 0;
	int err;

	make_records(&b, 500, 5000000000ull, 12345);
	h = open_buffer(b.data, b.len, path);
	while ((err = kd_next(h, &ev)) == 0) {
		cap_boot = kd_event_ts(ev) - kd_event_ts_mono(ev);
		n++;
	}
	cr_assert_eq(err, KD_EOF);
	cr_assert_eq(n, 500);
	kd_close(h);
	same_stream(path);
}

Test(capture, dump_many_blocks_every_level)
{
	static const int levels[] = { 0, 1, 9, KD_DUMP_STORE };

	make_records(&b, 777, 1, 1);
	for (unsigned i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		KD_OPTS(kd_dump_opts, o, .level = levels[i], .block_records = 13);
		uint8_t *d;
		size_t len;
		struct blk blks[200];
		unsigned nb, nev = 0;

		dump_records(path, &o);
		same_stream(path);
		d = slurp(path, &len);
		nb = walk(d, len, blks, 200);
		for (unsigned k = 0; k < nb; k++) {
			uint16_t fl = kd__get16(d + blks[k].off + KD__BH_FLAGS);

			if (blks[k].type != KD__BLK_EVENTS)
				continue;
			nev++;
			cr_assert_eq(!!(fl & KD__BF_DEFLATE), levels[i] != KD_DUMP_STORE);
		}
		cr_assert_eq(nev, (777 + 12) / 13);
		cr_assert_eq(blks[nb - 2].type, KD__BLK_INDEX);
		cr_assert_eq(blks[nb - 1].type, KD__BLK_END);
		free(d);
	}
}

Test(capture, dump_block_bytes_and_empty)
{
	KD_OPTS(kd_dump_opts, o, .block_bytes = 4096);
	struct kd_dump *d;
	struct replay r;

	make_records(&b, 300, 1, 1);
	dump_records(path, &o);
	same_stream(path);

	/* a dump without events is a valid, empty file */
	cr_assert_eq(kd_dump_open(path, NULL, &d), 0);
	cr_assert_eq(kd_dump_close(d), 0);
	replay(path, &r);
	cr_assert_eq(r.open_err, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 0);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
}

Test(capture, replay_keeps_epoch_and_host_facts)
{
	struct kd__cr *cr;
	const struct kd__cr_info *info;
	struct kd_handle *h;
	const struct kd_event *ev;
	uint64_t boot;
	char host[256] = "";

	make_records(&b, 3, 42, 1);
	dump_records(path, NULL);
	boot = cap_boot;

	cr_assert_eq(kd__cr_open(&cr, NULL, path), 0, "%s", kd_last_error(NULL));
	info = kd__cr_info(cr);
	gethostname(host, sizeof(host) - 1);
	cr_assert_str_eq(info->hostname, host);
	cr_assert_gt(strlen(info->release), 0);
	cr_assert_eq(info->boot_ns, boot);
	cr_assert_eq(info->schema, KD_SCHEMA_VERSION);
	cr_assert_eq(info->format, KD__CAP_FORMAT);
	cr_assert_eq(info->seq, 0);
	cr_assert_geq(info->ncpus, 1);
	cr_assert_gt(info->start_ns, boot);
	kd__cr_close(cr);

	/* the replay runs later, on a "different" boot: epoch ts are the capture's */
	cr_assert_eq(open_file(path, &h), 0);
	cr_assert_eq(kd_next(h, &ev), 0);
	cr_assert_eq(kd_event_ts(ev), boot + 42);
	kd_close(h);
}

/* ------------------------------------------------------------ rotation */

/* The records of one file on its own (KD_ENGINE_FILE follows a set from its
 * first file, the reader does not). */
static void replay_alone(const char *p, struct replay *r)
{
	struct kd__cr *cr;
	const void *rec;
	size_t len;
	int err;

	memset(r, 0, sizeof(*r));
	r->open_err = kd__cr_open(&cr, NULL, p);
	if (r->open_err) {
		snprintf(r->msg[0], sizeof(r->msg[0]), "%s", kd_last_error(NULL));
		return;
	}
	while ((err = kd__cr_next(cr, &rec, &len)) != KD_EOF) {
		struct kd_rec_hdr hdr;

		if (err) {
			r->errs[r->nerr++ % 16] = err;
			continue;
		}
		memcpy(&hdr, rec, sizeof(hdr));
		if (!r->events)
			r->first_ts = hdr.ts;
		r->last_ts = hdr.ts;
		r->events++;
	}
	kd__cr_close(cr);
}

static unsigned replay_rotated(uint64_t *total)
{
	unsigned files = 0;
	char p[160];
	struct stat st;
	uint64_t last = 0;

	*total = 0;
	for (;; files++) {
		struct replay r;
		struct kd__cr *cr;

		if (files == 0)
			snprintf(p, sizeof(p), "%s", path);
		else
			snprintf(p, sizeof(p), "%s.%u", path, files);
		if (stat(p, &st) != 0)
			break;
		replay_alone(p, &r);
		cr_assert_eq(r.open_err, 0, "%s: %s", p, r.msg[0]);
		cr_assert_eq(r.nerr, 0, "%s: %s", p, r.msg[0]);
		cr_assert_gt(r.events, 0, "no empty file at the end of a rotation");
		cr_assert_gt(r.first_ts, last, "files are in order");
		last = r.last_ts;
		*total += r.events;
		cr_assert_eq(kd__cr_open(&cr, NULL, p), 0);
		cr_assert_eq(kd__cr_info(cr)->seq, files);
		kd__cr_close(cr);
	}
	return files;
}

Test(capture, rotate_by_size)
{
	KD_OPTS(kd_dump_opts, o, .max_bytes = 16384, .level = KD_DUMP_STORE);
	uint64_t total;
	unsigned files;
	char p[160];
	struct stat st;

	make_records(&b, 3000, 1, 10);
	dump_records(path, &o);
	files = replay_rotated(&total);
	cr_assert_eq(total, 3000);
	cr_assert_gt(files, 5, "%u files", files);
	/* every file but the last reaches max_bytes, none exceeds it by more than
	 * a block plus its snapshot (which starts each file, whatever its size) */
	for (unsigned i = 0; i + 1 < files; i++) {
		struct blk bl[64];
		size_t len, snap = 0;
		uint8_t *d;
		unsigned nb;

		if (i)
			snprintf(p, sizeof(p), "%s.%u", path, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		cr_assert_eq(stat(p, &st), 0);
		d = slurp(p, &len);
		nb = walk(d, len, bl, 64);
		for (unsigned k = 0; k < nb; k++)
			if (bl[k].type == KD__BLK_SNAPSHOT)
				snap += bl[k].end - bl[k].off;
		cr_assert_gt(snap, 0, "%s has no snapshot", p);
		cr_assert_eq(bl[0].type, KD__BLK_SNAPSHOT);
		free(d);
		cr_assert_geq(st.st_size, 16384);
		cr_assert_lt((size_t)st.st_size - snap, 16384 + 4096 + 1024, "%s: %lld bytes", p,
			     (long long)st.st_size);
	}
}

Test(capture, rotate_by_event_time)
{
	KD_OPTS(kd_dump_opts, o, .max_seconds = 10);
	uint64_t total;

	make_records(&b, 95, 1000000000ull, 1000000000ull); /* one record per second */
	dump_records(path, &o);
	cr_assert_eq(replay_rotated(&total), 10);
	cr_assert_eq(total, 95);
}

/* KD_ENGINE_FILE on the first file replays the whole set, in order, as one
 * stream identical to the events written. */
Test(capture, replay_follows_rotation)
{
	KD_OPTS(kd_dump_opts, o, .max_bytes = 16384, .level = KD_DUMP_STORE);
	struct replay r;
	uint64_t total;
	char p[160];

	make_records(&b, 3000, 1, 10);
	dump_records(path, &o);
	cr_assert_gt(replay_rotated(&total), 5);
	same_stream(path);
	replay(path, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 3000);

	/* a later file of the set replays alone */
	snprintf(p, sizeof(p), "%s.2", path);
	replay(p, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_gt(r.events, 0);
	cr_assert_lt(r.events, 3000 / 5);
}

/* opts.capture_opts: opts.capture compresses and rotates like kd_dump_*. */
Test(capture, open_capture_opts_rotate)
{
	KD_OPTS(kd_dump_opts, d, .max_bytes = 16384, .level = 6);
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .events = "all", .capture = path,
		.capture_opts = &d);
	struct kd_handle *h;
	const struct kd_event *ev;
	uint64_t total;
	int err;

	make_records(&b, 6000, 1, 10);
	o.records = b.data;
	o.records_len = b.len;
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) == 0)
		cap_boot = kd_event_ts(ev) - kd_event_ts_mono(ev);
	cr_assert_eq(err, KD_EOF);
	kd_close(h);
	cr_assert_gt(replay_rotated(&total), 2);
	cr_assert_eq(total, 6000);
	same_stream(path);

	/* checked like kd_dump_open()'s, the message on kd_last_error(NULL) */
	d.level = 10;
	cr_assert_eq(kd_open(&o, &h), KD_EBADOPT);
	cr_assert(strstr(kd_last_error(NULL), "level 10"), "%s", kd_last_error(NULL));
	d.level = 0;
	d.sz = 4;
	cr_assert_eq(kd_open(&o, &h), KD_EBADOPT);
	cr_assert(strstr(kd_last_error(NULL), "opts.capture_opts.sz"), "%s", kd_last_error(NULL));
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *d = slurp(from, &len);

	spit(to, d, len);
	free(d);
}

/* What is not of the set is not followed: a leftover path.N of an earlier,
 * longer capture, a file whose header says another number. A damaged file in
 * the middle costs one error and the set goes on. */
Test(capture, replay_rotation_leftovers_and_damage)
{
	KD_OPTS(kd_dump_opts, o, .max_seconds = 10);
	char p1[160], p2[160], p3[160];
	struct replay r;
	uint64_t total;
	size_t len;
	uint8_t *d;

	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);

	/* an earlier capture of 4 files */
	make_records(&b, 40, 1000000000ull, 1000000000ull);
	dump_records(path, &o);
	cr_assert_eq(replay_rotated(&total), 4);

	/* the new capture has 3 files; the old path.3 stays behind */
	kd_rb_reset(&b);
	make_records(&b, 30, 1000000000ull, 1000000000ull);
	dump_records(path, &o);
	cr_assert_eq(access(p3, F_OK), 0, "the old path.3 is still there");
	replay(path, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 30, "the leftover path.3 is not replayed: %u events", r.events);

	/* a file that says it is number 1 where number 2 belongs ends the set */
	unlink(p3);
	copy_file(p1, p2);
	replay(path, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 20);

	/* a damaged header in the middle: one error, then the next file */
	dump_records(path, &o);
	d = slurp(p1, &len);
	d[0] ^= 0xff;
	spit(p1, d, len);
	free(d);
	replay(path, &r);
	cr_assert_eq(r.nerr, 1);
	cr_assert_eq(r.errs[0], KD_EBADFILE);
	cr_assert(strstr(r.msg[0], p1), "%s", r.msg[0]);
	cr_assert_eq(r.events, 20);
	cr_assert_eq(r.err_at[0], 10);
}

/* ------------------------------------------------------------ compatibility */

Test(capture, newer_schema_and_unknown_events_per_record)
{
	struct replay r;
	struct fb f;
	size_t o;
	uint16_t v = KD_SCHEMA_VERSION + 1, unknown = 1999;

	make_records(&b, 2, 1, 1);
	o = kd_rb_event(&b, "close", 0, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	kd_rb_patch(&b, o + offsetof(struct kd_rec_hdr, schema), &v, 2);
	o = kd_rb_event(&b, "close", 0, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	kd_rb_patch(&b, o + offsetof(struct kd_rec_hdr, type), &unknown, 2);
	make_records(&b, 2, 9, 1);
	/* the file says it comes from a newer schema: records decide, not the header */
	fb_header(&f, KD_SCHEMA_VERSION + 5);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 6);
	fb_finish(&f);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 4);
	cr_assert_eq(r.nerr, 2);
	cr_assert_eq(r.errs[0], KD_ESCHEMA, "%s", r.msg[0]);
	cr_assert_eq(r.errs[1], KD_EUNKNOWN, "%s", r.msg[1]);
	cr_assert_eq(r.err_at[1], 2);
	free(f.d);
}

Test(capture, older_schema_record)
{
#if KD_SCHEMA_VERSION > 1
	struct replay r;
	struct fb f;
	int type = kd_event_type_by_name("openat");

	/* an older producer's openat without the params appended since */
	kd_rb_begin(&b, type, 3);
	b.hdr.schema = KD_SCHEMA_VERSION - 1;
	kd_rb_val(&b, (uint64_t)-100);
	kd_rb_str(&b, "/old");
	kd_rb_end(&b);
	fb_header(&f, KD_SCHEMA_VERSION - 1);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 1);
	fb_finish(&f);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.events, 1, "%s", r.msg[0]);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	free(f.d);
#else
	/* schema 1 is the first: a record from an older schema cannot exist yet;
	 * an old file (header and records at this version) is what every test reads */
	struct replay r;
	struct fb f;

	make_records(&b, 3, 1, 1);
	fb_header(&f, 1);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 3);
	fb_finish(&f);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.events, 3);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	free(f.d);
#endif
}

/* ------------------------------------------------------------ interrupted */

/* A capture cut anywhere yields the events of its complete blocks, one
 * KD_EBADFILE naming the offset, then KD_EOF. */
Test(capture, interrupted_at_any_point)
{
	KD_OPTS(kd_dump_opts, o, .block_records = 10);
	struct blk bl[64];
	struct replay r;
	unsigned nb, cuts = 0;
	uint32_t hdrlen;
	size_t len;
	uint8_t *d;
	char cutp[160];

	make_records(&b, 200, 1, 1);
	dump_records(path, &o);
	d = slurp(path, &len);
	nb = walk(d, len, bl, 64);
	/* snapshot of the buffer handle's tables, 20 events blocks each with
	 * the handle's counters after it (they change: events), index, end */
	cr_assert_eq(nb, 43);
	cr_assert_eq(bl[0].type, KD__BLK_SNAPSHOT);
	cr_assert_eq(bl[1].type, KD__BLK_EVENTS);
	cr_assert_eq(bl[2].type, KD__BLK_STATS);
	hdrlen = kd__get32(d + KD__FH_HDRLEN);
	snprintf(cutp, sizeof(cutp), "%s/cut.kd", dir);
	srand(7);
	for (size_t cut = 1; cut < len; cut += (size_t)(rand() % 97) + 1) {
		unsigned want = 0;

		for (unsigned k = 0; k < nb; k++)
			if (bl[k].type == KD__BLK_EVENTS && bl[k].end <= cut)
				want += bl[k].count;
		spit(cutp, d, cut);
		replay(cutp, &r);
		if (cut < hdrlen) {
			cr_assert_eq(r.open_err, KD_EBADFILE, "cut at %zu", cut);
			continue;
		}
		cr_assert_eq(r.open_err, 0, "cut at %zu: %s", cut, r.msg[0]);
		cr_assert_eq(r.events, want, "cut at %zu: %u events, want %u", cut, r.events, want);
		cr_assert_eq(r.nerr, 1, "cut at %zu", cut);
		cr_assert_eq(r.errs[0], KD_EBADFILE);
		cr_assert(strstr(r.msg[0], "byte offset"), "%s", r.msg[0]);
		cuts++;
	}
	cr_assert_gt(cuts, 100);
	free(d);
}

/* ------------------------------------------------------------ writer errors */

static char logged[1024];

static void on_log(int level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == KD_LOG_ERROR)
		snprintf(logged, sizeof(logged), "%s", msg);
}

Test(capture, writer_errors)
{
	KD_OPTS(kd_dump_opts, o, .block_records = 1);
	struct kd_dump *d = (struct kd_dump *)&o;
	struct kd_handle *h;
	const struct kd_event *ev;
	struct {
		struct kd_dump_opts o;
		uint64_t newer;
	} big = { .o = { .sz = sizeof(big) }, .newer = 1 };

	cr_assert_eq(kd_dump_open(path, NULL, NULL), -EINVAL);
	cr_assert_eq(kd_dump_open(NULL, NULL, &d), -EINVAL);
	cr_assert_null(d);
	cr_assert_eq(kd_dump_event(NULL, NULL), -EINVAL);
	cr_assert_eq(kd_dump_close(NULL), 0);

	o.level = 10;
	cr_assert_eq(kd_dump_open(path, &o, &d), KD_EBADOPT);
	cr_assert(strstr(kd_last_error(NULL), "level 10"));
	o.level = 0;
	o.sz = 4;
	cr_assert_eq(kd_dump_open(path, &o, &d), KD_EBADOPT);
	o.sz = sizeof(o);
	cr_assert_eq(kd_dump_open(path, &big.o, &d), KD_EBADOPT);
	cr_assert(strstr(kd_last_error(NULL), "upgrade kindling"));
	big.newer = 0;
	cr_assert_eq(kd_dump_open(path, &big.o, &d), 0);
	cr_assert_eq(kd_dump_close(d), 0);

	cr_assert_eq(kd_dump_open("/nonexistent/kd/x.kd", &o, &d), -ENOENT);
	cr_assert(strstr(kd_last_error(NULL), "/nonexistent/kd/x.kd"));

	/* a full disk: the error comes back from the event that filled a block */
	make_records(&b, 3, 1, 1);
	h = open_buffer(b.data, b.len, NULL);
	cr_assert_eq(kd_next(h, &ev), 0);
	cr_assert_eq(kd_dump_open("/dev/full", &o, &d), 0);
	cr_assert_eq(kd_dump_event(d, ev), -ENOSPC);
	cr_assert(strstr(kd_dump_last_error(d), "/dev/full"), "%s", kd_dump_last_error(d));
	cr_assert_eq(kd_dump_event(d, ev), -ENOSPC, "errors are sticky");
	cr_assert_eq(kd_dump_close(d), -ENOSPC);
	kd_close(h);

	/* opts.capture: a bad path fails kd_open, a full disk is logged at close */
	{
		KD_OPTS(kd_open_opts, oo, .engine = KD_ENGINE_BUFFER, .records = b.data,
			.records_len = b.len, .capture = "/nonexistent/kd/y.kd");

		cr_assert_eq(kd_open(&oo, &h), -ENOENT);
		cr_assert(strstr(kd_last_error(NULL), "/nonexistent/kd/y.kd"), "%s", kd_last_error(NULL));
		oo.capture = "/dev/full";
		oo.log = on_log;
		oo.log_level = KD_LOG_ERROR;
		cr_assert_eq(kd_open(&oo, &h), 0, "%s", kd_last_error(NULL));
		while (kd_next(h, &ev) == 0)
			;
		logged[0] = '\0';
		kd_close(h);
		cr_assert(strstr(logged, "No space left"), "logged: %s", logged);
	}
}
