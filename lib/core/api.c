/* lib/core/api.c: the handle: kd_open, kd_next, selection, stats, kd_close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "engine.h"
#include "enrich.h"
#include "internal.h"
#include "core_probes.h"
#include "bpf-core/kd_filter.h"

#define KD__SNAPLEN_DEFAULT 80u
#define KD__RING_DEFAULT (8ull << 20)

static const char *const engine_names[] = {
	[KD_ENGINE_AUTO] = "auto",     [KD_ENGINE_CORE] = "core", [KD_ENGINE_CLASSIC] = "classic",
	[KD_ENGINE_KMOD] = "kmod",     [KD_ENGINE_FILE] = "file", [KD_ENGINE_BUFFER] = "buffer",
};

const char *kd_engine_name(int engine)
{
	if (engine < 0 || (size_t)engine >= sizeof(engine_names) / sizeof(engine_names[0]))
		return "unknown";
	return engine_names[engine];
}

int kd_handle_engine(const struct kd_handle *h)
{
	return h && h->ops ? h->ops->id : -EINVAL;
}

/* ------------------------------------------------------------ selection */

/* Turn ids matching one probe name on or off; false if the name means nothing.
 * An event name wins over a category of the same name ("time"): "cat:time"
 * names the category. */
static bool select_probe(uint8_t *en, const char *name, bool on)
{
	const struct kd__event_info *info;
	int id, cat = -1;
	bool all = false, sys = false;

	if (strcmp(name, "all") == 0) {
		all = true;
	} else if (strcmp(name, "syscalls") == 0) {
		sys = true;
	} else if (strncmp(name, "cat:", 4) == 0) {
		cat = kd_category_by_name(name + 4);
		if (cat < 0)
			return false;
	} else {
		id = kd_event_type_by_name(name);
		if (id > 0 && id < KD__EVENT_MAX) {
			en[id] = on;
			return true;
		}
		if (kd__probe_group(en, name, on))
			return true;
		cat = kd_category_by_name(name);
		if (cat < 0)
			return false;
	}
	for (id = 1; id < KD__EVENT_MAX; id++) {
		info = kd__event_info(id);
		if (!info || !info->name)
			continue;
		if (all || (sys && (info->flags & KD_EF_SYSCALL)) || (cat >= 0 && info->category == cat))
			en[id] = on;
	}
	return true;
}

/* "file,net,-read,execve": comma list; a leading '-' switches off. On an
 * unknown name returns it in bad. */
