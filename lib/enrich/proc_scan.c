/* lib/enrich/proc_scan.c: processes, threads and fds read from /proc: all of
 * them at kd_open, single ones when an event names a thread or fd the table
 * does not have.
 *
 * Reading is apart from filling the tables: gather_*() only read /proc into
 * a struct raw_* (no table, no handle: any thread may run them), apply_*()
 * put that in the tables. kd_open's scan gathers on a few threads at once
 * (~50 syscalls a process, nearly all of the scan's time; the threads are
 * joined before it applies, on the caller's thread, in /proc's order). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "enrich.h"

static bool numeric(const char *s, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && *v <= UINT32_MAX;
}

/* Whole small file into buf (NUL-terminated); bytes read or -1. A /proc
 * file gives all it has up to the size asked in one read, so a short read
 * is its end: no second read to see 0 (kd_open reads ~10 files a process). */
static ssize_t read_file(int dfd, const char *path, char *buf, size_t len)
{
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1) {
		size_t want = len - 1 - (size_t)got;

		n = read(fd, buf + got, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		if ((size_t)n < want)
			break;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* The kernel's struct linux_dirent64 */
struct dirent64_ {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* The numeric entries of a /proc directory, each passed to fn; -errno when
 * it cannot be opened. getdents64 on an O_DIRECTORY fd: opendir() would add
 * an fstat per directory, and kd_open lists two directories a process. */
static int each_number(int dfd, const char *path, void (*fn)(unsigned long v, void *arg),
		       void *arg)
{
	_Alignas(8) char buf[4096];
	int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			const struct dirent64_ *d = (const struct dirent64_ *)(void *)(buf + off);
			unsigned long v;

			if (numeric(d->name, &v))
				fn(v, arg);
			off += d->reclen;
		}
	}
	close(fd);
	return 0;
}

static ssize_t read_link(int dfd, const char *path, char *buf, size_t len)
{
	ssize_t n = readlinkat(dfd, path, buf, len - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* "pid (comm) S ppid pgrp session ... starttime(22)": comm may hold ") ". */
static bool read_stat(int dfd, const char *path, char *comm, uint32_t *ppid, uint32_t *sid,
		      uint64_t *start)
{
	char buf[1024], *open_p, *close_p;
	unsigned long long st = 0;
	unsigned pp = 0, ss = 0;
	size_t n;

	if (read_file(dfd, path, buf, sizeof(buf)) <= 0)
		return false;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return false;
	if (comm) {
		n = (size_t)(close_p - open_p - 1);
		n = n < KD__COMM_LEN - 1 ? n : KD__COMM_LEN - 1;
		memcpy(comm, open_p + 1, n);
		comm[n] = '\0';
	}
	if (sscanf(close_p + 2, "%*c %u %*d %u %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &pp, &ss, &st) != 3)
		return false;
	if (ppid)
		*ppid = pp;
	if (sid)
		*sid = ss;
	if (start)
		*start = st;
	return true;
}

bool kd__proc_read_comm(uint32_t pid, uint32_t tid, char *comm)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/task/%u/stat", pid, tid);
	return read_stat(AT_FDCWD, path, comm, NULL, NULL, NULL);
}

bool kd__proc_read_ppid(uint32_t pid, uint32_t *ppid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	return read_stat(AT_FDCWD, path, NULL, ppid, NULL, NULL);
}

/* Boot-time ticks to ns since the epoch (suspended time is not counted). */
static uint64_t ticks_ns(struct kd__enrich *e, uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0)
		hz = 100;
	return e->h->boot_ns + ticks * (1000000000ull / (uint64_t)hz);
}

/* ------------------------------------------------------------ gather */

/* One fd as /proc showed it. */
struct raw_fd {
	int32_t num;
	int type;                /* KD_FD_* */
	bool has_flags;
	unsigned flags;          /* fdinfo's, the open flags */
	int32_t aux;             /* a pidfd's pid */
	unsigned long long ino;  /* a socket's inode, 0 if unknown */
	char *path;              /* a file's, dir's or memfd's name (malloc'd) */
};

struct raw_thread {
	uint32_t tid;
	bool has_stat;
	uint64_t start;          /* boot-time ticks */
	char comm[KD__COMM_LEN];
};

/* One process as /proc showed it. */
struct raw_proc {
	uint32_t pid, ppid, sid;
	uint64_t start;          /* boot-time ticks */
	bool ok;                 /* its stat was read: the process was there */
	bool has_ids, has_loginuid;
	uint32_t uid, euid, gid, egid, loginuid;
	char *args, *exe, *cwd, *cgroup; /* malloc'd; cgroup: the file as read */
	size_t args_len;
	struct raw_thread *threads;
	size_t nthreads, cap_threads;
	struct raw_fd *fds;
	size_t nfds, cap_fds;
};

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Room for one more of an array (NULL when out of memory). */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void *a;
	size_t c;

	if (n < *cap)
		return arr;
	c = *cap ? 2 * *cap : 8;
	a = realloc(arr, c * size);
	if (a)
		*cap = c;
	return a;
}

static void raw_free(struct raw_proc *rp)
{
	for (size_t i = 0; i < rp->nfds; i++)
		free(rp->fds[i].path);
	free(rp->fds);
	free(rp->threads);
	free(rp->args);
	free(rp->exe);
	free(rp->cwd);
	free(rp->cgroup);
	memset(rp, 0, sizeof(*rp));
}

static int anon_type(const char *name)
{
	static const struct {
		const char *name;
		int type;
	} anon[] = {
		{ "[eventfd]", KD_FD_EVENT },       { "[signalfd]", KD_FD_SIGNAL },
		{ "[timerfd]", KD_FD_TIMER },       { "inotify", KD_FD_INOTIFY },
		{ "[eventpoll]", KD_FD_EPOLL },     { "[userfaultfd]", KD_FD_USERFAULT },
		{ "[io_uring]", KD_FD_IO_URING },   { "[pidfd]", KD_FD_PIDFD },
		{ "[fanotify]", KD_FD_FANOTIFY },   { "[perf_event]", KD_FD_PERF },
		{ "[fscontext]", KD_FD_MOUNT },     { "[secretmem]", KD_FD_MEMFD },
	};
	size_t i;

	for (i = 0; i < sizeof(anon) / sizeof(anon[0]); i++)
		if (strcmp(name, anon[i].name) == 0)
			return anon[i].type;
	if (strncmp(name, "bpf", 3) == 0 || strncmp(name, "[bpf", 4) == 0 || strcmp(name, "btf") == 0)
		return KD_FD_BPF;
	return KD_FD_UNKNOWN;
}

/* fd num from dfd (its process's /proc directory); false when it is gone. */
static bool gather_fd(int dfd, int32_t num, struct raw_fd *rf)
{
	char path[64], target[4097], info[512], *l;

	memset(rf, 0, sizeof(*rf));
	rf->num = num;
	rf->type = KD_FD_UNKNOWN;
	snprintf(path, sizeof(path), "fd/%d", num);
	if (read_link(dfd, path, target, sizeof(target)) < 0)
		return false;
	if (target[0] == '/') {
		struct stat st;

		if (strncmp(target, "/memfd:", 7) == 0)
			rf->type = KD_FD_MEMFD;
		else
			rf->type = fstatat(dfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode) ? KD_FD_DIR
											 : KD_FD_FILE;
	} else if (strncmp(target, "socket:[", 8) == 0) {
		rf->type = KD_FD_SOCKET;
		if (sscanf(target + 8, "%llu", &rf->ino) != 1)
			rf->ino = 0;
	} else if (strncmp(target, "pipe:[", 6) == 0) {
		rf->type = KD_FD_PIPE;
	} else if (strncmp(target, "anon_inode:", 11) == 0) {
		rf->type = anon_type(target + 11);
	} else if (strncmp(target, "pidfd:", 6) == 0) {
		rf->type = KD_FD_PIDFD;
	}
	snprintf(path, sizeof(path), "fdinfo/%d", num);
	if (read_file(dfd, path, info, sizeof(info)) > 0) {
		if ((l = strstr(info, "flags:")) && sscanf(l + 6, "%o", &rf->flags) == 1)
			rf->has_flags = true;
		if (rf->type == KD_FD_PIDFD && (l = strstr(info, "\nPid:")))
			rf->aux = (int32_t)strtol(l + 5, NULL, 10);
	}
	if (rf->type == KD_FD_FILE || rf->type == KD_FD_DIR) {
		size_t n = strlen(target);

		if (n > 10 && strcmp(target + n - 10, " (deleted)") == 0)
			n -= 10;
		rf->path = dup_n(target, n);
	} else if (rf->type == KD_FD_MEMFD) {
		char *d = strstr(target, " (deleted)");

		rf->path = dup_n(target + 7, d ? (size_t)(d - target - 7) : strlen(target + 7));
	}
	return true;
}

struct gather_ctx {
	struct raw_proc *rp;
	int dfd;
};

static void gather_thread(unsigned long tid, void *arg)
{
	struct gather_ctx *c = arg;
	struct raw_proc *rp = c->rp;
	struct raw_thread *t;
	char path[64];
	void *a = grow(rp->threads, &rp->cap_threads, rp->nthreads, sizeof(*rp->threads));

	if (!a)
		return;
	rp->threads = a;
	t = &rp->threads[rp->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = (uint32_t)tid;
	snprintf(path, sizeof(path), "task/%lu/stat", tid);
	t->has_stat = read_stat(c->dfd, path, t->comm, NULL, NULL, &t->start);
}

static void gather_one_fd(unsigned long num, void *arg)
{
	struct gather_ctx *c = arg;
	struct raw_proc *rp = c->rp;
	void *a;

	if (num > INT32_MAX)
		return;
	a = grow(rp->fds, &rp->cap_fds, rp->nfds, sizeof(*rp->fds));
	if (!a)
		return;
	rp->fds = a;
	if (gather_fd(c->dfd, (int32_t)num, &rp->fds[rp->nfds]))
		rp->nfds++;
}

/* /proc/pid, for the *at() calls: one lookup of the pid for all its files */
static int proc_dir(uint32_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", pid);
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Process pid from /proc into rp; rp->ok says whether it was there. */
static void gather_proc(uint32_t pid, struct raw_proc *rp)
{
	char buf[4097], comm[KD__COMM_LEN] = "", *l;
	struct gather_ctx c = { rp, proc_dir(pid) };
	unsigned a, b, nthreads = 0;
	ssize_t n;

	memset(rp, 0, sizeof(*rp));
	rp->pid = pid;
	if (c.dfd < 0)
		return;
	/* comm is zeroed past its NUL: snapshots write all of it */
	if (!read_stat(c.dfd, "stat", comm, &rp->ppid, &rp->sid, &rp->start))
		goto out;
	rp->ok = true;
	if (read_file(c.dfd, "status", buf, sizeof(buf)) > 0) {
		if ((l = strstr(buf, "\nUid:")) && sscanf(l + 5, "%u %u", &a, &b) == 2)
			rp->uid = a, rp->euid = b, rp->has_ids = true;
		if ((l = strstr(buf, "\nGid:")) && sscanf(l + 5, "%u %u", &a, &b) == 2)
			rp->gid = a, rp->egid = b;
		if ((l = strstr(buf, "\nThreads:")) && sscanf(l + 9, "%u", &a) == 1)
			nthreads = a;
	}
	/* one thread (most processes): the process's stat was its own */
	if (nthreads == 1 && (rp->threads = calloc(1, sizeof(*rp->threads)))) {
		rp->cap_threads = rp->nthreads = 1;
		rp->threads[0].tid = pid;
		rp->threads[0].has_stat = true;
		rp->threads[0].start = rp->start;
		memcpy(rp->threads[0].comm, comm, KD__COMM_LEN);
	} else {
		each_number(c.dfd, "task", gather_thread, &c);
	}
	n = read_file(c.dfd, "cmdline", buf, sizeof(buf));
	if (n > 0 && (rp->args = dup_n(buf, (size_t)n))) /* args hold NULs */
		rp->args_len = (size_t)n;
	if (read_link(c.dfd, "exe", buf, sizeof(buf)) > 0)
		rp->exe = dup_n(buf, strlen(buf));
	if (read_link(c.dfd, "cwd", buf, sizeof(buf)) > 0)
		rp->cwd = dup_n(buf, strlen(buf));
	if (read_file(c.dfd, "loginuid", buf, 32) > 0) {
		rp->loginuid = (uint32_t)strtoul(buf, NULL, 10);
		rp->has_loginuid = true;
	}
	n = read_file(c.dfd, "cgroup", buf, sizeof(buf));
	if (n > 0)
		rp->cgroup = dup_n(buf, (size_t)n);
	each_number(c.dfd, "fd", gather_one_fd, &c);
out:
	close(c.dfd);
}

/* ------------------------------------------------------------ apply */

/* p's cgroup and container from the text of its /proc cgroup file */
static void apply_cgroup(struct kd__enrich *e, struct kd__proc *p, const char *buf)
{
	const char *line, *pick = NULL;
	size_t n, pick_len = 0;

	p->runtime = (uint8_t)kd__container_parse(buf, p->container_id);
	/* keep the v2 path ("0::/x"), else the first hierarchy's */
	for (line = buf; *line; line += n + (line[n] ? 1 : 0)) {
		const char *c = strchr(line, ':');

		n = strcspn(line, "\n");
		if (c && (c = strchr(c + 1, ':')) && c < line + n &&
		    (!pick || strncmp(line, "0::", 3) == 0)) {
			pick = c + 1;
			pick_len = (size_t)(line + n - pick);
			if (strncmp(line, "0::", 3) == 0)
				break;
		}
	}
	if (pick)
		kd__str_set(e, &p->cgroup, pick, pick_len);
}

void kd__proc_read_cgroup(struct kd__enrich *e, struct kd__proc *p)
{
	char path[64], buf[4096];

	p->flags &= ~KD__P_CGROUP_STALE;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", p->pid);
	if (read_file(AT_FDCWD, path, buf, sizeof(buf)) > 0)
		apply_cgroup(e, p, buf);
}

/* rf into p's fd table; m (NULL: none) holds the socket tables read so far */
static struct kd_fd *apply_fd(struct kd__enrich *e, struct kd__proc *p, struct raw_fd *rf,
			      struct kd__netmap *m)
{
	struct kd_fd *f = kd__fd_add(e, p, rf->num, rf->type);

	if (!f)
		return NULL;
	if (rf->has_flags) {
		f->flags = rf->flags;
		if (rf->flags & O_CLOEXEC)
			f->state |= KD__FD_CLOEXEC;
	}
	if (rf->type == KD_FD_PIDFD)
		f->aux = rf->aux;
	if (rf->path) {
		kd__str_set(e, &f->path, rf->path, strlen(rf->path));
	} else if (rf->type == KD_FD_SOCKET && rf->ino) {
		if (m) {
			kd__netmap_load(m, p->pid);
			if (!kd__netmap_apply(e, m, rf->ino, f))
				kd__sock_probe(e, p->pid, f);
		} else if (!kd__sock_probe(e, p->pid, f)) {
			struct kd__netmap *tm = calloc(1, sizeof(*tm));

			if (tm) {
				kd__netmap_load(tm, p->pid);
				kd__netmap_apply(e, tm, rf->ino, f);
				kd__netmap_free(tm);
				free(tm);
			}
		}
	}
	return f;
}

struct kd_fd *kd__proc_read_fd(struct kd__enrich *e, struct kd__proc *p, int32_t num)
{
	struct kd_fd *f = NULL;
	struct raw_fd rf;
	int dfd;

	if (num < 0 || (dfd = proc_dir(p->pid)) < 0)
		return NULL;
	if (gather_fd(dfd, num, &rf)) {
		f = apply_fd(e, p, &rf, NULL);
		free(rf.path);
	}
	close(dfd);
	return f;
}

/* rp into the tables (taking its strings); NULL when it was gone */
static struct kd__proc *apply_proc(struct kd__enrich *e, struct raw_proc *rp,
				   struct kd__netmap *m)
{
	struct kd__proc *p;

	if (!rp->ok || !(p = kd__proc_new(e, rp->pid)))
		return NULL;
	p->ppid = rp->ppid;
	p->sid = rp->sid;
	p->start_ns = ticks_ns(e, rp->start);
	if (rp->has_ids) {
		p->uid = rp->uid, p->euid = rp->euid;
		p->gid = rp->gid, p->egid = rp->egid;
	}
	if (rp->args) { /* args hold NULs: set through the exec path's layout */
		p->args = rp->args;
		p->args_len = rp->args_len;
		e->bytes += rp->args_len + 1;
		rp->args = NULL;
	}
	if (rp->exe)
		kd__str_set(e, &p->exe, rp->exe, strlen(rp->exe));
	if (rp->cwd)
		kd__str_set(e, &p->cwd, rp->cwd, strlen(rp->cwd));
	if (rp->has_loginuid)
		p->loginuid = rp->loginuid;
	p->flags &= ~KD__P_CGROUP_STALE;
	if (rp->cgroup)
		apply_cgroup(e, p, rp->cgroup);
	for (size_t i = 0; i < rp->nthreads; i++) {
		const struct raw_thread *rt = &rp->threads[i];
		struct kd_thread *t;

		if (kd__thread_find(e, rt->tid))
			continue;
		t = kd__thread_new(e, p, rt->tid);
		if (!t)
			break;
		if (rt->has_stat) {
			memcpy(t->comm, rt->comm, sizeof(t->comm));
			t->start_ns = ticks_ns(e, rt->start);
		}
	}
	if (!p->nthreads) { /* gone while we read it */
		kd__proc_free(e, p);
		return NULL;
	}
	for (size_t i = 0; i < rp->nfds; i++)
		apply_fd(e, p, &rp->fds[i], m);
	return p;
}

struct kd__proc *kd__proc_read(struct kd__enrich *e, uint32_t pid)
{
	struct kd__proc *p = kd__proc_find(e, pid);
	struct raw_proc rp;

	if (p)
		return p;
	gather_proc(pid, &rp);
	p = apply_proc(e, &rp, NULL);
	raw_free(&rp);
	if (p && !p->parent && p->ppid)
		kd__proc_set_parent(e, p, p->ppid);
	return p;
}

/* ------------------------------------------------------------ the scan */

/* Gatherers besides the caller: /proc reads are syscalls, and they scale
 * with CPUs; past a few the table filling after them dominates. */
#define SCAN_THREADS_MAX 3
/* Fewer processes than this: one thread (a thread costs ~50 us to start). */
#define SCAN_THREADS_MIN_PROCS 64

struct scan {
	uint32_t *pids;
	size_t n, cap;
	struct raw_proc *raw;
	atomic_size_t next;
};

static void scan_pid(unsigned long pid, void *arg)
{
	struct scan *s = arg;
	void *a = grow(s->pids, &s->cap, s->n, sizeof(*s->pids));

	if (!a)
		return;
	s->pids = a;
	s->pids[s->n++] = (uint32_t)pid;
}

static void *scan_gather(void *arg)
{
	struct scan *s = arg;
	size_t i;

	while ((i = atomic_fetch_add(&s->next, 1)) < s->n)
		gather_proc(s->pids[i], &s->raw[i]);
	return NULL;
}

int kd__proc_scan(struct kd__enrich *e)
{
	struct scan s = { 0 };
	pthread_t th[SCAN_THREADS_MAX];
	struct kd__netmap *m;
	size_t nth = 0, started = 0, want = 0;
	struct timespec t0, t1;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = each_number(AT_FDCWD, "/proc", scan_pid, &s);
	if (err < 0) {
		free(s.pids);
		return err;
	}
	m = calloc(1, sizeof(*m));
	s.raw = calloc(s.n ? s.n : 1, sizeof(*s.raw));
	if (!m || !s.raw) {
		free(m);
		free(s.raw);
		free(s.pids);
		return -ENOMEM;
	}
	atomic_init(&s.next, 0);
	if (s.n >= SCAN_THREADS_MIN_PROCS) {
		/* the CPUs the caller may run on: a pinned caller keeps its one */
		cpu_set_t cpus;
		int ncpu = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;

		want = ncpu > 1 ? (size_t)ncpu - 1 : 0;
		want = want < SCAN_THREADS_MAX ? want : SCAN_THREADS_MAX;
	}
	if (want) {
		sigset_t all, old;

		/* the caller's signals stay the caller's */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		while (nth < want && pthread_create(&th[nth], NULL, scan_gather, &s) == 0)
			nth++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		started = nth;
	}
	scan_gather(&s);
	while (nth)
		pthread_join(th[--nth], NULL);
	for (size_t i = 0; i < s.n; i++) {
		if (!kd__proc_find(e, s.pids[i]))
			apply_proc(e, &s.raw[i], m);
		raw_free(&s.raw[i]);
	}
	kd__netmap_free(m);
	free(m);
	free(s.raw);
	free(s.pids);
	kd__proc_link_all(e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kd__log(e->h, KD_LOG_DEBUG, "enrichment: /proc scan: %zu processes in %.1f ms, %zu extra threads",
		s.n, (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		started);
	return 0;
}
