/* lib/enrich/threads.c: the thread and process tables, kept current by clone,
 * exec and exit events, bounded by max_threads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utlist.h>

#include "enrich.h"

#define KD__PENDING_MAX 4096u

struct kd_thread *kd__thread_find(struct kd__enrich *e, uint32_t tid)
{
	struct kd_thread *t = e->last_thread;

	if (t && t->tid == tid)
		return t;
	HASH_FIND(hh, e->threads, &tid, sizeof(tid), t);
	if (t)
		e->last_thread = t;
	return t;
}

struct kd__proc *kd__proc_find(struct kd__enrich *e, uint32_t pid)
{
	struct kd__proc *p;

	HASH_FIND(hh, e->procs, &pid, sizeof(pid), p);
	return p;
}

/* Replace *dst by a copy of len bytes of src (plus a NUL); src NULL clears. */
int kd__str_set(struct kd__enrich *e, char **dst, const char *src, size_t len)
{
	char *s = NULL;

	if (src) {
		s = malloc(len + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s, src, len);
		s[len] = '\0';
		e->bytes += len + 1;
	}
	if (*dst)
		e->bytes -= strlen(*dst) + 1;
	free(*dst);
	*dst = s;
	return 0;
}

/* Replace *dst by s, a NUL-terminated malloc'd string we now own (NULL
 * clears): kd__str_set() without the copy. */
void kd__str_take(struct kd__enrich *e, char **dst, char *s)
{
	if (s)
		e->bytes += strlen(s) + 1;
	if (*dst)
		e->bytes -= strlen(*dst) + 1;
	free(*dst);
	*dst = s;
}

static void args_set(struct kd__enrich *e, struct kd__proc *p, const void *a, size_t len)
{
	char *s = NULL;

	if (a && len) {
		s = malloc(len + 1);
		if (!s)
			return;
		memcpy(s, a, len);
		s[len] = '\0';
		e->bytes += len + 1;
	}
	if (p->args)
		e->bytes -= p->args_len + 1;
	free(p->args);
	p->args = s;
	p->args_len = s ? len : 0;
}

struct kd__proc *kd__proc_new(struct kd__enrich *e, uint32_t pid)
{
	struct kd__proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->loginuid = UINT32_MAX;
	p->e = e;
	p->fdt = kd__fdtab_new(e);
	if (!p->fdt) {
		free(p);
		return NULL;
	}
	HASH_ADD(hh, e->procs, pid, sizeof(p->pid), p);
	e->nprocs++;
	e->bytes += sizeof(*p);
	return p;
}

void kd__proc_set_parent(struct kd__enrich *e, struct kd__proc *p, uint32_t ppid)
{
	struct kd__proc *pp = ppid && ppid != p->pid ? kd__proc_find(e, ppid) : NULL;

	if (p->parent)
		DL_DELETE2(p->parent->children, p, sib_prev, sib_next);
	p->parent = pp;
	p->ppid = ppid;
	if (pp)
		DL_APPEND2(pp->children, p, sib_prev, sib_next);
}

/* After the /proc scan, which meets children before their parents. */
void kd__proc_link_all(struct kd__enrich *e)
{
	struct kd__proc *p, *tmp;

	HASH_ITER(hh, e->procs, p, tmp)
		if (!p->parent && p->ppid)
			kd__proc_set_parent(e, p, p->ppid);
}

/* Frees t; its process stays (the caller frees it when it has no thread). */
static void thread_unlink(struct kd__enrich *e, struct kd_thread *t)
{
	struct kd__proc *p = t->proc;

	if (e->cur_thread == t)
		e->cur_thread = NULL;
	if (e->last_thread == t)
		e->last_thread = NULL;
	HASH_DEL(e->threads, t);
	DL_DELETE(p->threads, t);
	p->nthreads--;
	e->nthreads--;
	e->bytes -= sizeof(*t);
	free(t);
}

/* Whom the kernel gives p's children when p dies: the nearest subreaper
 * ancestor, else init. (The init of a pid namespace is not known here.) */
static uint32_t reaper_of(struct kd__proc *p)
{
	struct kd__proc *a;
	int depth = 0;

	for (a = p->parent; a && depth < 64; a = a->parent, depth++)
		if (a->flags & KD__P_SUBREAPER)
			return a->pid;
	return 1;
}

