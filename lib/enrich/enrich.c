/* lib/enrich/enrich.c: the enrichment state of a handle: open (with the /proc
 * scan), one call per event that updates the tables and picks the event's
 * thread and fd, the removals that wait until an event was delivered, stats,
 * and the public lookups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "engine.h"
#include "enrich.h"

/* /proc lookups for threads and fds first seen in events: a burst, then a rate */
#define KD__LOOKUP_BURST 128.0
#define KD__LOOKUP_RATE 500.0 /* per second: one can cost a ms (many fds) */

/* kd__ev_int() of a param that is not a value: kd_event_param() decides. */
bool kd__ev_int_slow(const struct kd_event *ev, unsigned i, int64_t *v)
{
	struct kd_value val;

	if (kd_event_param(ev, i, &val) || (val.flags & KD_VAL_BYTES))
		return false;
	*v = val.i;
	return true;
}

bool kd__enrich_may_lookup(struct kd__enrich *e)
{
	struct timespec ts;
	uint64_t now;

	if (!e->live)
		return false;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	e->rl_tokens += (double)(now - e->rl_last_ns) * KD__LOOKUP_RATE / 1e9;
	if (e->rl_tokens > KD__LOOKUP_BURST)
		e->rl_tokens = KD__LOOKUP_BURST;
	e->rl_last_ns = now;
	if (e->rl_tokens < 1.0) {
		e->limited++;
		return false;
	}
	e->rl_tokens -= 1.0;
	return true;
}

int kd__enrich_open(struct kd_handle *h)
{
	struct kd__enrich *e;
	int id;

	if ((h->opts.flags & KD_OPEN_NO_ENRICH) || h->enrich)
		return 0;
	e = calloc(1, sizeof(*e));
	if (!e)
		return kd__err(h, -ENOMEM, "kd_open: out of memory for the enrichment tables");
	e->h = h;
	id = h->ops ? h->ops->id : -1;
	e->live = id == KD_ENGINE_CORE || id == KD_ENGINE_CLASSIC || id == KD_ENGINE_KMOD;
	/* a capture replayed where it was written names users as live did */
	e->names = e->live || kd__file_this_host(h);
	e->max_threads = h->opts.max_threads ? h->opts.max_threads : KD__ENRICH_MAX_THREADS;
	e->max_fds = h->opts.max_fds_per_proc ? h->opts.max_fds_per_proc : KD__ENRICH_MAX_FDS;
	e->rl_tokens = KD__LOOKUP_BURST;
	e->bytes = sizeof(*e);
	h->enrich = e;
	/* after the engine started: what changes during the scan arrives as events */
	if (e->live && kd__proc_scan(e) < 0)
		kd__log(h, KD_LOG_WARN, "enrichment: cannot read /proc; threads are known from events only");
	return 0;
}

void kd__enrich_close(struct kd_handle *h)
{
	struct kd__enrich *e = h ? h->enrich : NULL;

	if (!e)
		return;
	kd__threads_free_all(e);
	kd__fd_spare_free(e);
	kd__users_free(e);
	free(e);
	h->enrich = NULL;
}

/* The process a removal waits for: nearly always the event's own. */
static struct kd__proc *defer_proc(struct kd__enrich *e)
{
	if (e->cur_thread && e->cur_thread->proc->pid == e->defer.id)
		return e->cur_thread->proc;
	return kd__proc_find(e, e->defer.id);
}

static void forget_current(struct kd__enrich *e)
{
	e->cur_ev = NULL;
	e->cur_rec = NULL;
	e->cur_thread = NULL;
	e->cur_fd = NULL;
	e->cur_fd_known = false;
}

/* At the start of kd_next and at the end of the stream: what the last event
 * closed goes (an exit waits for its proc_exit: kd__exit_begin()). */
void kd__enrich_flush(struct kd_handle *h)
{
	struct kd__enrich *e = h ? h->enrich : NULL;
	struct kd__proc *p;

	if (!e)
		return;
	switch (e->defer.kind) {
	case KD__DEFER_CLOSE:
		if ((p = defer_proc(e)))
			kd__fd_remove(e, p, (int32_t)e->defer.lo);
		break;
	case KD__DEFER_CLOSE_RANGE:
		if ((p = defer_proc(e)))
			kd__fd_close_range(e, p, e->defer.lo, e->defer.hi, false);
		break;
	case KD__DEFER_THREAD_EXIT:
		kd__thread_exit(e, e->defer.id, e->defer.ts);
		break;
	case KD__DEFER_PROC_EXIT:
		kd__proc_exit(e, e->defer.id, e->defer.ts);
		break;
	default:
		break;
	}
	e->defer.kind = KD__DEFER_NONE;
	forget_current(e);
}

