/*
 * lib/core/stat.c: kd_value_stat(), one struct kd_stat out of the two
 * layouts the stat family leaves in records (drivers/record.h, schema 6):
 * the first 120 bytes of x86-64's struct stat, or the first 144 of struct
 * statx. Both are the kernel's ABI, little endian, unaligned in the record.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define STAT_BYTES  120u
#define STATX_BYTES 144u

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* statx gives major and minor; stat(2)'s st_dev is glibc's makedev() of them */
static uint64_t makedev_of(uint64_t major, uint64_t minor)
{
	return (major & 0xfffu) << 8 | (major & 0xfffff000u) << 32 | (minor & 0xffu) |
	       (minor & 0xffffff00u) << 12;
}

static void from_stat(const uint8_t *p, struct kd_stat *st)
{
	st->dev = u64_at(p);
	st->ino = u64_at(p + 8);
	st->nlink = u64_at(p + 16);
	st->mode = u32_at(p + 24);
	st->uid = u32_at(p + 28);
	st->gid = u32_at(p + 32);
	st->rdev = u64_at(p + 40);
	st->size = (int64_t)u64_at(p + 48);
	st->blksize = (uint32_t)u64_at(p + 56);
	st->blocks = (int64_t)u64_at(p + 64);
	st->atime_sec = (int64_t)u64_at(p + 72);
	st->atime_nsec = (uint32_t)u64_at(p + 80);
	st->mtime_sec = (int64_t)u64_at(p + 88);
	st->mtime_nsec = (uint32_t)u64_at(p + 96);
	st->ctime_sec = (int64_t)u64_at(p + 104);
	st->ctime_nsec = (uint32_t)u64_at(p + 112);
	st->mask = 0x7ff; /* STATX_BASIC_STATS: a struct stat has them all */
}

static void from_statx(const uint8_t *p, struct kd_stat *st)
{
	st->mask = u32_at(p);
	st->blksize = u32_at(p + 4);
	st->nlink = u32_at(p + 16);
	st->uid = u32_at(p + 20);
	st->gid = u32_at(p + 24);
	st->mode = (uint16_t)u32_at(p + 28);
	st->ino = u64_at(p + 32);
	st->size = (int64_t)u64_at(p + 40);
	st->blocks = (int64_t)u64_at(p + 48);
	/* struct statx_timestamp: s64 tv_sec, u32 tv_nsec, pad */
	st->atime_sec = (int64_t)u64_at(p + 64);
	st->atime_nsec = u32_at(p + 72);
	st->ctime_sec = (int64_t)u64_at(p + 96);
	st->ctime_nsec = u32_at(p + 104);
	st->mtime_sec = (int64_t)u64_at(p + 112);
	st->mtime_nsec = u32_at(p + 120);
	st->rdev = makedev_of(u32_at(p + 128), u32_at(p + 132));
	st->dev = makedev_of(u32_at(p + 136), u32_at(p + 140));
}

int kd_value_stat(const struct kd_value *v, struct kd_stat *st)
{
	if (!v || !st || !(v->flags & KD_VAL_BYTES) || !v->ptr)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	if (v->kind == KD_PK_STAT && v->len >= STAT_BYTES)
		from_stat(v->ptr, st);
	else if (v->kind == KD_PK_STATX && v->len >= STATX_BYTES)
		from_statx(v->ptr, st);
	else
		return -EINVAL;
	return 0;
}
