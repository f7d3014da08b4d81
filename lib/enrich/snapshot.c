/* lib/enrich/snapshot.c: the thread, process and fd tables as bytes (the
 * SNAPSHOT block of a capture file, docs/capture-format.md) and back, so a
 * replay starts from the tables the capturing handle had instead of from
 * nothing. The bytes come from a file: every length, count and reference is
 * checked before anything is built, and a snapshot that fails any check
 * changes nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "format.h"

/* Entry bodies (after the 8-byte entry header of format.h). */
#define SN_META_SIZE   16u /* u16 version, u16 reserved, u32 nprocs, nthreads, nfds */
#define SN_PROC_FIXED  64u /* then exe, cwd, cgroup, args: u16 len + 1 (0 = none), bytes */
#define SN_THREAD_SIZE 48u
#define SN_FD_FIXED    64u /* then path: u16 len + 1 (0 = none), bytes */
#define SN_ADDR_SIZE   20u
#define SN_UPDATE      1u  /* META flags: replaces these processes in a table that has events */

/* Bounds a reader keeps whatever a file claims (memory: these times a few
 * dozen bytes, and never more entries than the payload can hold). */
#define SN_MAX_PROCS   (1u << 22)
#define SN_MAX_THREADS (1u << 22)
#define SN_MAX_FDS     (1u << 24)

struct sn_proc {
	uint32_t pid, ppid, fdshare, off, idx, nthreads;
	int owner;   /* index of the process whose fd table this one uses */
	uint8_t mark; /* cycle walk: 0 new, 1 on the current walk, 2 done */
};

struct sn_ref {
	uint32_t id, pid, off, idx; /* thread: tid; fd: num */
};

struct sn {
	const uint8_t *p;
	size_t len;
	char *msg;
	size_t msglen;
	struct sn_proc *procs;
	struct sn_ref *threads, *fds;
	uint32_t np, nt, nf;
	uint16_t flags; /* of the header entry */
};

static int bad(struct sn *s, const char *fmt, ...) KD__PRINTF(2, 3);
static int bad(struct sn *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, s->msglen, fmt, ap);
	va_end(ap);
	return KD_EBADFILE;
}

/* ------------------------------------------------------------ writing */

struct sw {
	uint8_t *buf;
	size_t len, cap;
	uint32_t count;
	bool oom;
};

static uint8_t *sw_grow(struct sw *w, size_t n)
{
	if (w->oom)
		return NULL;
	if (w->len + n > w->cap) {
		size_t c = w->cap ? w->cap : 4096;
		uint8_t *b;

		while (c < w->len + n)
			c *= 2;
		b = realloc(w->buf, c);
		if (!b) {
			w->oom = true;
			return NULL;
		}
		w->buf = b;
		w->cap = c;
	}
	w->len += n;
	return w->buf + w->len - n;
}

/* Starts an entry; returns where its body begins (the offset survives realloc). */
static size_t sw_entry(struct sw *w, unsigned kind, size_t fixed)
{
	uint8_t *e = sw_grow(w, KD__SE_HDR + fixed);

	if (!e)
		return 0;
	memset(e, 0, KD__SE_HDR + fixed);
	kd__put16(e, (uint16_t)kind);
	w->count++;
	return w->len - fixed;
}

static void sw_end(struct sw *w, size_t body)
{
	if (!w->oom)
		kd__put32(w->buf + body - KD__SE_HDR + 4, (uint32_t)(w->len - body));
}

/* u16 (len + 1, 0 = NULL), then the bytes; longer strings are cut (never
 * happens: kindling's own strings stay below KD__SNAP_STR_MAX). */
static void sw_str(struct sw *w, const char *s, size_t n)
{
	uint8_t *d;

	if (s && n > KD__SNAP_STR_MAX)
		n = KD__SNAP_STR_MAX;
	d = sw_grow(w, 2 + (s ? n : 0));
	if (!d)
		return;
	kd__put16(d, s ? (uint16_t)(n + 1) : 0);
	if (s)
		memcpy(d + 2, s, n);
}

static void put_addr(uint8_t *d, const struct kd__addr *a)
{
	d[0] = a->set;
	d[1] = a->has_port;
	kd__put16(d + 2, a->port);
	memcpy(d + 4, a->ip, 16);
}

