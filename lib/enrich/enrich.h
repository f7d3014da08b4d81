/* lib/enrich/enrich.h: the thread, process and fd tables behind kd_event_thread()
 * and kd_event_fd(), shared by the files of lib/enrich/. */
#ifndef KD_ENRICH_H
#define KD_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Every key here is a 4- or 8-byte integer (tid, pid, fd, uid, inode):
 * mixing it in a few instructions beats uthash's byte-wise Jenkins hash,
 * which showed in profiles of every event. All of lib/enrich/ includes this
 * header first, so every table is hashed the same way. */
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = kd__hash_key((keyptr), (keylen)))
#include <uthash.h>

#include "internal.h"

static inline unsigned kd__hash_key(const void *key, size_t len)
{
	uint64_t x;
	uint32_t v;
	unsigned h;

	if (len == sizeof(v)) {
		memcpy(&v, key, sizeof(v));
		x = v;
	} else if (len == sizeof(x)) {
		memcpy(&x, key, sizeof(x));
	} else {
		HASH_JEN(key, len, h);
		return h;
	}
	/* uthash picks buckets by the low bits: fold the high ones in */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (unsigned)x;
}

#define KD__ENRICH_MAX_THREADS 131072u
#define KD__ENRICH_MAX_FDS 65536u
#define KD__COMM_LEN 16 /* TASK_COMM_LEN */

/* One side of a socket. */
struct kd__addr {
	uint8_t set;     /* address known */
	uint8_t has_port;
	uint16_t port;   /* host order */
	uint8_t ip[16];  /* 4 bytes for AF_INET */
};

/* kd_fd.state */
#define KD__FD_CLOEXEC     (1u << 0)
#define KD__FD_LOCAL_TRIED (1u << 1) /* asked the kernel for the local side once */
/* its path is no file a write changes our tables through (special_write()
 * in fds.c): its writes cost a bit test. An entry's path is set once, when
 * it is made; copies (dup, fork) keep path and bit together. Not saved in
 * snapshots. */
#define KD__FD_PLAIN       (1u << 2)

struct kd_fd {
	int32_t num;
	uint8_t type;    /* enum kd_fd_type */
	uint8_t role;    /* enum kd_fd_role */
	uint8_t sotype;  /* SOCK_STREAM ... */
	uint8_t state;   /* KD__FD_* */
	uint16_t family; /* AF_* for sockets */
	uint16_t proto;  /* IPPROTO_* */
	uint32_t flags;  /* O_* flags */
	int32_t aux;     /* pidfd: the pid it refers to */
	struct kd__addr local, remote;
	char *path;      /* NULL when none */
	UT_hash_handle hh;
};

/* An fd table: one per process, shared by CLONE_FILES processes. */
struct kd__fdtab {
	struct kd_fd *fds; /* by num, in the order they were added */
	struct kd_fd *last; /* kd__fd_find()'s last answer: fds come in runs */
	uint32_t n, refs;
};

/* kd__proc.flags */
#define KD__P_SUBREAPER    (1u << 0)
#define KD__P_INCOMPLETE   (1u << 1) /* not from /proc nor from a parent */
#define KD__P_CGROUP_STALE (1u << 2) /* moved: read /proc/<pid>/cgroup again */
#define KD__P_EXECED       (1u << 3) /* an exec of it was seen: exe, args are its own */
#define KD__P_EXITING      (1u << 4) /* ends: goes at its proc_exit (kd__exit_begin()) */

/* What threads of one thread group share. */
struct kd__proc {
	uint32_t pid, ppid, sid;
	uint32_t uid, gid, euid, egid, loginuid;
	uint32_t nthreads;
	uint32_t flags; /* KD__P_* */
	char *exe, *args, *cwd, *cgroup;
	size_t args_len;
	char container_id[13];
	uint8_t runtime; /* enum kd__runtime */
	uint64_t start_ns;
	struct kd__fdtab *fdt;
	struct kd__enrich *e;
	struct kd__proc *children, *sib_prev, *sib_next; /* linked to the parent's entry */
	struct kd__proc *parent;
	struct kd_thread *threads; /* its threads (prev/next of struct kd_thread) */
	UT_hash_handle hh;
};

