/* lib/capture/writer.c: records -> capture file blocks, with rotation.
 * Records collect in memory and leave as one compressed block every
 * block_records / block_bytes, so an interrupted capture loses at most the
 * block being filled. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "capture.h"
#include "format.h"

#define CW_BLOCK_RECORDS 65536u
#define CW_BLOCK_BYTES (1u << 20)
#define CW_BLOCK_BYTES_MAX (16u << 20)
#define CW_BLOCK_BYTES_MIN 4096u
#define CW_LEVEL 1

_Static_assert((int)KD__STF_NDROPS == (int)KD_DROP__MAX, "a STATS block holds every drop reason");

struct kd__cw {
	int fd;
	char *path;       /* base path; rotated files are path.1, path.2, ... */
	char *cur;        /* the file being written */
	uint32_t seq;
	int level;        /* 0: store */
	uint32_t block_records;
	size_t block_bytes;
	uint64_t max_bytes, max_ns;
	uint64_t boot_ns;
	bool have_boot, hdr_written, rotate_due;

	/* the block being filled */
	uint8_t *ubuf;
	size_t ulen, ucap;
	uint32_t count;
	uint64_t ts_first, ts_last;

	uint8_t *cbuf;
	size_t ccap;
	z_stream zs;
	bool zinit;

	/* the current file */
	uint64_t off, start_ns, ts0, records;
	bool have_ts0;
	uint8_t *index;   /* KD__IX entries */
	size_t nindex, index_cap;

	/* the SNAPSHOT block of the current file, taken when it started */
	kd__cw_snap_fn snap_fn;
	void *snap_ctx;
	uint8_t *snap;
	size_t snap_len;
	uint32_t snap_count;
	bool snap_taken;

	/* the capturing handle's counters (STATS blocks) */
	kd__cw_stats_fn stats_fn;
	void *stats_ctx;
	uint8_t stats_last[KD__ST_FIELDS + 8 * KD__STF_COUNT]; /* the last STATS payload written */
	bool stats_written;

	int err;          /* sticky: the first failure */
	char msg[400];
};

static int fail(struct kd__cw *w, int code, const char *fmt, ...) KD__PRINTF(3, 4);
static int fail(struct kd__cw *w, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	if (!w->err)
		w->err = code;
	return code;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_all(struct kd__cw *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			return fail(w, -e, "capture file %s: write at byte offset %llu failed: %s",
				    w->cur, (unsigned long long)w->off, strerror(e));
		}
		p += n;
		len -= (size_t)n;
		w->off += (uint64_t)n;
	}
	return 0;
}

static int grow(struct kd__cw *w, uint8_t **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 4096;
	uint8_t *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*buf, c);
	if (!p)
		return fail(w, -ENOMEM, "capture file %s: out of memory for a %zu-byte buffer", w->cur, c);
	*buf = p;
	*cap = c;
	return 0;
}

static int write_header(struct kd__cw *w)
{
	uint8_t h[KD__FH_FIXED + 2 * 255];
	char host[256] = "";
	struct utsname u;
	size_t hl, rl;
	uint16_t bom = KD__CAP_BOM;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	if (uname(&u) != 0)
		u.release[0] = '\0';
	hl = strnlen(host, 255);
	rl = strnlen(u.release, 255);

	memset(h, 0, sizeof(h));
	memcpy(h + KD__FH_MAGIC, KD__CAP_MAGIC, KD__CAP_MAGIC_LEN);
	kd__put16(h + KD__FH_FORMAT, KD__CAP_FORMAT);
	memcpy(h + KD__FH_BOM, &bom, sizeof(bom)); /* native on purpose: it tells the order */
	kd__put32(h + KD__FH_HDRLEN, (uint32_t)(KD__FH_FIXED + hl + rl));
	kd__put32(h + KD__FH_SCHEMA, KD_SCHEMA_VERSION);
	kd__put32(h + KD__FH_RECVER, KD_RECORD_VERSION);
	kd__put64(h + KD__FH_BOOT, w->boot_ns);
	kd__put64(h + KD__FH_START, w->start_ns);
	kd__put32(h + KD__FH_NCPUS, ncpu > 0 ? (uint32_t)ncpu : 0);
	kd__put32(h + KD__FH_SEQ, w->seq);
	kd__put16(h + KD__FH_HOSTLEN, (uint16_t)hl);
	kd__put16(h + KD__FH_RELLEN, (uint16_t)rl);
	memcpy(h + KD__FH_FIXED, host, hl);
	memcpy(h + KD__FH_FIXED + hl, u.release, rl);
	kd__put32(h + KD__FH_CRC, (uint32_t)crc32(0, h, (uInt)(KD__FH_FIXED + hl + rl)));
	w->hdr_written = true;
	return write_all(w, h, KD__FH_FIXED + hl + rl);
}

