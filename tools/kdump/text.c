/* tools/kdump/text.c: the strace-like line.
 *   HH:MM:SS.nnnnnnnnn cpu comm(pid:tid) [container] name(fd=3<file:/etc/hosts>, ...) = res <latency> */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "kdump.h"

/* localtime_r is slow and events come thousands per second: cache the second. */
static void put_time(struct kdump_buf *b, uint64_t ts)
{
	static time_t last_sec = (time_t)-1;
	static char last_hms[16];
	time_t sec = (time_t)(ts / 1000000000u);

	if (sec != last_sec) {
		struct tm tm;
		if (!localtime_r(&sec, &tm))
			memset(&tm, 0, sizeof(tm));
		strftime(last_hms, sizeof(last_hms), "%H:%M:%S", &tm);
		last_sec = sec;
	}
	kdump_buf_puts(b, last_hms);
	kdump_buf_putc(b, '.');
	kdump_buf_u64w(b, ts % 1000000000u, 9);
}

/* "<file:/etc/hosts>" after an fd the table knows. */
static void put_fd_info(struct kdump_buf *b, const struct kd_fd *f)
{
	char s[512];

	if (f && kd_fd_format(f, s, sizeof(s)) >= 0) {
		kdump_buf_putc(b, '<');
		kdump_buf_puts(b, s);
		kdump_buf_putc(b, '>');
	}
}

void kdump_text_event(struct kdump_buf *b, const struct kd_event *ev, const char *comm)
{
	int type = kd_event_type(ev);
	unsigned n = kd_event_nparams(ev);
	const struct kd_thread *t = kd_event_thread(ev);
	const char *cid = t ? kd_thread_container_id(t) : "";

	put_time(b, kd_event_ts(ev));
	kdump_buf_putc(b, ' ');
	kdump_buf_u64(b, kd_event_cpu(ev));
	kdump_buf_putc(b, ' ');
	kdump_buf_puts(b, comm ? comm : "?");
	kdump_buf_putc(b, '(');
	kdump_buf_u64(b, kd_event_pid(ev));
	kdump_buf_putc(b, ':');
	kdump_buf_u64(b, kd_event_tid(ev));
	kdump_buf_lit(b, ") ");
	if (cid[0]) {
		kdump_buf_putc(b, '[');
		kdump_buf_puts(b, cid);
		kdump_buf_lit(b, "] ");
	}
	kdump_buf_puts(b, kd_event_name(ev));
	kdump_buf_putc(b, '(');
	for (unsigned i = 0; i < n; i++) {
		const char *name = kd_event_type_param_name(type, i);
		if (i)
			kdump_buf_lit(b, ", ");
		kdump_buf_puts(b, name ? name : "?");
		kdump_buf_putc(b, '=');
		kdump_buf_fmt_param(b, ev, (int)i);
		put_fd_info(b, kd_event_param_fd(ev, i));
	}
	kdump_buf_putc(b, ')');
	if (kd_event_type_flags(type) & KD_EF_SYSCALL) {
		if (kd_event_record_flags(ev) & KD_RF_AT_ENTRY) {
			kdump_buf_lit(b, " = ?");
		} else {
			kdump_buf_lit(b, " = ");
			kdump_buf_fmt_param(b, ev, -1);
			const struct kd_fd *f = kd_event_fd(ev);

			if (kd_event_type_result_kind(type) == KD_PK_FD && kd_event_result(ev) >= 0 &&
			    f && kd_fd_num(f) == (int32_t)kd_event_result(ev))
				put_fd_info(b, f);
		}
	}
	if (kd_event_has_latency(ev)) {
		uint64_t ns = kd_event_latency(ev);
		kdump_buf_lit(b, " <");
		kdump_buf_u64(b, ns / 1000000000u);
		kdump_buf_putc(b, '.');
		kdump_buf_u64w(b, ns % 1000000000u / 1000u, 6);
		kdump_buf_putc(b, '>');
	}
	kdump_buf_putc(b, '\n');
}