/* kd_thread.state */
#define KD__T_INCOMPLETE  (1u << 0)
#define KD__T_EXITING     (1u << 1)
#define KD__T_NEED_LOOKUP (1u << 2) /* rate limit said no: try /proc again later */

struct kd_thread {
	uint32_t tid;
	uint32_t state; /* KD__T_* */
	char comm[KD__COMM_LEN];
	uint64_t start_ns, last_ns;
	struct kd__proc *proc;
	struct kd_thread *prev, *next; /* in proc->threads */
	UT_hash_handle hh;
};

/* A clone3 child seen from the parent side only (flags unknown). */
struct kd__pending_child {
	uint32_t child, parent_tid;
	UT_hash_handle hh;
};

struct kd__user;

/* What must wait until the event that causes it has been delivered. */
enum kd__defer_kind { KD__DEFER_NONE, KD__DEFER_CLOSE, KD__DEFER_CLOSE_RANGE, KD__DEFER_THREAD_EXIT,
		      KD__DEFER_PROC_EXIT };

/* A process that ends (exit_group, or exit of its last thread) waits for
 * its proc_exit, which the kernel sends once its last thread is gone: other
 * events come between (other CPUs; other threads still dying), and the
 * proc_exit still names the thread. One whose proc_exit was lost goes after
 * this much event time, or when the list is full. */
#define KD__DYING_MAX 256
#define KD__DYING_GRACE_NS 1000000000ull

struct kd__dying {
	uint32_t pid; /* 0: its proc_exit came */
	uint64_t ts;
};

/* Threads that ended, with the time of the event that ended them: a record
 * of theirs delivered after that (the merge orders records published within
 * KD__MERGE_SLACK of each other; a producer CPU stalled longer, as under
 * emulation, publishes late) must not bring them back into the tables. */
#define KD__ENDED_MAX 64

struct kd__ended {
	uint32_t tid;
	uint64_t ts;
};

struct kd__enrich {
	struct kd_handle *h;
	bool live; /* /proc describes the traced system */
	bool names; /* /etc/passwd and /etc/group do: live, or a replay on this host */
	uint32_t max_threads, max_fds;
	struct kd_thread *threads;
	struct kd__proc *procs;
	struct kd__pending_child *pending;
	uint32_t npending;
	uint64_t nthreads, nprocs, nfds, bytes;
	uint64_t thread_evictions, fd_evictions, lookups, limited;
	/* freed fd entries kept for the next open (linked by hh.next): most
	 * closes are followed by an open */
	struct kd_fd *fd_spare;
	uint32_t nfd_spare;

	/* the event being delivered */
	const struct kd_event *cur_ev;
	const void *cur_rec;
	uint64_t cur_ts;
	struct kd_thread *cur_thread;
	struct kd_fd *cur_fd;
	bool cur_fd_known; /* cur_fd was looked up (kd_event_fd() asks lazily) */
	/* the thread kd__thread_find() returned last: a stream of events is
	 * mostly runs of one thread, so this saves most hash lookups */
	struct kd_thread *last_thread;

	struct {
		uint8_t kind; /* enum kd__defer_kind */
		uint32_t id;  /* tid or pid */
		uint32_t lo, hi;
		uint64_t ts;  /* of the event that asked */
	} defer;
	struct kd__ended ended[KD__ENDED_MAX]; /* a ring, next at ended_next */
	uint32_t ended_next;
	struct kd__dying dying[KD__DYING_MAX]; /* a ring, oldest at dying_head */
	uint32_t dying_head, ndying;

