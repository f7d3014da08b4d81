/* lib/enrich/proc_scan.c: processes, threads and fds read from /proc: all of
 * them at kd_open, single ones when an event names a thread or fd the table
 * does not have. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enrich.h"

/* Whole small file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
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
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static ssize_t read_link(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* "pid (comm) S ppid pgrp session ... starttime(22)": comm may hold ") ". */
static bool read_stat(const char *path, char *comm, uint32_t *ppid, uint32_t *sid, uint64_t *start)
{
	char buf[1024], *open_p, *close_p;
	unsigned long long st = 0;
	unsigned pp = 0, ss = 0;
	size_t n;

	if (read_file(path, buf, sizeof(buf)) <= 0)
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
	return read_stat(path, comm, NULL, NULL, NULL);
}

bool kd__proc_read_ppid(uint32_t pid, uint32_t *ppid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	return read_stat(path, NULL, ppid, NULL, NULL);
}

/* Boot-time ticks to ns since the epoch (suspended time is not counted). */
static uint64_t ticks_ns(struct kd__enrich *e, uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0)
		hz = 100;
	return e->h->boot_ns + ticks * (1000000000ull / (uint64_t)hz);
}

static void read_status(uint32_t pid, struct kd__proc *p)
{
	char path[64], buf[4096], *l;
	unsigned a, b;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	if ((l = strstr(buf, "\nUid:")) && sscanf(l + 5, "%u %u", &a, &b) == 2)
		p->uid = a, p->euid = b;
	if ((l = strstr(buf, "\nGid:")) && sscanf(l + 5, "%u %u", &a, &b) == 2)
		p->gid = a, p->egid = b;
}

void kd__proc_read_cgroup(struct kd__enrich *e, struct kd__proc *p)
{
	char path[64], buf[4096], *line, *pick = NULL;
	size_t n, pick_len = 0;

	p->flags &= ~KD__P_CGROUP_STALE;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", p->pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
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

static struct kd_fd *read_fd(struct kd__enrich *e, struct kd__proc *p, int32_t num,
			     struct kd__netmap *m)
{
	char path[64], target[4097], info[512], *l;
	unsigned long long ino;
	unsigned flags = 0;
	struct stat st;
	struct kd_fd *f;
	int type = KD_FD_UNKNOWN;

	snprintf(path, sizeof(path), "/proc/%u/fd/%d", p->pid, num);
	if (read_link(path, target, sizeof(target)) < 0)
		return NULL;
	if (target[0] == '/') {
		if (strncmp(target, "/memfd:", 7) == 0)
			type = KD_FD_MEMFD;
		else
			type = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? KD_FD_DIR : KD_FD_FILE;
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
	snprintf(path, sizeof(path), "/proc/%u/fdinfo/%d", p->pid, num);
	if (read_file(path, info, sizeof(info)) > 0 && (l = strstr(info, "flags:")) &&
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

struct kd_fd *kd__proc_read_fd(struct kd__enrich *e, struct kd__proc *p, int32_t num)
{
	return num < 0 ? NULL : read_fd(e, p, num, NULL);
}

static bool numeric(const char *s, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && *v <= UINT32_MAX;
}

static struct kd__proc *read_proc(struct kd__enrich *e, uint32_t pid, struct kd__netmap *m)
{
	char path[64], buf[4097];
	unsigned long v;
	uint64_t start = 0;
	struct kd__proc *p;
	struct dirent *d;
	ssize_t n;
	DIR *dir;

	if (kd__proc_find(e, pid))
		return kd__proc_find(e, pid);
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	{
		uint32_t ppid = 0, sid = 0;

		if (!read_stat(path, NULL, &ppid, &sid, &start))
			return NULL;
		p = kd__proc_new(e, pid);
		if (!p)
			return NULL;
		p->ppid = ppid;
		p->sid = sid;
	}
	p->start_ns = ticks_ns(e, start);
	read_status(pid, p);
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_file(path, buf, sizeof(buf));
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
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (read_link(path, buf, sizeof(buf)) > 0)
		kd__str_set(e, &p->exe, buf, strlen(buf));
	snprintf(path, sizeof(path), "/proc/%u/cwd", pid);
	if (read_link(path, buf, sizeof(buf)) > 0)
		kd__str_set(e, &p->cwd, buf, strlen(buf));
	snprintf(path, sizeof(path), "/proc/%u/loginuid", pid);
	if (read_file(path, buf, 32) > 0)
		p->loginuid = (uint32_t)strtoul(buf, NULL, 10);
	kd__proc_read_cgroup(e, p);

	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	dir = opendir(path);
	if (dir) {
		while ((d = readdir(dir))) {
			struct kd_thread *t;
			uint64_t ts = 0;

			if (!numeric(d->d_name, &v) || kd__thread_find(e, (uint32_t)v))
				continue;
			t = kd__thread_new(e, p, (uint32_t)v);
			if (!t)
				break;
			snprintf(path, sizeof(path), "/proc/%u/task/%lu/stat", pid, v);
			if (read_stat(path, t->comm, NULL, NULL, &ts))
				t->start_ns = ticks_ns(e, ts);
		}
		closedir(dir);
	}
	if (!p->nthreads) { /* gone while we read it */
		kd__proc_free(e, p);
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	dir = opendir(path);
	if (dir) {
		while ((d = readdir(dir)))
			if (numeric(d->d_name, &v) && v <= INT32_MAX)
				read_fd(e, p, (int32_t)v, m);
		closedir(dir);
	}
	return p;
}

struct kd__proc *kd__proc_read(struct kd__enrich *e, uint32_t pid)
{
	struct kd__proc *p = read_proc(e, pid, NULL);

	if (p && !p->parent && p->ppid)
		kd__proc_set_parent(e, p, p->ppid);
	return p;
}

int kd__proc_scan(struct kd__enrich *e)
{
	struct kd__netmap *m = calloc(1, sizeof(*m));
	struct dirent *d;
	unsigned long v;
	DIR *dir;

	if (!m)
		return -ENOMEM;
	dir = opendir("/proc");
	if (!dir) {
		free(m);
		return -errno;
	}
	while ((d = readdir(dir)))
		if (numeric(d->d_name, &v))
			read_proc(e, (uint32_t)v, m);
	closedir(dir);
	kd__netmap_free(m);
	free(m);
	kd__proc_link_all(e);
	return 0;
}
