/* lib/core/decode.c: validate one untrusted record and index its params. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Only the error path formats text; a good record costs a header copy and
 * one pass over plen[]. */
static int bad(char *msg, size_t msglen, int code, const char *fmt, ...) KD__PRINTF(4, 5);
static int bad(char *msg, size_t msglen, int code, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ev->boot_ns and ev->h belong to the caller (kd_next sets them once). */
int kd__decode(const void *rec, size_t len, struct kd_event *ev, char *msg, size_t msglen)
{
	const uint8_t *p = rec;
	struct kd_rec_hdr *hdr;
	const struct kd__event_info *info;
	uint32_t need, avail, off;
	unsigned np, i;

	if (len == 0)
		return bad(msg, msglen, KD_EEMPTY, "empty record buffer (0 bytes)");
	if (!rec || !ev)
		return bad(msg, msglen, -EINVAL, "kd__decode: NULL record or event");
	if (len < KD_REC_HDR_SIZE)
		return bad(msg, msglen, KD_ETRUNCATED,
			   "record of %zu bytes is shorter than its %u-byte header", len, KD_REC_HDR_SIZE);

	/* Copy the header: records in a buffer or file need not be aligned. */
	hdr = &ev->hcopy;
	memcpy(hdr, p, sizeof(*hdr));
	if (hdr->len < KD_REC_HDR_SIZE)
		return bad(msg, msglen, KD_EBADLEN,
			   "record header says %u bytes, less than the %u-byte header itself", hdr->len,
			   KD_REC_HDR_SIZE);
	if (hdr->len > len)
		return bad(msg, msglen, KD_EBADLEN,
			   "record header says %u bytes but only %zu are in the buffer", hdr->len, len);
	if (hdr->schema == 0 || hdr->schema > KD_SCHEMA_VERSION)
		return bad(msg, msglen, KD_ESCHEMA,
			   "record has schema version %u, this library knows 1..%u: upgrade kindling",
			   hdr->schema, KD_SCHEMA_VERSION);
	info = hdr->type < KD__EVENT_MAX ? kd__event_info(hdr->type) : NULL;
	if (!info || !info->name)
		return bad(msg, msglen, KD_EUNKNOWN, "unknown event type id %u", hdr->type);

	np = hdr->nparams;
	if (np > KD_REC_MAX_PARAMS)
		return bad(msg, msglen, KD_EBADPARAMS, "%s record has %u params, the limit is %u",
			   info->name, np, KD_REC_MAX_PARAMS);
	need = KD_REC_HDR_SIZE + 2 * np;
	if (hdr->len < need)
		return bad(msg, msglen, KD_EBADLEN,
			   "%s record of %u bytes cannot hold its header and %u param lengths (%u bytes)",
			   info->name, hdr->len, np, need);
	if (np > info->nparams)
		return bad(msg, msglen, KD_EBADPARAMS, "%s record has %u params, the schema has %u",
			   info->name, np, info->nparams);
	/* Older producers may lack params appended since; the current one may not. */
	if (np < info->nparams && hdr->schema == KD_SCHEMA_VERSION)
		return bad(msg, msglen, KD_EBADPARAMS,
			   "%s record has %u params, schema version %u has %u", info->name, np,
			   KD_SCHEMA_VERSION, info->nparams);

	avail = hdr->len - need;
	off = 0;
	for (i = 0; i < np; i++) {
		uint16_t n;

		memcpy(&n, p + KD_REC_HDR_SIZE + 2 * i, sizeof(n)); /* one load, aligned or not */
		ev->plen[i] = n;
		ev->poff[i] = off;
		off += n;
	}
	/* framing before content: a lying plen[] is reported as such */
	if (off != avail)
		return bad(msg, msglen, KD_EBADPARAMS,
			   "%s record: param lengths sum to %u bytes but %u follow the header", info->name,
			   off, avail);

	ev->params = p + need;
	for (i = 0; i < np; i++) {
		unsigned n = ev->plen[i];

		switch (info->params[i].wire) {
		case KD_WIRE_VAL:
			if (n != 8)
				return bad(msg, msglen, KD_EBADPARAMS,
					   "%s record: param %u (%s) is %u bytes, a value needs 8", info->name,
					   i, info->params[i].name, n);
			break;
		case KD_WIRE_STR:
		case KD_WIRE_STRARR:
			if (n && ev->params[ev->poff[i] + n - 1] != '\0')
				return bad(msg, msglen, KD_EBADPARAMS,
					   "%s record: param %u (%s), a %u-byte string, is not NUL-terminated",
					   info->name, i, info->params[i].name, n);
			break;
		default:
			break;
		}
	}

	ev->rec = rec;
	ev->hdr = hdr;
	ev->info = info;
	return 0;
}
