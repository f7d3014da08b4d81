/*
 * lib/core/mmsgs.c: kd_value_mmsg(), the messages of a KD_PK_MMSGS param
 * (sendmmsg's and recvmmsg's msgs, schema 9; the wire is in drivers/record.h
 * at KD_CAP_MMSGS): a count, then per message its msg_len, the lengths of
 * its address and data, and their bytes.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* An address of no bytes is none (NULL), data of no bytes an empty
 * message (or one whose bytes could not be read: cut). */
static void bytes_value(struct kd_value *out, uint32_t kind, const char *name, const uint8_t *p,
			size_t n, bool cut)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->name = name;
	if (!n && kind == KD_PK_SOCKADDR) {
		out->flags = KD_VAL_NULL;
		return;
	}
	out->flags = KD_VAL_BYTES | (cut ? KD_VAL_TRUNCATED : 0);
	out->ptr = p;
	out->len = n;
}

int kd_value_mmsg(const struct kd_value *v, unsigned k, uint32_t *len, struct kd_value *addr,
		  struct kd_value *data)
{
	const uint8_t *p;
	uint32_t n, pad, mlen = 0;
	size_t at = KD_MMSGS_HDR;
	int err;

	if (!v)
		return -EINVAL;
	err = kd__value_framed(v, KD_PK_MMSGS, KD_MMSGS_HDR);
	if (err)
		return err;
	p = v->ptr;
	memcpy(&n, p, sizeof(n));
	memcpy(&pad, p + 4, sizeof(pad));
	if (n == 0 || n > KD_MMSG_MAX || pad)
		return KD_EBADPARAMS;
	/* every message's framing, not only k's: a bad tail is a bad value */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l;
		uint16_t a, d;

		if (v->len - at < KD_MMSG_HDR)
			return KD_EBADPARAMS;
		memcpy(&l, p + at, sizeof(l));
		memcpy(&a, p + at + 4, sizeof(a));
		memcpy(&d, p + at + 6, sizeof(d));
		if (a > KD_SOCKADDR_MAX || d > l || v->len - at - KD_MMSG_HDR < (size_t)a + d)
			return KD_EBADPARAMS;
		if (i == k) {
			mlen = l;
			if (addr)
				bytes_value(addr, KD_PK_SOCKADDR, "addr", p + at + KD_MMSG_HDR, a, false);
			if (data)
				bytes_value(data, KD_PK_IOVEC, "data", p + at + KD_MMSG_HDR + a, d, d < l);
		}
		at += KD_MMSG_HDR + (size_t)a + d;
	}
	if (at != v->len)
		return KD_EBADPARAMS;
	if (k >= n)
		return 0;
	if (len)
		*len = mlen;
	return 1;
}
