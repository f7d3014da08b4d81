/*
 * tools/kdump/out.c: where kdump's event lines go (stdout, or -o FILE).
 *
 * A traced command usually shares kdump's stdout, and writes to it
 * whenever it likes. stdio would flush kdump's buffer at any byte, so the
 * command's output could land inside an event line and break it (a JSON
 * consumer then loses that event). Here every write(2) holds whole lines
 * only, at most PIPE_BUF bytes of them when that is possible: the kernel
 * writes such a chunk to a pipe in one piece, and a write to a regular file
 * never interleaves with another's. A line longer than PIPE_BUF goes out
 * alone, in one write(2) when the kernel takes it.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "kdump.h"

/* Writes all of s; false with errno set on failure. */
static bool write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return false;
		}
		s += n;
		len -= (size_t)n;
	}
	return true;
}

void kdump_out_init(struct kdump_out *o, int fd)
{
	o->fd = fd;
	o->len = 0;
}

bool kdump_out_flush(struct kdump_out *o)
{
	bool ok = write_all(o->fd, o->buf, o->len);

	o->len = 0;
	return ok;
}

bool kdump_out_line(struct kdump_out *o, const char *s, size_t len)
{
	_Static_assert(sizeof(o->buf) <= PIPE_BUF, "one chunk is one atomic pipe write");

	if (o->len + len > sizeof(o->buf) && o->len && !kdump_out_flush(o))
		return false;
	if (len > sizeof(o->buf))
		return write_all(o->fd, s, len);
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	return true;
}