/* ppid as written: 0 when the ppid links from p come back to p (events can
 * say so, the kernel cannot), since a reader refuses a loop. */
static uint32_t ppid_of(struct kd__enrich *e, const struct kd__proc *p)
{
	const struct kd__proc *q = p;

	for (int hops = 0; hops < 4096 && q && q->ppid && q->ppid != q->pid; hops++) {
		q = kd__proc_find(e, q->ppid);
		if (q == p)
			return 0;
	}
	return p->ppid;
}

static void write_proc(struct sw *w, struct kd__enrich *e, const struct kd__proc *p, uint32_t fdshare)
{
	size_t b = sw_entry(w, KD__SE_PROC, SN_PROC_FIXED);
	uint8_t *d;

	if (w->oom)
		return;
	d = w->buf + b;
	kd__put32(d + 0, p->pid);
	kd__put32(d + 4, ppid_of(e, p));
	kd__put32(d + 8, p->sid);
	kd__put32(d + 12, p->uid);
	kd__put32(d + 16, p->gid);
	kd__put32(d + 20, p->euid);
	kd__put32(d + 24, p->egid);
	kd__put32(d + 28, p->loginuid);
	kd__put32(d + 32, p->flags);
	kd__put32(d + 36, fdshare);
	kd__put64(d + 40, p->start_ns);
	d[48] = p->runtime;
	memcpy(d + 52, p->container_id, 12);
	sw_str(w, p->exe, p->exe ? strlen(p->exe) : 0);
	sw_str(w, p->cwd, p->cwd ? strlen(p->cwd) : 0);
	sw_str(w, p->cgroup, p->cgroup ? strlen(p->cgroup) : 0);
	sw_str(w, p->args, p->args_len);
	sw_end(w, b);
}

static void write_thread(struct sw *w, const struct kd_thread *t)
{
	size_t b = sw_entry(w, KD__SE_THREAD, SN_THREAD_SIZE);
	uint8_t *d;

	if (w->oom)
		return;
	d = w->buf + b;
	kd__put32(d + 0, t->tid);
	kd__put32(d + 4, t->proc->pid);
	kd__put32(d + 8, t->state);
	kd__put64(d + 16, t->start_ns);
	kd__put64(d + 24, t->last_ns);
	memcpy(d + 32, t->comm, KD__COMM_LEN);
	d[32 + KD__COMM_LEN - 1] = '\0';
	sw_end(w, b);
}

static void write_fd(struct sw *w, uint32_t pid, const struct kd_fd *f)
{
	size_t b = sw_entry(w, KD__SE_FD, SN_FD_FIXED);
	uint8_t *d;

	if (w->oom)
		return;
	d = w->buf + b;
	kd__put32(d + 0, pid);
	kd__put32(d + 4, (uint32_t)f->num);
	d[8] = f->type;
	d[9] = f->role;
	d[10] = f->sotype;
	d[11] = (uint8_t)(f->state & ~KD__FD_PLAIN);
	kd__put16(d + 12, f->family);
	kd__put16(d + 14, f->proto);
	kd__put32(d + 16, f->flags);
	kd__put32(d + 20, (uint32_t)f->aux);
	put_addr(d + 24, &f->local);
	put_addr(d + 24 + SN_ADDR_SIZE, &f->remote);
	sw_str(w, f->path, f->path ? strlen(f->path) : 0);
	sw_end(w, b);
}

/* p is one of pids or descends from one (as far as the table knows). */
static bool followed(const struct kd__proc *p, const int32_t *pids, size_t npids)
{
	int depth = 0;

	for (; p && depth < 64; p = p->parent, depth++)
		for (size_t i = 0; i < npids; i++)
			if ((uint32_t)pids[i] == p->pid)
				return true;
	return false;
}

static bool wanted(const struct kd__proc *p, const struct kd__proc *only, const int32_t *pids,
		   size_t npids)
{
	return p->nthreads && (!only || p->fdt == only->fdt) && (!npids || followed(p, pids, npids));
}