static int write_block(struct kd__cw *w, unsigned type, const uint8_t *data, size_t len,
		       uint32_t count, uint64_t ts_first, uint64_t ts_last, bool may_deflate);

/* The tables as they are when a file starts, kept until its header is out. */
static int take_snapshot(struct kd__cw *w)
{
	int r;

	free(w->snap);
	w->snap = NULL;
	w->snap_taken = true;
	if (!w->snap_fn)
		return 0;
	r = w->snap_fn(w->snap_ctx, &w->snap, &w->snap_len, &w->snap_count);
	if (r < 0)
		return fail(w, r, "capture file %s: out of memory for the snapshot of the tables", w->cur);
	if (r > 0)
		w->snap = NULL;
	return 0;
}

/* File header, then the snapshot taken for this file. */
static int start_file(struct kd__cw *w)
{
	int err = write_header(w);

	if (!err && w->snap) {
		err = write_block(w, KD__BLK_SNAPSHOT, w->snap, w->snap_len, w->snap_count, 0, 0, true);
		free(w->snap);
		w->snap = NULL;
	}
	return err;
}

/* One block: header + payload, deflated unless that does not pay. */
static int write_block(struct kd__cw *w, unsigned type, const uint8_t *data, size_t len,
		       uint32_t count, uint64_t ts_first, uint64_t ts_last, bool may_deflate)
{
	uint8_t bh[KD__BH_SIZE];
	const uint8_t *payload = data;
	size_t plen = len;
	uint16_t flags = 0;
	int err;

	if (!w->hdr_written && (err = start_file(w)))
		return err;
	if (may_deflate && w->level > 0 && len > 0) {
		uLong bound = deflateBound(&w->zs, (uLong)len);
		int zr;

		if ((err = grow(w, &w->cbuf, &w->ccap, bound)))
			return err;
		deflateReset(&w->zs);
		w->zs.next_in = (Bytef *)data;
		w->zs.avail_in = (uInt)len;
		w->zs.next_out = w->cbuf;
		w->zs.avail_out = (uInt)bound;
		zr = deflate(&w->zs, Z_FINISH);
		if (zr != Z_STREAM_END)
			return fail(w, KD_EBADFILE, "capture file %s: deflate failed (%d)", w->cur, zr);
		if (w->zs.total_out < len) {
			payload = w->cbuf;
			plen = w->zs.total_out;
			flags |= KD__BF_DEFLATE;
		}
	}
	memset(bh, 0, sizeof(bh));
	kd__put32(bh + KD__BH_SYNC, KD__BLK_SYNC);
	kd__put16(bh + KD__BH_TYPE, (uint16_t)type);
	kd__put16(bh + KD__BH_FLAGS, flags);
	kd__put32(bh + KD__BH_ULEN, (uint32_t)len);
	kd__put32(bh + KD__BH_CLEN, (uint32_t)plen);
	kd__put32(bh + KD__BH_COUNT, count);
	kd__put32(bh + KD__BH_PCRC, (uint32_t)crc32(0, payload, (uInt)plen));
	kd__put64(bh + KD__BH_TS_FIRST, ts_first);
	kd__put64(bh + KD__BH_TS_LAST, ts_last);
	kd__put32(bh + KD__BH_HCRC, (uint32_t)crc32(0, bh, KD__BH_HCRC));
	if ((err = write_all(w, bh, sizeof(bh))))
		return err;
	return plen ? write_all(w, payload, plen) : 0;
}

