/* lib/capture/dump.c: the two ways into the writer: kd_dump_* (tools pick
 * the events) and opts.capture (the core writes all it delivers). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "enrich.h"

_Static_assert(sizeof(struct kd_dump_opts) == 40, "kd_dump_opts has no padding holes");
/* capture_opts was appended after max_fds_per_proc: no hole before it */
_Static_assert(offsetof(struct kd_open_opts, capture_opts) == 120 &&
		       offsetof(struct kd_open_opts, sched_min_ns) == 128 &&
		       offsetof(struct kd_open_opts, filter) == 144 &&
		       sizeof(struct kd_open_opts) == 152,
	       "kd_open_opts has no padding holes");

struct kd_dump {
	struct kd__cw *w;
	const struct kd_handle *h; /* the handle of the last event written */
	uint64_t lookups;          /* its enrichment's lookups written for so far */
};

struct kd__capture {
	struct kd__cw *w;
	int failed; /* first write error; the capture is stopped after it */
	uint64_t lookups; /* the enrichment's kernel and /proc lookups so far */
	struct kd_handle *h;
	int32_t *pids;    /* copy of opts.pids: rotations outlive the caller's array */
	size_t npids;
};

/* libbpf-style: an older caller passes a smaller sz, a newer one a larger sz
 * whose extra bytes must be zero. what names the opts in messages, which go
 * to h (NULL: the thread's open error). */
static int dump_opts_load(struct kd_handle *h, const char *what, const struct kd_dump_opts *opts,
			  struct kd_dump_opts *o)
{
	const uint8_t *p = (const uint8_t *)opts;
	size_t min = offsetof(struct kd_dump_opts, level) + sizeof(opts->level), i;

	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	if (!opts)
		return 0;
	if (opts->sz < min)
		return kd__err(h, KD_EBADOPT, "%s.sz is %zu, less than %zu: declare it with KD_OPTS()",
			       what, opts->sz, min);
	for (i = sizeof(*o); i < opts->sz; i++)
		if (p[i])
			return kd__err(h, KD_EBADOPT,
				       "%s.sz is %zu and byte %zu is set, past the %zu bytes this "
				       "library knows: leave newer fields zero or upgrade kindling",
				       what, opts->sz, i, sizeof(*o));
	memcpy(o, opts, opts->sz < sizeof(*o) ? opts->sz : sizeof(*o));
	o->sz = sizeof(*o);
	return 0;
}

int kd_dump_open(const char *path, const struct kd_dump_opts *opts, struct kd_dump **out)
{
	struct kd_dump_opts o;
	struct kd_dump *d;
	char msg[512];
	int err;

	kd__err_clear(NULL);
	if (!out)
		return kd__err(NULL, -EINVAL, "kd_dump_open: out is NULL");
	*out = NULL;
	if (!path || !*path)
		return kd__err(NULL, -EINVAL, "kd_dump_open: path is NULL or empty");
	if ((err = dump_opts_load(NULL, "kd_dump_opts", opts, &o)))
		return err;
	d = calloc(1, sizeof(*d));
	if (!d)
		return kd__err(NULL, -ENOMEM, "kd_dump_open: out of memory");
	err = kd__cw_open(&d->w, path, &o, 0, msg, sizeof(msg));
	if (err) {
		free(d);
		return kd__err(NULL, err, "%s", msg);
	}
	*out = d;
	return 0;
}

/* kd__cw_snap_fn: the enrichment tables of handle ctx; a handle that
 * follows some processes gives only theirs (and their descendants'). */
static int snapshot_of(void *ctx, uint8_t **buf, size_t *len, uint32_t *count)
{
	struct kd_handle *h = ctx;

	if (!h || !h->enrich)
		return 1;
	return kd__snapshot_write(h->enrich, NULL, h->opts.pids, h->opts.npids, buf, len, count);
}

/* kd__cw_snap_fn for opts.capture: a capture that follows some processes
 * holds only theirs (and their descendants'). */
