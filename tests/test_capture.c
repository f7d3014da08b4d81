/* tests/test_capture.c: capture files: write (opts.capture, kd_dump_*), replay
 * with KD_ENGINE_FILE field by field, rotation, and the reader's answer to
 * every kind of damage (docs/capture-format.md). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture.h"
#include "format.h"
#include "rec_builder.h"

static char dir[64];
static char path[128];
static struct kd_rb b;
static uint64_t cap_boot; /* epoch offset of the handle whose events were written */

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kd-test-capture-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.kd", dir);
	kd_rb_init(&b);
}

static void teardown(void)
{
	char cmd[128];

	kd_rb_free(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(capture, .init = setup, .fini = teardown, .timeout = 30);

/* ------------------------------------------------------------ records */

/* n varied records: strings, buffers, argv, sockaddrs, flags, latency. */
static void make_records(struct kd_rb *rb, unsigned n, uint64_t ts0, uint64_t step)
{
	static const char *const argv[] = { "/bin/sh", "-c", "echo hi", NULL };
	static const char *const envp[] = { "PATH=/bin", "HOME=/root", NULL };
	uint8_t buf[200];
	char name[64];

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (unsigned i = 0; i < n; i++) {
		bool ok;

		snprintf(name, sizeof(name), "/tmp/file-%u", i);
		switch (i % 5) {
		case 0:
			ok = kd_rb_event_begin(rb, "openat", (int64_t)(i % 7) - 3,
				(struct kd_rb_arg[]){ KD_RB_V("dfd", -100), KD_RB_S("filename", name),
						      KD_RB_V("flags", 0102), KD_RB_V("mode", 0640), { NULL } });
			break;
		case 1:
			ok = kd_rb_event_begin(rb, "read", (int64_t)(i % 150),
				(struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_B("buf", buf, i % 150),
						      KD_RB_V("count", 4096), { NULL } });
			break;
		case 2:
			ok = kd_rb_event_begin(rb, "execve", 0,
				(struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/sh"), KD_RB_A("argv", argv),
						      KD_RB_A("envp", envp), { NULL } });
			break;
		case 3: {
			uint8_t sa[16] = { 2, 0, 0, 80, 127, 0, 0, 1 };

			ok = kd_rb_event_begin(rb, "connect", -111,
				(struct kd_rb_arg[]){ KD_RB_V("fd", 5), KD_RB_B("uservaddr", sa, sizeof(sa)),
						      KD_RB_V("addrlen", 16), { NULL } });
			break;
		}
		default:
			ok = kd_rb_event_begin(rb, "write", 200,
				(struct kd_rb_arg[]){ KD_RB_V("fd", 1), KD_RB_B("buf", buf, 80),
						      KD_RB_V("count", 200), { NULL } });
			rb->hdr.flags |= KD_RF_TRUNCATED;
			break;
		}
		cr_assert(ok, "record builder: unknown event or param");
		rb->hdr.ts = ts0 + i * step;
		rb->hdr.cpu = (uint16_t)(i % 4);
		rb->hdr.tid = 1000 + i;
		rb->hdr.pid = 1000 + i / 3;
		if (i % 2) {
			rb->hdr.flags |= KD_RF_LATENCY;
			rb->hdr.latency = 1000 + i;
		}
		kd_rb_end(rb);
	}
}

static struct kd_handle *open_buffer(const void *recs, size_t len, const char *capture)
{
	struct kd_handle *h;
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = recs, .records_len = len,
		.events = "all", .capture = capture);
	int err = kd_open(&o, &h);

	cr_assert_eq(err, 0, "buffer open: %s", kd_last_error(NULL));
	return h;
}

static int open_file(const char *p, struct kd_handle **h)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = p, .events = "all");

	return kd_open(&o, h);
}

/* Every accessor, every param, the formatted text and the raw bytes. */
static void same_event(const struct kd_event *a, const struct kd_event *e, unsigned at)
{
	const void *ra, *re;
	size_t la, le;

	cr_assert_eq(kd_event_type(a), kd_event_type(e), "event %u", at);
	cr_assert_str_eq(kd_event_name(a), kd_event_name(e));
	cr_assert_eq(kd_event_category(a), kd_event_category(e));
	/* two handles measure the boot offset at different times: the replay
	 * must give the capturing handle's epoch */
	cr_assert_eq(kd_event_ts(a), cap_boot + kd_event_ts_mono(e), "event %u: epoch ts %llu, want %llu",
		     at, (unsigned long long)kd_event_ts(a),
		     (unsigned long long)(cap_boot + kd_event_ts_mono(e)));
	cr_assert_eq(kd_event_ts_mono(a), kd_event_ts_mono(e));
	cr_assert_eq(kd_event_cpu(a), kd_event_cpu(e));
	cr_assert_eq(kd_event_tid(a), kd_event_tid(e));
	cr_assert_eq(kd_event_pid(a), kd_event_pid(e));
	cr_assert_eq(kd_event_result(a), kd_event_result(e));
	cr_assert_eq(kd_event_has_latency(a), kd_event_has_latency(e));
	cr_assert_eq(kd_event_latency(a), kd_event_latency(e));
	cr_assert_eq(kd_event_record_flags(a), kd_event_record_flags(e));
	cr_assert_eq(kd_event_nparams(a), kd_event_nparams(e));
	for (unsigned i = 0; i < kd_event_nparams(e); i++) {
		struct kd_value va, ve;
		char fa[512], fe[512];

		cr_assert_eq(kd_event_param(a, i, &va), 0);
		cr_assert_eq(kd_event_param(e, i, &ve), 0);
		cr_assert_eq(va.kind, ve.kind);
		cr_assert_eq(va.flags, ve.flags);
		cr_assert_eq(va.i, ve.i);
		cr_assert_eq(va.u, ve.u);
		cr_assert_eq(va.len, ve.len, "event %u param %u", at, i);
		cr_assert_str_eq(va.name, ve.name);
		if (ve.flags & KD_VAL_BYTES)
			cr_assert_eq(memcmp(va.ptr, ve.ptr, ve.len), 0, "event %u param %u bytes", at, i);
		cr_assert_geq(kd_event_param_format(a, i, fa, sizeof(fa)), 0);
		cr_assert_geq(kd_event_param_format(e, i, fe, sizeof(fe)), 0);
		cr_assert_str_eq(fa, fe);
	}
	ra = kd_event_record(a, &la);
	re = kd_event_record(e, &le);
	cr_assert_eq(la, le);
	cr_assert_eq(memcmp(ra, re, la), 0, "event %u raw record", at);
}