	/* /proc lookups: token bucket over CLOCK_MONOTONIC */
	uint64_t rl_last_ns;
	double rl_tokens;

	/* users.c */
	struct kd__user *users, *groups;
	bool users_loaded, groups_loaded;
};

/* enrich.c */
KD__HIDDEN int kd__enrich_open(struct kd_handle *h);
KD__HIDDEN void kd__enrich_close(struct kd_handle *h);
KD__HIDDEN void kd__enrich_event(struct kd_handle *h, const struct kd_event *ev);
KD__HIDDEN void kd__enrich_flush(struct kd_handle *h);
KD__HIDDEN void kd__enrich_stats(struct kd_handle *h, struct kd_stats *st);
KD__HIDDEN bool kd__enrich_may_lookup(struct kd__enrich *e);
KD__HIDDEN bool kd__ev_int_slow(const struct kd_event *ev, unsigned i, int64_t *v);

/* Param i of ev as an integer; false if absent or not a value. The answer of
 * kd_event_param() without filling a struct kd_value: every event asks. */
static inline bool kd__ev_int(const struct kd_event *ev, unsigned i, int64_t *v)
{
	const struct kd__param *sp;
	uint64_t raw;

	if (i >= ev->hdr->nparams)
		return false;
	sp = &ev->info->params[i];
	if (sp->wire != KD_WIRE_VAL) /* the kind's, set at build time */
		return kd__ev_int_slow(ev, i, v);
	memcpy(&raw, ev->params + ev->poff[i], sizeof(raw));
	*v = kd__param_sval(sp, raw);
	return true;
}

/* Param i of ev as bytes (a string without its NUL); false if absent, NULL
 * or a value: kd_event_param()'s answer, as above. */
static inline bool kd__ev_bytes(const struct kd_event *ev, unsigned i, const void **p, size_t *len)
{
	const struct kd__param *sp;
	unsigned n;

	*p = NULL;
	*len = 0;
	if (i >= ev->hdr->nparams)
		return false;
	sp = &ev->info->params[i];
	n = ev->plen[i];
	switch (sp->wire) {
	case KD_WIRE_VAL:
		return false;
	case KD_WIRE_STR:
		if (n == 0)
			return false;
		*p = ev->params + ev->poff[i];
		*len = n - 1;
		return true;
	default:
		if (kd__param_bytes_null(sp, n))
			return false;
		*p = ev->params + ev->poff[i];
		*len = n;
		return true;
	}
}

/* threads.c */
KD__HIDDEN struct kd_thread *kd__thread_find(struct kd__enrich *e, uint32_t tid);
KD__HIDDEN struct kd__proc *kd__proc_find(struct kd__enrich *e, uint32_t pid);
KD__HIDDEN struct kd__proc *kd__proc_new(struct kd__enrich *e, uint32_t pid);
KD__HIDDEN struct kd_thread *kd__thread_new(struct kd__enrich *e, struct kd__proc *p, uint32_t tid);
KD__HIDDEN void kd__thread_free(struct kd__enrich *e, struct kd_thread *t);
KD__HIDDEN void kd__proc_free(struct kd__enrich *e, struct kd__proc *p);
KD__HIDDEN void kd__proc_set_parent(struct kd__enrich *e, struct kd__proc *p, uint32_t ppid);
KD__HIDDEN void kd__proc_link_all(struct kd__enrich *e);
KD__HIDDEN int kd__str_set(struct kd__enrich *e, char **dst, const char *src, size_t len);
KD__HIDDEN void kd__str_take(struct kd__enrich *e, char **dst, char *s);
KD__HIDDEN struct kd_thread *kd__thread_get_slow(struct kd__enrich *e, const struct kd_event *ev);
/* The thread of ev, created if new; NULL on ENOMEM. Events come in runs of
 * one thread: the last one, when it needs nothing, costs a compare. */
