/* lib/capture/reader.c: capture file -> blocks -> records, never trusting a byte.
 * Damage inside a block whose header is intact (crc, zlib, record framing)
 * costs that block only: reading goes on at the next one. Damage to a block
 * header hides where the next block starts, so reading stops there. Memory
 * is bounded by KD__BLK_MAX and by the file's own size. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture.h"
#include "enrich.h"
#include "format.h"

struct kd__cr {
	struct kd_handle *h;
	int fd;
	char *path;
	uint64_t size;      /* file size at the last fstat */
	uint64_t off;       /* where the next block header starts */
	struct kd__cr_info info;

	uint8_t *cbuf, *ubuf;
	size_t ccap, ucap;
	z_stream zs;
	bool zinit;

	/* the EVENTS block being handed out */
	const uint8_t *blk;
	size_t pos, end;
	uint64_t blk_off;
	uint32_t blk_count, blk_seen;
	bool in_block;

	/* what the END block must agree with */
	uint64_t records;   /* sum of EVENTS block counts */
	uint32_t nblocks;   /* EVENTS blocks */
	uint64_t index_off;
	bool have_index, ended, dead;

	/* the capturing handle's counters, from the last STATS block */
	struct kd_stats stats;
	bool have_stats, warned_drops;
};

/* A fuzzer cannot forge crc32s: the fuzz build lets it past them to reach the
 * parsing behind (fuzz/run.sh sets the libFuzzer convention's macro). */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CRC_BAD(want, got) ((void)(want), (void)(got), false)
#else
#define CRC_BAD(want, got) ((want) != (got))
#endif

#define BAD(r, ...) kd__err((r)->h, KD_EBADFILE, __VA_ARGS__)

/* Damage that hides where the next block is: report once, then KD_EOF. */
#define FATAL(r, ...) ((r)->dead = true, BAD(r, __VA_ARGS__))