/* Replay the buffer b and the file side by side; both must end together. */
static void same_stream(const char *file)
{
	struct kd_handle *want = open_buffer(b.data, b.len, NULL), *got;
	const struct kd_event *ew, *eg;
	unsigned n = 0;
	int ew_err, eg_err;

	cr_assert_eq(open_file(file, &got), 0, "file open: %s", kd_last_error(NULL));
	cr_assert_eq(kd_handle_engine(got), KD_ENGINE_FILE);
	for (;;) {
		ew_err = kd_next(want, &ew);
		eg_err = kd_next(got, &eg);
		cr_assert_eq(eg_err, ew_err, "event %u: file gives %d (%s), buffer %d", n, eg_err,
			     kd_last_error(got), ew_err);
		if (ew_err == KD_EOF)
			break;
		cr_assert_eq(ew_err, 0);
		same_event(eg, ew, n++);
	}
	kd_close(want);
	kd_close(got);
}

/* What a replay of a file yields: events, then the error codes met. */
struct replay {
	int open_err;
	unsigned events;
	int errs[16];
	unsigned nerr;
	unsigned err_at[16]; /* events seen before each error */
	char msg[16][512];
	uint64_t first_ts, last_ts;
};

static void replay(const char *p, struct replay *r)
{
	struct kd_handle *h;
	const struct kd_event *ev;
	int err;

	memset(r, 0, sizeof(*r));
	r->open_err = open_file(p, &h);
	if (r->open_err) {
		snprintf(r->msg[0], sizeof(r->msg[0]), "%s", kd_last_error(NULL));
		return;
	}
	for (unsigned guard = 0; guard < 1000000; guard++) {
		err = kd_next(h, &ev);
		if (err == KD_EOF)
			break;
		if (err == 0) {
			if (!r->events)
				r->first_ts = kd_event_ts_mono(ev);
			r->last_ts = kd_event_ts_mono(ev);
			r->events++;
			continue;
		}
		cr_assert_lt(err, 0, "unexpected status %d", err);
		if (r->nerr < 16) {
			r->errs[r->nerr] = err;
			r->err_at[r->nerr] = r->events;
			snprintf(r->msg[r->nerr], sizeof(r->msg[0]), "%s", kd_last_error(h));
		}
		r->nerr++;
		cr_assert_lt(r->nerr, 1000, "the reader keeps failing: %s", kd_last_error(h));
	}
	cr_assert_eq(kd_next(h, &ev), KD_EOF, "KD_EOF stays KD_EOF");
	kd_close(h);
}

static void dump_records(const char *p, const struct kd_dump_opts *o)
{
	struct kd_handle *h = open_buffer(b.data, b.len, NULL);
	const struct kd_event *ev;
	struct kd_dump *d;
	int err;

	cr_assert_eq(kd_dump_open(p, o, &d), 0, "kd_dump_open: %s", kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) == 0 && (cap_boot = kd_event_ts(ev) - kd_event_ts_mono(ev)))
		cr_assert_eq(kd_dump_event(d, ev), 0, "kd_dump_event: %s", kd_dump_last_error(d));
	cr_assert_eq(err, KD_EOF);
	cr_assert_eq(kd_dump_close(d), 0);
	kd_close(h);
}

/* ------------------------------------------------------------ file bytes */

