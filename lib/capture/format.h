/* lib/capture/format.h: the on-disk layout of capture files (docs/capture-format.md).
 * Every multi-byte field is little endian; the get/put helpers below are the
 * only way the writer and reader touch them. */
#ifndef KD_CAPTURE_FORMAT_H
#define KD_CAPTURE_FORMAT_H

#include <stdint.h>
#include <string.h>

/* "KDCAP" then \0\r\n: a text-mode transfer or a C string copy breaks it. */
#define KD__CAP_MAGIC       "KDCAP\0\r\n"
#define KD__CAP_MAGIC_LEN   8u
/* Bumped only when an older reader would misread a newer file. */
#define KD__CAP_FORMAT      1u
/* Written as a native u16: reads 0xfeff on a little-endian reader. */
#define KD__CAP_BOM         0xfeffu

/* File header: fixed part, then hostname and kernel release bytes (no NUL). */
#define KD__FH_MAGIC        0   /* 8  magic */
#define KD__FH_FORMAT       8   /* u16 format version */
#define KD__FH_BOM          10  /* u16 byte order mark */
#define KD__FH_HDRLEN       12  /* u32 whole header length, strings included */
#define KD__FH_SCHEMA       16  /* u32 KD_SCHEMA_VERSION of the writer */
#define KD__FH_RECVER       20  /* u32 KD_RECORD_VERSION of the records */
#define KD__FH_BOOT         24  /* u64 epoch ns at CLOCK_MONOTONIC 0 (boot offset) */
#define KD__FH_START        32  /* u64 epoch ns when this file was started */
#define KD__FH_NCPUS        40  /* u32 CPUs configured on the capturing host */
#define KD__FH_SEQ          44  /* u32 0 for the first file, n for path.n (rotation) */
#define KD__FH_FLAGS        48  /* u32 reserved, 0 */
#define KD__FH_HOSTLEN      52  /* u16 hostname bytes */
#define KD__FH_RELLEN       54  /* u16 kernel release bytes */
#define KD__FH_RESERVED     56  /* u32 reserved, 0 */
#define KD__FH_CRC          60  /* u32 crc32 of the whole header with this field 0 */
#define KD__FH_FIXED        64u
#define KD__FH_MAX          4096u /* a longer header is garbage */

/* Block header, then clen payload bytes. */
#define KD__BLK_SYNC        0x4b424c4bu /* "KLBK" as little-endian bytes 4b 4c 42 4b */
#define KD__BH_SYNC         0   /* u32 sync marker */
#define KD__BH_TYPE         4   /* u16 KD__BLK_* */
#define KD__BH_FLAGS        6   /* u16 KD__BF_* */
#define KD__BH_ULEN         8   /* u32 payload bytes after inflating */
#define KD__BH_CLEN         12  /* u32 payload bytes stored in the file */
#define KD__BH_COUNT        16  /* u32 records (EVENTS), entries (SNAPSHOT, INDEX) */
#define KD__BH_PCRC         20  /* u32 crc32 of the clen stored payload bytes */
#define KD__BH_TS_FIRST     24  /* u64 ts of the first record (EVENTS), else 0 */
#define KD__BH_TS_LAST      32  /* u64 ts of the last record (EVENTS), else 0 */
#define KD__BH_RESERVED     40  /* u32 reserved, 0 */
#define KD__BH_HCRC         44  /* u32 crc32 of bytes 0..43 of this header */
#define KD__BH_SIZE         48u

#define KD__BLK_EVENTS      1u /* concatenated records (drivers/record.h) */
#define KD__BLK_SNAPSHOT    2u /* thread/fd table state: entries, see below */
#define KD__BLK_INDEX       3u /* one KD__IX entry per EVENTS block of this file */
#define KD__BLK_END         4u /* last block of a cleanly closed file */
#define KD__BLK_STATS       5u /* the capturing handle's counters so far (kd_stats) */

#define KD__BF_DEFLATE      0x0001u /* payload is raw deflate (RFC 1951, no zlib wrapper); else stored */
#define KD__BF_REQUIRED     0x0002u /* a reader that does not know the type must stop */
#define KD__BF_KNOWN        (KD__BF_DEFLATE | KD__BF_REQUIRED)

/* No block is larger than this either way: bounds a reader's memory. */
#define KD__BLK_MAX         (64u << 20)
/* deflate cannot expand more than ~1032:1; a bigger ulen/clen ratio is a lie. */
#define KD__INFLATE_RATIO   1032u

/* SNAPSHOT payload: entries of u16 kind, u16 flags, u32 len, then len bytes.
 * Entry bodies: lib/enrich/snapshot.c and docs/capture-format.md. */
#define KD__SE_HDR          8u
#define KD__SE_THREAD       1u /* one thread */
#define KD__SE_FD           2u /* one fd of a process's table */
#define KD__SE_PROC         3u /* one process (what its threads share) */
#define KD__SE_META         4u /* first entry: version and counts */
/* Bumped when an older reader would misread the entries (it then skips the block). */
#define KD__SNAP_VERSION    1u
/* Longest string (exe, cwd, cgroup, args, fd path) a snapshot may hold. */
#define KD__SNAP_STR_MAX    16384u

/* INDEX payload entry. */
#define KD__IX_OFFSET       0   /* u64 file offset of the EVENTS block header */
#define KD__IX_TS_FIRST     8   /* u64 */
#define KD__IX_TS_LAST      16  /* u64 */
#define KD__IX_COUNT        24  /* u32 records */
#define KD__IX_RESERVED     28  /* u32 0 */
#define KD__IX_SIZE         32u

/* STATS payload (stored, never deflated): a header, then nfields u64
 * counters of the capturing handle's kd_stats, in this order. A newer writer
 * appends fields (readers take the ones they know); version 0 is invalid. */
#define KD__ST_VERSION      0   /* u16 KD__STATS_VERSION */
#define KD__ST_NFIELDS      2   /* u16 u64 fields that follow */
#define KD__ST_RESERVED     4   /* u32 0 */
#define KD__ST_FIELDS       8u
#define KD__STATS_VERSION   1u
enum {
	KD__STF_EVENTS,          /* delivered by the capturing handle's kd_next */
	KD__STF_KERNEL_EVENTS,
	KD__STF_FILTERED,
	KD__STF_FILTERED_TASK,
	KD__STF_FILTERED_PATH,
	KD__STF_DROPS,           /* drops_by_reason[0 .. KD__STF_NDROPS - 1] */
	KD__STF_NDROPS = 8,
	KD__STF_COUNT = KD__STF_DROPS + KD__STF_NDROPS,
};

/* END payload (stored, never deflated): a fixed-size tail a reader can seek to. */
#define KD__END_INDEX       0   /* u64 file offset of the INDEX block header */
#define KD__END_RECORDS     8   /* u64 records in all EVENTS blocks of this file */
#define KD__END_BLOCKS      16  /* u32 EVENTS blocks */
#define KD__END_RESERVED    20  /* u32 0 */
#define KD__END_SIZE        24u

static inline uint16_t kd__get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t kd__get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t kd__get64(const uint8_t *p)
{
	return (uint64_t)kd__get32(p) | (uint64_t)kd__get32(p + 4) << 32;
}

static inline void kd__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void kd__put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void kd__put64(uint8_t *p, uint64_t v)
{
	kd__put32(p, (uint32_t)v);
	kd__put32(p + 4, (uint32_t)(v >> 32));
}

#endif
