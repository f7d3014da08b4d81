/* tools/kdump/buf.c: the growable line buffer the renderers write into. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kdump.h"

static bool buf_grow(struct kdump_buf *b, size_t more)
{
	if (b->oom)
		return false;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

bool kdump_buf_reserve(struct kdump_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap && !b->oom)
		return true;
	return buf_grow(b, more);
}

void kdump_buf_putn(struct kdump_buf *b, const char *s, size_t n)
{
	if (!kdump_buf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void kdump_buf_puts(struct kdump_buf *b, const char *s)
{
	kdump_buf_putn(b, s, strlen(s));
}

void kdump_buf_u64w(struct kdump_buf *b, uint64_t v, unsigned width)
{
	char tmp[20], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (p > tmp && (unsigned)(tmp + sizeof(tmp) - p) < width)
		*--p = '0';
	kdump_buf_putn(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void kdump_buf_u64(struct kdump_buf *b, uint64_t v)
{
	kdump_buf_u64w(b, v, 1);
}

void kdump_buf_i64(struct kdump_buf *b, int64_t v)
{
	if (v < 0) {
		kdump_buf_putc(b, '-');
		kdump_buf_u64(b, 0 - (uint64_t)v);
	} else {
		kdump_buf_u64(b, (uint64_t)v);
	}
}

void kdump_buf_printf(struct kdump_buf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[128];

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		kdump_buf_putn(b, tmp, (size_t)n);
		return;
	}
	if (!kdump_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The library's formatters are snprintf-like: try in place, retry with the
 * size they asked for. i < 0 formats the result. */
void kdump_buf_fmt_param(struct kdump_buf *b, const struct kd_event *ev, int i)
{
	for (size_t want = 64;;) {
		if (!kdump_buf_reserve(b, want))
			return;
		size_t room = b->cap - b->len;
		int n = i < 0 ? kd_event_result_format(ev, b->s + b->len, room)
			      : kd_event_param_format(ev, (unsigned)i, b->s + b->len, room);
		if (n < 0) {
			kdump_buf_puts(b, "?");
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			b->s[b->len] = '\0';
			return;
		}
		want = (size_t)n;
	}
}

void kdump_buf_free(struct kdump_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}