/* setuid family: -1 leaves an id as it is. Only root may set the real id. */
static void creds(struct kd__proc *p, const struct kd_event *ev)
{
	int64_t a = -1, b = -1;
	uint32_t ua, ub;

	if (kd_event_result(ev) < 0)
		return;
	kd__ev_int(ev, 0, &a);
	kd__ev_int(ev, 1, &b);
	ua = (uint32_t)a, ub = (uint32_t)b;
	switch (kd_event_type(ev)) {
	case KD_EV_SETUID:
		if (p->euid == 0)
			p->uid = ua;
		p->euid = ua;
		break;
	case KD_EV_SETGID:
		if (p->euid == 0)
			p->gid = ua;
		p->egid = ua;
		break;
	case KD_EV_SETREUID:
	case KD_EV_SETRESUID:
		if (ua != UINT32_MAX)
			p->uid = ua;
		if (ub != UINT32_MAX)
			p->euid = ub;
		break;
	case KD_EV_SETREGID:
	case KD_EV_SETRESGID:
		if (ua != UINT32_MAX)
			p->gid = ua;
		if (ub != UINT32_MAX)
			p->egid = ub;
		break;
	default:
		break;
	}
}

static void prctl_event(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev)
{
	int64_t opt = 0, arg = 0;

	if (kd_event_result(ev) < 0 || !kd__ev_int(ev, 0, &opt))
		return;
	kd__ev_int(ev, 1, &arg);
	if (opt == PR_SET_CHILD_SUBREAPER) {
		if (arg)
			t->proc->flags |= KD__P_SUBREAPER;
		else
			t->proc->flags &= ~KD__P_SUBREAPER;
	} else if (opt == PR_SET_NAME && e->live && kd__enrich_may_lookup(e)) {
		/* the record has the name's address, not the name */
		e->lookups++;
		kd__proc_read_comm(t->proc->pid, t->tid, t->comm);
	}
}

/* The fd ev creates, else the first fd it uses. */
static struct kd_fd *event_fd(struct kd__proc *p, const struct kd_event *ev)
{
	const struct kd__event_info *info = ev->info;
	int64_t r = kd_event_result(ev), v;
	unsigned i, n = kd_event_nparams(ev);
	struct kd_fd *f = NULL;
	const void *b;
	size_t len;

	if (r >= 0 && info->result == KD_PK_FD)
		f = kd__fd_find(p, (int32_t)r);
	if (!f && r >= 0 && (info->flags & KD_EF_CREATES_FD)) {
		for (i = 0; i < n && i < info->nparams; i++) {
			if (info->params[i].kind == KD_PK_FDPAIR && kd__ev_bytes(ev, i, &b, &len) &&
			    len >= sizeof(int32_t)) {
				int32_t fd;

				memcpy(&fd, b, sizeof(fd));
				f = kd__fd_find(p, fd);
				break;
			}
		}
	}
	if (f)
		return f;
	for (i = 0; i < n && i < info->nparams; i++)
		if (info->params[i].kind == KD_PK_FD && kd__ev_int(ev, i, &v))
			return kd__fd_find(p, (int32_t)(uint32_t)v);
	return NULL;
}

void kd__enrich_event(struct kd_handle *h, const struct kd_event *ev)
{
	struct kd__enrich *e = h ? h->enrich : NULL;
	struct kd_thread *t;
	struct kd__proc *p;
	int64_t r;

	if (!e || !ev)
		return;
	if (e->cur_ev == ev && e->cur_rec == ev->rec && e->cur_ts == ev->hdr->ts)
		return; /* called twice for one delivery */
	if (e->cur_ev || e->defer.kind != KD__DEFER_NONE)
		kd__enrich_flush(h); /* in case the caller did not at the start of kd_next */
	if (e->ndying)
		kd__exit_expire(e, ev->hdr->ts);
	e->cur_ev = ev;
	e->cur_rec = ev->rec;
	e->cur_ts = ev->hdr->ts;
	t = kd__thread_get(e, ev);
	if (!t)
		return;
	e->cur_thread = t;
	p = t->proc;
	if ((p->flags & KD__P_CGROUP_STALE) && kd__enrich_may_lookup(e)) {
		e->lookups++;
		kd__proc_read_cgroup(e, p);
	}
	r = ev->hdr->res;
	switch (ev->hdr->type) {
	case KD_EV_CLONE:
	case KD_EV_FORK:
	case KD_EV_VFORK:
	case KD_EV_CLONE3:
		kd__on_clone(e, t, ev);
		break;
	case KD_EV_EXECVE:
	case KD_EV_EXECVEAT:
		kd__on_exec(e, t, ev);
		if (r == 0 && (p->flags & KD__P_CGROUP_STALE) && kd__enrich_may_lookup(e)) {
			e->lookups++;
			kd__proc_read_cgroup(e, p);
		}
		break;
	case KD_EV_EXIT:
	case KD_EV_EXIT_GROUP:
		kd__exit_begin(e, t, ev->hdr->type == KD_EV_EXIT_GROUP, ev->hdr->ts);
		break;
	case KD_EV_PROC_FORK:
	case KD_EV_PROC_EXEC:
	case KD_EV_PROC_EXIT:
		kd__on_proc_event(e, t, ev);
		break;
	case KD_EV_SETUID:
	case KD_EV_SETGID:
	case KD_EV_SETREUID:
	case KD_EV_SETREGID:
	case KD_EV_SETRESUID:
	case KD_EV_SETRESGID:
		creds(p, ev);
		break;
	case KD_EV_SETSID:
		if (r > 0)
			p->sid = (uint32_t)r;
		break;
	case KD_EV_PRCTL:
		prctl_event(e, t, ev);
		break;
	default:
		kd__fd_event(e, t, ev);
		break;
	}
	/* the event's fd is looked up when kd_event_fd() asks (most callers
	 * never do); the tables do not change until the next kd_next() */
}

