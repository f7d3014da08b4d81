/* tests/test_capture_damage.c: the reader's answer to every kind of damage
 * in a capture file: header, blocks, records (docs/capture-format.md). */
#include "capture_test.h"

TestSuite(capture_damage, .init = setup, .fini = teardown, .timeout = 30);

/* ------------------------------------------------------------ header damage */

Test(capture_damage, open_errors)
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

Test(capture_damage, block_damage)
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
Test(capture_damage, record_damage)
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
