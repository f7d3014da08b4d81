/* tools/kdump/kdump.h: what kdump's main loop shares with its renderers. */
#ifndef KDUMP_H
#define KDUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <kindling/kindling.h>

/* A growable text buffer: renderers build one line, then write it at once. */
struct kdump_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

/* Room for more bytes and a NUL past len; false (and oom) when out of memory. */
bool kdump_buf_reserve(struct kdump_buf *b, size_t more);
void kdump_buf_putn(struct kdump_buf *b, const char *s, size_t n);
void kdump_buf_puts(struct kdump_buf *b, const char *s);
/* a string literal, its length known at build time */
#define kdump_buf_lit(b, lit) kdump_buf_putn((b), "" lit, sizeof(lit) - 1)
/* Integers without printf: a line has a dozen, and vsnprintf was most of
 * what rendering one cost. */
void kdump_buf_u64(struct kdump_buf *b, uint64_t v);
void kdump_buf_i64(struct kdump_buf *b, int64_t v);
/* v in at least width digits, zero-padded (width <= 20) */
void kdump_buf_u64w(struct kdump_buf *b, uint64_t v, unsigned width);

static inline void kdump_buf_putc(struct kdump_buf *b, char c)
{
	if (!kdump_buf_reserve(b, 1))
		return;
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

void kdump_buf_printf(struct kdump_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends what a snprintf-like formatter of ev/param i produces, growing as needed. */
void kdump_buf_fmt_param(struct kdump_buf *b, const struct kd_event *ev, int i);
void kdump_buf_free(struct kdump_buf *b);

/* out.c: event lines out to a file descriptor, whole lines per write(2)
 * (at most PIPE_BUF bytes of them when possible), so a traced command
 * writing to the same stdout never lands inside one. false with errno set
 * once a write failed. */
struct kdump_out {
	int fd;
	size_t len;
	char buf[4096];
};

void kdump_out_init(struct kdump_out *o, int fd);
bool kdump_out_line(struct kdump_out *o, const char *s, size_t len);
bool kdump_out_flush(struct kdump_out *o);

/* comm.c: thread name by tid. NULL when unknown (replays, exited threads). */
struct kdump_comm;
struct kdump_comm *kdump_comm_new(bool live);
const char *kdump_comm_get(struct kdump_comm *c, const struct kd_event *ev);
void kdump_comm_free(struct kdump_comm *c);

/* text.c / json.c: one line per event, newline included. */
void kdump_text_event(struct kdump_buf *b, const struct kd_event *ev, const char *comm);
void kdump_json_event(struct kdump_buf *b, const struct kd_event *ev, const char *comm);

/* stacks.c: --stacks. Appends the stacks of a sched_offcpu event to the line
 * a renderer just wrote (JSON: "kstack"/"ustack" keys, text: one indented
 * line per frame); nothing for other events or a NULL s. */
struct kdump_stacks;
struct kdump_stacks *kdump_stacks_new(struct kd_handle *h);
void kdump_stacks_put(struct kdump_stacks *s, struct kdump_buf *b, const struct kd_event *ev, bool json);
void kdump_stacks_free(struct kdump_stacks *s);

/* json.c: a JSON string literal of n bytes; bytes that are not printable
 * ASCII or valid UTF-8 become the four characters \xNN of the decoded value. */
void kdump_json_str(struct kdump_buf *b, const void *p, size_t n);

#endif