/* The entry of a process whose proc_exit came: the newest, nearly always. */
static void dying_forget(struct kd__enrich *e, uint32_t pid)
{
	for (uint32_t i = e->ndying; i-- > 0;) {
		struct kd__dying *d = &e->dying[(e->dying_head + i) % KD__DYING_MAX];

		if (d->pid == pid) {
			d->pid = 0;
			return;
		}
	}
}

/* The oldest ending process goes: its proc_exit came, or will not (lost,
 * or late beyond the grace: then it is looked up again). A process that has
 * the pid now goes only if it is ending too. */
static void dying_let_go(struct kd__enrich *e)
{
	struct kd__dying *d = &e->dying[e->dying_head];
	struct kd__proc *p = d->pid ? kd__proc_find(e, d->pid) : NULL;

	e->dying_head = (e->dying_head + 1) % KD__DYING_MAX;
	e->ndying--;
	if (p && (p->flags & KD__P_EXITING))
		kd__proc_free(e, p);
}

void kd__proc_free(struct kd__enrich *e, struct kd__proc *p)
{
	struct kd__proc *c;
	struct kd_thread *t, *tt;
	uint32_t reaper;

	if (!p)
		return;
	if (p->flags & KD__P_EXITING)
		dying_forget(e, p->pid);
	DL_FOREACH_SAFE(p->threads, t, tt)
		thread_unlink(e, t);
	if (p->children) {
		/* pid reuse can make parent links loop back to p: never hand the
		 * children to p itself, and take them off p's list first so the
		 * loop ends whatever the links say */
		reaper = reaper_of(p);
		if (reaper == p->pid)
			reaper = 0;
		while ((c = p->children)) {
			DL_DELETE2(p->children, c, sib_prev, sib_next);
			c->parent = NULL;
			kd__proc_set_parent(e, c, reaper);
		}
	}
	if (p->parent)
		DL_DELETE2(p->parent->children, p, sib_prev, sib_next);
	HASH_DEL(e->procs, p);
	kd__fdtab_unref(e, p->fdt);
	kd__str_set(e, &p->exe, NULL, 0);
	kd__str_set(e, &p->cwd, NULL, 0);
	kd__str_set(e, &p->cgroup, NULL, 0);
	args_set(e, p, NULL, 0);
	e->nprocs--;
	e->bytes -= sizeof(*p);
	free(p);
}

void kd__thread_free(struct kd__enrich *e, struct kd_thread *t)
{
	struct kd__proc *p = t->proc;

	thread_unlink(e, t);
	if (p->nthreads == 0)
		kd__proc_free(e, p);
}

static int by_last_seen(const void *a, const void *b)
{
	const struct kd_thread *x = *(struct kd_thread *const *)a, *y = *(struct kd_thread *const *)b;

	return x->last_ns < y->last_ns ? -1 : x->last_ns > y->last_ns;
}

/* The table is full: drop threads that are gone (their exit was not seen:
 * killed, or exit not selected), then the least recently seen, down to 90%
 * so that this runs once per max/10 new threads. */
static void reclaim(struct kd__enrich *e)
{
	uint64_t target = (uint64_t)e->max_threads * 9 / 10, i, n = 0;
	struct kd_thread *t, *tmp, **v;

	if (e->live) {
		HASH_ITER(hh, e->threads, t, tmp) {
			if (t == e->cur_thread)
				continue;
			/* only t leaves the thread hash (with its process, if last) */
			if (syscall(SYS_tgkill, t->proc->pid, t->tid, 0) < 0 && errno == ESRCH) {
				kd__thread_free(e, t);
				e->thread_evictions++;
			}
		}
	}
	if (e->nthreads <= target)
		return;
	v = malloc(e->nthreads * sizeof(*v));
	if (!v)
		return;
	HASH_ITER(hh, e->threads, t, tmp)
		if (t != e->cur_thread)
			v[n++] = t;
	qsort(v, n, sizeof(*v), by_last_seen);
	for (i = 0; i < n && e->nthreads > target; i++) {
		kd__thread_free(e, v[i]);
		e->thread_evictions++;
	}
	free(v);
}

struct kd_thread *kd__thread_new(struct kd__enrich *e, struct kd__proc *p, uint32_t tid)
{
	struct kd_thread *t;

