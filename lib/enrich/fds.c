/* lib/enrich/fds.c: per-process fd tables, kept current by the calls that
 * create, duplicate and close fds. A failed call changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "enrich.h"

#define KD__O_CLOEXEC 02000000u /* O_CLOEXEC, and the *_CLOEXEC flags equal to it */
#define KD__SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)
#define KD__FD_SPARE_MAX 64u

#define KD__TIOCGPTPEER 0x5441 /* _IO('T', 0x41), x86-64 */

static const struct kd_fd fd_zero;

/* An fd entry, zeroed: a spare one if there is, else from malloc. */
static struct kd_fd *fd_alloc(struct kd__enrich *e)
{
	struct kd_fd *f = e->fd_spare;

	if (f) {
		e->fd_spare = f->hh.next;
		e->nfd_spare--;
	} else if (!(f = malloc(sizeof(*f)))) {
		return NULL;
	}
	/* a copy of a zero entry is a few vector stores; memset() here
	 * compiles to rep stos, which showed in profiles of every open */
	*f = fd_zero;
	return f;
}

static void fd_release(struct kd__enrich *e, struct kd_fd *f)
{
	if (e->nfd_spare >= KD__FD_SPARE_MAX) {
		free(f);
		return;
	}
	f->hh.next = e->fd_spare;
	e->fd_spare = f;
	e->nfd_spare++;
}

void kd__fd_spare_free(struct kd__enrich *e)
{
	struct kd_fd *f;

	while ((f = e->fd_spare)) {
		e->fd_spare = f->hh.next;
		free(f);
	}
	e->nfd_spare = 0;
}

struct kd__fdtab *kd__fdtab_new(struct kd__enrich *e)
{
	struct kd__fdtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->refs = 1;
	e->bytes += sizeof(*t);
	return t;
}

static void fd_free(struct kd__enrich *e, struct kd__fdtab *t, struct kd_fd *f)
{
	if (e->cur_fd == f)
		e->cur_fd = NULL;
	if (t->last == f)
		t->last = NULL;
	HASH_DEL(t->fds, f);
	t->n--;
	e->nfds--;
	e->bytes -= sizeof(*f);
	kd__str_set(e, &f->path, NULL, 0);
	fd_release(e, f);
}

void kd__fdtab_unref(struct kd__enrich *e, struct kd__fdtab *t)
{
	struct kd_fd *f, *tmp;

	if (!t || --t->refs)
		return;
	HASH_ITER(hh, t->fds, f, tmp)
		fd_free(e, t, f);
	e->bytes -= sizeof(*t);
	free(t);
}

/* A new entry in t (no eviction: t is a copy of a table that fit). */
static struct kd_fd *fd_insert(struct kd__enrich *e, struct kd__fdtab *t, const struct kd_fd *src)
{
	struct kd_fd *f = fd_alloc(e);

	if (!f)
		return NULL;
	*f = *src;
	f->path = NULL;
	if (src->path && kd__str_set(e, &f->path, src->path, strlen(src->path))) {
		fd_release(e, f);
		return NULL;
	}
	memset(&f->hh, 0, sizeof(f->hh));
	HASH_ADD(hh, t->fds, num, sizeof(f->num), f);
	t->n++;
	e->nfds++;
	e->bytes += sizeof(*f);
	return f;
}

struct kd__fdtab *kd__fdtab_copy(struct kd__enrich *e, const struct kd__fdtab *src)
{
	struct kd__fdtab *t = kd__fdtab_new(e);
	struct kd_fd *f, *tmp;

	if (!t)
		return NULL;
	HASH_ITER(hh, src->fds, f, tmp)
		fd_insert(e, t, f);
	return t;
}

struct kd_fd *kd__fd_find(struct kd__proc *p, int32_t num)
{
	struct kd_fd *f;

	if (!p || !p->fdt)
		return NULL;
	f = p->fdt->last;
	if (f && f->num == num)
		return f;
	HASH_FIND(hh, p->fdt->fds, &num, sizeof(num), f);
	if (f)
		p->fdt->last = f;
	return f;
}

