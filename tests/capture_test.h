/* tests/capture_test.h: what the capture-file tests share: a temporary
 * directory per test, varied records, replays compared field by field, and
 * builders of raw file bytes for the damage cases (docs/capture-format.md). */
#ifndef KD_CAPTURE_TEST_H
#define KD_CAPTURE_TEST_H

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

static inline void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kd-test-capture-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.kd", dir);
	kd_rb_init(&b);
}

static inline void teardown(void)
{
	char cmd[128];

	kd_rb_free(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}


/* ------------------------------------------------------------ records */

/* n varied records: strings, buffers, argv, sockaddrs, flags, latency. */
static inline void make_records(struct kd_rb *rb, unsigned n, uint64_t ts0, uint64_t step)
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

static inline struct kd_handle *open_buffer(const void *recs, size_t len, const char *capture)
{
	struct kd_handle *h;
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = recs, .records_len = len,
		.events = "all", .capture = capture);
	int err = kd_open(&o, &h);

	cr_assert_eq(err, 0, "buffer open: %s", kd_last_error(NULL));
	return h;
}

static inline int open_file(const char *p, struct kd_handle **h)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = p, .events = "all");

	return kd_open(&o, h);
}

/* Every accessor, every param, the formatted text and the raw bytes. */
static inline void same_event(const struct kd_event *a, const struct kd_event *e, unsigned at)
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
static inline void same_stream(const char *file)
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

static inline void replay(const char *p, struct replay *r)
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

static inline void dump_records(const char *p, const struct kd_dump_opts *o)
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

static inline uint8_t *slurp(const char *p, size_t *len)
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

static inline void spit(const char *p, const void *d, size_t len)
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

static inline unsigned walk(const uint8_t *d, size_t len, struct blk *out, unsigned max)
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

static inline void fix_hcrc(uint8_t *bh)
{
	kd__put32(bh + KD__BH_HCRC, (uint32_t)crc32(0, bh, KD__BH_HCRC));
}

static inline void fix_fcrc(uint8_t *d)
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

static inline void fb_put(struct fb *f, const void *p, size_t n)
{
	kd_rb__grow(&f->d, &f->cap, f->len + n);
	memcpy(f->d + f->len, p, n);
	f->len += n;
}

static inline void fb_header(struct fb *f, uint32_t schema)
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

static inline void fb_block(struct fb *f, unsigned type, unsigned flags, const void *data, size_t len,
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

static inline void fb_finish(struct fb *f)
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
static inline void fb_three_blocks(struct fb *f)
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

#endif