void kd__kernel_selection(const struct kd_handle *h, uint8_t *en)
{
	const uint32_t state = KD_EF_PROC_STATE | KD_EF_CREATES_FD | KD_EF_CLOSES_FD;
	/* also followed, without those flags: dups by fcntl, bpf fds, socket
	 * roles, the end of processes that never call exit (killed), and each
	 * fork as it happens: a vfork child runs (and often execs and exits)
	 * before its parent's vfork returns, and would be a stranger until then */
	const int more[] = { KD_EV_FCNTL, KD_EV_BPF, KD_EV_CONNECT, KD_EV_BIND, KD_EV_LISTEN,
			     KD_EV_PROC_EXIT, KD_EV_PROC_FORK };

	memcpy(en, h->enabled, KD__EVENT_MAX);
	if (h->opts.flags & KD_OPEN_NO_ENRICH)
		return;
	for (int id = 1; id < 1000; id++)
		if (kd_event_type_flags(id) & state)
			en[id] = 1;
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		en[more[i]] = 1;
}

void kd__enrich_stats(struct kd_handle *h, struct kd_stats *st)
{
	struct kd__enrich *e = h ? h->enrich : NULL;

	if (!e)
		return;
	st->enrich_threads = e->nthreads;
	st->enrich_procs = e->nprocs;
	st->enrich_fds = e->nfds;
	st->enrich_bytes = e->bytes;
	st->enrich_thread_evictions = e->thread_evictions;
	st->enrich_fd_evictions = e->fd_evictions;
	st->enrich_proc_lookups = e->lookups;
	st->enrich_lookups_limited = e->limited;
}

/* ------------------------------------------------------------ public */

static struct kd__enrich *ev_enrich(const struct kd_event *ev)
{
	struct kd__enrich *e = ev && ev->h ? ev->h->enrich : NULL;

	/* only the event being delivered has tables that match it */
	if (!e || e->cur_ev != ev || e->cur_rec != ev->rec)
		return NULL;
	return e;
}

const struct kd_thread *kd_event_thread(const struct kd_event *ev)
{
	struct kd__enrich *e = ev_enrich(ev);

	return e ? e->cur_thread : NULL;
}

const struct kd_fd *kd_event_fd(const struct kd_event *ev)
{
	struct kd__enrich *e = ev_enrich(ev);

	if (!e)
		return NULL;
	/* the process may have been replaced (exec of a non-leader thread):
	 * cur_thread is the one the event ended with */
	if (!e->cur_fd_known && e->cur_thread)
		e->cur_fd = event_fd(e->cur_thread->proc, ev);
	e->cur_fd_known = true;
	return e->cur_fd;
}

const struct kd_fd *kd_event_param_fd(const struct kd_event *ev, unsigned i)
{
	struct kd__enrich *e = ev_enrich(ev);
	int64_t v;
	int kind;

	if (!e || !e->cur_thread || i >= kd_event_nparams(ev) || i >= ev->info->nparams)
		return NULL;
	kind = ev->info->params[i].kind;
	if ((kind != KD_PK_FD && kind != KD_PK_DIRFD) || !kd__ev_int(ev, i, &v))
		return NULL;
	/* an fd is an int whatever width the kernel declares (AT_FDCWD finds nothing) */
	return kd__fd_find(e->cur_thread->proc, (int32_t)(uint32_t)v);
}

const struct kd_thread *kd_thread_lookup(struct kd_handle *h, uint32_t tid)
{
	if (!h || !h->enrich)
		return NULL;
	return kd__thread_find(h->enrich, tid);
}

int kd_thread_iter(struct kd_handle *h, int (*cb)(const struct kd_thread *t, void *ctx), void *ctx)
{
	struct kd_thread *t, *tmp;
	int r;

	if (!h || !cb)
		return -EINVAL;
	if (!h->enrich)
		return kd__err(h, KD_ENOTSUP, "enrichment is off (KD_OPEN_NO_ENRICH): no thread table");
	HASH_ITER(hh, h->enrich->threads, t, tmp)
		if ((r = cb(t, ctx)))
			return r;
	return 0;
}

int kd_fd_iter(struct kd_handle *h, uint32_t pid, int (*cb)(const struct kd_fd *f, void *ctx), void *ctx)
{
	struct kd__proc *p;
	struct kd_fd *f, *tmp;
	int r;

	if (!h || !cb)
		return -EINVAL;
	if (!h->enrich)
		return kd__err(h, KD_ENOTSUP, "enrichment is off (KD_OPEN_NO_ENRICH): no fd table");
	p = kd__proc_find(h->enrich, pid);
	if (!p)
		return -ESRCH;
	HASH_ITER(hh, p->fdt->fds, f, tmp)
		if ((r = cb(f, ctx)))
			return r;
	return 0;
}