void kd__fd_remove(struct kd__enrich *e, struct kd__proc *p, int32_t num)
{
	struct kd_fd *f = kd__fd_find(p, num);

	if (f)
		fd_free(e, p->fdt, f);
}

struct kd_fd *kd__fd_add(struct kd__enrich *e, struct kd__proc *p, int32_t num, int type)
{
	struct kd__fdtab *t = p->fdt;
	struct kd_fd *f;

	kd__fd_remove(e, p, num);
	/* full: the oldest fd goes (uthash keeps insertion order) */
	while (t->n >= e->max_fds && t->fds) {
		fd_free(e, t, t->fds);
		e->fd_evictions++;
	}
	f = fd_alloc(e);
	if (!f)
		return NULL;
	f->num = num;
	f->type = (uint8_t)type;
	HASH_ADD(hh, t->fds, num, sizeof(f->num), f);
	t->last = f; /* the next event on this fd finds it first */
	t->n++;
	e->nfds++;
	e->bytes += sizeof(*f);
	return f;
}

void kd__fd_close_range(struct kd__enrich *e, struct kd__proc *p, uint32_t lo, uint32_t hi,
			bool cloexec_only)
{
	struct kd_fd *f, *tmp;

	if (!p || !p->fdt)
		return;
	HASH_ITER(hh, p->fdt->fds, f, tmp) {
		if (f->num < 0 || (uint32_t)f->num < lo || (uint32_t)f->num > hi)
			continue;
		if (cloexec_only)
			f->state |= KD__FD_CLOEXEC;
		else
			fd_free(e, p->fdt, f);
	}
}

void kd__fd_close_on_exec(struct kd__enrich *e, struct kd__proc *p)
{
	struct kd_fd *f, *tmp;

	HASH_ITER(hh, p->fdt->fds, f, tmp)
		if (f->state & KD__FD_CLOEXEC)
			fd_free(e, p->fdt, f);
}

void kd__fd_unshare(struct kd__enrich *e, struct kd__proc *p)
{
	struct kd__fdtab *c;

	if (p->fdt->refs <= 1)
		return;
	c = kd__fdtab_copy(e, p->fdt);
	if (!c)
		return;
	kd__fdtab_unref(e, p->fdt);
	p->fdt = c;
}

/* ------------------------------------------------------------ paths */

/* Lexical clean-up of an absolute path in place: "//", "/./", "/x/.." go. */
static void path_clean(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		while (*r == '/')
			r++;
		if (!*r)
			break;
		if (r[0] == '.' && (r[1] == '/' || !r[1])) {
			r++;
			continue;
		}
		if (r[0] == '.' && r[1] == '.' && (r[2] == '/' || !r[2])) {
			r += 2;
			while (w > s && *--w != '/')
				;
			continue;
		}
		*w++ = '/';
		while (*r && *r != '/')
			*w++ = *r++;
	}
	if (w == s)
		*w++ = '/';
	*w = '\0';
}

/* The length of s if it has no "//", no "/." (so no "/./" nor "/../") and
 * no "/" at the end, as path_clean() would leave it; else SIZE_MAX. A name
 * starting with a dot ("/.git") is clean too, but goes the long way. One
 * pass: most paths are short, and this replaces strlen(). */
static size_t clean_len(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] == '/' && (s[i + 1] == '/' || s[i + 1] == '.' || (s[i + 1] == '\0' && i)))
			return SIZE_MAX;
	return i;
}

char *kd__path_resolve(struct kd__proc *p, int32_t dirfd, const char *rel)
{
	const char *base = NULL;
	size_t bl, rl;
	char *s;

	if (!rel)
		return NULL;
	/* most opens name a clean absolute path: a copy */
	if (rel[0] == '/' && (rl = clean_len(rel)) != SIZE_MAX) {
		if ((s = malloc(rl + 1)))
			memcpy(s, rel, rl + 1);
		return s;
	}
	if (rel[0] != '/') {
		if (dirfd == AT_FDCWD) {
			base = p ? p->cwd : NULL;
		} else {
			struct kd_fd *f = kd__fd_find(p, dirfd);

			base = f ? f->path : NULL;
		}
		if (!base || base[0] != '/')
			return strdup(rel); /* cannot tell: keep what the call said */
	}
	bl = base ? strlen(base) : 0;
	rl = strlen(rel);
	s = malloc(bl + rl + 2);
	if (!s)
		return NULL;
	if (base)
		memcpy(s, base, bl);
	s[bl] = '/';
	memcpy(s + bl + 1, rel, rl + 1);
	path_clean(s);
	return s;
}