int kd__snapshot_write(struct kd__enrich *e, const struct kd__proc *only, const int32_t *pids,
		       size_t npids, uint8_t **out, size_t *len, uint32_t *count)
{
	struct sw w = { 0 };
	struct kd__proc *p, *tmp, *q, *qtmp;
	struct kd_thread *t;
	struct kd_fd *f, *ftmp;
	uint32_t np = 0, nt = 0, nf = 0;
	size_t meta;

	*out = NULL;
	*len = 0;
	*count = 0;
	meta = sw_entry(&w, KD__SE_META, SN_META_SIZE);
	sw_end(&w, meta);
	HASH_ITER(hh, e->procs, p, tmp) {
		uint32_t share = p->pid;

		if (!wanted(p, only, pids, npids))
			continue;
		/* a table shared by CLONE_FILES goes out once, under its first holder */
		if (p->fdt->refs > 1) {
			HASH_ITER(hh, e->procs, q, qtmp) {
				if (q == p)
					break;
				if (q->fdt == p->fdt && wanted(q, only, pids, npids)) {
					share = q->pid;
					break;
				}
			}
		}
		write_proc(&w, e, p, share);
		np++;
		for (t = p->threads; t; t = t->next, nt++)
			write_thread(&w, t);
		if (share != p->pid)
			continue;
		HASH_ITER(hh, p->fdt->fds, f, ftmp) {
			write_fd(&w, p->pid, f);
			nf++;
		}
	}
	if (w.oom) {
		free(w.buf);
		return -ENOMEM;
	}
	kd__put16(w.buf + meta, KD__SNAP_VERSION);
	kd__put16(w.buf + meta + 2, only ? SN_UPDATE : 0);
	kd__put32(w.buf + meta + 4, np);
	kd__put32(w.buf + meta + 8, nt);
	kd__put32(w.buf + meta + 12, nf);
	*out = w.buf;
	*len = w.len;
	*count = w.count;
	return 0;
}

/* ------------------------------------------------------------ checking */

static const char *kind_name(unsigned kind)
{
	return kind == KD__SE_THREAD ? "thread" : kind == KD__SE_FD ? "fd"
		: kind == KD__SE_PROC ? "process" : kind == KD__SE_META ? "header" : "unknown";
}

/* A string field at *at inside the entry [.., end): sets *s (NULL for none). */
static int get_str(struct sn *s, uint32_t entry, uint32_t *at, uint32_t end, const char *what,
		   const uint8_t **str, uint32_t *n)
{
	uint32_t v;

	if (end - *at < 2)
		return bad(s, "entry at payload byte %u: %s length runs past the entry", entry, what);
	v = kd__get16(s->p + *at);
	*at += 2;
	*str = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (v - 1 > KD__SNAP_STR_MAX)
		return bad(s, "entry at payload byte %u: %s of %u bytes is longer than the %u-byte limit",
			   entry, what, v - 1, KD__SNAP_STR_MAX);
	if (v - 1 > end - *at)
		return bad(s, "entry at payload byte %u: %s says %u bytes, %u remain in the entry", entry,
			   what, v - 1, end - *at);
	*str = s->p + *at;
	*n = v - 1;
	*at += v - 1;
	return 0;
}