static int read_at(struct kd__cr *r, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(r->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			r->dead = true;
			return kd__err(r->h, -e, "capture file %s: read at byte offset %" PRIu64 " failed: %s",
				       r->path, off, strerror(e));
		}
		if (n == 0) {
			r->dead = true;
			return BAD(r, "capture file %s: ends at byte offset %" PRIu64
				   " while a read needed %zu more bytes: the file is truncated",
				   r->path, off, len);
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* A file still being written grows: look again before calling it short. */
static uint64_t file_size(struct kd__cr *r, uint64_t need)
{
	struct stat st;

	if (need > r->size && fstat(r->fd, &st) == 0)
		r->size = (uint64_t)st.st_size;
	return r->size;
}

static int grow(struct kd__cr *r, uint8_t **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 65536;
	uint8_t *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*buf, c);
	if (!p) {
		r->dead = true;
		return kd__err(r->h, -ENOMEM, "capture file %s: out of memory for a %zu-byte block", r->path, c);
	}
	*buf = p;
	*cap = c;
	return 0;
}

/* ------------------------------------------------------------ header */

static int read_header(struct kd__cr *r)
{
	uint8_t fx[KD__FH_FIXED], *all;
	uint32_t hdrlen, crc, fmt, bom;
	unsigned hl, rl;
	int err;

	if (r->size == 0)
		return FATAL(r, "capture file %s is empty (0 bytes): the capture stopped before writing "
			     "anything", r->path);
	if (r->size < KD__CAP_MAGIC_LEN)
		return FATAL(r, "%s is not a kindling capture file: %" PRIu64 " bytes, shorter than the "
			     "magic", r->path, r->size);
	if ((err = read_at(r, fx, KD__CAP_MAGIC_LEN, 0)))
		return err;
	if (memcmp(fx, KD__CAP_MAGIC, KD__CAP_MAGIC_LEN) != 0)
		return FATAL(r, "%s is not a kindling capture file: wrong magic at byte offset 0", r->path);
	if (r->size < KD__FH_FIXED)
		return FATAL(r, "capture file %s: %" PRIu64 " bytes, shorter than the %u-byte file header: "
			     "the file is truncated", r->path, r->size, KD__FH_FIXED);
	if ((err = read_at(r, fx, KD__FH_FIXED, 0)))
		return err;
	/* magic and format version stay where they are in every version */
	fmt = kd__get16(fx + KD__FH_FORMAT);
	if (fmt > KD__CAP_FORMAT)
		return FATAL(r, "capture file %s: format version %u is newer than this library (%u): "
			     "upgrade kindling", r->path, fmt, KD__CAP_FORMAT);
	if (fmt == 0)
		return FATAL(r, "capture file %s: format version 0 at byte offset %d does not exist: "
			     "the header is corrupt", r->path, KD__FH_FORMAT);
	bom = kd__get16(fx + KD__FH_BOM);
	if (bom == 0xfffeu)
		return FATAL(r, "capture file %s was written on a big-endian machine: this library reads "
			     "little-endian files only", r->path);
	if (bom != KD__CAP_BOM)
		return FATAL(r, "capture file %s: byte order mark %#x at byte offset %d is neither %#x "
			     "nor %#x: the header is corrupt", r->path, bom, KD__FH_BOM, KD__CAP_BOM, 0xfffe);
	hdrlen = kd__get32(fx + KD__FH_HDRLEN);
	hl = kd__get16(fx + KD__FH_HOSTLEN);
	rl = kd__get16(fx + KD__FH_RELLEN);
	if (hdrlen < KD__FH_FIXED || hdrlen > KD__FH_MAX || KD__FH_FIXED + hl + rl > hdrlen ||
	    hl > 255 || rl > 255)
		return FATAL(r, "capture file %s: header length %u (hostname %u, release %u bytes) at byte "
			     "offset %d is impossible: the header is corrupt", r->path, hdrlen, hl, rl,
			     KD__FH_HDRLEN);
	if (file_size(r, hdrlen) < hdrlen)
		return FATAL(r, "capture file %s: %" PRIu64 " bytes, shorter than its %u-byte header: "
			     "the file is truncated", r->path, r->size, hdrlen);
	all = malloc(hdrlen);
	if (!all)
		return FATAL(r, "capture file %s: out of memory", r->path);
	err = read_at(r, all, hdrlen, 0);
	if (!err) {
		crc = kd__get32(all + KD__FH_CRC);
		kd__put32(all + KD__FH_CRC, 0);
		if (CRC_BAD(crc, (uint32_t)crc32(0, all, hdrlen)))
			err = FATAL(r, "capture file %s: file header crc mismatch (bytes 0..%u): the header "
				    "is corrupt", r->path, hdrlen);
	}
	if (!err) {
		memcpy(r->info.hostname, all + KD__FH_FIXED, hl);
		r->info.hostname[hl] = '\0';
		memcpy(r->info.release, all + KD__FH_FIXED + hl, rl);
		r->info.release[rl] = '\0';
	}
	free(all);
	if (err)
		return err;

	r->info.format = fmt;
	r->info.schema = kd__get32(fx + KD__FH_SCHEMA);
	r->info.record_version = kd__get32(fx + KD__FH_RECVER);
	r->info.boot_ns = kd__get64(fx + KD__FH_BOOT);
	r->info.start_ns = kd__get64(fx + KD__FH_START);
	r->info.ncpus = kd__get32(fx + KD__FH_NCPUS);
	r->info.seq = kd__get32(fx + KD__FH_SEQ);
	if (r->info.record_version != KD_RECORD_VERSION)
		return FATAL(r, "capture file %s: records of layout version %u, this library reads %u: "
			     "%s", r->path, r->info.record_version, KD_RECORD_VERSION,
			     r->info.record_version > KD_RECORD_VERSION ? "upgrade kindling"
									 : "the header is corrupt");
	r->off = hdrlen;
	return 0;
}

/* ------------------------------------------------------------ blocks */

/* Payload bytes of the block at boff into a buffer: stored ones stay in
 * cbuf, deflated ones are inflated into ubuf. */
static int load_payload(struct kd__cr *r, uint64_t boff, uint16_t flags, uint32_t ulen,
			uint32_t clen, uint32_t pcrc, const uint8_t **out)
{
	int err, zr;

	if ((err = grow(r, &r->cbuf, &r->ccap, clen ? clen : 1)) ||
	    (err = read_at(r, r->cbuf, clen, boff + KD__BH_SIZE)))
		return err;
	if (CRC_BAD(pcrc, (uint32_t)crc32(0, r->cbuf, clen)))
		return BAD(r, "capture file %s: block at byte offset %" PRIu64 ": payload crc mismatch "
			   "(%u bytes): the block is corrupt and skipped", r->path, boff, clen);
	if (!(flags & KD__BF_DEFLATE)) {
		*out = r->cbuf;
		return 0;
	}
	if ((err = grow(r, &r->ubuf, &r->ucap, ulen ? ulen : 1)))
		return err;
	if (!r->zinit) {
		memset(&r->zs, 0, sizeof(r->zs));
		if (inflateInit2(&r->zs, -15) != Z_OK) { /* raw deflate, see format.h */
			r->dead = true;
			return kd__err(r->h, -ENOMEM, "capture file %s: zlib inflateInit2 failed", r->path);
		}
		r->zinit = true;
	} else {
		inflateReset(&r->zs);
	}
	r->zs.next_in = r->cbuf;
	r->zs.avail_in = clen;
	r->zs.next_out = r->ubuf;
	r->zs.avail_out = ulen;
	zr = inflate(&r->zs, Z_FINISH);
	if (zr != Z_STREAM_END || r->zs.total_out != ulen || r->zs.avail_in != 0)
		return BAD(r, "capture file %s: block at byte offset %" PRIu64 ": deflate stream is corrupt "
			   "(%s; %lu of %u bytes inflated): the block is skipped", r->path, boff,
			   r->zs.msg ? r->zs.msg : zr == Z_STREAM_END ? "wrong length" : "stream cut short",
			   (unsigned long)r->zs.total_out, ulen);
	*out = r->ubuf;
	return 0;
}

/* Thread/fd tables for lib/enrich/: always checked; with enrichment on, a
 * start snapshot fills the handle's empty tables (a later file of a rotated
 * set starts where the events already brought them) and an update is merged
 * in before the record that follows it. */
static int on_snapshot(struct kd__cr *r, uint64_t boff, const uint8_t *p, uint32_t len,
		       uint32_t count)
{
	struct kd__enrich *e = r->h ? r->h->enrich : NULL;
	char msg[300];
	int err = kd__snapshot_restore(e, p, len, count, msg, sizeof(msg));

	if (err == -ENOMEM)
		return kd__err(r->h, err, "capture file %s: snapshot block at byte offset %" PRIu64
			       ": %s", r->path, boff, msg);
	if (err)
		return BAD(r, "capture file %s: snapshot block at byte offset %" PRIu64 ": %s: the "
			   "block is skipped", r->path, boff, msg);
	return 0;
}

static int on_index(struct kd__cr *r, uint64_t boff, uint32_t ulen, uint32_t count)
{
	if (r->have_index)
		return BAD(r, "capture file %s: second index block at byte offset %" PRIu64, r->path, boff);
	if ((uint64_t)count * KD__IX_SIZE != ulen || count != r->nblocks)
		return BAD(r, "capture file %s: index block at byte offset %" PRIu64 " lists %u blocks "
			   "in %u bytes, the file has %u event blocks before it", r->path, boff, count,
			   ulen, r->nblocks);
	r->have_index = true;
	r->index_off = boff;
	return 0;
}

static int on_end(struct kd__cr *r, uint64_t boff, const uint8_t *p, uint32_t ulen)
{
	r->ended = true;
	if (ulen != KD__END_SIZE)
		return BAD(r, "capture file %s: end block at byte offset %" PRIu64 " has %u bytes, "
			   "not %u", r->path, boff, ulen, KD__END_SIZE);
	if (kd__get64(p + KD__END_RECORDS) != r->records ||
	    kd__get32(p + KD__END_BLOCKS) != r->nblocks ||
	    !r->have_index || kd__get64(p + KD__END_INDEX) != r->index_off)
		return BAD(r, "capture file %s: end block at byte offset %" PRIu64 " says %" PRIu64
			   " records in %u blocks (index at %" PRIu64 "), the file has %" PRIu64
			   " in %u (index at %" PRIu64 "): blocks are missing or corrupt", r->path, boff,
			   kd__get64(p + KD__END_RECORDS), kd__get32(p + KD__END_BLOCKS),
			   kd__get64(p + KD__END_INDEX), r->records, r->nblocks,
			   r->have_index ? r->index_off : 0);
	return 0;
}

/* The capturing handle's counters as of this point of the capture. A
 * capture that lost events says so once; kd_stats counts them as drops. */
static int on_stats(struct kd__cr *r, uint64_t boff, const uint8_t *p, uint32_t ulen)
{
	uint32_t n = ulen >= KD__ST_FIELDS ? kd__get16(p + KD__ST_NFIELDS) : 0;
	uint64_t f[KD__STF_COUNT] = { 0 }, drops = 0, before = 0;

	if (ulen < KD__ST_FIELDS || kd__get16(p + KD__ST_VERSION) == 0 ||
	    (uint64_t)KD__ST_FIELDS + 8ull * n != ulen)
		return BAD(r, "capture file %s: stats block at byte offset %" PRIu64 " has %u bytes, "
			   "version %u, %u fields: the block is corrupt and skipped (the drops of the "
			   "capture may be undercounted)", r->path, boff, ulen,
			   ulen >= 2 ? kd__get16(p + KD__ST_VERSION) : 0, n);
	/* a newer writer's extra fields are skipped */
	for (uint32_t i = 0; i < n && i < KD__STF_COUNT; i++)
		f[i] = kd__get64(p + KD__ST_FIELDS + 8 * i);
	for (unsigned i = 0; i < KD__STF_NDROPS; i++) {
		before += r->have_stats ? r->stats.drops_by_reason[i] : 0;
		r->stats.drops_by_reason[i] = f[KD__STF_DROPS + i];
		drops += f[KD__STF_DROPS + i];
	}
	r->stats.events = f[KD__STF_EVENTS];
	r->stats.kernel_events = f[KD__STF_KERNEL_EVENTS];
	r->stats.filtered = f[KD__STF_FILTERED];
	r->stats.filtered_task = f[KD__STF_FILTERED_TASK];
	r->stats.filtered_path = f[KD__STF_FILTERED_PATH];
	r->have_stats = true;
	if (drops > before && !r->warned_drops) {
		r->warned_drops = true;
		kd__log(r->h, KD_LOG_WARN, "capture file %s: the capture lost %" PRIu64 " events before "
			"byte offset %" PRIu64 " (buffer_full %" PRIu64 "): kd_stats counts what it lost "
			"as drops", r->path, drops, boff, r->stats.drops_by_reason[KD_DROP_BUFFER_FULL]);
	}
	return 0;
}

bool kd__cr_stats(const struct kd__cr *r, struct kd_stats *st)
{
	if (!r || !r->have_stats)
		return false;
	*st = r->stats;
	return true;
}

/* Read block headers until an EVENTS block is loaded (0), the end (KD_EOF)
 * or damage (an error; r->dead when reading cannot go on). */
static int next_block(struct kd__cr *r)
{
	uint8_t bh[KD__BH_SIZE];
	const uint8_t *payload;
	uint64_t boff;
	uint32_t ulen, clen, count;
	uint16_t type, flags;
	int err;

	for (;;) {
		boff = r->off;
		if (file_size(r, boff + 1) <= boff) {
			r->dead = true;
			if (r->ended)
				return KD_EOF;
			return BAD(r, "capture file %s: ends at byte offset %" PRIu64 " without its end "
				   "block: the capture was interrupted; the events before were read",
				   r->path, boff);
		}
		if (r->ended)
			return FATAL(r, "capture file %s: %" PRIu64 " bytes follow the end block, from "
				     "byte offset %" PRIu64, r->path, r->size - boff, boff);
		if (file_size(r, boff + KD__BH_SIZE) < boff + KD__BH_SIZE)
			return FATAL(r, "capture file %s: block header at byte offset %" PRIu64 " is cut "
				     "short (%" PRIu64 " of %u bytes): the capture was interrupted; the "
				     "events before were read", r->path, boff, r->size - boff, KD__BH_SIZE);
		if ((err = read_at(r, bh, sizeof(bh), boff)))
			return err;
		if (kd__get32(bh + KD__BH_SYNC) != KD__BLK_SYNC ||
		    CRC_BAD(kd__get32(bh + KD__BH_HCRC), (uint32_t)crc32(0, bh, KD__BH_HCRC)))
			return FATAL(r, "capture file %s: block header at byte offset %" PRIu64 " is "
				     "corrupt (sync or crc mismatch): the rest of the file cannot be read",
				     r->path, boff);
		type = kd__get16(bh + KD__BH_TYPE);
		flags = kd__get16(bh + KD__BH_FLAGS);
		ulen = kd__get32(bh + KD__BH_ULEN);
		clen = kd__get32(bh + KD__BH_CLEN);
		count = kd__get32(bh + KD__BH_COUNT);
		if (flags & ~KD__BF_KNOWN)
			return FATAL(r, "capture file %s: block at byte offset %" PRIu64 " has unknown flags "
				     "%#x: written by a newer kindling? upgrade kindling", r->path, boff,
				     flags & ~KD__BF_KNOWN);
		if (ulen > KD__BLK_MAX || clen > KD__BLK_MAX)
			return FATAL(r, "capture file %s: block at byte offset %" PRIu64 " claims %u bytes "
				     "(%u stored), more than the %u-byte limit: the file is corrupt", r->path,
				     boff, ulen, clen, KD__BLK_MAX);
		if (file_size(r, boff + KD__BH_SIZE + clen) < boff + KD__BH_SIZE + clen)
			return FATAL(r, "capture file %s: block at byte offset %" PRIu64 " needs %u payload "
				     "bytes, only %" PRIu64 " remain: the file is truncated (interrupted "
				     "capture?); the events before were read", r->path, boff, clen,
				     r->size - boff - KD__BH_SIZE);
		if ((flags & KD__BF_DEFLATE) ? (uint64_t)ulen > (uint64_t)clen * KD__INFLATE_RATIO + 64
					     : ulen != clen)
			return FATAL(r, "capture file %s: block at byte offset %" PRIu64 ": %u bytes cannot "
				     "come from %u %s bytes: the block header is corrupt", r->path, boff,
				     ulen, clen, (flags & KD__BF_DEFLATE) ? "deflated" : "stored");
		r->off = boff + KD__BH_SIZE + clen;

		switch (type) {
		case KD__BLK_EVENTS:
			r->records += count;
			r->nblocks++;
			if ((err = load_payload(r, boff, flags, ulen, clen, kd__get32(bh + KD__BH_PCRC),
						&payload)))
				return err;
			r->blk = payload;
			r->pos = 0;
			r->end = ulen;
			r->blk_off = boff;
			r->blk_count = count;
			r->blk_seen = 0;
			r->in_block = true;
			return 0;
		case KD__BLK_SNAPSHOT:
		case KD__BLK_INDEX:
		case KD__BLK_END:
		case KD__BLK_STATS:
			if ((err = load_payload(r, boff, flags, ulen, clen, kd__get32(bh + KD__BH_PCRC),
						&payload)))
				return err;
			if (type == KD__BLK_SNAPSHOT)
				err = on_snapshot(r, boff, payload, ulen, count);
			else if (type == KD__BLK_INDEX)
				err = on_index(r, boff, ulen, count);
			else if (type == KD__BLK_STATS)
				err = on_stats(r, boff, payload, ulen);
			else
				err = on_end(r, boff, payload, ulen);
			if (err)
				return err;
			break;
		default:
			/* a newer writer's optional block: skip it */
			if (flags & KD__BF_REQUIRED)
				return FATAL(r, "capture file %s: block at byte offset %" PRIu64 " has type "
					     "%u, which this library does not know and must not skip: "
					     "upgrade kindling", r->path, boff, type);
			break;
		}
	}
}

/* The record at pos does not fit: the rest of the block cannot be framed. */
static int bad_record(struct kd__cr *r)
{
	size_t left = r->end - r->pos;
	uint32_t rl = 0;

	if (left >= KD_REC_HDR_SIZE)
		memcpy(&rl, r->blk + r->pos + offsetof(struct kd_rec_hdr, len), sizeof(rl));
	r->pos = r->end;
	r->in_block = false;
	if (left < KD_REC_HDR_SIZE)
		return BAD(r, "capture file %s: block at byte offset %" PRIu64 ": %zu bytes at payload "
			   "byte %zu are less than a record header; the rest of the block is skipped",
			   r->path, r->blk_off, left, r->end - left);
	return BAD(r, "capture file %s: block at byte offset %" PRIu64 ": record at payload byte %zu "
		   "says it is %u bytes, %zu remain (limit %u); the rest of the block is skipped",
		   r->path, r->blk_off, r->end - left, rl, left, KD_REC_MAX_LEN);
}

int kd__cr_next(struct kd__cr *r, const void **rec, size_t *len)
{
	int err;

	for (;;) {
		if (r->pos < r->end) {
			size_t left = r->end - r->pos;
			const uint8_t *p = r->blk + r->pos;
			uint32_t rl;

			if (left < KD_REC_HDR_SIZE)
				return bad_record(r);
			memcpy(&rl, p + offsetof(struct kd_rec_hdr, len), sizeof(rl));
			if (rl < KD_REC_HDR_SIZE || rl > left || rl > KD_REC_MAX_LEN)
				return bad_record(r);
			*rec = p;
			*len = rl;
			r->pos += rl;
			r->blk_seen++;
			return 0;
		}
		if (r->in_block) {
			r->in_block = false;
			if (r->blk_seen != r->blk_count)
				return BAD(r, "capture file %s: block at byte offset %" PRIu64 " says %u records "
					   "but holds %u", r->path, r->blk_off, r->blk_count, r->blk_seen);
		}
		if (r->dead)
			return KD_EOF;
		err = next_block(r);
		if (err)
			return err;
	}
}

/* ------------------------------------------------------------ open/close */

int kd__cr_open(struct kd__cr **out, struct kd_handle *h, const char *path)
{
	struct kd__cr *r;
	struct stat st;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return kd__err(h, -ENOMEM, "capture file %s: out of memory", path);
	}
	r->h = h;
	r->fd = -1;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		err = kd__err(h, -errno, "cannot open capture file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err = kd__err(h, KD_EBADFILE, "capture file %s is not a regular file", path);
		goto fail;
	}
	r->size = (uint64_t)st.st_size;
	err = read_header(r);
	if (err)
		goto fail;
	*out = r;
	return 0;
fail:
	kd__cr_close(r);
	return err;
}

const struct kd__cr_info *kd__cr_info(const struct kd__cr *r)
{
	return &r->info;
}

void kd__cr_close(struct kd__cr *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->zinit)
		inflateEnd(&r->zs);
	free(r->cbuf);
	free(r->ubuf);
	free(r->path);
	free(r);
}