/* ------------------------------------------------------------ events */

static int32_t fdval(int64_t v)
{
	return (int32_t)(uint32_t)v; /* fds passed as unsigned long: low 32 bits */
}

static void set_path(struct kd__enrich *e, struct kd_fd *f, const char *path)
{
	if (path)
		kd__str_set(e, &f->path, path, strlen(path));
}

static void open_file(struct kd__enrich *e, struct kd__proc *p, int32_t num, int32_t dirfd,
		      const char *name, uint32_t flags)
{
	char *path = name ? kd__path_resolve(p, dirfd, name) : NULL;
	struct kd_fd *f = kd__fd_add(e, p, num, (flags & O_DIRECTORY) ? KD_FD_DIR : KD_FD_FILE);

	if (f) {
		f->flags = flags & ~(uint32_t)(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
		if (flags & KD__O_CLOEXEC)
			f->state |= KD__FD_CLOEXEC;
		/* the resolved path is the fd's: no copy */
		if (path)
			kd__str_take(e, &f->path, path);
		return;
	}
	free(path);
}

static struct kd_fd *new_fd(struct kd__enrich *e, struct kd__proc *p, int64_t num, int type,
			    bool cloexec)
{
	struct kd_fd *f = kd__fd_add(e, p, fdval(num), type);

	if (f && cloexec) {
		f->state |= KD__FD_CLOEXEC;
		f->flags |= KD__O_CLOEXEC;
	}
	return f;
}

/* Learn fd num of p from /proc, when the lookup rate allows (counted in
 * enrich_proc_lookups); false when no lookup was made. */
static bool read_fd(struct kd__enrich *e, struct kd__proc *p, int32_t num)
{
	if (!kd__enrich_may_lookup(e))
		return false;
	e->lookups++;
	kd__proc_read_fd(e, p, num);
	return true;
}

/* new = copy of old (dup family); the copy is not close-on-exec unless asked. */
static void dup_fd(struct kd__enrich *e, struct kd__proc *dst, struct kd__proc *srcp, int32_t old,
		   int32_t num, bool cloexec)
{
	struct kd_fd *src = kd__fd_find(srcp, old), snap, *f;
	char *path;

	if (!src) {
		read_fd(e, dst, num);
		return;
	}
	if (old == num && srcp == dst)
		return;
	snap = *src;
	path = src->path ? strdup(src->path) : NULL; /* src may be evicted by the add */
	f = kd__fd_add(e, dst, num, snap.type);
	if (f) {
		int32_t n = f->num;
		UT_hash_handle hh = f->hh;

		*f = snap;
		f->num = n;
		f->hh = hh;
		f->path = NULL;
		set_path(e, f, path);
		f->state = (uint8_t)((f->state & ~KD__FD_CLOEXEC) | (cloexec ? KD__FD_CLOEXEC : 0));
		f->flags = (f->flags & ~KD__O_CLOEXEC) | (cloexec ? KD__O_CLOEXEC : 0);
	}
	free(path);
}

static void pair(struct kd__enrich *e, struct kd__proc *p, const struct kd_event *ev, unsigned i,
		 int type, bool cloexec, int family, int sotype, int proto)
{
	const void *b;
	size_t n;
	int32_t fds[2];
	int k;

	if (!kd__ev_bytes(ev, i, &b, &n) || n < sizeof(fds))
		return;
	memcpy(fds, b, sizeof(fds));
	for (k = 0; k < 2; k++) {
		struct kd_fd *f = new_fd(e, p, fds[k], type, cloexec);

		if (f && family)
			kd__sock_set_proto(f, family, sotype, proto);
		if (f && type == KD_FD_PIPE)
			f->flags |= k == 0 ? O_RDONLY : O_WRONLY;
	}
}

/* bpf() commands whose result is a new fd. */
static bool bpf_creates_fd(int64_t cmd)
{
	switch (cmd) {
	case 0:  /* BPF_MAP_CREATE */
	case 5:  /* BPF_PROG_LOAD */
	case 7:  /* BPF_OBJ_GET */
	case 13: /* BPF_PROG_GET_FD_BY_ID */
	case 14: /* BPF_MAP_GET_FD_BY_ID */
	case 17: /* BPF_RAW_TRACEPOINT_OPEN */
	case 18: /* BPF_BTF_LOAD */
	case 19: /* BPF_BTF_GET_FD_BY_ID */
	case 28: /* BPF_LINK_CREATE */
	case 30: /* BPF_LINK_GET_FD_BY_ID */
	case 32: /* BPF_ENABLE_STATS */
	case 33: /* BPF_ITER_CREATE */
	case 36: /* BPF_TOKEN_CREATE */
		return true;
	default:
		return false;
	}
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A write that moves a process into another cgroup ("cgroup.procs") or names
 * a thread ("/proc/<pid>/task/<tid>/comm"): no event of the target says so. */
static void special_write(struct kd__enrich *e, struct kd__proc *p, const struct kd_event *ev)
{
	const void *b;
	size_t n, pl;
	int64_t fd;
	struct kd_fd *f;
	char buf[32];
	bool cgroup, comm;

	/* nearly every write goes elsewhere: its fd was found plain before */
	if (ev->hdr->res <= 0 || !kd__ev_int(ev, 0, &fd))
		return;
	f = kd__fd_find(p, fdval(fd));
	if (!f || (f->state & KD__FD_PLAIN) || f->type != KD_FD_FILE || !f->path)
		return;
	pl = strlen(f->path);
	cgroup = ends_with(f->path, pl, "/cgroup.procs") || ends_with(f->path, pl, "/cgroup.threads");
	comm = ends_with(f->path, pl, "/comm") && strncmp(f->path, "/proc/", 6) == 0;
	if (!cgroup && !comm) {
		f->state |= KD__FD_PLAIN;
		return;
	}
	if (!kd__ev_bytes(ev, 1, &b, &n))
		return;
	n = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
	memcpy(buf, b, n);
	buf[n] = '\0';
	if (cgroup) {
		struct kd__proc *t = kd__proc_find(e, (uint32_t)strtoul(buf, NULL, 10));

		if (t)
			t->flags |= KD__P_CGROUP_STALE;
		else if (strtoul(buf, NULL, 10) == 0)
			p->flags |= KD__P_CGROUP_STALE; /* "0": the writer itself */
	} else {
		const char *task = strstr(f->path, "/task/");
		uint32_t tid = (uint32_t)strtoul(task ? task + 6 : f->path + 6, NULL, 10);
		struct kd_thread *t = kd__thread_find(e, tid);

		if (strncmp(f->path, "/proc/self/", 11) == 0 && !task)
			t = kd__thread_find(e, kd_event_pid(ev));
		if (t) {
			/* as the kernel takes it: up to 15 bytes or a NUL, a
			 * newline included (`echo x > comm` names it "x\n");
			 * zeroed past the name, as snapshots write all of it */
			memset(t->comm, 0, KD__COMM_LEN);
			memcpy(t->comm, buf, strnlen(buf, KD__COMM_LEN - 1));
		}
	}
}

void kd__fd_event(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev)
{
	struct kd__proc *p = t->proc;
	int64_t r = ev->hdr->res, a = 0, b = 0, c = 0;
	const void *s = NULL;
	size_t n;
	struct kd_fd *f;
	int type = ev->hdr->type;

	if (r < 0 && type != KD_EV_CONNECT)
		return; /* failed: nothing changed (connect: EINPROGRESS says where it goes) */
	switch (type) {
	case KD_EV_OPEN:
		kd__ev_int(ev, 1, &a);
		kd__ev_bytes(ev, 0, &s, &n);
		open_file(e, p, fdval(r), AT_FDCWD, s, (uint32_t)a);
		break;
	case KD_EV_CREAT:
		kd__ev_bytes(ev, 0, &s, &n);
		open_file(e, p, fdval(r), AT_FDCWD, s, O_CREAT | O_WRONLY | O_TRUNC);
		break;
	case KD_EV_OPENAT:
		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 2, &b);
		kd__ev_bytes(ev, 1, &s, &n);
		open_file(e, p, fdval(r), (int32_t)a, s, (uint32_t)b);
		break;
	case KD_EV_OPENAT2: /* the flags are in struct open_how, not in the record */
		kd__ev_int(ev, 0, &a);
		kd__ev_bytes(ev, 1, &s, &n);
		open_file(e, p, fdval(r), (int32_t)a, s, 0);
		break;
	case KD_EV_OPEN_BY_HANDLE_AT:
	case KD_EV_PIDFD_GETFD:
		if (type == KD_EV_PIDFD_GETFD && kd__ev_int(ev, 0, &a) && kd__ev_int(ev, 1, &b) &&
		    (f = kd__fd_find(p, fdval(a))) && f->type == KD_FD_PIDFD && f->aux > 0 &&
		    kd__proc_find(e, (uint32_t)f->aux)) {
			dup_fd(e, p, kd__proc_find(e, (uint32_t)f->aux), (int32_t)b, fdval(r), true);
			break;
		}
		if (!read_fd(e, p, fdval(r)))
			new_fd(e, p, r, type == KD_EV_PIDFD_GETFD ? KD_FD_UNKNOWN : KD_FD_FILE, true);
		break;
	case KD_EV_IOCTL:
		/* TIOCGPTPEER opens the other end of a pty master: a new fd, seen
		 * only when ioctl is selected (not worth capturing every ioctl for) */
		if (!kd__ev_int(ev, 1, &a) || (uint32_t)a != KD__TIOCGPTPEER)
			break;
		kd__ev_int(ev, 2, &b);
		if (!read_fd(e, p, fdval(r)))
			new_fd(e, p, r, KD_FD_FILE, b & O_CLOEXEC);
		break;
	case KD_EV_DUP:
		kd__ev_int(ev, 0, &a);
		dup_fd(e, p, p, fdval(a), fdval(r), false);
		break;
	case KD_EV_DUP2:
	case KD_EV_DUP3:
		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 2, &c);
		dup_fd(e, p, p, fdval(a), fdval(r), type == KD_EV_DUP3 && (c & O_CLOEXEC));
		break;
	case KD_EV_FCNTL:
		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 1, &b);
		kd__ev_int(ev, 2, &c);
		f = kd__fd_find(p, fdval(a));
		if (b == F_DUPFD || b == F_DUPFD_CLOEXEC) {
			dup_fd(e, p, p, fdval(a), fdval(r), b == F_DUPFD_CLOEXEC);
		} else if (b == F_SETFD && f) {
			f->state = (uint8_t)((f->state & ~KD__FD_CLOEXEC) | ((c & FD_CLOEXEC) ? KD__FD_CLOEXEC : 0));
			f->flags = (f->flags & ~KD__O_CLOEXEC) | ((c & FD_CLOEXEC) ? KD__O_CLOEXEC : 0);
		} else if (b == F_SETFL && f) {
			f->flags = (f->flags & ~(uint32_t)KD__SETFL_MASK) | ((uint32_t)c & KD__SETFL_MASK);
		}
		break;
	case KD_EV_PIPE:
		pair(e, p, ev, 0, KD_FD_PIPE, false, 0, 0, 0);
		break;
	case KD_EV_PIPE2:
		kd__ev_int(ev, 1, &a);
		pair(e, p, ev, 0, KD_FD_PIPE, a & O_CLOEXEC, 0, 0, 0);
		break;
	case KD_EV_SOCKETPAIR:
		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 1, &b);
		kd__ev_int(ev, 2, &c);
		pair(e, p, ev, 3, KD_FD_SOCKET, b & SOCK_CLOEXEC, (int)a, (int)b, (int)c);
		break;
	case KD_EV_EVENTFD:
		new_fd(e, p, r, KD_FD_EVENT, false);
		break;
	case KD_EV_EVENTFD2:
		kd__ev_int(ev, 1, &a);
		new_fd(e, p, r, KD_FD_EVENT, a & O_CLOEXEC);
		break;
	case KD_EV_SIGNALFD:
	case KD_EV_SIGNALFD4:
		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 3, &b);
		if (fdval(a) == -1) /* else it changed the mask of an existing one */
			new_fd(e, p, r, KD_FD_SIGNAL, type == KD_EV_SIGNALFD4 && (b & O_CLOEXEC));
		break;
	case KD_EV_TIMERFD_CREATE:
		kd__ev_int(ev, 1, &a);
		new_fd(e, p, r, KD_FD_TIMER, a & O_CLOEXEC);
		break;
	case KD_EV_INOTIFY_INIT:
		new_fd(e, p, r, KD_FD_INOTIFY, false);
		break;
	case KD_EV_INOTIFY_INIT1:
		kd__ev_int(ev, 0, &a);
		new_fd(e, p, r, KD_FD_INOTIFY, a & O_CLOEXEC);
		break;
	case KD_EV_EPOLL_CREATE:
		new_fd(e, p, r, KD_FD_EPOLL, false);
		break;
	case KD_EV_EPOLL_CREATE1:
		kd__ev_int(ev, 0, &a);
		new_fd(e, p, r, KD_FD_EPOLL, a & O_CLOEXEC);
		break;
	case KD_EV_MEMFD_CREATE:
		kd__ev_int(ev, 1, &a);
		f = new_fd(e, p, r, KD_FD_MEMFD, a & 1 /* MFD_CLOEXEC */);
		if (f && kd__ev_bytes(ev, 0, &s, &n))
			set_path(e, f, s);
		break;
	case KD_EV_MEMFD_SECRET:
		kd__ev_int(ev, 0, &a);
		new_fd(e, p, r, KD_FD_MEMFD, a & O_CLOEXEC);
		break;
	case KD_EV_USERFAULTFD:
		kd__ev_int(ev, 0, &a);
		new_fd(e, p, r, KD_FD_USERFAULT, a & O_CLOEXEC);
		break;
	case KD_EV_IO_URING_SETUP:
		new_fd(e, p, r, KD_FD_IO_URING, true);
		break;
	case KD_EV_PIDFD_OPEN:
		kd__ev_int(ev, 0, &a);
		f = new_fd(e, p, r, KD_FD_PIDFD, true);
		if (f)
			f->aux = (int32_t)a;
		break;
	case KD_EV_BPF:
		kd__ev_int(ev, 0, &a);
		if (bpf_creates_fd(a))
			new_fd(e, p, r, KD_FD_BPF, true);
		break;
	case KD_EV_FANOTIFY_INIT:
		kd__ev_int(ev, 0, &a);
		new_fd(e, p, r, KD_FD_FANOTIFY, a & 1 /* FAN_CLOEXEC */);
		break;
	case KD_EV_PERF_EVENT_OPEN:
		kd__ev_int(ev, 4, &a);
		new_fd(e, p, r, KD_FD_PERF, a & 8 /* PERF_FLAG_FD_CLOEXEC */);
		break;
	case KD_EV_FSOPEN:
	case KD_EV_FSMOUNT:
		kd__ev_int(ev, 1, &a);
		new_fd(e, p, r, KD_FD_MOUNT, a & 1 /* FSOPEN_CLOEXEC, FSMOUNT_CLOEXEC */);
		break;
	case KD_EV_FSPICK:
	case KD_EV_OPEN_TREE: {
		char *path;

		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 2, &b);
		f = new_fd(e, p, r, KD_FD_MOUNT,
			   type == KD_EV_FSPICK ? (b & 1) : (b & O_CLOEXEC));
		if (f && kd__ev_bytes(ev, 1, &s, &n) && (path = kd__path_resolve(p, (int32_t)a, s))) {
			set_path(e, f, path);
			free(path);
		}
		break;
	}
	case KD_EV_CLOSE:
		kd__ev_int(ev, 0, &a);
		e->defer.kind = KD__DEFER_CLOSE;
		e->defer.id = p->pid;
		e->defer.lo = (uint32_t)fdval(a);
		break;
	case KD_EV_CLOSE_RANGE:
		kd__ev_int(ev, 0, &a);
		kd__ev_int(ev, 1, &b);
		kd__ev_int(ev, 2, &c);
		if (c & 2) /* CLOSE_RANGE_UNSHARE */
			kd__fd_unshare(e, p);
		if (c & 4) { /* CLOSE_RANGE_CLOEXEC */
			kd__fd_close_range(e, p, (uint32_t)a, (uint32_t)b, true);
		} else {
			e->defer.kind = KD__DEFER_CLOSE_RANGE;
			e->defer.id = p->pid;
			e->defer.lo = (uint32_t)a;
			e->defer.hi = (uint32_t)b;
		}
		break;
	case KD_EV_UNSHARE:
		kd__ev_int(ev, 0, &a);
		if (a & CLONE_FILES)
			kd__fd_unshare(e, p);
		break;
	case KD_EV_CHDIR:
		if (kd__ev_bytes(ev, 0, &s, &n)) {
			char *path = kd__path_resolve(p, AT_FDCWD, s);

			if (path) {
				kd__str_set(e, &p->cwd, path, strlen(path));
				free(path);
			}
		}
		break;
	case KD_EV_FCHDIR:
		kd__ev_int(ev, 0, &a);
		f = kd__fd_find(p, fdval(a));
		if (f && f->path)
			kd__str_set(e, &p->cwd, f->path, strlen(f->path));
		break;
	case KD_EV_WRITE:
		special_write(e, p, ev);
		break;
	/* the cases of kd__sock_event(), named so the others cost no call */
	case KD_EV_SOCKET:
	case KD_EV_CONNECT:
	case KD_EV_ACCEPT:
	case KD_EV_ACCEPT4:
	case KD_EV_BIND:
	case KD_EV_LISTEN:
	case KD_EV_SENDTO:
	case KD_EV_RECVFROM:
	case KD_EV_SENDMSG:
	case KD_EV_RECVMSG:
	case KD_EV_SENDMMSG:
	case KD_EV_RECVMMSG:
		kd__sock_event(e, p, ev);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ public accessors */