static inline struct kd_thread *kd__thread_get(struct kd__enrich *e, const struct kd_event *ev)
{
	struct kd_thread *t = e->last_thread;

	if (t && t->tid == ev->hdr->tid && !(t->state & KD__T_NEED_LOOKUP)) {
		t->last_ns = ev->hdr->ts;
		return t;
	}
	return kd__thread_get_slow(e, ev);
}
KD__HIDDEN void kd__on_clone(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev);
KD__HIDDEN void kd__on_exec(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev);
KD__HIDDEN void kd__on_proc_event(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev);
KD__HIDDEN void kd__thread_exit(struct kd__enrich *e, uint32_t tid, uint64_t ts);
KD__HIDDEN void kd__exit_begin(struct kd__enrich *e, struct kd_thread *t, bool group, uint64_t ts);
KD__HIDDEN void kd__proc_exit(struct kd__enrich *e, uint32_t pid, uint64_t ts);
KD__HIDDEN void kd__exit_expire(struct kd__enrich *e, uint64_t now);
KD__HIDDEN void kd__threads_free_all(struct kd__enrich *e);

/* fds.c */
KD__HIDDEN void kd__fd_spare_free(struct kd__enrich *e);
KD__HIDDEN struct kd__fdtab *kd__fdtab_new(struct kd__enrich *e);
KD__HIDDEN struct kd__fdtab *kd__fdtab_copy(struct kd__enrich *e, const struct kd__fdtab *src);
KD__HIDDEN void kd__fdtab_unref(struct kd__enrich *e, struct kd__fdtab *t);
KD__HIDDEN struct kd_fd *kd__fd_find(struct kd__proc *p, int32_t num);
/* A fresh entry for num (replacing one that is there); NULL on ENOMEM. */
KD__HIDDEN struct kd_fd *kd__fd_add(struct kd__enrich *e, struct kd__proc *p, int32_t num, int type);
KD__HIDDEN void kd__fd_remove(struct kd__enrich *e, struct kd__proc *p, int32_t num);
KD__HIDDEN void kd__fd_close_range(struct kd__enrich *e, struct kd__proc *p, uint32_t lo, uint32_t hi,
				   bool cloexec_only);
KD__HIDDEN void kd__fd_close_on_exec(struct kd__enrich *e, struct kd__proc *p);
/* Makes p's fd table its own (exec, unshare, CLONE_FILES undone). */
KD__HIDDEN void kd__fd_unshare(struct kd__enrich *e, struct kd__proc *p);
/* Absolute, lexically cleaned path of rel seen from dirfd (AT_FDCWD: cwd). Returns
 * a malloc'd string or NULL. */
KD__HIDDEN char *kd__path_resolve(struct kd__proc *p, int32_t dirfd, const char *rel);
/* Updates the fd table from ev; sets e->cur_fd. */
KD__HIDDEN void kd__fd_event(struct kd__enrich *e, struct kd_thread *t, const struct kd_event *ev);

/* sockets.c */
/* Parses a struct sockaddr (len bytes) into family and addr; unix paths to *path. */
KD__HIDDEN int kd__sockaddr_parse(const void *sa, size_t len, struct kd__addr *a, char *path,
				  size_t pathlen);
KD__HIDDEN void kd__sock_event(struct kd__enrich *e, struct kd__proc *p, const struct kd_event *ev);
KD__HIDDEN void kd__sock_set_proto(struct kd_fd *f, int family, int type, int proto);
/* Fills the local side of f (and a missing peer) from the kernel (pidfd_getfd +
 * getsockname), checking the peer still matches. */
KD__HIDDEN void kd__sock_resolve_local(struct kd__enrich *e, struct kd__proc *p, struct kd_fd *f);
/* Fills everything of socket f (fd f->num of pid) from the kernel; false if it cannot. */
KD__HIDDEN bool kd__sock_probe(struct kd__enrich *e, uint32_t pid, struct kd_fd *f);

