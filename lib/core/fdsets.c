/*
 * lib/core/fdsets.c: kd_value_fdset_next(), the ready fds of a KD_PK_FDSETS
 * param (select's and pselect6's ready, schema 8; the wire is in
 * drivers/record.h at KD_CAP_FDSETS): a header (u32 fds covered, u8 the sets
 * present), then each present set as the kernel's fd_set.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int kd_value_fdset_next(const struct kd_value *v, unsigned which, int fd)
{
	const uint8_t *p;
	uint32_t fds, l, mask, at = KD_FDSETS_HDR;
	int err;

	if (!v || which > 2 || fd < -1)
		return -EINVAL;
	err = kd__value_framed(v, KD_PK_FDSETS, KD_FDSETS_HDR);
	if (err)
		return err;
	p = v->ptr;
	memcpy(&fds, p, sizeof(fds));
	mask = p[4];
	l = KD_FDSET_BYTES(fds);
	if (fds > KD_FDSET_MAX_FDS || mask > 7 ||
	    v->len != KD_FDSETS_HDR + l * (uint32_t)__builtin_popcount(mask))
		return KD_EBADPARAMS;
	if (!(mask & (1u << which)))
		return -1;
	for (unsigned k = 0; k < which; k++)
		at += mask & (1u << k) ? l : 0;
	for (uint32_t f = (uint32_t)(fd + 1); f < fds; f++)
		if (p[at + f / 8] & (1u << (f % 8)))
			return (int)f;
	return -1;
}