static const char *const type_names[KD_FD_TYPE__COUNT] = {
	[KD_FD_UNKNOWN] = "unknown", [KD_FD_FILE] = "file",       [KD_FD_DIR] = "dir",
	[KD_FD_IPV4] = "ipv4",       [KD_FD_IPV6] = "ipv6",       [KD_FD_UNIX] = "unix",
	[KD_FD_NETLINK] = "netlink", [KD_FD_SOCKET] = "socket",   [KD_FD_PIPE] = "pipe",
	[KD_FD_EVENT] = "event",     [KD_FD_SIGNAL] = "signal",   [KD_FD_TIMER] = "timer",
	[KD_FD_INOTIFY] = "inotify", [KD_FD_EPOLL] = "epoll",     [KD_FD_MEMFD] = "memfd",
	[KD_FD_BPF] = "bpf",         [KD_FD_USERFAULT] = "userfaultfd", [KD_FD_IO_URING] = "io_uring",
	[KD_FD_PIDFD] = "pidfd",     [KD_FD_FANOTIFY] = "fanotify", [KD_FD_PERF] = "perf",
	[KD_FD_MOUNT] = "mount",
};

const char *kd_fd_type_name(int type)
{
	if (type < 0 || type >= KD_FD_TYPE__COUNT || !type_names[type])
		return "unknown";
	return type_names[type];
}

int kd_fd_num(const struct kd_fd *f)
{
	return f ? f->num : -EINVAL;
}

int kd_fd_type(const struct kd_fd *f)
{
	return f ? f->type : KD_FD_UNKNOWN;
}

const char *kd_fd_path(const struct kd_fd *f)
{
	return f && f->path ? f->path : "";
}

uint32_t kd_fd_flags(const struct kd_fd *f)
{
	return f ? f->flags : 0;
}