/* A STATS block of st, unless it says what the last one said. */
static int write_stats(struct kd__cw *w, const struct kd_stats *st)
{
	uint8_t p[sizeof(w->stats_last)];
	int err;

	memset(p, 0, sizeof(p));
	kd__put16(p + KD__ST_VERSION, KD__STATS_VERSION);
	kd__put16(p + KD__ST_NFIELDS, KD__STF_COUNT);
	kd__put64(p + KD__ST_FIELDS + 8 * KD__STF_EVENTS, st->events);
	kd__put64(p + KD__ST_FIELDS + 8 * KD__STF_KERNEL_EVENTS, st->kernel_events);
	kd__put64(p + KD__ST_FIELDS + 8 * KD__STF_FILTERED, st->filtered);
	kd__put64(p + KD__ST_FIELDS + 8 * KD__STF_FILTERED_TASK, st->filtered_task);
	kd__put64(p + KD__ST_FIELDS + 8 * KD__STF_FILTERED_PATH, st->filtered_path);
	for (unsigned i = 0; i < KD__STF_NDROPS; i++)
		kd__put64(p + KD__ST_FIELDS + 8 * (KD__STF_DROPS + i), st->drops_by_reason[i]);
	if (w->stats_written && memcmp(p, w->stats_last, sizeof(p)) == 0)
		return 0;
	if ((err = write_block(w, KD__BLK_STATS, p, sizeof(p), 0, 0, 0, false)))
		return err;
	memcpy(w->stats_last, p, sizeof(p));
	w->stats_written = true;
	return 0;
}

/* After an EVENTS block: the counters as they are now, if there is a source. */
static int write_source_stats(struct kd__cw *w)
{
	struct kd_stats st;

	if (!w->stats_fn)
		return 0;
	memset(&st, 0, sizeof(st));
	st.sz = sizeof(st);
	/* a source that cannot say now says it at the next block */
	if (w->stats_fn(w->stats_ctx, &st) != 0)
		return 0;
	return write_stats(w, &st);
}

int kd__cw_flush(struct kd__cw *w)
{
	uint8_t *e;
	uint64_t at;
	int err;

	if (w->err)
		return w->err;
	if (!w->count)
		return 0;
	if ((err = grow(w, &w->index, &w->index_cap, (w->nindex + 1) * KD__IX_SIZE)))
		return err;
	if (!w->hdr_written && (err = start_file(w)))
		return err;
	at = w->off;
	if ((err = write_block(w, KD__BLK_EVENTS, w->ubuf, w->ulen, w->count, w->ts_first, w->ts_last,
			       true)))
		return err;
	e = w->index + w->nindex++ * KD__IX_SIZE;
	memset(e, 0, KD__IX_SIZE);
	kd__put64(e + KD__IX_OFFSET, at);
	kd__put64(e + KD__IX_TS_FIRST, w->ts_first);
	kd__put64(e + KD__IX_TS_LAST, w->ts_last);
	kd__put32(e + KD__IX_COUNT, w->count);
	w->records += w->count;
	w->ulen = 0;
	w->count = 0;
	if ((err = write_source_stats(w)))
		return err;
	if (w->max_bytes && w->off >= w->max_bytes)
		w->rotate_due = true;
	return 0;
}