static int capture_snapshot(void *ctx, uint8_t **buf, size_t *len, uint32_t *count)
{
	struct kd__capture *c = ctx;

	if (!c->h->enrich)
		return 1;
	return kd__snapshot_write(c->h->enrich, NULL, c->pids, c->npids, buf, len, count);
}

/* kd__cw_stats_fn: the counters of handle ctx, alive while it is the source. */
static int stats_of(void *ctx, struct kd_stats *st)
{
	return kd_stats(ctx, st);
}

/* Process p's entry (and those sharing its fd table) as an update block. */
static int write_proc_update(struct kd__cw *w, struct kd__enrich *e, const struct kd__proc *p)
{
	uint8_t *buf;
	size_t len;
	uint32_t count;
	int err = kd__snapshot_write(e, p, NULL, 0, &buf, &len, &count);

	if (err)
		return err;
	err = kd__cw_snapshot_block(w, buf, len, count);
	free(buf);
	return err;
}

/* What the live tables of h learned that no written record says, as updates
 * before h's current event: the children of the forks it followed for its
 * tables only (never written), as they are now (one gone since is left out:
 * nothing after this names it as live); and, when it looked something up in
 * the kernel or /proc since *lookups, the event's process. A replay then
 * meets them as the live handle did. */
static int write_live_updates(struct kd__cw *w, struct kd_handle *h, uint64_t *lookups)
{
	struct kd__enrich *e = h->enrich;

	if (!e)
		return 0;
	for (unsigned i = 0; i < h->nforks; i++) {
		const struct kd_thread *t = kd__thread_find(e, h->forks[i]);
		int err = t ? write_proc_update(w, e, t->proc) : 0;

		if (err)
			return err;
	}
	if (e->lookups == *lookups)
		return 0;
	*lookups = e->lookups;
	return e->cur_thread ? write_proc_update(w, e, e->cur_thread->proc) : 0;
}

/* A write error stops the capture (said once); events keep coming. */
static int capture_failed(struct kd_handle *h, struct kd__capture *c, int err)
{
	c->failed = err;
	kd__log(h, KD_LOG_ERROR, "opts.capture stopped: %s", kd__cw_error(c->w));
	return kd__err(h, err, "opts.capture stopped (events keep coming): %s", kd__cw_error(c->w));
}

static int dump_event(struct kd_dump *d, const struct kd_event *ev);

int kd_dump_event(struct kd_dump *d, const struct kd_event *ev)
{
	int err;

	if (!d || !ev || !ev->hdr)
		return -EINVAL;
	err = dump_event(d, ev);
	kd__cw_set_stats(d->w, NULL, NULL);
	return err;
}

int kd_dump_stats(struct kd_dump *d, const struct kd_stats *st)
{
	struct kd_stats s;

	if (!d || !st)
		return -EINVAL;
	if (st->sz < offsetof(struct kd_stats, filtered_path) + sizeof(st->filtered_path))
		return kd__err(NULL, KD_EBADOPT, "kd_dump_stats: st->sz is %zu, less than %zu: fill it "
			       "with kd_stats()", st->sz,
			       offsetof(struct kd_stats, filtered_path) + sizeof(st->filtered_path));
	memset(&s, 0, sizeof(s));
	memcpy(&s, st, st->sz < sizeof(s) ? st->sz : sizeof(s));
	return kd__cw_stats_block(d->w, &s);
}

/* kd_dump_event() for a valid event; the handle is its counters' source
 * only while the event is written (kd_dump does not own it). */