static uint8_t *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *d;
	long n;

	cr_assert_not_null(f, "%s: %s", p, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	d = malloc((size_t)n + 1);
	cr_assert_not_null(d);
	cr_assert_eq(fread(d, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return d;
}

static void spit(const char *p, const void *d, size_t len)
{
	FILE *f = fopen(p, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(d, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* Offsets of the blocks of an intact file. */
struct blk {
	size_t off, end;
	unsigned type, count;
};

static unsigned walk(const uint8_t *d, size_t len, struct blk *out, unsigned max)
{
	size_t off = kd__get32(d + KD__FH_HDRLEN);
	unsigned n = 0;

	while (off + KD__BH_SIZE <= len && n < max) {
		out[n].off = off;
		out[n].type = kd__get16(d + off + KD__BH_TYPE);
		out[n].count = kd__get32(d + off + KD__BH_COUNT);
		off += KD__BH_SIZE + kd__get32(d + off + KD__BH_CLEN);
		out[n++].end = off;
	}
	cr_assert_eq(off, len, "blocks tile the file");
	return n;
}

static void fix_hcrc(uint8_t *bh)
{
	kd__put32(bh + KD__BH_HCRC, (uint32_t)crc32(0, bh, KD__BH_HCRC));
}

static void fix_fcrc(uint8_t *d)
{
	uint32_t hl = kd__get32(d + KD__FH_HDRLEN);

	kd__put32(d + KD__FH_CRC, 0);
	kd__put32(d + KD__FH_CRC, (uint32_t)crc32(0, d, hl));
}

/* A crafted file, block by block, with a correct index and end. */
struct fb {
	uint8_t *d;
	size_t len, cap;
	uint64_t ev_off[64];
	uint32_t ev_count[64];
	unsigned nev;
	uint64_t records;
};

static void fb_put(struct fb *f, const void *p, size_t n)
{
	kd_rb__grow(&f->d, &f->cap, f->len + n);
	memcpy(f->d + f->len, p, n);
	f->len += n;
}

static void fb_header(struct fb *f, uint32_t schema)
{
	uint8_t h[KD__FH_FIXED + 8];
	uint16_t bom = KD__CAP_BOM;

	memset(f, 0, sizeof(*f));
	memset(h, 0, sizeof(h));
	memcpy(h, KD__CAP_MAGIC, KD__CAP_MAGIC_LEN);
	kd__put16(h + KD__FH_FORMAT, KD__CAP_FORMAT);
	memcpy(h + KD__FH_BOM, &bom, 2);
	kd__put32(h + KD__FH_HDRLEN, sizeof(h));
	kd__put32(h + KD__FH_SCHEMA, schema);
	kd__put32(h + KD__FH_RECVER, KD_RECORD_VERSION);
	kd__put64(h + KD__FH_BOOT, 1700000000000000000ull);
	kd__put16(h + KD__FH_HOSTLEN, 4);
	kd__put16(h + KD__FH_RELLEN, 4);
	memcpy(h + KD__FH_FIXED, "host6.18", 8);
	kd__put32(h + KD__FH_CRC, (uint32_t)crc32(0, h, sizeof(h)));
	fb_put(f, h, sizeof(h));
}

static void fb_block(struct fb *f, unsigned type, unsigned flags, const void *data, size_t len,
		     uint32_t count)
{
	uint8_t bh[KD__BH_SIZE], *z = NULL;
	const void *pl = data;
	uLongf zl = compressBound((uLong)len);

	if (flags & KD__BF_DEFLATE) {
		z_stream zs;

		memset(&zs, 0, sizeof(zs));
		cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
		zl = deflateBound(&zs, (uLong)len);
		z = malloc(zl);
		zs.next_in = (Bytef *)data;
		zs.avail_in = (uInt)len;
		zs.next_out = z;
		zs.avail_out = (uInt)zl;
		cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
		zl = zs.total_out;
		deflateEnd(&zs);
		pl = z;
	} else {
		zl = (uLongf)len;
	}
	if (type == KD__BLK_EVENTS) {
		f->ev_off[f->nev] = f->len;
		f->ev_count[f->nev++] = count;
		f->records += count;
	}
	memset(bh, 0, sizeof(bh));
	kd__put32(bh + KD__BH_SYNC, KD__BLK_SYNC);
	kd__put16(bh + KD__BH_TYPE, (uint16_t)type);
	kd__put16(bh + KD__BH_FLAGS, (uint16_t)flags);
	kd__put32(bh + KD__BH_ULEN, (uint32_t)len);
	kd__put32(bh + KD__BH_CLEN, (uint32_t)zl);
	kd__put32(bh + KD__BH_COUNT, count);
	kd__put32(bh + KD__BH_PCRC, (uint32_t)crc32(0, pl, (uInt)zl));
	fix_hcrc(bh);
	fb_put(f, bh, sizeof(bh));
	fb_put(f, pl, zl);
	free(z);
}

static void fb_finish(struct fb *f)
{
	uint8_t ix[64 * KD__IX_SIZE], end[KD__END_SIZE];
	uint64_t at = f->len;

	memset(ix, 0, sizeof(ix));
	for (unsigned i = 0; i < f->nev; i++) {
		kd__put64(ix + i * KD__IX_SIZE + KD__IX_OFFSET, f->ev_off[i]);
		kd__put32(ix + i * KD__IX_SIZE + KD__IX_COUNT, f->ev_count[i]);
	}
	fb_block(f, KD__BLK_INDEX, KD__BF_DEFLATE, ix, f->nev * KD__IX_SIZE, f->nev);
	memset(end, 0, sizeof(end));
	kd__put64(end + KD__END_INDEX, at);
	kd__put64(end + KD__END_RECORDS, f->records);
	kd__put32(end + KD__END_BLOCKS, f->nev);
	fb_block(f, KD__BLK_END, 0, end, sizeof(end), 0);
}

/* Three deflated events blocks of 4 records each from make_records. */
static void fb_three_blocks(struct fb *f)
{
	size_t cut[4];

	kd_rb_reset(&b);
	for (int i = 0; i < 3; i++) {
		cut[i] = b.len;
		make_records(&b, 4, 1000000000ull * (uint64_t)(i + 1), 1000);
	}
	cut[3] = b.len;
	fb_header(f, KD_SCHEMA_VERSION);
	for (int i = 0; i < 3; i++)
		fb_block(f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data + cut[i], cut[i + 1] - cut[i], 4);
	fb_finish(f);
}

#define assert_msg(r, i, needle)                                                       \
	cr_assert(strstr((r)->msg[i], needle), "message %u lacks \"%s\": %s", i, needle, \
		  (r)->msg[i])

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

/* ------------------------------------------------------------ header damage */

Test(capture, open_errors)
{
	struct replay r;
	struct fb f;
	uint16_t bom = 0xfffe;
	size_t len;
	uint8_t *d;

	replay("/nonexistent/kd/cap.kd", &r);
	cr_assert_eq(r.open_err, -ENOENT);
	assert_msg(&r, 0, "/nonexistent/kd/cap.kd");

	replay(dir, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "not a regular file");

	spit(path, "", 0);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "empty (0 bytes)");

	spit(path, "#!/bin/sh\necho hello\n", 21);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "not a kindling capture file: wrong magic at byte offset 0");

	fb_three_blocks(&f);
	spit(path, f.d, 40);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "shorter than the 64-byte file header");

	d = malloc(f.len);
	memcpy(d, f.d, f.len);
	kd__put16(d + KD__FH_FORMAT, 3);
	spit(path, d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "format version 3 is newer than this library (1): upgrade kindling");

	memcpy(d, f.d, f.len);
	memcpy(d + KD__FH_BOM, &bom, 2);
	spit(path, d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "big-endian");

	memcpy(d, f.d, f.len);
	d[KD__FH_FIXED + 1] ^= 0x20; /* hostname byte */
	spit(path, d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "file header crc mismatch");

	memcpy(d, f.d, f.len);
	kd__put32(d + KD__FH_HDRLEN, 1u << 30);
	spit(path, d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "header length 1073741824");

	memcpy(d, f.d, f.len);
	kd__put32(d + KD__FH_RECVER, KD_RECORD_VERSION + 1);
	fix_fcrc(d);
	spit(path, d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, KD_EBADFILE);
	assert_msg(&r, 0, "upgrade kindling");

	/* a longer header (a newer minor writer's fields) is skipped */
	len = f.len + 16;
	free(d);
	d = calloc(1, len);
	memcpy(d, f.d, KD__FH_FIXED + 8);
	memcpy(d + KD__FH_FIXED + 24, f.d + KD__FH_FIXED + 8, f.len - KD__FH_FIXED - 8);
	kd__put32(d + KD__FH_HDRLEN, KD__FH_FIXED + 24);
	fix_fcrc(d);
	/* the index and end point at offsets that moved: patch the end block's index offset */
	{
		struct blk bl[8];
		unsigned nb = walk(d, len, bl, 8);
		uint8_t *end = d + bl[nb - 1].off;
		uint8_t *pl = end + KD__BH_SIZE;

		kd__put64(pl + KD__END_INDEX, bl[nb - 2].off);
		kd__put32(end + KD__BH_PCRC, (uint32_t)crc32(0, pl, KD__END_SIZE));
		fix_hcrc(end);
	}
	spit(path, d, len);
	replay(path, &r);
	cr_assert_eq(r.open_err, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 12);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	free(d);
	free(f.d);
}

/* ------------------------------------------------------------ block damage */

/* Apply fn to a copy of a three-block file, write it, replay it. */
static void damaged(struct fb *f, struct replay *r, void (*fn)(uint8_t *d, struct blk *bl, size_t *len))
{
	struct blk bl[16];
	size_t len = f->len;
	uint8_t *d = malloc(f->len);

	memcpy(d, f->d, f->len);
	walk(d, len, bl, 16);
	fn(d, bl, &len);
	spit(path, d, len);
	free(d);
	replay(path, r);
}

static void flip_payload(uint8_t *d, struct blk *bl, size_t *len)
{
	(void)len;
	d[bl[1].off + KD__BH_SIZE + 5] ^= 0x40;
}

static void flip_header(uint8_t *d, struct blk *bl, size_t *len)
{
	(void)len;
	d[bl[1].off + KD__BH_ULEN] ^= 0x01;
}

static void huge_block(uint8_t *d, struct blk *bl, size_t *len)
{
	(void)len;
	kd__put32(d + bl[1].off + KD__BH_CLEN, 0x7fffffffu);
	kd__put32(d + bl[1].off + KD__BH_ULEN, 0x7fffffffu);
	fix_hcrc(d + bl[1].off);
}

static void past_end(uint8_t *d, struct blk *bl, size_t *len)
{
	(void)len;
	kd__put32(d + bl[1].off + KD__BH_CLEN, 1u << 20);
	fix_hcrc(d + bl[1].off);
}

static void ratio_lie(uint8_t *d, struct blk *bl, size_t *len)
{
	(void)len;
	kd__put32(d + bl[1].off + KD__BH_ULEN, 60u << 20);
	fix_hcrc(d + bl[1].off);
}

/* deflate garbage with a correct crc: only inflate can tell */
static void bad_zlib(uint8_t *d, struct blk *bl, size_t *len)
{
	uint8_t *pl = d + bl[1].off + KD__BH_SIZE;
	uint32_t clen = kd__get32(d + bl[1].off + KD__BH_CLEN);

	(void)len;
	for (uint32_t i = 2; i < clen; i++)
		pl[i] = (uint8_t)(i * 31);
	kd__put32(d + bl[1].off + KD__BH_PCRC, (uint32_t)crc32(0, pl, clen));
	fix_hcrc(d + bl[1].off);
}

static void count_lie(uint8_t *d, struct blk *bl, size_t *len)
{
	(void)len;
	kd__put32(d + bl[1].off + KD__BH_COUNT, 5);
	fix_hcrc(d + bl[1].off);
}

Test(capture, block_damage)
{
	struct replay r;
	struct fb f;

	fb_three_blocks(&f);
	damaged(&f, &r, flip_payload); /* block 2 lost, blocks 1 and 3 read */
	cr_assert_eq(r.open_err, 0);
	cr_assert_eq(r.events, 8);
	cr_assert_eq(r.nerr, 1);
	cr_assert_eq(r.errs[0], KD_EBADFILE);
	cr_assert_eq(r.err_at[0], 4);
	assert_msg(&r, 0, "payload crc mismatch");
	cr_assert(strstr(r.msg[0], "block at byte offset "), "%s", r.msg[0]);

	damaged(&f, &r, flip_header); /* the framing is gone: stop after block 1 */
	cr_assert_eq(r.events, 4);
	cr_assert_eq(r.nerr, 1);
	cr_assert_eq(r.errs[0], KD_EBADFILE);
	assert_msg(&r, 0, "is corrupt (sync or crc mismatch)");

	damaged(&f, &r, huge_block);
	cr_assert_eq(r.events, 4);
	cr_assert_eq(r.nerr, 1);
	assert_msg(&r, 0, "more than the 67108864-byte limit");

	damaged(&f, &r, past_end);
	cr_assert_eq(r.events, 4);
	cr_assert_eq(r.nerr, 1);
	assert_msg(&r, 0, "payload bytes, only");

	damaged(&f, &r, ratio_lie);
	cr_assert_eq(r.events, 4);
	cr_assert_eq(r.nerr, 1);
	assert_msg(&r, 0, "cannot come from");

	damaged(&f, &r, bad_zlib);
	cr_assert_eq(r.events, 8);
	cr_assert_eq(r.nerr, 1);
	cr_assert_eq(r.err_at[0], 4);
	assert_msg(&r, 0, "deflate stream is corrupt");

	damaged(&f, &r, count_lie);
	cr_assert_eq(r.events, 12);
	cr_assert_eq(r.nerr, 2, "the block and then the end block disagree: %s", r.msg[0]);
	assert_msg(&r, 0, "says 5 records but holds 4");
	assert_msg(&r, 1, "end block");

	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.events, 12);
	cr_assert_eq(r.nerr, 0, "intact: %s", r.msg[0]);

	/* bytes after the end block */
	fb_put(&f, "garbage!", 8);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.events, 12);
	cr_assert_eq(r.nerr, 1);
	assert_msg(&r, 0, "8 bytes follow the end block");
	free(f.d);
}

