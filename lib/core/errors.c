/* lib/core/errors.c: return codes to text, and the per-handle error message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* kd_open() fails before a handle exists: its message lives per thread. */
static _Thread_local char open_err[512];
static _Thread_local char strerror_buf[128];

const char *kd_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define KD__ERR_MSG(name, val, msg) case KD_##name: return msg;
	KD_ERRNO_MAP(KD__ERR_MSG)
#undef KD__ERR_MSG
	default:
		break;
	}
	if (err > 0)
		return "unknown status";
	/* GNU strerror_r may return a static string instead of filling buf. */
	return strerror_r(-err, strerror_buf, sizeof(strerror_buf));
}

const char *kd_err_name(int err)
{
	switch (err) {
	case 0:
		return "OK";
#define KD__ERR_NAME(name, val, msg) case KD_##name: return "KD_" #name;
	KD_ERRNO_MAP(KD__ERR_NAME)
#undef KD__ERR_NAME
	default:
		break;
	}
	if (err < 0 && err > -4000) {
		const char *n = kd_errno_name(-err);
		if (n)
			return n;
	}
	return "UNKNOWN";
}

int kd__err(struct kd_handle *h, int code, const char *fmt, ...)
{
	char *dst = h ? h->err : open_err;
	size_t cap = h ? sizeof(h->err) : sizeof(open_err);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
	return code;
}

void kd__err_clear(struct kd_handle *h)
{
	if (h)
		h->err[0] = '\0';
	else
		open_err[0] = '\0';
}

const char *kd_last_error(const struct kd_handle *h)
{
	return h ? h->err : open_err;
}

void kd__log(const struct kd_handle *h, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!h || !h->opts.log || level > h->opts.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->opts.log(level, msg, h->opts.log_ctx);
}