	p->nthreads++; /* pinned: reclaim() must not free p under us */
	if (e->nthreads >= e->max_threads)
		reclaim(e);
	t = calloc(1, sizeof(*t));
	if (!t) {
		p->nthreads--;
		return NULL;
	}
	t->tid = tid;
	t->proc = p;
	HASH_ADD(hh, e->threads, tid, sizeof(t->tid), t);
	DL_APPEND(p->threads, t);
	e->nthreads++;
	e->bytes += sizeof(*t);
	return t;
}

/* A new process np gets what fork copies from pp. */
static void inherit(struct kd__enrich *e, struct kd__proc *np, const struct kd__proc *pp,
		    uint64_t flags, bool flags_known)
{
	/* a child whose exec came before its parent's clone (events are in
	 * time order and a child can exec before clone returns) keeps its image */
	if (!(np->flags & KD__P_EXECED)) {
		kd__str_set(e, &np->exe, pp->exe, pp->exe ? strlen(pp->exe) : 0);
		args_set(e, np, pp->args, pp->args_len);
	}
	kd__str_set(e, &np->cwd, pp->cwd, pp->cwd ? strlen(pp->cwd) : 0);
	kd__str_set(e, &np->cgroup, pp->cgroup, pp->cgroup ? strlen(pp->cgroup) : 0);
	memcpy(np->container_id, pp->container_id, sizeof(np->container_id));
	np->runtime = pp->runtime;
	np->uid = pp->uid, np->gid = pp->gid, np->euid = pp->euid, np->egid = pp->egid;
	np->loginuid = pp->loginuid;
	np->sid = pp->sid;
	np->flags &= ~KD__P_INCOMPLETE;
	np->flags |= pp->flags & (KD__P_INCOMPLETE | KD__P_CGROUP_STALE);
	kd__proc_set_parent(e, np, flags_known && (flags & CLONE_PARENT) ? pp->ppid : pp->pid);
	if (flags_known && (flags & CLONE_FILES)) {
		kd__fdtab_unref(e, np->fdt);
		np->fdt = pp->fdt;
		np->fdt->refs++;
	} else if (np->fdt->n == 0) {
		struct kd__fdtab *c = kd__fdtab_copy(e, pp->fdt);

		if (c) {
			kd__fdtab_unref(e, np->fdt);
			np->fdt = c;
			if (np->flags & KD__P_EXECED)
				kd__fd_close_on_exec(e, np);
		}
	}
}