/* Records whose lengths lie inside an intact block: the engine stops at the
 * block's end, the decoder judges what it can frame. */
Test(capture, record_damage)
{
	struct replay r;
	struct fb f;
	size_t o1;
	uint32_t big = 100000, tiny = 8;
	uint16_t np = 9;

	make_records(&b, 2, 1, 1);
	o1 = kd_rb_event(&b, "close", 0, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), { NULL } });
	kd_rb_event(&b, "close", 0, (struct kd_rb_arg[]){ KD_RB_V("fd", 4), { NULL } });
	cr_assert_neq(o1, SIZE_MAX);
	/* param count lies: the core's decoder says so, the block goes on */
	kd_rb_patch(&b, o1 + offsetof(struct kd_rec_hdr, nparams), &np, 2);
	make_records(&b, 1, 5, 1);
	fb_header(&f, KD_SCHEMA_VERSION);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 5);

	/* a second block: its 2nd record claims more than the block holds */
	kd_rb_reset(&b);
	make_records(&b, 3, 100, 1);
	{
		struct kd_rec_hdr h;

		memcpy(&h, b.data, sizeof(h));
		kd_rb_patch(&b, h.len + offsetof(struct kd_rec_hdr, len), &big, 4);
	}
	fb_block(&f, KD__BLK_EVENTS, 0, b.data, b.len, 3);

	/* a third: a record shorter than a header */
	kd_rb_reset(&b);
	make_records(&b, 2, 200, 1);
	kd_rb_patch(&b, 0 + offsetof(struct kd_rec_hdr, len), &tiny, 4);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 2);

	/* a fourth, intact */
	kd_rb_reset(&b);
	make_records(&b, 3, 300, 1);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 3);
	fb_finish(&f);
	spit(path, f.d, f.len);

	replay(path, &r);
	cr_assert_eq(r.open_err, 0);
	/* block 1: 2 + (bad) + 1 + 1 = 4 good; block 2: 1 good; block 3: 0; block 4: 3 */
	cr_assert_eq(r.events, 4 + 1 + 3, "%u events", r.events);
	cr_assert_eq(r.nerr, 3, "%u errors: %s | %s", r.nerr, r.msg[0], r.msg[1]);
	cr_assert(r.errs[0] == KD_EBADPARAMS || r.errs[0] == KD_EBADLEN, "%d: %s", r.errs[0], r.msg[0]);
	cr_assert_eq(r.err_at[0], 2);
	cr_assert_eq(r.errs[1], KD_EBADFILE);
	cr_assert_eq(r.err_at[1], 5);
	assert_msg(&r, 1, "says it is 100000 bytes");
	assert_msg(&r, 1, "block at byte offset ");
	cr_assert_eq(r.errs[2], KD_EBADFILE);
	cr_assert_eq(r.err_at[2], 5);
	assert_msg(&r, 2, "says it is 8 bytes");
	free(f.d);
}

