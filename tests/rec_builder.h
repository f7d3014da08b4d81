/*
 * tests/rec_builder.h: build records (drivers/record.h) in memory for tests.
 *
 *   struct kd_rb b;
 *   kd_rb_init(&b);
 *   kd_rb_begin(&b, kd_event_type_by_name("openat"), 3);
 *   kd_rb_val(&b, (uint64_t)-100); kd_rb_str(&b, "/tmp/x"); kd_rb_val(&b, O_RDWR); kd_rb_val(&b, 0750);
 *   size_t off = kd_rb_end(&b);      // b.data/b.len: all records so far, concatenated
 *   ...
 *   kd_rb_free(&b);
 *
 * Between begin and end, b.hdr may be edited (flags, tid, schema, ...).
 * kd_rb_end() sets hdr.len and hdr.nparams from what was added, unless
 * b.keep_len / b.keep_nparams are set (to write lying headers).
 * Allocation failures abort: this is test code.
 */
#ifndef KD_TEST_REC_BUILDER_H
#define KD_TEST_REC_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* kindling.h, record.h, kd__kind_wire() */

#define KD_RB_MAX_PARAMS 64

struct kd_rb {
	uint8_t *data;  /* finished records, concatenated */
	size_t len, cap;
	struct kd_rec_hdr hdr; /* the record being built */
	uint16_t plen[KD_RB_MAX_PARAMS];
	unsigned np;
	uint8_t *pb;    /* its param bytes */
	size_t pblen, pbcap;
	bool keep_len, keep_nparams;
};

static inline void kd_rb__grow(uint8_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	*p = realloc(*p, c);
	if (!*p)
		abort();
	*cap = c;
}

static inline void kd_rb_init(struct kd_rb *b)
{
	memset(b, 0, sizeof(*b));
}

static inline void kd_rb_free(struct kd_rb *b)
{
	free(b->data);
	free(b->pb);
	memset(b, 0, sizeof(*b));
}

/* Drop all finished records, keep the memory. */
static inline void kd_rb_reset(struct kd_rb *b)
{
	b->len = 0;
}

static inline void kd_rb_begin(struct kd_rb *b, int type, int64_t res)
{
	memset(&b->hdr, 0, sizeof(b->hdr));
	b->hdr.ts = 1000000000ull;
	b->hdr.res = res;
	b->hdr.tid = 4242;
	b->hdr.pid = 4240;
	b->hdr.type = (uint16_t)type;
	b->hdr.schema = KD_SCHEMA_VERSION;
	b->np = 0;
	b->pblen = 0;
	b->keep_len = b->keep_nparams = false;
}

/* One param of n bytes, as raw bytes (p may be NULL when n is 0). */
static inline void kd_rb_bytes(struct kd_rb *b, const void *p, size_t n)
{
	if (b->np >= KD_RB_MAX_PARAMS || n > 0xffff)
		abort();
	kd_rb__grow(&b->pb, &b->pbcap, b->pblen + n);
	if (n)
		memcpy(b->pb + b->pblen, p, n);
	b->pblen += n;
	b->plen[b->np++] = (uint16_t)n;
}

/* A register value: 8 bytes, little endian (the machine's order). */
static inline void kd_rb_val(struct kd_rb *b, uint64_t v)
{
	kd_rb_bytes(b, &v, sizeof(v));
}

/* A string with its NUL; NULL gives an empty param (a NULL pointer). */
static inline void kd_rb_str(struct kd_rb *b, const char *s)
{
	kd_rb_bytes(b, s, s ? strlen(s) + 1 : 0);
}

/* A string array (argv): each string with its NUL, argv NULL-terminated. */
static inline void kd_rb_strarr(struct kd_rb *b, const char *const *argv)
{
	size_t n = 0, i;
	uint8_t *tmp;

	for (i = 0; argv && argv[i]; i++)
		n += strlen(argv[i]) + 1;
	tmp = malloc(n ? n : 1);
	if (!tmp)
		abort();
	n = 0;
	for (i = 0; argv && argv[i]; i++) {
		size_t k = strlen(argv[i]) + 1;

		memcpy(tmp + n, argv[i], k);
		n += k;
	}
	kd_rb_bytes(b, tmp, n);
	free(tmp);
}