static int dump_event(struct kd_dump *d, const struct kd_event *ev)
{
	/* the tables of the handle this event came from (a rotation takes them
	 * while the event is current; the first file when its first event comes) */
	if (ev->h && ev->h->enrich)
		kd__cw_set_snapshot(d->w, snapshot_of, ev->h);
	if (ev->h)
		kd__cw_set_stats(d->w, stats_of, ev->h);
	/* events carry their source's epoch offset; the file keeps the first one */
	if (!kd__cw_has_boot(d->w))
		kd__cw_set_boot(d->w, ev->boot_ns);
	if (ev->h && ev == &ev->h->ev && ev->h->enrich) {
		int err;

		/* a new handle: its tables as of now are in the start snapshot */
		if (d->h != ev->h) {
			d->h = ev->h;
			d->lookups = ev->h->enrich->lookups;
		}
		err = write_live_updates(d->w, ev->h, &d->lookups);
		if (err)
			return err;
	}
	return kd__cw_record(d->w, ev->rec, ev->hdr->len);
}

int kd_dump_flush(struct kd_dump *d)
{
	return d ? kd__cw_flush(d->w) : -EINVAL;
}

int kd_dump_close(struct kd_dump *d)
{
	int err;

	if (!d)
		return 0;
	err = kd__cw_close(d->w, NULL, 0);
	free(d);
	return err;
}

const char *kd_dump_last_error(const struct kd_dump *d)
{
	return d ? kd__cw_error(d->w) : "";
}

/* ------------------------------------------------ opts.capture */

int kd__capture_open(struct kd_handle *h, const char *path)
{
	struct kd_dump_opts o;
	struct kd__capture *c;
	char msg[512];
	int err;

	/* only kd_open() reads opts.capture_opts: the caller's struct may go away after */
	if ((err = dump_opts_load(h, "opts.capture_opts", h->opts.capture_opts, &o)))
		return err;
	h->opts.capture_opts = NULL;
	c = calloc(1, sizeof(*c));
	if (c && h->opts.npids && (c->pids = malloc(h->opts.npids * sizeof(*c->pids))))
		memcpy(c->pids, h->opts.pids, h->opts.npids * sizeof(*c->pids));
	if (!c || (h->opts.npids && !c->pids)) {
		free(c);
		return kd__err(h, -ENOMEM, "opts.capture: out of memory");
	}
	c->h = h;
	c->npids = h->opts.npids;
	/* boot_ns 0 is a valid offset only in theory; 1 ns off is harmless */
	err = kd__cw_open(&c->w, path, &o, h->boot_ns ? h->boot_ns : 1, msg, sizeof(msg));
	if (err) {
		free(c->pids);
		free(c);
		return kd__err(h, err, "opts.capture: %s", msg);
	}
	/* the tables as the capture starts, so a replay enriches as this handle does */
	kd__cw_set_snapshot(c->w, capture_snapshot, c);
	/* and its counters after each block, so a replay knows what it lost */
	kd__cw_set_stats(c->w, stats_of, h);
	c->lookups = h->enrich ? h->enrich->lookups : 0;
	h->capture = c;
	return 0;
}

int kd__capture_write(struct kd_handle *h, const void *rec, size_t len)
{
	struct kd__capture *c = h->capture;
	int err;

	if (!c || c->failed)
		return 0;
	err = write_live_updates(c->w, h, &c->lookups);
	if (!err)
		err = kd__cw_record(c->w, rec, len);
	return err ? capture_failed(h, c, err) : 0;
}

int kd__capture_close(struct kd_handle *h)
{
	struct kd__capture *c = h->capture;
	char msg[400];
	int err;

	if (!c)
		return 0;
	/* the final counts, from the source set at open (the engine is still
	 * open); a failure is the writer's sticky error, said below */
	if (!c->failed)
		kd__cw_stats_block(c->w, NULL);
	err = kd__cw_close(c->w, msg, sizeof(msg));
	if (err && !c->failed) {
		kd__log(h, KD_LOG_ERROR, "opts.capture: %s", msg);
		kd__err(h, err, "opts.capture: finishing the file failed: %s", msg);
	}
	if (c->failed)
		err = c->failed;
	free(c->pids);
	free(c);
	h->capture = NULL;
	return err;
}