static int cmp_proc(const void *a, const void *b)
{
	uint32_t x = ((const struct sn_proc *)a)->pid, y = ((const struct sn_proc *)b)->pid;

	return x < y ? -1 : x > y;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct sn_ref *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static struct sn_proc *find_proc(struct sn *s, uint32_t pid)
{
	struct sn_proc key = { .pid = pid };

	return bsearch(&key, s->procs, s->np, sizeof(*s->procs), cmp_proc);
}

/* Pass 1: framing and fixed parts of every entry, into s's arrays. */
static int scan(struct sn *s, uint32_t count)
{
	uint32_t off = 0, n = 0, want_p = 0, want_t = 0, want_f = 0;
	bool meta = false;
	int err;

	while (off < s->len) {
		uint32_t el, kind, body, end, at, k;
		const uint8_t *str;

		if (s->len - off < KD__SE_HDR)
			return bad(s, "entry at payload byte %u is cut short (%zu bytes left)", off,
				   s->len - off);
		kind = kd__get16(s->p + off);
		el = kd__get32(s->p + off + 4);
		if (el > s->len - off - KD__SE_HDR)
			return bad(s, "entry at payload byte %u says %u bytes, %zu remain", off, el,
				   s->len - off - KD__SE_HDR);
		body = off + KD__SE_HDR;
		end = body + el;
		if (!meta && kind != KD__SE_META)
			return bad(s, "entry at payload byte %u is a %s entry: the snapshot must start "
				   "with its header entry", off, kind_name(kind));
		switch (kind) {
		case KD__SE_META:
			if (meta)
				return bad(s, "entry at payload byte %u: a second header entry", off);
			if (el < SN_META_SIZE)
				return bad(s, "header entry at payload byte %u has %u bytes, not %u", off, el,
					   SN_META_SIZE);
			if (kd__get16(s->p + body) != KD__SNAP_VERSION)
				return bad(s, "snapshot version %u, this library reads %u: upgrade kindling",
					   kd__get16(s->p + body), KD__SNAP_VERSION);
			s->flags = kd__get16(s->p + body + 2);
			want_p = kd__get32(s->p + body + 4);
			want_t = kd__get32(s->p + body + 8);
			want_f = kd__get32(s->p + body + 12);
			/* the smallest entries decide how many the payload can hold */
			if (want_p > SN_MAX_PROCS || want_t > SN_MAX_THREADS || want_f > SN_MAX_FDS ||
			    (uint64_t)want_p * (KD__SE_HDR + SN_PROC_FIXED + 8) +
				    (uint64_t)want_t * (KD__SE_HDR + SN_THREAD_SIZE) +
				    (uint64_t)want_f * (KD__SE_HDR + SN_FD_FIXED + 2) > s->len)
				return bad(s, "header entry claims %u processes, %u threads and %u fds: more "
					   "than the %zu-byte payload or the limits (%u, %u, %u) allow",
					   want_p, want_t, want_f, s->len, SN_MAX_PROCS, SN_MAX_THREADS,
					   SN_MAX_FDS);
			s->procs = calloc(want_p ? want_p : 1, sizeof(*s->procs));
			s->threads = calloc(want_t ? want_t : 1, sizeof(*s->threads));
			s->fds = calloc(want_f ? want_f : 1, sizeof(*s->fds));
			if (!s->procs || !s->threads || !s->fds)
				return -ENOMEM;
			meta = true;
			break;
		case KD__SE_PROC:
			if (el < SN_PROC_FIXED)
				return bad(s, "process entry at payload byte %u has %u bytes, at least %u "
					   "needed", off, el, SN_PROC_FIXED);
			if (s->np == want_p)
				return bad(s, "process entry at payload byte %u is one more than the %u the "
					   "header entry announced", off, want_p);
			at = body + SN_PROC_FIXED;
			for (k = 0; k < 4; k++) {
				static const char *const names[] = { "exe", "cwd", "cgroup", "args" };
				uint32_t sl;

				if ((err = get_str(s, off, &at, end, names[k], &str, &sl)))
					return err;
			}
			s->procs[s->np] = (struct sn_proc){ .pid = kd__get32(s->p + body),
				.ppid = kd__get32(s->p + body + 4), .fdshare = kd__get32(s->p + body + 36),
				.off = off, .idx = n, .owner = -1 };
			s->np++;
			break;
		case KD__SE_THREAD:
			if (el < SN_THREAD_SIZE)
				return bad(s, "thread entry at payload byte %u has %u bytes, at least %u needed",
					   off, el, SN_THREAD_SIZE);
			if (s->nt == want_t)
				return bad(s, "thread entry at payload byte %u is one more than the %u the "
					   "header entry announced", off, want_t);
			s->threads[s->nt++] = (struct sn_ref){ .id = kd__get32(s->p + body),
				.pid = kd__get32(s->p + body + 4), .off = off, .idx = n };
			break;
		case KD__SE_FD:
			if (el < SN_FD_FIXED)
				return bad(s, "fd entry at payload byte %u has %u bytes, at least %u needed", off,
					   el, SN_FD_FIXED);
			if (s->nf == want_f)
				return bad(s, "fd entry at payload byte %u is one more than the %u the header "
					   "entry announced", off, want_f);
			at = body + SN_FD_FIXED;
			{
				uint32_t sl;

				if ((err = get_str(s, off, &at, end, "fd path", &str, &sl)))
					return err;
			}
			s->fds[s->nf++] = (struct sn_ref){ .id = kd__get32(s->p + body + 4),
				.pid = kd__get32(s->p + body), .off = off, .idx = n };
			break;
		default:
			break; /* a newer writer's kind: skipped */
		}
		off = end;
		n++;
	}
	if (n != count)
		return bad(s, "the block says %u entries, the payload holds %u", count, n);
	if (!meta) /* only an empty snapshot has no header entry */
		return 0;
	if (s->np != want_p || s->nt != want_t || s->nf != want_f)
		return bad(s, "the header entry announced %u processes, %u threads and %u fds, the payload "
			   "holds %u, %u and %u", want_p, want_t, want_f, s->np, s->nt, s->nf);
	return 0;
}

/* Pass 2: what refers to what: duplicates, unknown pids, fd table owners,
 * parent cycles. */
static int link_check(struct sn *s)
{
	uint32_t i;

	if (!s->procs) /* empty: no header entry, nothing to check */
		return 0;
	qsort(s->procs, s->np, sizeof(*s->procs), cmp_proc);
	for (i = 1; i < s->np; i++)
		if (s->procs[i].pid == s->procs[i - 1].pid)
			return bad(s, "process entry at payload byte %u: duplicate pid %u (also at payload "
				   "byte %u)", s->procs[i].off > s->procs[i - 1].off ? s->procs[i].off
				   : s->procs[i - 1].off, s->procs[i].pid,
				   s->procs[i].off > s->procs[i - 1].off ? s->procs[i - 1].off : s->procs[i].off);
	for (i = 0; i < s->np; i++) {
		struct sn_proc *p = &s->procs[i], *o = p;

		if (p->fdshare != p->pid) {
			o = find_proc(s, p->fdshare);
			if (!o)
				return bad(s, "process entry at payload byte %u: pid %u shares the fd table of "
					   "pid %u, which is not in the snapshot", p->off, p->pid, p->fdshare);
			if (o->fdshare != o->pid)
				return bad(s, "process entry at payload byte %u: pid %u shares the fd table of "
					   "pid %u, which shares another one itself", p->off, p->pid, o->pid);
		}
		p->owner = (int)(o - s->procs);
	}

	/* the same tid twice would leave one thread entry pointing nowhere */
	{
		struct sn_ref *v = malloc((s->nt ? s->nt : 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memcpy(v, s->threads, s->nt * sizeof(*v));
		for (i = 0; i < s->nt; i++)
			v[i].pid = 0; /* sort by tid alone */
		qsort(v, s->nt, sizeof(*v), cmp_ref);
		for (i = 1; i < s->nt; i++) {
			if (v[i].id == v[i - 1].id) {
				uint32_t tid = v[i].id, a = v[i - 1].off, b = v[i].off;

				free(v);
				return bad(s, "thread entry at payload byte %u: duplicate tid %u (also at "
					   "payload byte %u)", a > b ? a : b, tid, a > b ? b : a);
			}
		}
		free(v);
	}
	for (i = 0; i < s->nt; i++) {
		struct sn_proc *p = find_proc(s, s->threads[i].pid);

		if (!p)
			return bad(s, "thread entry at payload byte %u: tid %u belongs to pid %u, which is "
				   "not in the snapshot", s->threads[i].off, s->threads[i].id,
				   s->threads[i].pid);
		p->nthreads++;
	}
	for (i = 0; i < s->np; i++)
		if (!s->procs[i].nthreads)
			return bad(s, "process entry at payload byte %u: pid %u has no thread entry",
				   s->procs[i].off, s->procs[i].pid);

	{
		struct sn_ref *v = malloc((s->nf ? s->nf : 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memcpy(v, s->fds, s->nf * sizeof(*v));
		qsort(v, s->nf, sizeof(*v), cmp_ref);
		for (i = 0; i < s->nf; i++) {
			struct sn_proc *p = find_proc(s, v[i].pid);
			uint32_t off = v[i].off, pid = v[i].pid, num = v[i].id, prev = i ? v[i - 1].off : 0;
			bool dup = i && v[i].pid == v[i - 1].pid && v[i].id == v[i - 1].id;

			if (p && p->fdshare == p->pid && !dup)
				continue;
			free(v);
			if (dup)
				return bad(s, "fd entry at payload byte %u: pid %u has fd %d twice (also at "
					   "payload byte %u)", off > prev ? off : prev, pid, (int32_t)num,
					   off > prev ? prev : off);
			if (!p)
				return bad(s, "fd entry at payload byte %u: fd %d of pid %u, which is not in "
					   "the snapshot", off, (int32_t)num, pid);
			return bad(s, "fd entry at payload byte %u: fd %d of pid %u, which uses the fd "
				   "table of pid %u", off, (int32_t)num, pid, p->fdshare);
		}
		free(v);
	}

	/* parent links: a loop would make every walk up the tree endless */
	for (i = 0; i < s->np; i++) {
		struct sn_proc *p = &s->procs[i], *q;

		for (q = p; q && q->mark == 0; q = q->ppid && q->ppid != q->pid ? find_proc(s, q->ppid) : NULL)
			q->mark = 1;
		if (q && q->mark == 1)
			return bad(s, "process entry at payload byte %u: the parent links of pid %u loop "
				   "back to it (pid %u -> ppid %u)", q->off, q->pid, q->pid, q->ppid);
		for (q = p; q && q->mark == 1; q = q->ppid && q->ppid != q->pid ? find_proc(s, q->ppid) : NULL)
			q->mark = 2;
	}
	return 0;
}

/* ------------------------------------------------------------ building */

static void get_addr(struct kd__addr *a, const uint8_t *d)
{
	a->set = d[0];
	a->has_port = d[1];
	a->port = kd__get16(d + 2);
	memcpy(a->ip, d + 4, 16);
}

static int set_str(struct kd__enrich *e, char **dst, const uint8_t *p, uint32_t *at)
{
	uint32_t v = kd__get16(p + *at);

	*at += 2;
	if (!v)
		return 0;
	*at += v - 1;
	/* a NUL inside would make strlen() and the byte accounting disagree */
	return kd__str_set(e, dst, (const char *)p + *at - (v - 1), strnlen((const char *)p + *at - (v - 1), v - 1));
}

static int build_proc(struct kd__enrich *e, const uint8_t *d, struct kd__proc **out)
{
	uint32_t at = SN_PROC_FIXED, v;
	struct kd__proc *p = kd__proc_find(e, kd__get32(d));

	if (!p)
		p = kd__proc_new(e, kd__get32(d));
	*out = p;
	if (!p)
		return -ENOMEM;
	/* an update replaces what was known */
	kd__str_set(e, &p->exe, NULL, 0);
	kd__str_set(e, &p->cwd, NULL, 0);
	kd__str_set(e, &p->cgroup, NULL, 0);
	if (p->args)
		e->bytes -= p->args_len + 1;
	free(p->args);
	p->args = NULL;
	p->args_len = 0;
	p->ppid = kd__get32(d + 4);
	p->sid = kd__get32(d + 8);
	p->uid = kd__get32(d + 12);
	p->gid = kd__get32(d + 16);
	p->euid = kd__get32(d + 20);
	p->egid = kd__get32(d + 24);
	p->loginuid = kd__get32(d + 28);
	p->flags = kd__get32(d + 32) & (KD__P_SUBREAPER | KD__P_INCOMPLETE | KD__P_CGROUP_STALE);
	p->start_ns = kd__get64(d + 40);
	p->runtime = d[48] <= KD__RT_KUBEPODS ? d[48] : KD__RT_NONE;
	memcpy(p->container_id, d + 52, 12);
	p->container_id[12] = '\0';
	p->container_id[strnlen(p->container_id, 12)] = '\0';
	if (set_str(e, &p->exe, d, &at) || set_str(e, &p->cwd, d, &at) || set_str(e, &p->cgroup, d, &at))
		return -ENOMEM;
	v = kd__get16(d + at);
	at += 2;
	if (v > 1) { /* args hold NULs: their own length */
		p->args = malloc(v);
		if (!p->args)
			return -ENOMEM;
		memcpy(p->args, d + at, v - 1);
		p->args[v - 1] = '\0';
		p->args_len = v - 1;
		e->bytes += v;
	}
	return 0;
}

static int build_fd(struct kd__enrich *e, struct kd__proc *p, const uint8_t *d)
{
	uint32_t at = SN_FD_FIXED;
	struct kd_fd *f = kd__fd_add(e, p, (int32_t)kd__get32(d + 4), d[8]);

	if (!f)
		return -ENOMEM;
	f->type = d[8] < KD_FD_TYPE__COUNT ? d[8] : KD_FD_UNKNOWN;
	f->role = d[9] <= KD_FD_ROLE_SERVER ? d[9] : KD_FD_ROLE_NONE;
	f->sotype = d[10];
	f->state = (uint8_t)(d[11] & ~KD__FD_PLAIN);
	f->family = kd__get16(d + 12);
	f->proto = kd__get16(d + 14);
	f->flags = kd__get32(d + 16);
	f->aux = (int32_t)kd__get32(d + 20);
	get_addr(&f->local, d + 24);
	get_addr(&f->remote, d + 24 + SN_ADDR_SIZE);
	return set_str(e, &f->path, d, &at);
}

static int build_thread(struct kd__enrich *e, const uint8_t *d)
{
	struct kd__proc *p = kd__proc_find(e, kd__get32(d + 4));
	struct kd_thread *t;

	if (!p) /* evicted by max_threads while restoring */
		return 0;
	t = kd__thread_find(e, kd__get32(d));
	if (t && t->proc != p) { /* an update moves it (exec by another thread) */
		p->nthreads++; /* pinned: p must outlive the free */
		kd__thread_free(e, t);
		p->nthreads--;
		t = NULL;
	}
	if (!t)
		t = kd__thread_new(e, p, kd__get32(d));
	if (!t)
		return -ENOMEM;
	t->state = kd__get32(d + 8) & (KD__T_INCOMPLETE | KD__T_EXITING);
	t->start_ns = kd__get64(d + 16);
	t->last_ns = kd__get64(d + 24);
	memcpy(t->comm, d + 32, KD__COMM_LEN);
	t->comm[KD__COMM_LEN - 1] = '\0';
	return 0;
}

static int build(struct kd__enrich *e, struct sn *s)
{
	struct kd__proc **made = calloc(s->np ? s->np : 1, sizeof(*made));
	uint32_t i;
	int err = 0;

	if (!made)
		return -ENOMEM;
	for (i = 0; i < s->np && !err; i++)
		err = build_proc(e, s->p + s->procs[i].off + KD__SE_HDR, &made[i]);
	/* CLONE_FILES sharers use their owner's table, which is rebuilt whole */
	for (i = 0; i < s->np && !err; i++) {
		struct kd__proc *p = made[i], *o = made[s->procs[i].owner];

		if (o != p && p->fdt != o->fdt) {
			kd__fdtab_unref(e, p->fdt);
			p->fdt = o->fdt;
			p->fdt->refs++;
		} else if (o == p && p->fdt->n) {
			while (p->fdt->fds) /* negative numbers too */
				kd__fd_remove(e, p, p->fdt->fds->num);
		}
	}
	for (i = 0; i < s->np && !err; i++)
		if (made[i]->parent && made[i]->parent->pid != s->procs[i].ppid)
			kd__proc_set_parent(e, made[i], s->procs[i].ppid);
	free(made);
	/* fds and threads in the order they were written: the fd order is the
	 * tables' insertion order, which eviction and kd_fd_iter() follow */
	for (i = 0; i < s->nf && !err; i++)
		err = build_fd(e, kd__proc_find(e, s->fds[i].pid), s->p + s->fds[i].off + KD__SE_HDR);
	for (i = 0; i < s->nt && !err; i++)
		err = build_thread(e, s->p + s->threads[i].off + KD__SE_HDR);
	if (!err)
		kd__proc_link_all(e);
	return err;
}

int kd__snapshot_restore(struct kd__enrich *e, const uint8_t *p, size_t len, uint32_t count,
			 char *msg, size_t msglen)
{
	struct sn s = { .p = p, .len = len, .msg = msg, .msglen = msglen };
	int err;

	if (msglen)
		msg[0] = '\0';
	err = len > KD__BLK_MAX ? bad(&s, "%zu bytes is above the block limit", len) : scan(&s, count);
	if (!err)
		err = link_check(&s);
	/* a table that has seen events already is ahead of a start snapshot;
	 * an update is what the capturing handle learned from the kernel then */
	if (!err && e && ((s.flags & SN_UPDATE) || (!e->nthreads && !e->nprocs))) {
		err = build(e, &s);
		if (err) {
			kd__threads_free_all(e);
			snprintf(msg, msglen, "out of memory restoring the tables");
		}
	}
	if (err == -ENOMEM && msglen && !msg[0])
		snprintf(msg, msglen, "out of memory checking the snapshot");
	free(s.procs);
	free(s.threads);
	free(s.fds);
	return err;
}