/* Finish the record: append header, plen[] and params to b->data. Returns
 * the record's byte offset in b->data. */
static inline size_t kd_rb_end(struct kd_rb *b)
{
	size_t off = b->len, rl = KD_REC_HDR_SIZE + 2 * b->np + b->pblen;

	if (!b->keep_len)
		b->hdr.len = (uint32_t)rl;
	if (!b->keep_nparams)
		b->hdr.nparams = (uint16_t)b->np;
	kd_rb__grow(&b->data, &b->cap, b->len + rl);
	memcpy(b->data + off, &b->hdr, KD_REC_HDR_SIZE);
	memcpy(b->data + off + KD_REC_HDR_SIZE, b->plen, 2 * b->np);
	if (b->pblen)
		memcpy(b->data + off + KD_REC_HDR_SIZE + 2 * b->np, b->pb, b->pblen);
	b->len += rl;
	return off;
}

/* Patch bytes of a finished record (e.g. a header field: use offsetof). */
static inline void kd_rb_patch(struct kd_rb *b, size_t off, const void *p, size_t n)
{
	if (off + n > b->len)
		abort();
	memcpy(b->data + off, p, n);
}

/*
 * Schema-aware: one record of the named event with params given by name, in
 * whatever order the schema has them; params not given get an empty value
 * of their wire kind (0, NULL string, no bytes). args ends with {NULL}.
 * Returns the record's offset, or SIZE_MAX for an unknown event or param.
 * kd_rb_event_begin() leaves the record open (edit b.hdr, add params, then
 * kd_rb_end()) and returns false for an unknown event or param.
 *
 *   kd_rb_event(&b, "openat", 3, (struct kd_rb_arg[]){
 *           KD_RB_V("dfd", -100), KD_RB_S("filename", "/tmp/x"), { NULL } });
 */
struct kd_rb_arg {
	const char *name;
	int how; /* 0 value, 1 string, 2 bytes, 3 string array */
	uint64_t v;
	const void *p;
	size_t n;
};
#define KD_RB_V(name, v) { (name), 0, (uint64_t)(v), NULL, 0 }
#define KD_RB_S(name, s) { (name), 1, 0, (s), 0 }
#define KD_RB_B(name, p, n) { (name), 2, 0, (p), (n) }
#define KD_RB_A(name, argv) { (name), 3, 0, (argv), 0 }

static inline bool kd_rb_event_begin(struct kd_rb *b, const char *event, int64_t res,
				     const struct kd_rb_arg *args)
{
	int type = kd_event_type_by_name(event), np = kd_event_type_nparams(type);
	const struct kd_rb_arg *a;
	int i, used = 0, given = 0;

	if (type <= 0 || np < 0)
		return false;
	for (a = args; a && a->name; a++)
		given++;
	kd_rb_begin(b, type, res);
	for (i = 0; i < np; i++) {
		const char *pn = kd_event_type_param_name(type, (unsigned)i);

		for (a = args; a && a->name && strcmp(a->name, pn) != 0; a++)
			;
		if (a && a->name) {
			used++;
			switch (a->how) {
			case 0: kd_rb_val(b, a->v); break;
			case 1: kd_rb_str(b, (const char *)a->p); break;
			case 2: kd_rb_bytes(b, a->p, a->n); break;
			default: kd_rb_strarr(b, (const char *const *)a->p); break;
			}
			continue;
		}
		switch (kd__kind_wire(kd_event_type_param_kind(type, (unsigned)i))) {
		case KD_WIRE_VAL: kd_rb_val(b, 0); break;
		default: kd_rb_bytes(b, NULL, 0); break;
		}
	}
	return used == given;
}

static inline size_t kd_rb_event(struct kd_rb *b, const char *event, int64_t res,
				 const struct kd_rb_arg *args)
{
	return kd_rb_event_begin(b, event, res, args) ? kd_rb_end(b) : SIZE_MAX;
}

#endif