/* A SNAPSHOT payload, entry by entry (docs/capture-format.md). */
struct sb {
	uint8_t d[4096];
	size_t len;
	uint32_t count;
};

static uint8_t *sb_entry(struct sb *s, unsigned kind, size_t body)
{
	uint8_t *e = s->d + s->len;

	cr_assert_lt(s->len + KD__SE_HDR + body, sizeof(s->d));
	memset(e, 0, KD__SE_HDR + body);
	kd__put16(e, (uint16_t)kind);
	kd__put32(e + 4, (uint32_t)body);
	s->len += KD__SE_HDR + body;
	s->count++;
	return e + KD__SE_HDR;
}

static void sb_meta(struct sb *s, uint32_t np, uint32_t nt, uint32_t nf)
{
	uint8_t *d;

	memset(s, 0, sizeof(*s));
	d = sb_entry(s, KD__SE_META, 16);
	kd__put16(d, KD__SNAP_VERSION);
	kd__put32(d + 4, np);
	kd__put32(d + 8, nt);
	kd__put32(d + 12, nf);
}

/* u16 length + 1, then the bytes */
static size_t sb_str(uint8_t *d, const char *str, size_t n)
{
	kd__put16(d, (uint16_t)(n + 1));
	memcpy(d + 2, str, n);
	return 2 + n;
}

