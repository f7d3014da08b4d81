/* lib/enrich/proc_scan.c: processes, threads and fds read from /proc: all of
 * them at kd_open, single ones when an event names a thread or fd the table
 * does not have. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		if ((size_t)n < len - 1 - (size_t)(got - n))
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

/* Users and groups into p; the number of threads, 0 when unknown. */
static unsigned read_status(int dfd, struct kd__proc *p)
{
	char buf[4096], *l;
	unsigned a, b;

	if (read_file(dfd, "status", buf, sizeof(buf)) <= 0)
		return 0;
	if ((l = strstr(buf, "\nUid:")) && sscanf(l + 5, "%u %u", &a, &b) == 2)
		p->uid = a, p->euid = b;
	if ((l = strstr(buf, "\nGid:")) && sscanf(l + 5, "%u %u", &a, &b) == 2)
		p->gid = a, p->egid = b;
	if ((l = strstr(buf, "\nThreads:")) && sscanf(l + 9, "%u", &a) == 1)
		return a;
	return 0;
}

/* p's cgroup from path (under dfd) */
static void read_cgroup(struct kd__enrich *e, struct kd__proc *p, int dfd, const char *path)
{
	char buf[4096], *line, *pick = NULL;
	size_t n, pick_len = 0;

	p->flags &= ~KD__P_CGROUP_STALE;
	if (read_file(dfd, path, buf, sizeof(buf)) <= 0)
		return;
	p->runtime = (uint8_t)kd__container_parse(buf, p->container_id);
	/* keep the v2 path ("0::/x"), else the first hierarchy's */
	for (line = buf; *line; line += n + (line[n] ? 1 : 0)) {
		char *c = strchr(line, ':');

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
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/cgroup", p->pid);
	read_cgroup(e, p, AT_FDCWD, path);
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

/* fd num of p, from dfd (p's /proc directory) */
static struct kd_fd *read_fd(struct kd__enrich *e, struct kd__proc *p, int dfd, int32_t num,
			     struct kd__netmap *m)
{
	char path[64], target[4097], info[512], *l;
	unsigned long long ino;
	unsigned flags = 0;
	struct stat st;
	struct kd_fd *f;
	int type = KD_FD_UNKNOWN;

	snprintf(path, sizeof(path), "fd/%d", num);
	if (read_link(dfd, path, target, sizeof(target)) < 0)
		return NULL;
	if (target[0] == '/') {
		if (strncmp(target, "/memfd:", 7) == 0)
			type = KD_FD_MEMFD;
		else
			type = fstatat(dfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode) ? KD_FD_DIR : KD_FD_FILE;
	} else if (strncmp(target, "socket:[", 8) == 0) {
		type = KD_FD_SOCKET;
	} else if (strncmp(target, "pipe:[", 6) == 0) {
		type = KD_FD_PIPE;
	} else if (strncmp(target, "anon_inode:", 11) == 0) {
		type = anon_type(target + 11);
	} else if (strncmp(target, "pidfd:", 6) == 0) {
		type = KD_FD_PIDFD;
	}
	f = kd__fd_add(e, p, num, type);
	if (!f)
		return NULL;
	snprintf(path, sizeof(path), "fdinfo/%d", num);
	if (read_file(dfd, path, info, sizeof(info)) > 0 && (l = strstr(info, "flags:")) &&
	    sscanf(l + 6, "%o", &flags) == 1) {
		f->flags = flags;
		if (flags & O_CLOEXEC)
			f->state |= KD__FD_CLOEXEC;
	}
	if (type == KD_FD_PIDFD && (l = strstr(info, "\nPid:")))
		f->aux = (int32_t)strtol(l + 5, NULL, 10);
	if (type == KD_FD_FILE || type == KD_FD_DIR) {
		size_t n = strlen(target);

		if (n > 10 && strcmp(target + n - 10, " (deleted)") == 0)
			target[n - 10] = '\0';
		kd__str_set(e, &f->path, target, strlen(target));
	} else if (type == KD_FD_MEMFD) {
		char *d = strstr(target, " (deleted)");

		if (d)
			*d = '\0';
		kd__str_set(e, &f->path, target + 7, strlen(target + 7));
	} else if (type == KD_FD_SOCKET && sscanf(target + 8, "%llu", &ino) == 1) {
		if (m) {
			kd__netmap_load(m, p->pid);
			if (!kd__netmap_apply(e, m, ino, f))
				kd__sock_probe(e, p->pid, f);
		} else if (!kd__sock_probe(e, p->pid, f)) {
			struct kd__netmap *tm = calloc(1, sizeof(*tm));

			if (tm) {
				kd__netmap_load(tm, p->pid);
				kd__netmap_apply(e, tm, ino, f);
				kd__netmap_free(tm);
				free(tm);
			}
		}
	}
	return f;
}

/* /proc/pid, for the *at() calls: one lookup of the pid for all its files */
static int proc_dir(uint32_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", pid);
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

struct kd_fd *kd__proc_read_fd(struct kd__enrich *e, struct kd__proc *p, int32_t num)
{
	struct kd_fd *f;
	int dfd;

	if (num < 0 || (dfd = proc_dir(p->pid)) < 0)
		return NULL;
	f = read_fd(e, p, dfd, num, NULL);
	close(dfd);
	return f;
}

struct scan_ctx {
	struct kd__enrich *e;
	struct kd__proc *p;
	struct kd__netmap *m;
	int dfd; /* the process's /proc directory */
};

static void scan_thread(unsigned long tid, void *arg)
{
	struct scan_ctx *c = arg;
	struct kd_thread *t;
	char path[64];
	uint64_t ts = 0;

	if (kd__thread_find(c->e, (uint32_t)tid))
		return;
	t = kd__thread_new(c->e, c->p, (uint32_t)tid);
	if (!t)
		return;
	snprintf(path, sizeof(path), "task/%lu/stat", tid);
	if (read_stat(c->dfd, path, t->comm, NULL, NULL, &ts))
		t->start_ns = ticks_ns(c->e, ts);
}

static void scan_fd(unsigned long num, void *arg)
{
	struct scan_ctx *c = arg;

	if (num <= INT32_MAX)
		read_fd(c->e, c->p, c->dfd, (int32_t)num, c->m);
}

/* Process pid into the tables, from dfd (its /proc directory). */
static struct kd__proc *read_proc_at(struct kd__enrich *e, uint32_t pid, int dfd,
				     struct kd__netmap *m)
{
	char buf[4097], comm[KD__COMM_LEN];
	uint32_t ppid = 0, sid = 0;
	uint64_t start = 0;
	unsigned nthreads;
	struct kd__proc *p;
	struct scan_ctx c;
	ssize_t n;

	if (!read_stat(dfd, "stat", comm, &ppid, &sid, &start))
		return NULL;
	p = kd__proc_new(e, pid);
	if (!p)
		return NULL;
	p->ppid = ppid;
	p->sid = sid;
	p->start_ns = ticks_ns(e, start);
	nthreads = read_status(dfd, p);
	n = read_file(dfd, "cmdline", buf, sizeof(buf));
	if (n > 0) {
		void *a = malloc((size_t)n + 1);

		if (a) { /* args hold NULs: set through the exec path's layout */
			memcpy(a, buf, (size_t)n);
			((char *)a)[n] = '\0';
			p->args = a;
			p->args_len = (size_t)n;
			e->bytes += (size_t)n + 1;
		}
	}
	if (read_link(dfd, "exe", buf, sizeof(buf)) > 0)
		kd__str_set(e, &p->exe, buf, strlen(buf));
	if (read_link(dfd, "cwd", buf, sizeof(buf)) > 0)
		kd__str_set(e, &p->cwd, buf, strlen(buf));
	if (read_file(dfd, "loginuid", buf, 32) > 0)
		p->loginuid = (uint32_t)strtoul(buf, NULL, 10);
	read_cgroup(e, p, dfd, "cgroup");

	c.e = e;
	c.p = p;
	c.m = m;
	c.dfd = dfd;
	/* one thread (most processes): the process's stat was its own */
	if (nthreads == 1 && !kd__thread_find(e, pid)) {
		struct kd_thread *t = kd__thread_new(e, p, pid);

		if (t) {
			memcpy(t->comm, comm, sizeof(comm));
			t->start_ns = p->start_ns;
		}
	} else {
		each_number(dfd, "task", scan_thread, &c);
	}
	if (!p->nthreads) { /* gone while we read it */
		kd__proc_free(e, p);
		return NULL;
	}
	each_number(dfd, "fd", scan_fd, &c);
	return p;
}

static struct kd__proc *read_proc(struct kd__enrich *e, uint32_t pid, struct kd__netmap *m)
{
	struct kd__proc *p = kd__proc_find(e, pid);
	int dfd;

	if (p)
		return p;
	dfd = proc_dir(pid);
	if (dfd < 0)
		return NULL;
	p = read_proc_at(e, pid, dfd, m);
	close(dfd);
	return p;
}

struct kd__proc *kd__proc_read(struct kd__enrich *e, uint32_t pid)
{
	struct kd__proc *p = read_proc(e, pid, NULL);

	if (p && !p->parent && p->ppid)
		kd__proc_set_parent(e, p, p->ppid);
	return p;
}

static void scan_proc(unsigned long pid, void *arg)
{
	struct scan_ctx *c = arg;

	read_proc(c->e, (uint32_t)pid, c->m);
}

int kd__proc_scan(struct kd__enrich *e)
{
	struct scan_ctx c = { .e = e };
	int err;

	c.m = calloc(1, sizeof(*c.m));
	if (!c.m)
		return -ENOMEM;
	err = each_number(AT_FDCWD, "/proc", scan_proc, &c);
	kd__netmap_free(c.m);
	free(c.m);
	if (err < 0)
		return err;
	kd__proc_link_all(e);
	return 0;
}