static void pending_add(struct kd__enrich *e, uint32_t child, uint32_t parent_tid)
{
	struct kd__pending_child *c;

	HASH_FIND(hh, e->pending, &child, sizeof(child), c);
	if (c) {
		c->parent_tid = parent_tid;
		return;
	}
	if (e->npending >= KD__PENDING_MAX) {
		c = e->pending; /* the oldest */
		HASH_DEL(e->pending, c);
		free(c);
		e->npending--;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->child = child;
	c->parent_tid = parent_tid;
	HASH_ADD(hh, e->pending, child, sizeof(c->child), c);
	e->npending++;
}

/* Parent tid recorded for child by a clone3 seen from the parent side, or 0. */
static uint32_t pending_take(struct kd__enrich *e, uint32_t child)
{
	struct kd__pending_child *c;
	uint32_t ptid;

	HASH_FIND(hh, e->pending, &child, sizeof(child), c);
	if (!c)
		return 0;
	ptid = c->parent_tid;
	HASH_DEL(e->pending, c);
	free(c);
	e->npending--;
	return ptid;
}

static bool is_clone(int type)
{
	return type == KD_EV_CLONE || type == KD_EV_FORK || type == KD_EV_VFORK || type == KD_EV_CLONE3;
}

/* Flags of a clone-family event, when the record tells them. */
static bool clone_flags(const struct kd_event *ev, uint64_t *flags)
{
	struct kd_value val;
	int64_t v;

	switch (kd_event_type(ev)) {
	case KD_EV_FORK:
		*flags = SIGCHLD;
		return true;
	case KD_EV_VFORK:
		*flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
		return true;
	case KD_EV_CLONE:
		if (!kd__ev_int(ev, 0, &v))
			return false;
		*flags = (uint64_t)v;
		return true;
	case KD_EV_CLONE3:
		/* struct clone_args.flags, read by the driver (schema 2); a record
		 * of schema 1 or an unreadable struct does not tell */
		if (kd_event_record_flags(ev) & KD_RF_READ_FAULT)
			return false;
		if (kd_event_param_by_name(ev, "flags", &val) != 0)
			return false;
		*flags = val.u;
		return true;
	default:
		return false;
	}
}

static void comm_from_path(char *comm, const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;

	b = b ? b + 1 : path ? path : "";
	snprintf(comm, KD__COMM_LEN, "%s", b);
}

/* A thread first seen in ev. Known process: a new thread of it; a clone child
 * whose parent is known: a copy of the parent; else /proc (rate-limited), else
 * an entry with only the ids. */
static struct kd_thread *thread_create(struct kd__enrich *e, const struct kd_event *ev)
{
	uint32_t tid = kd_event_tid(ev), pid = kd_event_pid(ev), ptid, ppid = 0;
	bool child = is_clone(kd_event_type(ev)) && kd_event_result(ev) == 0, incomplete = false;
	struct kd_thread *t, *pt = NULL, *src;
	struct kd__proc *p = kd__proc_find(e, pid), *pp = NULL;
	uint64_t flags = 0;
	bool known = clone_flags(ev, &flags);
	char comm[KD__COMM_LEN] = "";

	ptid = pending_take(e, tid);
	if (ptid)
		pt = kd__thread_find(e, ptid);
	if (!p) {
		if (pt && tid == pid)
			pp = pt->proc;
		else if (child && tid == pid && e->live) {
			/* counted: a capture then snapshots what /proc told us */
			e->lookups++;
			if (kd__proc_read_ppid(pid, &ppid))
				pp = kd__proc_find(e, ppid);
		}
		if (pp) {
			p = kd__proc_new(e, pid);
			if (p)
				inherit(e, p, pp, flags, known);
		} else if (e->live && kd__enrich_may_lookup(e)) {
			e->lookups++;
			p = kd__proc_read(e, pid);
			if (p) {
				t = kd__thread_find(e, tid); /* the read brings its threads */
				if (t)
					return t;
			}
		} else if (e->live) {
			incomplete = true;
		}
		if (!p) {
			p = kd__proc_new(e, pid);
			if (!p)
				return NULL;
			p->flags |= KD__P_INCOMPLETE;
		}
	}
	/* a new thread is named after its creator; without one, after the leader */
	src = pt ? pt : kd__thread_find(e, pid);
	if (src)
		memcpy(comm, src->comm, sizeof(comm));
	else if (!pp && e->live && !(p->flags & KD__P_INCOMPLETE)) {
		e->lookups++;
		kd__proc_read_comm(pid, tid, comm);
	}
	t = kd__thread_new(e, p, tid);
	if (!t)
		return NULL;
	memcpy(t->comm, comm, sizeof(comm));
	if (p->flags & KD__P_INCOMPLETE)
		t->state |= KD__T_INCOMPLETE;
	if (incomplete)
		t->state |= KD__T_NEED_LOOKUP;
	t->start_ns = child ? kd_event_ts(ev) : 0;
	return t;
}

static void ended(struct kd__enrich *e, uint32_t tid, uint64_t ts)
{
	e->ended[e->ended_next] = (struct kd__ended){ .tid = tid, .ts = ts };
	e->ended_next = (e->ended_next + 1) % KD__ENDED_MAX;
}

/* Did tid end at or after ts (ts 0: at any time)? An event at ts is then
 * a late record of the dead. */
static bool ended_before(const struct kd__enrich *e, uint32_t tid, uint64_t ts)
{
	for (unsigned i = 0; i < KD__ENDED_MAX; i++)
		if (e->ended[i].tid == tid && ts <= e->ended[i].ts)
			return true;
	return false;
}

struct kd_thread *kd__thread_get_slow(struct kd__enrich *e, const struct kd_event *ev)
{
	uint32_t tid = ev->hdr->tid;
	struct kd_thread *t = kd__thread_find(e, tid);

	if (!t) {
		/* the table learns nothing from a late record of the dead */
		if (ended_before(e, tid, ev->hdr->ts))
			return NULL;
		t = thread_create(e, ev);
	} else if ((t->state & KD__T_NEED_LOOKUP) && kd__enrich_may_lookup(e)) {
		uint32_t pid = t->proc->pid;

		if (t->proc->nthreads == 1 && !t->proc->children) {
			kd__thread_free(e, t); /* the read below replaces it */
			e->lookups++;
			if (kd__proc_read(e, pid))
				t = kd__thread_find(e, tid);
			else
				t = NULL;
			if (!t)
				t = thread_create(e, ev);
			if (t)
				t->state &= ~KD__T_NEED_LOOKUP;
		} else {
			t->state &= ~KD__T_NEED_LOOKUP; /* others share the entry: keep it */
		}
	}
	if (t)
		t->last_ns = ev->hdr->ts;
	return t;
}

/* At proc_fork (the child has not run yet): its tid, or its pid, still in
 * the tables as ending means that one's proc_exit was lost (a drop) and the
 * id is reused. The entry is dead: it goes, the child gets a fresh one.
 * (A clone's own event may come after its child has exited: not there.) */
static struct kd_thread *find_new_child(struct kd__enrich *e, uint32_t tid, uint32_t pid, bool thread)
{
	struct kd_thread *ct = kd__thread_find(e, tid);
	struct kd__proc *old;

	if (ct && (ct->state & KD__T_EXITING)) {
		kd__thread_free(e, ct);
		ct = NULL;
	}
	if (!ct && !thread && (old = kd__proc_find(e, pid)) && (old->flags & KD__P_EXITING))
		kd__proc_free(e, old);
	return ct;
}

/* clone, fork, vfork, clone3 seen from the parent (the child's return is a
 * first sighting, handled by thread_create()). */
void kd__on_clone(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev)
{
	int64_t res = kd_event_result(ev);
	uint32_t child = (uint32_t)res;
	struct kd_thread *ct;
	struct kd__proc *np;
	uint64_t flags = 0;
	bool known = clone_flags(ev, &flags);

	if (res <= 0)
		return;
	ct = kd__thread_find(e, child);
	/* the parent's return can come after its child ended (the child ran
	 * on another CPU): that child is not made again */
	if (!ct && ended_before(e, child, 0))
		return;
	if (ct) {
		np = ct->proc;
		/* the child came first and nothing could tell its parent */
		if (np != t->proc && (np->flags & KD__P_INCOMPLETE) && np->pid == child) {
			inherit(e, np, t->proc, flags, known);
			if (!(np->flags & KD__P_EXECED))
				memcpy(ct->comm, t->comm, sizeof(ct->comm));
			ct->state &= ~(KD__T_INCOMPLETE | KD__T_NEED_LOOKUP);
		}
		return;
	}
	if (!known) {
		pending_add(e, child, t->tid);
		return;
	}
	if (flags & CLONE_THREAD) {
		np = t->proc;
	} else {
		np = kd__proc_find(e, child);
		if (!np) {
			np = kd__proc_new(e, child);
			if (!np)
				return;
			inherit(e, np, t->proc, flags, true);
		}
	}
	ct = kd__thread_new(e, np, child);
	if (!ct)
		return;
	memcpy(ct->comm, t->comm, sizeof(ct->comm));
	ct->start_ns = kd_event_ts(ev);
	ct->last_ns = kd_event_ts_mono(ev);
}

/* A successful execve/execveat: new image, the other threads are gone, and
 * close-on-exec fds are closed. */
void kd__on_exec(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev)
{
	struct kd__proc *p = t->proc;
	struct kd_thread *o, *tmp;
	const void *fname = NULL, *argv = NULL;
	size_t flen = 0, alen = 0;
	int64_t dirfd = AT_FDCWD, flags = 0;
	unsigned fi = 0, ai = 1;
	char *exe = NULL;

	if (kd_event_result(ev) != 0)
		return;
	if (kd_event_type(ev) == KD_EV_EXECVEAT) {
		fi = 1, ai = 2;
		kd__ev_int(ev, 0, &dirfd);
		kd__ev_int(ev, 4, &flags);
	}
	DL_FOREACH_SAFE(p->threads, o, tmp)
		if (o != t)
			kd__thread_free(e, o);
	kd__ev_bytes(ev, fi, &fname, &flen);
	if (fname && flen && ((const char *)fname)[0]) {
		exe = kd__path_resolve(p, (int32_t)dirfd, fname);
		comm_from_path(t->comm, fname);
	} else if (flags & 0x1000 /* AT_EMPTY_PATH */) {
		struct kd_fd *f = kd__fd_find(p, (int32_t)dirfd);

		if (f && f->path) {
			exe = strdup(f->path);
			snprintf(t->comm, sizeof(t->comm), "%d", (int)dirfd);
		}
	}
	if (exe) {
		kd__str_set(e, &p->exe, exe, strlen(exe));
		free(exe);
	}
	if (kd__ev_bytes(ev, ai, &argv, &alen))
		args_set(e, p, argv, alen);
	kd__fd_unshare(e, p);
	kd__fd_close_on_exec(e, p);
	p->flags |= KD__P_EXECED;
	/* runtimes move a container's first process, then exec it */
	if (e->live)
		p->flags |= KD__P_CGROUP_STALE;
	t->state &= ~KD__T_INCOMPLETE;
}

/* proc_fork / proc_exec / proc_exit, when the driver emits them. */
void kd__on_proc_event(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev)
{
	int64_t cpid, ctid, flags;
	struct kd__proc *np;
	struct kd_thread *ct;
	const void *fname;
	size_t flen;

	switch (kd_event_type(ev)) {
	case KD_EV_PROC_FORK:
		if (!kd__ev_int(ev, 1, &cpid) || !kd__ev_int(ev, 2, &ctid) || !kd__ev_int(ev, 3, &flags) ||
		    ctid <= 0 || find_new_child(e, (uint32_t)ctid, (uint32_t)cpid, flags & CLONE_THREAD))
			return;
		np = (flags & CLONE_THREAD) ? t->proc : kd__proc_find(e, (uint32_t)cpid);
		if (!np) {
			np = kd__proc_new(e, (uint32_t)cpid);
			if (!np)
				return;
			inherit(e, np, t->proc, (uint64_t)flags, true);
		}
		ct = kd__thread_new(e, np, (uint32_t)ctid);
		if (ct) {
			memcpy(ct->comm, t->comm, sizeof(ct->comm));
			ct->start_ns = kd_event_ts(ev);
		}
		break;
	case KD_EV_PROC_EXEC:
		if (kd__ev_bytes(ev, 0, &fname, &flen) && flen) {
			char *exe = kd__path_resolve(t->proc, AT_FDCWD, fname);

			if (exe) {
				kd__str_set(e, &t->proc->exe, exe, strlen(exe));
				free(exe);
			}
			comm_from_path(t->comm, fname);
		}
		/* the new image's args (schema 3); an older record has none:
		 * unknown until the execve's exit, not the old image's */
		if (!kd__ev_bytes(ev, 3, &fname, &flen))
			flen = 0;
		args_set(e, t->proc, flen ? fname : NULL, flen);
		break;
	case KD_EV_PROC_EXIT:
		/* once per process, from its last thread: all of it goes once
		 * this is delivered */
		t->state |= KD__T_EXITING;
		e->defer.kind = KD__DEFER_PROC_EXIT;
		e->defer.id = t->proc->pid;
		e->defer.ts = ev->hdr->ts;
		break;
	default:
		break;
	}
}

void kd__thread_exit(struct kd__enrich *e, uint32_t tid, uint64_t ts)
{
	struct kd_thread *t = kd__thread_find(e, tid);

	if (t) {
		ended(e, tid, ts);
		kd__thread_free(e, t);
	}
}

void kd__proc_exit(struct kd__enrich *e, uint32_t pid, uint64_t ts)
{
	struct kd__proc *p = kd__proc_find(e, pid);
	struct kd_thread *t;

	if (!p)
		return;
	DL_FOREACH(p->threads, t)
		ended(e, t->tid, ts);
	kd__proc_free(e, p);
}

/* exit (group: exit_group) by t. A thread that leaves others goes once its
 * exit is delivered: no proc_exit follows. Else the process ends, and
 * waits for its proc_exit. */
void kd__exit_begin(struct kd__enrich *e, struct kd_thread *t, bool group, uint64_t ts)
{
	struct kd__proc *p = t->proc;
	struct kd__dying *d;

	t->state |= KD__T_EXITING;
	if (!group && p->nthreads > 1) {
		e->defer.kind = KD__DEFER_THREAD_EXIT;
		e->defer.id = t->tid;
		e->defer.ts = ts;
		return;
	}
	if (p->flags & KD__P_EXITING)
		return; /* already waits */
	p->flags |= KD__P_EXITING;
	if (e->ndying == KD__DYING_MAX)
		dying_let_go(e);
	d = &e->dying[(e->dying_head + e->ndying++) % KD__DYING_MAX];
	d->pid = p->pid;
	d->ts = ts;
}

/* Lets go of the processes whose proc_exit did not come within the grace. */
void kd__exit_expire(struct kd__enrich *e, uint64_t now)
{
	while (e->ndying) {
		const struct kd__dying *d = &e->dying[e->dying_head];

		if (d->pid && (now <= d->ts || now - d->ts <= KD__DYING_GRACE_NS))
			break;
		dying_let_go(e);
	}
}

void kd__threads_free_all(struct kd__enrich *e)
{
	struct kd__proc *p, *tmp;
	struct kd__pending_child *c, *ctmp;

	/* children first would reparent into freed entries: unlink everything */
	HASH_ITER(hh, e->procs, p, tmp) {
		p->children = NULL;
		p->parent = NULL;
	}
	HASH_ITER(hh, e->procs, p, tmp)
		kd__proc_free(e, p);
	HASH_ITER(hh, e->pending, c, ctmp) {
		HASH_DEL(e->pending, c);
		free(c);
	}
	e->npending = 0;
}

/* ------------------------------------------------------------ public accessors */

static const struct kd__proc *P(const struct kd_thread *t)
{
	return t ? t->proc : NULL;
}

static const char *S(const char *s)
{
	return s ? s : "";
}

uint32_t kd_thread_tid(const struct kd_thread *t)
{
	return t ? t->tid : 0;
}

uint32_t kd_thread_pid(const struct kd_thread *t)
{
	return t ? P(t)->pid : 0;
}

uint32_t kd_thread_ppid(const struct kd_thread *t)
{
	return t ? P(t)->ppid : 0;
}

uint32_t kd_thread_sid(const struct kd_thread *t)
{
	return t ? P(t)->sid : 0;
}

const char *kd_thread_comm(const struct kd_thread *t)
{
	return t ? t->comm : "";
}

const char *kd_thread_exe(const struct kd_thread *t)
{
	return t ? S(P(t)->exe) : "";
}

const char *kd_thread_args(const struct kd_thread *t, size_t *len)
{
	if (len)
		*len = t ? P(t)->args_len : 0;
	return t ? S(P(t)->args) : "";
}

const char *kd_thread_cwd(const struct kd_thread *t)
{
	return t ? S(P(t)->cwd) : "";
}

uint32_t kd_thread_uid(const struct kd_thread *t)
{
	return t ? P(t)->uid : 0;
}

uint32_t kd_thread_gid(const struct kd_thread *t)
{
	return t ? P(t)->gid : 0;
}

uint32_t kd_thread_euid(const struct kd_thread *t)
{
	return t ? P(t)->euid : 0;
}

uint32_t kd_thread_egid(const struct kd_thread *t)
{
	return t ? P(t)->egid : 0;
}

uint32_t kd_thread_loginuid(const struct kd_thread *t)
{
	return t ? P(t)->loginuid : UINT32_MAX;
}

const char *kd_thread_user(const struct kd_thread *t)
{
	if (!t || !P(t)->e->names || (t->state & KD__T_INCOMPLETE))
		return NULL;
	return kd__user_name(P(t)->e, P(t)->euid);
}

const char *kd_thread_group(const struct kd_thread *t)
{
	if (!t || !P(t)->e->names || (t->state & KD__T_INCOMPLETE))
		return NULL;
	return kd__group_name(P(t)->e, P(t)->egid);
}

const char *kd_thread_cgroup(const struct kd_thread *t)
{
	return t ? S(P(t)->cgroup) : "";
}

const char *kd_thread_container_id(const struct kd_thread *t)
{
	return t ? P(t)->container_id : "";
}

const char *kd_thread_container_runtime(const struct kd_thread *t)
{
	return t ? kd__runtime_name(P(t)->runtime) : "";
}

uint64_t kd_thread_start_time(const struct kd_thread *t)
{
	return t ? t->start_ns : 0;
}

uint32_t kd_thread_flags(const struct kd_thread *t)
{
	uint32_t f = 0;

	if (!t)
		return 0;
	if (t->state & KD__T_INCOMPLETE)
		f |= KD_THREAD_INCOMPLETE;
	if (t->state & KD__T_EXITING)
		f |= KD_THREAD_EXITING;
	return f;
}