static void sb_proc(struct sb *s, uint32_t pid, uint32_t ppid, uint32_t fdshare, const char *exe)
{
	static const char args[] = "snap\0-x";
	size_t el = 64 + 2 + strlen(exe) + 2 + 4 + 2 + 2 + sizeof(args) - 1;
	uint8_t *d = sb_entry(s, KD__SE_PROC, el), *at = d + 64;

	kd__put32(d, pid);
	kd__put32(d + 4, ppid);
	kd__put32(d + 12, 1234); /* uid */
	kd__put32(d + 20, 1234); /* euid */
	kd__put32(d + 28, UINT32_MAX);
	kd__put32(d + 36, fdshare);
	kd__put64(d + 40, 42);
	at += sb_str(at, exe, strlen(exe));
	at += sb_str(at, "/srv", 4);
	kd__put16(at, 0); /* no cgroup */
	at += 2;
	at += sb_str(at, args, sizeof(args) - 1);
	cr_assert_eq(at, d + el);
}

static void sb_thread(struct sb *s, uint32_t tid, uint32_t pid, const char *comm)
{
	uint8_t *d = sb_entry(s, KD__SE_THREAD, 48);

	kd__put32(d, tid);
	kd__put32(d + 4, pid);
	snprintf((char *)d + 32, 16, "%s", comm);
}

static void sb_fd(struct sb *s, uint32_t pid, int32_t num, const char *path)
{
	uint8_t *d = sb_entry(s, KD__SE_FD, 64 + 2 + strlen(path));

	kd__put32(d, pid);
	kd__put32(d + 4, (uint32_t)num);
	d[8] = KD_FD_FILE;
	sb_str(d + 64, path, strlen(path));
}

/* The tables of make_records' first process: pid 1000 (threads 1000-1002)
 * with fd 3, its parent 999, and pid 2000 sharing 1000's fd table. */
static void sb_good(struct sb *s)
{
	sb_meta(s, 3, 4, 2);
	sb_proc(s, 999, 1, 999, "/sbin/parent");
	sb_thread(s, 999, 999, "parent");
	sb_proc(s, 1000, 999, 1000, "/usr/bin/snapped");
	sb_thread(s, 1000, 1000, "snapcomm");
	sb_thread(s, 1001, 1000, "snapcomm-1");
	sb_fd(s, 1000, 3, "/etc/snap.conf");
	sb_fd(s, 1000, 7, "/var/log/snap.log");
	sb_proc(s, 2000, 1000, 1000, "/usr/bin/sharer");
	sb_thread(s, 2000, 2000, "sharer");
}

/* Replays a file with one snapshot block (at byte 72, after fb_header) and
 * make_records(4): what the first two events are enriched with. */
struct snap_replay {
	struct replay r;
	char comm[2][32], exe[2][64], cwd[32], args[32], fd[64];
	uint32_t ppid, uid;
	int fd_iter;
};

static int count_fd(const struct kd_fd *f, void *ctx)
{
	(void)f;
	++*(int *)ctx;
	return 0;
}

static void snap_replay(const struct sb *s, uint32_t count, size_t len, struct snap_replay *sr)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct fb f;
	int err;

	kd_rb_reset(&b);
	make_records(&b, 4, 1, 1);
	fb_header(&f, KD_SCHEMA_VERSION);
	cr_assert_eq(f.len, 72);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s->d, len, count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	fb_finish(&f);
	spit(path, f.d, f.len);
	free(f.d);

	memset(sr, 0, sizeof(*sr));
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) != KD_EOF) {
		const struct kd_thread *t;
		const struct kd_fd *fd;
		unsigned i = sr->r.events;

		if (err) {
			cr_assert_lt(sr->r.nerr, 16);
			sr->r.errs[sr->r.nerr] = err;
			sr->r.err_at[sr->r.nerr] = sr->r.events;
			snprintf(sr->r.msg[sr->r.nerr++], sizeof(sr->r.msg[0]), "%s", kd_last_error(h));
			continue;
		}
		sr->r.events++;
		if (i >= 2)
			continue;
		t = kd_event_thread(ev);
		cr_assert_not_null(t);
		snprintf(sr->comm[i], sizeof(sr->comm[i]), "%s", kd_thread_comm(t));
		snprintf(sr->exe[i], sizeof(sr->exe[i]), "%s", kd_thread_exe(t));
		if (i == 0) {
			size_t al;
			const char *a = kd_thread_args(t, &al);

			snprintf(sr->cwd, sizeof(sr->cwd), "%s", kd_thread_cwd(t));
			for (size_t k = 0; k < al && k + 1 < sizeof(sr->args); k++)
				sr->args[k] = a[k] ? a[k] : ' ';
			sr->ppid = kd_thread_ppid(t);
			sr->uid = kd_thread_uid(t);
			kd_fd_iter(h, 2000, count_fd, &sr->fd_iter);
		}
		fd = kd_event_fd(ev);
		if (i == 1 && fd)
			kd_fd_format(fd, sr->fd, sizeof(sr->fd));
	}
	kd_close(h);
}

Test(capture, snapshot_restores_the_tables)
{
	struct snap_replay sr;
	struct sb s;

	sb_good(&s);
	snap_replay(&s, s.count, s.len, &sr);
	cr_assert_eq(sr.r.nerr, 0, "%s", sr.r.msg[0]);
	cr_assert_eq(sr.r.events, 4);
	/* event 0: openat by 1000; event 1: read(3) by tid 1001 of pid 1000 */
	cr_assert_str_eq(sr.comm[0], "snapcomm");
	cr_assert_str_eq(sr.exe[0], "/usr/bin/snapped");
	cr_assert_str_eq(sr.cwd, "/srv");
	cr_assert_str_eq(sr.args, "snap -x");
	cr_assert_eq(sr.ppid, 999);
	cr_assert_eq(sr.uid, 1234);
	cr_assert_str_eq(sr.comm[1], "snapcomm-1");
	cr_assert_str_eq(sr.fd, "file:/etc/snap.conf");
	/* 2000 shares 1000's table: the openat of event 0 (fd -3 fails) added nothing */
	cr_assert_eq(sr.fd_iter, 2);

	/* the same file without enrichment replays the same events */
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all",
			.flags = KD_OPEN_NO_ENRICH);
		const struct kd_event *ev;
		struct kd_handle *h;
		unsigned n = 0;

		cr_assert_eq(kd_open(&o, &h), 0);
		while (kd_next(h, &ev) == 0) {
			cr_assert_null(kd_event_thread(ev));
			n++;
		}
		cr_assert_eq(n, 4);
		kd_close(h);
	}
}