/* proc_scan.c */
KD__HIDDEN int kd__proc_scan(struct kd__enrich *e);
/* Reads one process (and its fds) into a new entry; NULL if it is gone. */
KD__HIDDEN struct kd__proc *kd__proc_read(struct kd__enrich *e, uint32_t pid);
KD__HIDDEN bool kd__proc_read_comm(uint32_t pid, uint32_t tid, char *comm);
KD__HIDDEN bool kd__proc_read_ppid(uint32_t pid, uint32_t *ppid);
KD__HIDDEN void kd__proc_read_cgroup(struct kd__enrich *e, struct kd__proc *p);
/* One fd of a live process from /proc/<pid>/fd/<num>; NULL if gone. */
KD__HIDDEN struct kd_fd *kd__proc_read_fd(struct kd__enrich *e, struct kd__proc *p, int32_t num);

/* procnet.c: socket inodes of /proc/<pid>/net/{tcp,tcp6,udp,udp6,unix,netlink} */
struct kd__netsock {
	uint64_t ino;
	uint16_t family, proto;
	uint8_t sotype, listening;
	struct kd__addr local, remote;
	char *path;
	UT_hash_handle hh;
};
struct kd__netmap {
	struct kd__netsock *socks;
	uint64_t *netns; /* namespaces read so far */
	size_t nnetns;
	uint8_t listen_ports[65536 / 8]; /* tcp ports someone listens on: who is the server */
};
/* Reads pid's network namespace into m unless it was read already. */
KD__HIDDEN void kd__netmap_load(struct kd__netmap *m, uint32_t pid);
KD__HIDDEN const struct kd__netsock *kd__netmap_find(const struct kd__netmap *m, uint64_t ino);
KD__HIDDEN void kd__netmap_free(struct kd__netmap *m);
/* Copies what m knows of socket ino into f (a unix path included). */
KD__HIDDEN bool kd__netmap_apply(struct kd__enrich *e, const struct kd__netmap *m, uint64_t ino,
				 struct kd_fd *f);

/* snapshot.c: the tables as a capture file's SNAPSHOT payload (docs/capture-format.md) */
/* Serializes e or, as an update, the processes sharing only's fd table into
 * a malloc'd payload of *count entries; npids > 0 keeps the processes of pids
 * and their descendants only. 0 or -ENOMEM. */
KD__HIDDEN int kd__snapshot_write(struct kd__enrich *e, const struct kd__proc *only,
				  const int32_t *pids, size_t npids, uint8_t **out, size_t *len,
				  uint32_t *count);
/* Checks a payload of count entries and, when e is not NULL, fills it (a
 * start snapshot: only while e is empty) or merges it (an update). 0, -ENOMEM
 * or KD_EBADFILE with what is wrong (and where, as a payload byte offset) in
 * msg; a payload that fails a check changes nothing. */
KD__HIDDEN int kd__snapshot_restore(struct kd__enrich *e, const uint8_t *p, size_t len, uint32_t count,
				    char *msg, size_t msglen);

/* containers.c */
enum kd__runtime { KD__RT_NONE, KD__RT_DOCKER, KD__RT_CONTAINERD, KD__RT_CRIO, KD__RT_PODMAN,
		   KD__RT_KUBEPODS };
/* Container of a /proc/<pid>/cgroup text (or one cgroup path): id gets the
 * 12-hex short id. Returns enum kd__runtime (KD__RT_NONE: host). */
KD__HIDDEN int kd__container_parse(const char *cgroup, char id[13]);
KD__HIDDEN const char *kd__runtime_name(int rt);

/* users.c */
KD__HIDDEN const char *kd__user_name(struct kd__enrich *e, uint32_t uid);
KD__HIDDEN const char *kd__group_name(struct kd__enrich *e, uint32_t gid);
KD__HIDDEN void kd__users_free(struct kd__enrich *e);

#endif