/* Pending block, INDEX, END, close(). */
static int finish_file(struct kd__cw *w)
{
	uint8_t end[KD__END_SIZE];
	uint64_t index_at;
	int err = kd__cw_flush(w);

	if (!err && !w->hdr_written)
		err = start_file(w);
	if (!err) {
		index_at = w->off;
		err = write_block(w, KD__BLK_INDEX, w->index, w->nindex * KD__IX_SIZE,
				  (uint32_t)w->nindex, 0, 0, true);
	}
	if (!err) {
		memset(end, 0, sizeof(end));
		kd__put64(end + KD__END_INDEX, index_at);
		kd__put64(end + KD__END_RECORDS, w->records);
		kd__put32(end + KD__END_BLOCKS, (uint32_t)w->nindex);
		err = write_block(w, KD__BLK_END, end, sizeof(end), 0, 0, 0, false);
	}
	if (w->fd >= 0 && close(w->fd) != 0 && !err)
		err = fail(w, -errno, "capture file %s: close failed: %s", w->cur, strerror(errno));
	w->fd = -1;
	return err;
}

static int open_file(struct kd__cw *w)
{
	char *cur;

	if (w->seq == 0)
		cur = strdup(w->path);
	else if (asprintf(&cur, "%s.%u", w->path, w->seq) < 0)
		cur = NULL;
	if (!cur)
		return fail(w, -ENOMEM, "capture file %s: out of memory", w->path);
	free(w->cur);
	w->cur = cur;
	w->fd = open(cur, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return fail(w, -errno, "cannot create capture file %s: %s", cur, strerror(errno));
	w->off = 0;
	w->start_ns = now_ns(CLOCK_REALTIME);
	w->hdr_written = false;
	w->have_ts0 = false;
	w->records = 0;
	w->nindex = 0;
	w->rotate_due = false;
	w->snap_taken = false;
	/* a rotated file stands alone: the tables as they are now */
	return w->seq ? take_snapshot(w) : 0;
}

static int rotate(struct kd__cw *w)
{
	int err = finish_file(w);

	if (err)
		return err;
	w->seq++;
	return open_file(w);
}

int kd__cw_record(struct kd__cw *w, const void *rec, size_t len)
{
	struct kd_rec_hdr hdr;
	int err;

	if (w->err)
		return w->err;
	if (len < KD_REC_HDR_SIZE)
		return fail(w, -EINVAL, "capture file %s: a %zu-byte record is shorter than its header",
			    w->cur, len);
	memcpy(&hdr, rec, sizeof(hdr));
	if (hdr.len < KD_REC_HDR_SIZE || hdr.len > len || hdr.len > KD_REC_MAX_LEN)
		return fail(w, -EINVAL, "capture file %s: record length %u does not fit its %zu bytes",
			    w->cur, hdr.len, len);
	if (w->max_ns && w->have_ts0 && hdr.ts >= w->ts0 && hdr.ts - w->ts0 >= w->max_ns)
		w->rotate_due = true;
	if (w->rotate_due && (err = rotate(w)))
		return err;
	if (w->ulen && w->ulen + hdr.len > w->block_bytes && (err = kd__cw_flush(w)))
		return err;
	if ((err = grow(w, &w->ubuf, &w->ucap, w->ulen + hdr.len)))
		return err;
	memcpy(w->ubuf + w->ulen, rec, hdr.len);
	w->ulen += hdr.len;
	if (!w->have_ts0) {
		w->ts0 = hdr.ts;
		w->have_ts0 = true;
	}
	if (!w->count)
		w->ts_first = hdr.ts;
	w->ts_last = hdr.ts;
	if (++w->count >= w->block_records)
		return kd__cw_flush(w);
	return 0;
}

void kd__cw_set_boot(struct kd__cw *w, uint64_t boot_ns)
{
	w->boot_ns = boot_ns;
	w->have_boot = true;
}

int kd__cw_snapshot_block(struct kd__cw *w, const uint8_t *p, size_t len, uint32_t count)
{
	int err = kd__cw_flush(w);

	/* a rotation due now would put it at the end of the old file */
	if (!err && w->rotate_due)
		err = rotate(w);
	return err ? err : write_block(w, KD__BLK_SNAPSHOT, p, len, count, 0, 0, true);
}

void kd__cw_set_stats(struct kd__cw *w, kd__cw_stats_fn fn, void *ctx)
{
	w->stats_fn = fn;
	w->stats_ctx = ctx;
}

int kd__cw_stats_block(struct kd__cw *w, const struct kd_stats *st)
{
	int err = kd__cw_flush(w);

	/* a rotation due now waits for the next record: counters close a
	 * file, they never open one without events */
	if (err)
		return err;
	return st ? write_stats(w, st) : write_source_stats(w);
}

void kd__cw_set_snapshot(struct kd__cw *w, kd__cw_snap_fn fn, void *ctx)
{
	w->snap_fn = fn;
	w->snap_ctx = ctx;
	if (!w->err && !w->hdr_written && !w->snap_taken)
		take_snapshot(w);
}

bool kd__cw_has_boot(const struct kd__cw *w)
{
	return w->have_boot;
}

const char *kd__cw_error(const struct kd__cw *w)
{
	return w->msg;
}

int kd__cw_open(struct kd__cw **out, const char *path, const struct kd_dump_opts *o,
		uint64_t boot_ns, char *errbuf, size_t errlen)
{
	struct kd__cw *w;
	int err;

	*out = NULL;
	if (o && (o->level < KD_DUMP_STORE || o->level > 9)) {
		snprintf(errbuf, errlen, "kd_dump_opts.level %d: use 1..9, 0 for the default or "
			 "KD_DUMP_STORE", o->level);
		return KD_EBADOPT;
	}
	if (o && o->block_bytes > CW_BLOCK_BYTES_MAX) {
		snprintf(errbuf, errlen, "kd_dump_opts.block_bytes %llu is above the maximum %u",
			 (unsigned long long)o->block_bytes, CW_BLOCK_BYTES_MAX);
		return KD_EBADOPT;
	}
	if (o && o->max_seconds > UINT64_MAX / 1000000000ull) {
		snprintf(errbuf, errlen, "kd_dump_opts.max_seconds %llu is too large",
			 (unsigned long long)o->max_seconds);
		return KD_EBADOPT;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		free(w);
		snprintf(errbuf, errlen, "capture file %s: out of memory", path);
		return -ENOMEM;
	}
	w->fd = -1;
	w->level = !o || o->level == 0 ? CW_LEVEL : o->level == KD_DUMP_STORE ? 0 : o->level;
	w->block_records = o && o->block_records ? o->block_records : CW_BLOCK_RECORDS;
	w->block_bytes = o && o->block_bytes ? (size_t)o->block_bytes : CW_BLOCK_BYTES;
	w->max_bytes = o ? o->max_bytes : 0;
	w->max_ns = o ? o->max_seconds * 1000000000ull : 0;
	/* small files need small blocks to rotate near their size */
	if (w->max_bytes && w->block_bytes > w->max_bytes / 4)
		w->block_bytes = w->max_bytes / 4 > CW_BLOCK_BYTES_MIN ? w->max_bytes / 4 : CW_BLOCK_BYTES_MIN;
	if (boot_ns)
		kd__cw_set_boot(w, boot_ns);
	if (w->level > 0) {
		/* raw deflate: pcrc already guards the bytes, zlib's adler32 would
		 * cost a quarter of the read time */
		if (deflateInit2(&w->zs, w->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			err = fail(w, -ENOMEM, "capture file %s: zlib deflateInit2 failed", path);
			goto fail;
		}
		w->zinit = true;
	}
	err = open_file(w);
	if (err)
		goto fail;
	*out = w;
	return 0;
fail:
	kd__cw_close(w, errbuf, errlen);
	return err;
}

int kd__cw_close(struct kd__cw *w, char *msg, size_t msglen)
{
	int err;

	if (!w)
		return 0;
	if (w->fd >= 0) {
		if (w->err) /* the file is already damaged: keep what is there */
			close(w->fd);
		else
			finish_file(w);
	}
	err = w->err;
	if (err && msg && msglen)
		snprintf(msg, msglen, "%s", w->msg);
	if (w->zinit)
		deflateEnd(&w->zs);
	free(w->ubuf);
	free(w->cbuf);
	free(w->index);
	free(w->snap);
	free(w->path);
	free(w->cur);
	free(w);
	return err;
}