/* An update (what the live handle learned from the kernel mid-stream) is
 * merged into the tables before the record after it. */
Test(capture, snapshot_update_between_records)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct fb f;
	struct sb s, u;
	char fd[4][64] = { "", "", "", "" }, exe[4][64];
	unsigned n = 0;
	size_t cut;

	kd_rb_reset(&b);
	make_records(&b, 2, 1, 1); /* openat by 1000, read(3) by 1001 */
	cut = b.len;
	make_records(&b, 2, 10, 1);
	sb_good(&s);
	sb_meta(&u, 1, 2, 1);
	kd__put16(u.d + 8 + 2, 1); /* update */
	sb_proc(&u, 1000, 999, 1000, "/usr/bin/updated");
	sb_thread(&u, 1000, 1000, "snapcomm");
	sb_thread(&u, 1001, 1000, "renamed");
	sb_fd(&u, 1000, 3, "/etc/updated.conf");
	fb_header(&f, KD_SCHEMA_VERSION);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s.d, s.len, s.count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, cut, 2);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, u.d, u.len, u.count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data + cut, b.len - cut, 2);
	fb_finish(&f);
	spit(path, f.d, f.len);
	free(f.d);

	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while (kd_next(h, &ev) == 0) {
		const struct kd_fd *x = kd_event_fd(ev);

		cr_assert_lt(n, 4);
		if (x)
			kd_fd_format(x, fd[n], sizeof(fd[n]));
		snprintf(exe[n], sizeof(exe[n]), "%s", kd_thread_exe(kd_event_thread(ev)));
		n++;
	}
	cr_assert_eq(n, 4, "%s", kd_last_error(h));
	cr_assert_str_eq(exe[1], "/usr/bin/snapped");
	cr_assert_str_eq(fd[1], "file:/etc/snap.conf");
	cr_assert_str_eq(exe[3], "/usr/bin/updated");
	cr_assert_str_eq(fd[3], "file:/etc/updated.conf");
	cr_assert_str_eq(kd_thread_comm(kd_thread_lookup(h, 1001)), "renamed");
	/* the whole table was replaced: fd 7 is gone, the parent link stays */
	cr_assert_eq(kd_fd_iter(h, 1000, count_fd, &(int){ 0 }), 0);
	{
		int k = 0;

		kd_fd_iter(h, 1000, count_fd, &k);
		cr_assert_eq(k, 1);
	}
	cr_assert_eq(kd_thread_ppid(kd_thread_lookup(h, 1000)), 999);
	kd_close(h);
}

/* Tables that events can make but a reader refuses must not be written: a
 * pid 0 (the kernel's idle task) is fine, a parent loop is cut. Found by the
 * reader fuzzer (fuzz/corpus/reader/snapshot-pid0). */