static bool select_list(uint8_t *en, const char *list, char *bad, size_t badlen)
{
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char name[64];
		bool on = true;

		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n && *p == '-')
			on = false, p++, n--;
		if (n >= sizeof(name)) {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return false;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if (n && !select_probe(en, name, on)) {
			snprintf(bad, badlen, "%s", name);
			return false;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return true;
}

int kd_probe_enable(struct kd_handle *h, const char *probe, bool on)
{
	uint8_t saved[KD__EVENT_MAX];
	int err;

	if (!h || !probe)
		return -EINVAL;
	memcpy(saved, h->enabled, sizeof(saved));
	if (!select_probe(h->enabled, probe, on))
		return kd__err(h, KD_ENOPARAM,
			       "no probe named '%s': use an event name, a category (file, net, ...), "
			       "'syscalls' or 'all'", probe);
	if (h->ops->select) {
		err = h->ops->select(h->engine);
		if (err) {
			memcpy(h->enabled, saved, sizeof(saved));
			return err;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ open */

/* libbpf-style size check: an older caller passes a smaller sz, a newer one
 * a larger sz whose extra bytes must be zero (fields we would ignore). */
static int opts_check_sz(const void *opts, size_t min, size_t ours, const char *what)
{
	const uint8_t *p = opts;
	size_t sz, i;

	memcpy(&sz, opts, sizeof(sz));
	if (sz < min)
		return kd__err(NULL, KD_EBADOPT,
			       "%s.sz is %zu, less than the %zu bytes every version has: declare the "
			       "struct with KD_OPTS()", what, sz, min);
	for (i = ours; i < sz; i++)
		if (p[i])
			return kd__err(NULL, KD_EBADOPT,
				       "%s.sz is %zu and byte %zu is set, past the %zu bytes this library "
				       "knows: leave newer fields zero or upgrade kindling", what, sz, i,
				       ours);
	return 0;
}

static int opts_load(const struct kd_open_opts *opts, struct kd_open_opts *o)
{
	const uint32_t known = KD_OPEN_LATENCY | KD_OPEN_NO_ENRICH | KD_OPEN_SHARED_RING |
			       KD_OPEN_TRACE_SELF | KD_OPEN_STACKS;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	memset(o, 0, sizeof(*o));
	if (opts) {
		err = opts_check_sz(opts, offsetof(struct kd_open_opts, engine) + sizeof(int32_t),
				    sizeof(*opts), "kd_open_opts");
		if (err)
			return err;
		memcpy(o, opts, opts->sz < sizeof(*o) ? opts->sz : sizeof(*o));
	}
	o->sz = sizeof(*o);

	if (o->engine < KD_ENGINE_AUTO || o->engine > KD_ENGINE_BUFFER)
		return kd__err(NULL, KD_EBADOPT, "unknown engine %d in opts.engine: use a KD_ENGINE_* value",
			       o->engine);
	if (o->flags & ~known)
		return kd__err(NULL, KD_EBADOPT, "unknown bits %#x in opts.flags", o->flags & ~known);
	if (o->snaplen > KD_PARAM_MAX_LEN)
		return kd__err(NULL, KD_EBADOPT, "opts.snaplen %u is above the maximum %u", o->snaplen,
			       KD_PARAM_MAX_LEN);
	if (!o->snaplen)
		o->snaplen = KD__SNAPLEN_DEFAULT;
	if (!o->ring_bytes)
		o->ring_bytes = KD__RING_DEFAULT;
	if ((o->ring_bytes & (o->ring_bytes - 1)) || (page > 0 && o->ring_bytes < (uint64_t)page))
		return kd__err(NULL, KD_EBADOPT,
			       "opts.ring_bytes %llu is not a power of 2 of at least the page size (%ld)",
			       (unsigned long long)o->ring_bytes, page);
	if (o->npids && !o->pids)
		return kd__err(NULL, KD_EBADOPT, "opts.npids is %zu but opts.pids is NULL", o->npids);
	if (o->records_len && !o->records)
		return kd__err(NULL, KD_EBADOPT, "opts.records_len is %zu but opts.records is NULL",
			       o->records_len);
	if (o->engine == KD_ENGINE_BUFFER && !o->records)
		return kd__err(NULL, KD_EBADOPT,
			       "KD_ENGINE_BUFFER replays opts.records, which is NULL: set records and "
			       "records_len");
	if (o->capture_opts && !o->capture)
		return kd__err(NULL, KD_EBADOPT, "opts.capture_opts is set but opts.capture is NULL");
	if (o->engine == KD_ENGINE_FILE && !o->file)
		return kd__err(NULL, KD_EBADOPT, "KD_ENGINE_FILE replays opts.file, which is NULL");
	return 0;
}

static int dup_str(const char **field, char **owned)
{
	if (!*field)
		return 0;
	*owned = strdup(*field);
	if (!*owned)
		return -ENOMEM;
	*field = *owned;
	return 0;
}

/* opts.filter, checked and built now; the pointer is the caller's. */
static int open_filter(struct kd_handle *h)
{
	const struct kd_filter *f = h->opts.filter;
	struct kd_flt flt;
	bool any;
	int err;

	h->opts.filter = NULL;
	err = kd__filter_build(h, f, &flt, &any);
	if (err || !any)
		return err;
	h->filter = malloc(sizeof(*h->filter));
	if (!h->filter)
		return kd__err(h, -ENOMEM, "kd_open: out of memory for opts.filter");
	*h->filter = flt;
	return 0;
}

static uint64_t boot_ns(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (uint64_t)(rt.tv_sec - mono.tv_sec) * 1000000000ull + (uint64_t)rt.tv_nsec -
	       (uint64_t)mono.tv_nsec;
}

int kd_open(const struct kd_open_opts *opts, struct kd_handle **out)
{
	struct kd_handle *h = NULL;
	struct kd_open_opts o;
	char bad[64];
	int err;

	kd__err_clear(NULL);
	if (!out)
		return kd__err(NULL, -EINVAL, "kd_open: out is NULL");
	*out = NULL;
	err = opts_load(opts, &o);
	if (err)
		return err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return kd__err(NULL, -ENOMEM, "kd_open: out of memory for the handle");
	h->opts = o;
	if (dup_str(&h->opts.events, &h->events_str) || dup_str(&h->opts.file, &h->file_str) ||
	    dup_str(&h->opts.capture, &h->capture_str)) {
		err = kd__err(h, -ENOMEM, "kd_open: out of memory copying opts strings");
		goto fail;
	}
	if (h->opts.npids) {
		h->pids_copy = malloc(h->opts.npids * sizeof(*h->pids_copy));
		if (!h->pids_copy) {
			err = kd__err(h, -ENOMEM, "kd_open: out of memory copying opts.pids");
			goto fail;
		}
		memcpy(h->pids_copy, h->opts.pids, h->opts.npids * sizeof(*h->pids_copy));
		h->opts.pids = h->pids_copy;
	}
	if (!h->opts.events)
		select_probe(h->enabled, "syscalls", true);
	else if (!select_list(h->enabled, h->opts.events, bad, sizeof(bad))) {
		err = kd__err(h, KD_EBADOPT,
			      "unknown event '%s' in opts.events: use event names, categories (file, "
			      "net, ...), 'syscalls' or 'all'", bad);
		goto fail;
	}
	if ((err = open_filter(h)))
		goto fail;
	h->boot_ns = boot_ns();
	h->ev.boot_ns = h->boot_ns;
	h->ev.h = h;

	err = kd__engine_open(h);
	if (err)
		goto fail;
	/* an engine that filters put opts.filter in force before it attached anything */
	if (h->filter && !h->ops->filter) {
		err = kd__err(h, KD_ENOTSUP,
			      "opts.filter: the %s engine cannot filter in the kernel; filters need the "
			      "core engine", h->ops->name);
		goto fail;
	}
	/* after the engine: what changes during the /proc scan arrives as events */
	if ((err = kd__enrich_open(h)))
		goto fail;
	if (h->opts.capture && (err = kd__capture_open(h, h->opts.capture)))
		goto fail;
	*out = h;
	return 0;
fail:
	kd__err(NULL, err, "%s", h->err);
	kd_close(h);
	return err;
}

void kd_close(struct kd_handle *h)
{
	if (!h)
		return;
	kd__capture_close(h);
	if (h->ops && h->ops->close)
		h->ops->close(h->engine);
	kd__enrich_close(h);
	free(h->events_str);
	free(h->file_str);
	free(h->capture_str);
	free(h->pids_copy);
	free(h->filter);
	free(h);
}

/* ------------------------------------------------------------ next */

/* A fork followed for the tables only: its child, for the captures. */
static void note_fork(struct kd_handle *h, const struct kd_event *ev)
{
	struct kd_value ctid;

	if (kd_event_type(ev) == KD_EV_PROC_FORK && h->nforks < KD__FORKS_MAX &&
	    kd_event_param(ev, 2, &ctid) == 0 && ctid.i > 0)
		h->forks[h->nforks++] = (uint32_t)ctid.i;
}

static bool is_record_error(int err)
{
	return err <= KD_ETRUNCATED && err >= KD_EEMPTY;
}

/* Events followed for the tables only can flow without end (a busy machine,
 * a rare selection): they must not hold kd_next past opts.timeout_ms. The
 * coarse clock (ticks of 1-4 ms, finer than callers wait) costs 5-7 ns
 * here, a fifth of what a followed event costs: it is read every
 * KD__FOLLOWED_CHECK of them (a trickle, each within the engine's wait, can
 * then hold kd_next that many waits at most). 0 to go on (*timeout: what is
 * left for the engine), or KD_TIMEOUT. */
#define KD__FOLLOWED_CHECK 8
static int followed_past(const struct kd_handle *h, uint64_t *deadline, int *timeout)
{
	struct timespec ts;
	uint64_t now;

	if (*timeout < 0 || h->ops->id == KD_ENGINE_FILE || h->ops->id == KD_ENGINE_BUFFER)
		return 0; /* forever; finite sources never wait */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (!*deadline) /* "never block" still reads for a tick */
		*deadline = now + (uint64_t)(h->opts.timeout_ms ? h->opts.timeout_ms : 1);
	if (now >= *deadline)
		return KD_TIMEOUT;
	if (*timeout > 0)
		*timeout = (int)(*deadline - now);
	return 0;
}

/* A record kd__decode() refused: decoded again for the message, so that
 * kd_next() carries no message buffer (nor its stack guard) per event. */
static __attribute__((noinline)) int decode_error(struct kd_handle *h, const void *rec, size_t len)
{
	const uint8_t *base = h->opts.records, *r = rec;
	char msg[256];
	int err = kd__decode(rec, len, &h->ev, msg, sizeof(msg));

	h->invalid++;
	if (base && r >= base && r < base + h->opts.records_len)
		return kd__err(h, err, "%s (record at byte offset %zu of opts.records)", msg,
			       (size_t)(r - base));
	return kd__err(h, err, "%s (%s engine)", msg, h->ops->name);
}

int kd_next(struct kd_handle *h, const struct kd_event **ev)
{
	const void *rec;
	size_t len;
	uint64_t deadline = 0;
	unsigned nfollowed = 0;
	int err, timeout;

	if (!h || !ev)
		return -EINVAL;
	*ev = NULL;
	timeout = h->opts.timeout_ms;
	/* removals the last event caused (close, exit) wait until it was delivered */
	kd__enrich_flush(h);
	if (h->forks_done) {
		h->nforks = 0;
		h->forks_done = false;
	}
	for (;;) {
		err = h->ops->next(h->engine, &rec, &len, timeout);
		if (err) {
			kd__enrich_flush(h); /* what a followed event closed */
			/* the engine wrote the message; a record it could not frame is a drop */
			if (is_record_error(err))
				h->invalid++;
			return err;
		}
		h->bytes += len;
		if (kd__decode(rec, len, &h->ev, NULL, 0))
			return decode_error(h, rec, len);
		/* every decoded event keeps the tables current, selected or not */
		kd__enrich_event(h, &h->ev);
		/* engines that cannot select in the kernel hand us everything */
		if (h->enabled[h->ev.hdr->type] && (!h->filter || kd__filter_pass(h, &h->ev)))
			break;
		h->followed++;
		note_fork(h, &h->ev);
		if ((++nfollowed % KD__FOLLOWED_CHECK) == 0 &&
		    (err = followed_past(h, &deadline, &timeout))) {
			kd__enrich_flush(h);
			return err;
		}
	}
	if (h->capture && (err = kd__capture_write(h, rec, len)))
		return err;
	h->events++;
	h->forks_done = true;
	*ev = &h->ev;
	return 0;
}

/* ------------------------------------------------------------ stats */

int kd_stats(struct kd_handle *h, struct kd_stats *st)
{
	struct kd_stats s;
	size_t sz, n;
	int err, r;

	if (!h || !st)
		return -EINVAL;
	sz = st->sz;
	if (sz < offsetof(struct kd_stats, drops))
		return kd__err(h, KD_EBADOPT, "kd_stats.sz is %zu, less than %zu: set it to sizeof(struct kd_stats)",
			       sz, offsetof(struct kd_stats, drops));
	memset(&s, 0, sizeof(s));
	s.sz = sizeof(s);
	s.events = h->events;
	s.drops_by_reason[KD_DROP_INVALID] = h->invalid;
	s.bytes = h->bytes;
	kd__enrich_stats(h, &s);
	if (h->ops->stats) {
		err = h->ops->stats(h->engine, &s);
		if (err)
			return err;
	}
	/* what the kernel produced for the selection, as kd_next saw it */
	s.enrich_events = h->followed;
	s.filtered_task += h->flt_task;
	s.filtered_path += h->flt_path;
	s.kernel_events -= s.kernel_events >= h->followed ? h->followed : s.kernel_events;
	s.drops = 0;
	for (r = 0; r < KD_DROP__MAX; r++)
		s.drops += s.drops_by_reason[r];

	/* fill what the caller's struct has room for; newer fields we do not know read 0 */
	n = sz < sizeof(s) ? sz : sizeof(s);
	memcpy((char *)st + sizeof(size_t), (char *)&s + sizeof(size_t), n - sizeof(size_t));
	if (sz > sizeof(s))
		memset((char *)st + sizeof(s), 0, sz - sizeof(s));
	return 0;
}

int kd_stats_cpu(struct kd_handle *h, unsigned cpu, struct kd_cpu_stats *st)
{
	struct kd_cpu_stats s;
	size_t sz, n;
	int err;

	if (!h || !st)
		return -EINVAL;
	sz = st->sz;
	if (sz < offsetof(struct kd_cpu_stats, drops))
		return kd__err(h, KD_EBADOPT, "kd_cpu_stats.sz is %zu, less than %zu: set it to sizeof(struct kd_cpu_stats)",
			       sz, offsetof(struct kd_cpu_stats, drops));
	if (!h->ops->stats_cpu)
		return kd__err(h, -ERANGE, "the %s engine has no per-CPU rings", h->ops->name);
	memset(&s, 0, sizeof(s));
	s.sz = sizeof(s);
	err = h->ops->stats_cpu(h->engine, cpu, &s);
	if (err)
		return err;
	n = sz < sizeof(s) ? sz : sizeof(s);
	memcpy((char *)st + sizeof(size_t), (char *)&s + sizeof(size_t), n - sizeof(size_t));
	if (sz > sizeof(s))
		memset((char *)st + sizeof(s), 0, sz - sizeof(s));
	return 0;
}