Test(capture, snapshot_of_odd_tables)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct replay r;
	char p2[160];
	int err;

	kd_rb_reset(&b);
	kd_rb_event_begin(&b, "getpid", 0, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 0;
	kd_rb_end(&b);
	/* 100 forks 200, then 200 "forks" 100: 100 (first seen in an event) takes 200 as parent */
	kd_rb_event_begin(&b, "fork", 200, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 100;
	kd_rb_end(&b);
	kd_rb_event_begin(&b, "fork", 100, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 200;
	kd_rb_end(&b);
	kd_rb_event_begin(&b, "getpid", 100, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 100;
	b.hdr.ts = 10000000000ull;
	kd_rb_end(&b);
	dump_records(path, NULL);
	/* replay it and dump the replay, rotating at the last event: the second
	 * file's snapshot holds those tables */
	snprintf(p2, sizeof(p2), "%s/again.kd", dir);
	{
		KD_OPTS(kd_dump_opts, dopts, .max_seconds = 1);
		struct kd_dump *d;

		cr_assert_eq(kd_open(&o, &h), 0);
		cr_assert_eq(kd_dump_open(p2, &dopts, &d), 0);
		while ((err = kd_next(h, &ev)) == 0)
			cr_assert_eq(kd_dump_event(d, ev), 0);
		cr_assert_eq(err, KD_EOF, "%s", kd_last_error(h));
		cr_assert_eq(kd_thread_ppid(kd_thread_lookup(h, 100)), 200, "the loop is in the tables");
		cr_assert_eq(kd_dump_close(d), 0);
		kd_close(h);
	}
	replay(p2, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 4);
	snprintf(p2, sizeof(p2), "%s/again.kd.1", dir);
	replay(p2, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 1);
	o.file = p2;
	cr_assert_eq(kd_open(&o, &h), 0);
	cr_assert_eq(kd_next(h, &ev), 0);
	cr_assert_eq(kd_thread_ppid(kd_event_thread(ev)), 0, "the loop is cut in the file");
	cr_assert_str_eq(kd_thread_comm(kd_thread_lookup(h, 0)), "");
	cr_assert_not_null(kd_thread_lookup(h, 0));
	kd_close(h);
}

/* Damage to a snapshot: one KD_EBADFILE naming the block's byte offset and
 * the entry's payload byte, the block is skipped (the tables start empty),
 * the events all come. */
static void snap_bad(const struct sb *s, uint32_t count, size_t len, const char *want)
{
	struct snap_replay sr;

	snap_replay(s, count, len, &sr);
	cr_assert_eq(sr.r.events, 4);
	cr_assert_eq(sr.r.nerr, 1, "%u errors: %s", sr.r.nerr, sr.r.msg[0]);
	cr_assert_eq(sr.r.errs[0], KD_EBADFILE);
	cr_assert_eq(sr.r.err_at[0], 0);
	assert_msg(&sr.r, 0, "snapshot block at byte offset 72: ");
	assert_msg(&sr.r, 0, want);
	assert_msg(&sr.r, 0, "the block is skipped");
	/* nothing of it was restored */
	cr_assert_str_eq(sr.comm[0], "");
	cr_assert_str_eq(sr.exe[0], "");
	cr_assert_str_eq(sr.fd, "");
}

Test(capture, snapshot_damage)
{
	struct sb s;

	/* parent links that loop: 999 -> 2000 -> 1000 -> 999 */
	sb_good(&s);
	kd__put32(s.d + 8 + 16 + 8 + 4, 2000); /* first process entry (999): ppid */
	snap_bad(&s, s.count, s.len, "process entry at payload byte 24: the parent links of pid 999 "
		 "loop back to it (pid 999 -> ppid 2000)");

	/* a tid twice */
	sb_good(&s);
	sb_thread(&s, 1001, 999, "dup");
	kd__put32(s.d + 8 + 8, 5);
	snap_bad(&s, s.count, s.len, "thread entry at payload byte 743: duplicate tid 1001 (also at "
		 "payload byte 346)");

	/* cut short inside an entry header, and inside an entry */
	sb_good(&s);
	snap_bad(&s, s.count, s.len - 3, "entry at payload byte 687 says 48 bytes, 45 remain");
	snap_bad(&s, s.count, 691, "entry at payload byte 687 is cut short (4 bytes left)");

	/* lengths that lie: an exe longer than its entry, an entry longer than the payload */
	sb_good(&s);
	kd__put16(s.d + 24 + 8 + 64, 500);
	snap_bad(&s, s.count, s.len, "entry at payload byte 24: exe says 499 bytes, 29 remain in the "
		 "entry");
	sb_good(&s);
	kd__put32(s.d + 24 + 4, 1u << 30);
	snap_bad(&s, s.count, s.len, "entry at payload byte 24 says 1073741824 bytes");
	sb_good(&s);
	snap_bad(&s, s.count + 1, s.len, "the block says 11 entries, the payload holds 10");

	/* absurd counts, and counts that disagree with the entries */
	sb_good(&s);
	kd__put32(s.d + 8 + 8, 4000000);
	snap_bad(&s, s.count, s.len, "claims 3 processes, 4000000 threads and 2 fds");
	sb_good(&s);
	kd__put32(s.d + 8 + 8, 3);
	snap_bad(&s, s.count, s.len, "thread entry at payload byte 687 is one more than the 3");

	/* references to nothing */
	sb_good(&s);
	sb_fd(&s, 2000, 9, "/x");
	kd__put32(s.d + 8 + 12, 3);
	snap_bad(&s, s.count, s.len, "fd 9 of pid 2000, which uses the fd table of pid 1000");
	sb_good(&s);
	sb_thread(&s, 77, 77, "orphan");
	kd__put32(s.d + 8 + 8, 5);
	snap_bad(&s, s.count, s.len, "tid 77 belongs to pid 77, which is not in the snapshot");
	sb_good(&s);
	sb_fd(&s, 1000, 3, "/again");
	kd__put32(s.d + 8 + 12, 3);
	snap_bad(&s, s.count, s.len, "pid 1000 has fd 3 twice");

	/* a newer snapshot version, and entries before the header entry */
	sb_good(&s);
	kd__put16(s.d + 8, 9);
	snap_bad(&s, s.count, s.len, "snapshot version 9, this library reads 1: upgrade kindling");
	sb_meta(&s, 0, 0, 0);
	s.len = 0;
	s.count = 0;
	sb_thread(&s, 1, 1, "x");
	snap_bad(&s, s.count, s.len, "entry at payload byte 0 is a thread entry: the snapshot must "
		 "start with its header entry");
}

Test(capture, snapshots_and_unknown_blocks)
{
	struct replay r;
	struct fb f;
	struct sb s;

	kd_rb_reset(&b);
	make_records(&b, 4, 1, 1);
	fb_header(&f, KD_SCHEMA_VERSION);
	/* empty snapshot, then one with an entry kind from a newer writer (skipped) */
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, "", 0, 0);
	sb_meta(&s, 0, 0, 0);
	sb_entry(&s, 99, 12);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s.d, s.len, s.count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	/* garbage snapshot: entry length past the payload */
	kd__put32(s.d + 24 + 4, 400);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s.d, s.len, s.count);
	/* a newer writer's optional block type: skipped */
	fb_block(&f, 77, KD__BF_DEFLATE, "future", 6, 1);
	fb_block(&f, KD__BLK_EVENTS, 0, b.data, b.len, 4);
	fb_finish(&f);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, 0);
	cr_assert_eq(r.events, 8);
	cr_assert_eq(r.nerr, 1, "%s", r.msg[0]);
	cr_assert_eq(r.err_at[0], 4);
	assert_msg(&r, 0, "snapshot block at byte offset");
	assert_msg(&r, 0, "says 400 bytes");
	free(f.d);

	/* a required block type this library does not know stops the replay */
	fb_header(&f, KD_SCHEMA_VERSION);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	fb_block(&f, 78, KD__BF_REQUIRED, "x", 1, 0);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	fb_finish(&f);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.events, 4);
	cr_assert_eq(r.nerr, 1);
	assert_msg(&r, 0, "type 78");
	assert_msg(&r, 0, "upgrade kindling");
	free(f.d);
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
	/* snapshot of the buffer handle's tables, 20 events blocks, index, end */
	cr_assert_eq(nb, 23);
	cr_assert_eq(bl[0].type, KD__BLK_SNAPSHOT);
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
