/* SPDX-License-Identifier: MIT */
/*
 * kindling.h: one API over Linux kernel events.
 *
 *   struct kd_handle *h;
 *   KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_AUTO, .timeout_ms = 100);
 *   int err = kd_open(&o, &h);
 *   const struct kd_event *ev;
 *   while ((err = kd_next(h, &ev)) >= 0)
 *           if (err == 0) handle(ev);   // else KD_TIMEOUT; KD_EOF ends a replay
 *   kd_close(h);
 *
 * Conventions: functions return 0, a positive status (KD_TIMEOUT, KD_EOF) or
 * a negative error: -errno or one of kindling's own codes (enum kd_err).
 * kd_strerror() names a code; kd_last_error() says what failed on a handle
 * and what to do about it. Objects come out through out-params. Handles and
 * events are opaque; the only structs that cross the ABI are size-tagged
 * (opts, stats) or fixed forever (struct kd_value). The library never prints:
 * its only output is the log callback in the opts.
 */
#ifndef KINDLING_H
#define KINDLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kindling/version.h>
#include <kindling/events.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KD_API
#define KD_API __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------ errors */

/* XX(name, value, message). Positive values are statuses, not errors. */
#define KD_ERRNO_MAP(XX)                                                         \
	XX(TIMEOUT, 1, "no event before the timeout")                            \
	XX(EOF, 2, "end of the event stream")                                    \
	XX(ETRUNCATED, -4001, "record truncated: shorter than its header")       \
	XX(EBADLEN, -4002, "record length runs past the buffer")                 \
	XX(EBADPARAMS, -4003, "record parameter count or lengths are wrong")     \
	XX(EUNKNOWN, -4004, "unknown event type id")                             \
	XX(ESCHEMA, -4005, "record from a newer, unknown schema version")        \
	XX(EEMPTY, -4006, "empty input buffer")                                  \
	XX(ENOENGINE, -4007, "engine not built into this library")               \
	XX(EENGINE, -4008, "engine not usable on this system")                   \
	XX(EBADFILE, -4009, "malformed capture file")                            \
	XX(EBADOPT, -4010, "invalid option")                                     \
	XX(ENOPARAM, -4011, "no such parameter")                                 \
	XX(ENOTSUP, -4012, "not supported by this engine")                       \
	XX(ENOPERM, -4013, "missing privileges")                                 \
	XX(EBADKIND, -4014, "parameter kind does not match the request")

enum kd_err {
#define KD__ERR_ENUM(name, val, msg) KD_##name = (val),
	KD_ERRNO_MAP(KD__ERR_ENUM)
#undef KD__ERR_ENUM
};

/** @brief **kd_strerror()** message for any return code: KD_* codes, -errno, 0. Never NULL. */
KD_API const char *kd_strerror(int err);
/** @brief **kd_err_name()** symbolic name of a code ("KD_EBADLEN", "EPERM"). Never NULL. */
KD_API const char *kd_err_name(int err);

/* ------------------------------------------------------------------ version */

/** @brief **kd_version()** KD_VERSION_HEX of the library actually linked. */
KD_API uint32_t kd_version(void);
/** @brief **kd_version_string()** "MAJOR.MINOR.PATCH". */
KD_API const char *kd_version_string(void);
/** @brief **kd_schema_version()** version of the compiled-in event schema. */
KD_API uint32_t kd_schema_version(void);

/* ------------------------------------------------------------------ opts */

/* Declares and zero-fills a size-tagged opts struct: plain C11. */
#define KD_OPTS(TYPE, NAME, ...)                                                 \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

enum kd_engine {
	KD_ENGINE_AUTO = 0,    /* best that works: core, then classic, then kmod */
	KD_ENGINE_CORE = 1,    /* CO-RE eBPF (libbpf, BTF) */
	KD_ENGINE_CLASSIC = 2, /* classic eBPF (own loader, no BTF needed) */
	KD_ENGINE_KMOD = 3,    /* kernel module char device */
	KD_ENGINE_FILE = 4,    /* replay of a capture file (opts.file) */
	KD_ENGINE_BUFFER = 5,  /* records in memory (opts.records), for tests and tools */
};

enum kd_log_level { KD_LOG_ERROR = 0, KD_LOG_WARN = 1, KD_LOG_INFO = 2, KD_LOG_DEBUG = 3 };
typedef void (*kd_log_fn)(int level, const char *msg, void *ctx);

/* kd_open_opts.flags */
#define KD_OPEN_LATENCY     (1u << 0) /* measure syscall latency (adds an entry hook) */
#define KD_OPEN_NO_ENRICH   (1u << 1) /* skip thread/fd enrichment */
#define KD_OPEN_SHARED_RING (1u << 2) /* one ring for all CPUs instead of one per CPU */
#define KD_OPEN_TRACE_SELF  (1u << 3) /* do not filter out the consumer's own process */
#define KD_OPEN_STACKS      (1u << 4) /* sched_offcpu records carry stack ids: kd_stack() */

struct kd_dump_opts; /* capture file options, below */
struct kd_filter;    /* in-kernel filters, below */

struct kd_open_opts {
	size_t sz;              /* sizeof(struct kd_open_opts): set by KD_OPTS */
	int32_t engine;         /* enum kd_engine */
	uint32_t flags;         /* KD_OPEN_* */
	int32_t timeout_ms;     /* kd_next: 0 = never block, < 0 = block forever; default 0 */
	uint32_t snaplen;       /* bytes of buffers captured; 0 = 80, max 65535 */
	uint64_t ring_bytes;    /* per ring; 0 = 8 MiB; a power of 2 >= page size. The
				 * core engine's per-CPU rings each come with a region of
				 * the same size (from 16 KiB): 2 x ring_bytes per CPU */
	const char *events;     /* comma list of events, categories or probes; NULL = all syscalls */
	const char *file;       /* KD_ENGINE_FILE: capture to replay; naming the first file
				 * of a rotated capture replays path.1, path.2, ... after it */
	const char *capture;    /* write what kd_next delivers to this capture file */
	const void *records;    /* KD_ENGINE_BUFFER: concatenated records */
	size_t records_len;
	const int32_t *pids;    /* follow only these processes and their descendants (those
	                         * they have at kd_open and those started later) */
	size_t npids;
	kd_log_fn log;          /* the library's only output channel */
	void *log_ctx;
	int32_t log_level;      /* enum kd_log_level; messages above it are dropped */
	uint32_t _reserved0;
	uint32_t max_threads;      /* enrichment: threads kept; 0 = 131072 */
	uint32_t max_fds_per_proc; /* enrichment: fds kept per process; 0 = 65536 */
	/* opts.capture: compression, block size, rotation (path.1, path.2, ...);
	 * NULL = defaults, no rotation. Read by kd_open() only. */
	const struct kd_dump_opts *capture_opts;
	/* probes beyond syscalls (kd_probe_enable): kernel-side knobs */
	uint64_t sched_min_ns;      /* sched_offcpu, sched_wakeup: only intervals at least
				     * this long; 0 = all */
	uint32_t page_fault_sample; /* page_fault_*: every Nth fault per CPU; 0 = all */
	uint32_t _reserved1;
	/* in-kernel filters from the start (kd_filter_set() changes them); NULL = none.
	 * Read by kd_open() only. */
	const struct kd_filter *filter;
};

/* ------------------------------------------------------------------ handle */

struct kd_handle;
struct kd_event;

/**
 * @brief **kd_open()** opens an event source described by opts (NULL = defaults).
 * Errors: KD_EBADOPT (bad field, sz too small, unknown engine), -EINVAL (out is NULL),
 * KD_ENOENGINE (engine not built), KD_EENGINE (engine failed to start),
 * KD_ENOPERM (privileges missing), -ENOMEM. On failure *out is NULL; the reason
 * is in kd_last_error(NULL) for this thread.
 */
KD_API int kd_open(const struct kd_open_opts *opts, struct kd_handle **out);

/**
 * @brief **kd_next()** the next event, in timestamp order. 0 with *ev set; KD_TIMEOUT when
 * none arrived within opts.timeout_ms (events read for enrichment only do not extend
 * it); KD_EOF at the end of a finite source; a negative
 * error for a malformed record (skipped: the next call goes on) or a dead source.
 * *ev stays valid until the next kd_next() or kd_close() on h.
 */
KD_API int kd_next(struct kd_handle *h, const struct kd_event **ev);

/**
 * @brief **kd_probe_enable()** switches a probe on or off while capturing. A probe is an
 * event name ("openat"), a category ("file", "net"), "syscalls" or "all".
 * Errors: KD_ENOPARAM (no such probe), KD_ENOTSUP, -EINVAL.
 */
KD_API int kd_probe_enable(struct kd_handle *h, const char *probe, bool on);

/* ------------------------------------------------------------------ probes */

/*
 * Probes beyond syscalls: every event of schema/events.def (ids >= 1000) is a
 * probe named like the event ("sched_switch", "tcp_state"); groups are the
 * categories "process", "sched", "signal" (with their syscalls), "page_fault",
 * "tcp" and "probes" (all of them). They are off unless opts.events or
 * kd_probe_enable() names them ("all" does). Switching one while capturing
 * takes effect in the kernel at once and never interrupts the others.
 *
 *   for (int i = 0; i < kd_probe_count(h); i++)
 *           printf("%-20s %-3s %s\n", kd_probe_name(h, i),
 *                  kd_probe_state(h, i) ? "on" : "off", kd_probe_attach_method(h, i));
 */
/** @brief **kd_probe_count()** number of probes beyond syscalls. Errors: -EINVAL. */
KD_API int kd_probe_count(const struct kd_handle *h);
/** @brief **kd_probe_name()** name of probe i (0..count-1); NULL out of range. */
KD_API const char *kd_probe_name(const struct kd_handle *h, int i);
/** @brief **kd_probe_state()** 1 if probe i is on, 0 if off. Errors: -EINVAL, -ERANGE. */
KD_API int kd_probe_state(const struct kd_handle *h, int i);
/**
 * @brief **kd_probe_attach_method()** how probe i reaches the kernel: "tp_btf", "raw_tp",
 * "fentry", "kprobe", or "none: <why>" (no such tracepoint, fentry/kprobe not permitted
 * here, another engine...). NULL out of range. Valid until kd_close().
 */
KD_API const char *kd_probe_attach_method(const struct kd_handle *h, int i);

/**
 * @brief **kd_stack()** the return addresses of a stack id taken by the kernel (the
 * kstack_id and ustack_id params of sched_offcpu, with KD_OPEN_STACKS), innermost
 * first: fills up to max of them into ips and returns how many there are (at most
 * KD_STACK_MAX_DEPTH). An id keeps its stack while h is open; a stack that finds its
 * slot in the kernel's table taken comes back as -EEXIST in the record instead.
 * Errors: -EINVAL, -ENOENT (no such id), KD_ENOTSUP (no KD_OPEN_STACKS, or an engine
 * without stacks: replays keep the ids but not the stacks).
 */
KD_API int kd_stack(struct kd_handle *h, int32_t id, uint64_t *ips, size_t max);
#define KD_STACK_MAX_DEPTH 64

/* ------------------------------------------------------------------ filters */

/*
 * In-kernel filters: the kernel drops what does not match before copying
 * anything, and counts it (kd_stats.filtered_task / filtered_path). An event
 * passes when it matches every kind that is set (AND across kinds) and one
 * entry of each (OR within a kind). Kinds apply to the task the event is
 * about: the calling thread for syscalls, signal_*, page_fault_* and
 * proc_*; for sched_* the thread that goes off or on the CPU (a woken
 * thread for sched_wakeup). tcp_* and packet_drop run in no task's context:
 * the task kinds never drop them. Paths apply to events with PATH params
 * (openat, stat, unlink, execve, rename...): one of them must start with a
 * prefix, compared as the syscall got it (a relative path is not resolved).
 * Events without a PATH param (read, close, fd-based fstat) pass the path
 * kind. Only the core engine filters: others return KD_ENOTSUP for a
 * non-empty filter.
 *
 *   const char *comms[] = { "nginx", "php-fpm*" }, *paths[] = { "/etc/" };
 *   KD_OPTS(kd_filter, f, .comms = comms, .ncomms = 2, .paths = paths, .npaths = 1);
 *   kd_filter_set(h, &f);
 */
#define KD_FILTER_MAX_PIDS    16  /* entries of each kind */
#define KD_FILTER_MAX_COMMS   8
#define KD_FILTER_MAX_CGROUPS 8   /* ids and paths together */
#define KD_FILTER_MAX_PATHS   8
#define KD_FILTER_COMM_LEN    15  /* bytes of a comm (TASK_COMM_LEN - 1), without a '*' */
#define KD_FILTER_PATH_LEN    127 /* bytes of a path prefix */

struct kd_filter {
	size_t sz;                    /* sizeof(struct kd_filter): set by KD_OPTS */
	const int32_t *pids;          /* processes (tgids), exactly: no children (see opts.pids) */
	size_t npids;
	const char *const *comms;     /* "name" exact, "prefix*" prefix; thread names (comm) */
	size_t ncomms;
	const uint64_t *cgroup_ids;   /* cgroup v2 ids (inode of the cgroup directory) */
	size_t ncgroup_ids;
	const char *const *cgroups;   /* cgroup v2 paths: "/sys/fs/cgroup/a/b" or "/a/b" below
				       * the cgroup2 mount. A cgroup matches with its descendants */
	size_t ncgroups;
	const char *const *paths;     /* path prefixes ("/etc/"): a plain byte prefix */
	size_t npaths;
};

/**
 * @brief **kd_filter_set()** replaces the in-kernel filters while capturing; NULL or an
 * empty filter removes them. Takes effect at once for every event kind, without restart.
 * Errors: -EINVAL (h NULL), KD_EBADOPT (too many entries, an empty or too long string, a
 * '*' not at the end of a comm, an unknown cgroup), KD_ENOTSUP (the engine cannot filter).
 */
KD_API int kd_filter_set(struct kd_handle *h, const struct kd_filter *f);

/** @brief **kd_close()** releases everything; NULL is fine. */
KD_API void kd_close(struct kd_handle *h);

/**
 * @brief **kd_last_error()** what failed last on h and what to do about it ("" if nothing).
 * With h NULL: the last kd_open() failure on this thread.
 */
KD_API const char *kd_last_error(const struct kd_handle *h);

/** @brief **kd_engine_name()** "core", "classic", "kmod", "file", "buffer", "auto". */
KD_API const char *kd_engine_name(int engine);
/** @brief **kd_handle_engine()** the engine h actually runs (never KD_ENGINE_AUTO). */
KD_API int kd_handle_engine(const struct kd_handle *h);

/* ------------------------------------------------------------------ stats */

enum kd_drop_reason {
	KD_DROP_BUFFER_FULL = 0, /* ring had no room */
	KD_DROP_TOO_BIG = 1,     /* record larger than the kernel scratch */
	KD_DROP_RECURSION = 2,   /* program re-entered on a CPU (kernel skipped it) */
	KD_DROP_NO_STATE = 3,    /* per-thread entry state missing or map full */
	KD_DROP_INVALID = 4,     /* record rejected by the decoder */
	KD_DROP__MAX = 8,
};

struct kd_stats {
	size_t sz;                      /* sizeof(struct kd_stats), set by the caller */
	uint64_t events;                /* delivered by kd_next */
	uint64_t drops;                 /* sum of drops_by_reason */
	uint64_t drops_by_reason[KD_DROP__MAX];
	uint64_t kernel_events;         /* records the kernel side produced */
	uint64_t filtered;              /* seen in the kernel, not copied (unselected; machine-wide) */
	uint64_t bytes;                 /* record bytes consumed */
	uint32_t ncpus;                 /* per-CPU rings; kd_stats_cpu() for each */
	uint32_t _reserved0;
	/* enrichment (all 0 with KD_OPEN_NO_ENRICH) */
	uint64_t enrich_threads;        /* threads in the table now */
	uint64_t enrich_procs;          /* processes in the table now */
	uint64_t enrich_fds;            /* fds in the table now */
	uint64_t enrich_bytes;          /* heap bytes the tables hold */
	uint64_t enrich_thread_evictions; /* threads dropped because max_threads was hit */
	uint64_t enrich_fd_evictions;   /* fds dropped because max_fds_per_proc was hit */
	uint64_t enrich_proc_lookups;   /* /proc lookups for threads or fds first seen in events */
	uint64_t enrich_lookups_limited; /* lookups skipped by the rate limit */
	/* state syscalls the kernel side captured only to keep the tables exact
	 * (not selected, not delivered); kernel_events leaves them out, so
	 * events + drops == kernel_events still holds */
	uint64_t enrich_events;
	/* in-kernel filters (kd_filter): events dropped before anything was copied */
	uint64_t filtered_task;         /* by the pid, comm or cgroup kinds; sched_offcpu and
					 * sched_wakeup count when the thread would have been
					 * reported (back on a CPU), before sched_min_ns */
	uint64_t filtered_path;         /* by the path-prefix kind */
};

struct kd_cpu_stats {
	size_t sz;
	uint64_t events;
	uint64_t drops;
	uint64_t ring_size;             /* bytes */
	uint64_t ring_high_water;       /* most bytes ever pending */
};

/** @brief **kd_stats()** counters so far. Errors: -EINVAL, KD_EBADOPT (sz too small). */
KD_API int kd_stats(struct kd_handle *h, struct kd_stats *st);
/** @brief **kd_stats_cpu()** one ring's counters. Errors: -EINVAL, -ERANGE (no such cpu). */
KD_API int kd_stats_cpu(struct kd_handle *h, unsigned cpu, struct kd_cpu_stats *st);

/* ------------------------------------------------------------------ schema */

enum kd_category {
	KD_CAT_UNKNOWN = 0,
	KD_CAT_FILE = 1,
	KD_CAT_NET = 2,
	KD_CAT_PROCESS = 3,
	KD_CAT_MEMORY = 4,
	KD_CAT_IPC = 5,
	KD_CAT_SIGNAL = 6,
	KD_CAT_TIME = 7,
	KD_CAT_SECURITY = 8,
	KD_CAT_SYSTEM = 9,
	KD_CAT_SCHED = 10,  /* scheduling, waiting, io multiplexing */
	KD_CAT__COUNT
};

/* Semantic kind of a parameter: how to interpret and show it. */
enum kd_param_kind {
	KD_PK_INT = 0,       /* signed integer */
	KD_PK_UINT = 1,      /* unsigned integer */
	KD_PK_HEX = 2,       /* integer best shown in hex (cookies, keys, masks) */
	KD_PK_FD = 3,        /* file descriptor */
	KD_PK_DIRFD = 4,     /* fd or AT_FDCWD */
	KD_PK_PID = 5,
	KD_PK_UID = 6,
	KD_PK_GID = 7,
	KD_PK_SIGNAL = 8,
	KD_PK_FLAGS = 9,     /* bit set, see kd_event_type_param_set() */
	KD_PK_ENUM = 10,     /* one value of a named set */
	KD_PK_MODE = 11,     /* file mode bits */
	KD_PK_PTR = 12,      /* user address, not followed */
	KD_PK_SIZE = 13,
	KD_PK_OFFSET = 14,
	KD_PK_PATH = 15,     /* string: a file system path */
	KD_PK_STR = 16,      /* string */
	KD_PK_BUF = 17,      /* bytes of a user buffer, up to snaplen */
	KD_PK_SOCKADDR = 18, /* struct sockaddr bytes */
	KD_PK_IOVEC = 19,    /* data gathered from an iovec array, up to snaplen */
	KD_PK_ARGV = 20,     /* NUL-separated string array */
	KD_PK_TIMESPEC = 21,
	KD_PK_TIMEVAL = 22,
	KD_PK_ITIMERSPEC = 23,
	KD_PK_ITIMERVAL = 24,
	KD_PK_FDPAIR = 25,   /* int[2] (pipe, socketpair) */
	KD_PK_SIGSET = 26,
	KD_PK_RLIMIT = 27,
	KD_PK_ERRNO = 28,    /* an errno value (results, exit codes) */
	KD_PK_SOCKTUPLE = 29, /* not an argument: struct kd_sock_tuple, the socket at exit */
	KD_PK_PFLAGS = 30,   /* not an argument: bit flags a pointer argument points to
			      * (clone3's clone_args.flags), read at exit; shown as FLAGS */
	KD_PK_WSTATUS = 31,  /* not an argument: the int wait status a pointer argument
			      * points to, read at exit when the call reported a child
			      * (wait4's status); 4 bytes, or none */
	KD_PK_POLLFDS = 32,  /* not an argument: the struct pollfd array a pointer argument
			      * points to, read at exit (poll's and ppoll's fds): 8 bytes
			      * per entry, as struct pollfd (int fd, short events, short
			      * revents, little endian), up to 32 entries (then
			      * KD_VAL_TRUNCATED); revents are the call's when its result
			      * is >= 0; events and revents use the poll_events set */
	KD_PK_SIGACTION = 33, /* not an argument: the kernel's struct sigaction a pointer
			       * argument points to, read at exit (rt_sigaction's action and
			       * old_action): u64 handler (0 SIG_DFL, 1 SIG_IGN), u64 flags
			       * (set sa_flags), u64 restorer, u64 mask (bit n-1: signal n),
			       * 32 bytes little endian, or none */
	KD_PK_CHLDINFO = 34, /* not an argument: the head of the siginfo_t a pointer argument
			      * points to, read at exit when the call succeeded (waitid's
			      * info): i32 si_signo (SIGCHLD, 0: no child), i32 si_errno,
			      * i32 si_code (set cld_code), pad, i32 si_pid, u32 si_uid,
			      * i32 si_status (exit code, or the signal), pad; 32 bytes */
	KD_PK_STAT = 35,     /* not an argument: the struct stat a pointer argument points to,
			      * read at exit when the call succeeded (stat, fstat, lstat,
			      * newfstatat): its first 120 bytes, x86-64 layout (through
			      * st_ctime_nsec); read it with kd_value_stat() */
	KD_PK_STATX = 36,    /* not an argument: the struct statx statx() filled, read at
			      * exit when the call succeeded: its first 144 bytes (through
			      * stx_dev_minor); read it with kd_value_stat() */
	KD_PK_EPOLLEVENT = 37, /* not an argument: the struct epoll_event a pointer argument
				* points to, read at exit (epoll_ctl's ev): u32 events (set
				* epoll_events), u64 data, 12 bytes little endian, packed */
	KD_PK_EPOLLEVENTS = 38, /* not an argument: the struct epoll_event array the call
				 * filled, read at exit (epoll_wait's ready): as many 12-byte
				 * entries as it returned, up to 32 (then KD_VAL_TRUNCATED) */
	KD_PK_SOCKOPT = 39,  /* a socket option (setsockopt's and getsockopt's optname), named
			      * by the level param before it: kd_sockopt_name() */
	KD_PK_OPENHOW = 40,  /* not an argument: the struct open_how a pointer argument points
			      * to, read at exit (openat2's open_how): u64 flags (the row's
			      * set, open_flags), u64 mode, u64 resolve (set resolve_flags),
			      * 24 bytes little endian */
	KD_PK_DIRENTS = 41,  /* getdents64's buffer, read as BUF (up to snaplen): struct
			      * linux_dirent64 entries (u64 ino, s64 off, u16 reclen, u8 type
			      * (set dirent_type), name), the last one possibly cut */
	KD_PK_FCNTLARG = 42, /* fcntl's arg: flags, a signal, a number or a pointer, as the cmd
			      * param before it says: kd_event_param_set() */
	KD_PK_FLOCK = 43,    /* not an argument: the struct flock fcntl's arg points to, read at
			      * exit for the record-lock commands (F_GETLK, F_SETLK, F_SETLKW,
			      * F_OFD_*; F_GETLK's as the call answered): i16 l_type (the
			      * row's set, fcntl_lease: F_RDLCK..), i16 l_whence (SEEK_SET..),
			      * pad, i64 l_start, i64 l_len, i32 l_pid, pad; 32 bytes little
			      * endian; none for other commands */
	KD_PK_FDSETS = 44,   /* not an argument: select's and pselect6's fd sets (in, out, ex)
			      * as the call left them, the ready fds, read at exit when it
			      * returned > 0 (ready, schema 8): walk them with
			      * kd_value_fdset_next(); up to fd 1023 (then KD_VAL_TRUNCATED) */
	KD_PK_IOCTLDATA = 45, /* not an argument: what ioctl's arg points to, for the tty and fd
			       * commands kindling knows (data, schema 8), read at exit: the
			       * kernel's answer when the call succeeded (TCGETS, TIOCGWINSZ,
			       * FIONREAD...), or what it was handed (TCSETS*, TIOCSWINSZ,
			       * FIONBIO...); none for other commands. Its length says what it
			       * is: 4 bytes an int; 8 a struct winsize (u16 ws_row, ws_col,
			       * ws_xpixel, ws_ypixel); 36 the kernel's struct termios (u32
			       * c_iflag, c_oflag, c_cflag, c_lflag, u8 c_line, u8 c_cc[19]) */
	KD_PK_MMSGS = 46,    /* not an argument: the messages sendmmsg or recvmmsg moved (msgs,
			      * schema 9), as many as it returned up to 8 (then
			      * KD_VAL_TRUNCATED), read at exit: walk them with
			      * kd_value_mmsg(); none when the call moved none */
	KD_PK__COUNT
};

/* kd_event_type_flags() */
#define KD_EF_SYSCALL       (1u << 0)
#define KD_EF_CREATES_FD    (1u << 1)
#define KD_EF_CLOSES_FD     (1u << 2)
#define KD_EF_USES_FD       (1u << 3)
#define KD_EF_READS         (1u << 4)
#define KD_EF_WRITES        (1u << 5)
#define KD_EF_PROC_STATE    (1u << 6) /* changes process state (ids, cwd, creds, exec) */
#define KD_EF_NORETURN      (1u << 7) /* emitted at entry: never returns */
#define KD_EF_ENTRY_ARGS    (1u << 8) /* some params read at entry */
#define KD_EF_BLOCKING      (1u << 9) /* may block */

/** @brief **kd_event_type_max()** one past the highest event id; ids below it may be unused. */
KD_API int kd_event_type_max(void);
/** @brief **kd_event_type_count()** number of defined event types. */
KD_API size_t kd_event_type_count(void);
/** @brief **kd_event_type_at()** id of the idx-th defined type (0..count-1), -ERANGE past it. */
KD_API int kd_event_type_at(size_t idx);
/** @brief **kd_event_type_by_name()** id for a name ("openat"), KD_EUNKNOWN if none. */
KD_API int kd_event_type_by_name(const char *name);
/** @brief **kd_event_type_name()** name of an id, NULL for an unused id. */
KD_API const char *kd_event_type_name(int type);
KD_API int kd_event_type_category(int type);        /* enum kd_category */
KD_API uint32_t kd_event_type_flags(int type);      /* KD_EF_* */
KD_API int kd_event_type_syscall_nr(int type);      /* x86_64 number, -1 if not a syscall */
KD_API int kd_event_type_nparams(int type);         /* KD_EUNKNOWN for an unused id */
KD_API const char *kd_event_type_param_name(int type, unsigned i);
KD_API int kd_event_type_param_kind(int type, unsigned i);       /* enum kd_param_kind */
KD_API const char *kd_event_type_param_ctype(int type, unsigned i); /* C type ("const char *") */
KD_API const char *kd_event_type_param_set(int type, unsigned i);   /* flag set name or NULL */
KD_API int kd_event_type_result_kind(int type);     /* enum kd_param_kind of the result */
KD_API const char *kd_category_name(int cat);       /* "file", ... ; "unknown" past range */
KD_API int kd_category_by_name(const char *name);   /* KD_EUNKNOWN if none */
KD_API const char *kd_param_kind_name(int kind);    /* "fd", "path", ... */
/** @brief **kd_flags_format()** renders v with a named set ("O_RDWR|O_CREAT"); snprintf-like. */
KD_API int kd_flags_format(const char *set, uint64_t v, char *buf, size_t len);
/** @brief **kd_flags_name()** the name of the entry of a set whose value is v ("CLD_KILLED");
 * NULL when none is (or the set is unknown). For enums and single flags. */
KD_API const char *kd_flags_name(const char *set, uint64_t v);
/** @brief **kd_sockopt_name()** the name of socket option optname at level ("SO_ERROR" at
 * SOL_SOCKET, "TCP_NODELAY" at IPPROTO_TCP; SOL_SOCKET, IP, IPv6 and TCP levels), or NULL. */
KD_API const char *kd_sockopt_name(int level, int optname);
/** @brief **kd_event_param_set()** the set that names param i of ev: the type's
 * (kd_event_type_param_set()), or for a param another one qualifies the set that one picks
 * (setsockopt's optname by its level: "so_optname"; fcntl's arg by its cmd: "open_flags"
 * for F_SETFL, "fcntl_fd_flags" for F_SETFD, "signals" for F_SETSIG...). NULL: a number. */
KD_API const char *kd_event_param_set(const struct kd_event *ev, unsigned i);

/* ------------------------------------------------------------------ events */

/* A decoded parameter. Pointers point into the event and share its lifetime. */
struct kd_value {
	uint32_t kind;       /* enum kd_param_kind: the schema's, except futex's utime
			      * for a command without a timeout (schema 10):
			      * KD_PK_UINT, the register (val2 of a requeue) */
	uint32_t flags;      /* KD_VAL_* */
	int64_t i;           /* integer kinds: the value, sign-extended per C type */
	uint64_t u;          /* integer kinds: the value, zero-extended per C type */
	const void *ptr;     /* PATH/STR: NUL-terminated; other byte kinds: raw bytes */
	size_t len;          /* bytes at ptr (strings: without the NUL) */
	const char *name;    /* parameter name */
};
/*
 * Bytes of a KD_PK_SOCKTUPLE param (the "tuple" that connect, accept, accept4,
 * bind and listen carry since schema 2, sendto and sendmsg since schema 4, when
 * they name an address):
 * the socket behind the call's fd as the kernel had it when the call returned,
 * so the ephemeral port of a connect or of an unbound socket's first send,
 * the peer of accept(fd, NULL, NULL) and the port bind(0) picked are known
 * even when the process is gone. Wire format, fixed: memcpy the first
 * sizeof(struct kd_sock_tuple) bytes out (the record is unaligned). KD_VAL_NULL
 * when the fd was no socket or the call failed; the param is absent
 * (KD_ENOPARAM) in records of schema 1.
 */
struct kd_sock_tuple {
	uint16_t family;    /* AF_INET, AF_INET6, AF_UNIX... */
	uint8_t type;       /* SOCK_STREAM, SOCK_DGRAM... */
	uint8_t proto;      /* IPPROTO_TCP, IPPROTO_UDP... */
	uint16_t sport;     /* local port, host order */
	uint16_t dport;     /* remote port, host order; 0 when not connected */
	uint8_t saddr[16];  /* local address, network order (AF_INET: 4 bytes) */
	uint8_t daddr[16];  /* remote address; all 0 when not connected */
};

/*
 * A file's status, one shape for the struct stat of a KD_PK_STAT param and
 * the struct statx of a KD_PK_STATX param (the "stat" param of stat, fstat,
 * lstat, newfstatat and statx since schema 6), filled by kd_value_stat().
 */
struct kd_stat {
	uint64_t dev;       /* device of the file, encoded as stat(2)'s st_dev (makedev()) */
	uint64_t ino;
	uint64_t nlink;
	uint32_t mode;      /* file type (S_IFMT bits) and permissions */
	uint32_t uid;
	uint32_t gid;
	uint32_t mask;      /* STATX_* of the fields the kernel filled: statx's stx_mask,
			     * STATX_BASIC_STATS (0x7ff) for a struct stat */
	uint64_t rdev;      /* the device a device file stands for, encoded as dev */
	int64_t size;
	int64_t blocks;     /* 512-byte blocks allocated */
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
	uint32_t blksize;
};

#define KD_VAL_NULL      (1u << 0) /* NULL or unreadable pointer: no bytes */
#define KD_VAL_TRUNCATED (1u << 1) /* bytes cut at snaplen or a limit */
#define KD_VAL_BYTES     (1u << 2) /* ptr/len are valid (string and byte kinds) */

KD_API int kd_event_type(const struct kd_event *ev);
KD_API const char *kd_event_name(const struct kd_event *ev);
KD_API int kd_event_category(const struct kd_event *ev);
KD_API uint64_t kd_event_ts(const struct kd_event *ev);      /* ns since the epoch */
KD_API uint64_t kd_event_ts_mono(const struct kd_event *ev); /* CLOCK_MONOTONIC ns */
KD_API uint32_t kd_event_cpu(const struct kd_event *ev);
KD_API uint32_t kd_event_tid(const struct kd_event *ev);
KD_API uint32_t kd_event_pid(const struct kd_event *ev);
KD_API int64_t kd_event_result(const struct kd_event *ev);   /* -errno on failure */
KD_API bool kd_event_has_latency(const struct kd_event *ev);
KD_API uint64_t kd_event_latency(const struct kd_event *ev); /* ns, 0 if not measured */
KD_API uint32_t kd_event_record_flags(const struct kd_event *ev); /* KD_RF_* below */
/* Record flags, the same values drivers/record.h gives the kernel side
 * (identical redefinitions, so both headers may be included). */
#define KD_RF_TRUNCATED   (1u << 0) /* a param hit snaplen or a string limit */
#define KD_RF_READ_FAULT  (1u << 1) /* a user pointer could not be read */
#define KD_RF_AT_ENTRY    (1u << 2) /* emitted at entry (no exit: exit_group) */
#define KD_RF_LATENCY     (1u << 3) /* latency field is valid */
KD_API unsigned kd_event_nparams(const struct kd_event *ev);
/** @brief **kd_event_param()** param i. Errors: -EINVAL, KD_ENOPARAM (i out of range). */
KD_API int kd_event_param(const struct kd_event *ev, unsigned i, struct kd_value *out);
/** @brief **kd_value_stat()** fills st from a KD_PK_STAT or KD_PK_STATX value.
 * -EINVAL when v is anything else, null, or shorter than its struct. */
KD_API int kd_value_stat(const struct kd_value *v, struct kd_stat *st);
/**
 * @brief **kd_value_fdset_next()** the first fd above fd (start with -1) in set which
 * (0 in, 1 out, 2 ex) of a KD_PK_FDSETS value: -1 when there is none or the call was not
 * given that set. -EINVAL (v NULL, which > 2, fd < -1), KD_EBADKIND (v is no KD_PK_FDSETS
 * value with bytes), KD_EBADPARAMS (its bytes do not hold what their header says).
 */
KD_API int kd_value_fdset_next(const struct kd_value *v, unsigned which, int fd);
/**
 * @brief **kd_value_mmsg()** message k (from 0) of a KD_PK_MMSGS value: *len its msg_len
 * (the bytes the kernel moved), addr its msg_name (KD_PK_SOCKADDR, KD_VAL_NULL when it had
 * none) and data what its msg_iov held (KD_PK_IOVEC, up to msg_len and snaplen;
 * KD_VAL_TRUNCATED when cut); any of the three may be NULL. They point into v's bytes.
 * 1 when message k is there, 0 past the last one kept. -EINVAL (v NULL), KD_EBADKIND (v is
 * no KD_PK_MMSGS value with bytes), KD_EBADPARAMS (its bytes do not hold what they say).
 */
KD_API int kd_value_mmsg(const struct kd_value *v, unsigned k, uint32_t *len, struct kd_value *addr,
			 struct kd_value *data);
/** @brief **kd_event_param_by_name()** as kd_event_param(); KD_ENOPARAM for an unknown name. */
KD_API int kd_event_param_by_name(const struct kd_event *ev, const char *name, struct kd_value *out);
/**
 * @brief **kd_event_param_format()** param i as strace shows it ("O_RDONLY|O_CLOEXEC",
 * "127.0.0.1:80", "\"abc\\n\"..."). snprintf-like: returns the length it needed
 * (without NUL); negative on error.
 */
KD_API int kd_event_param_format(const struct kd_event *ev, unsigned i, char *buf, size_t len);
/** @brief **kd_event_result_format()** "3", "-2 ENOENT", "0x7f..." for pointers. */
KD_API int kd_event_result_format(const struct kd_event *ev, char *buf, size_t len);
/** @brief **kd_event_record()** the raw record behind ev (drivers/record.h) and its length. */
KD_API const void *kd_event_record(const struct kd_event *ev, size_t *len);

/** @brief **kd_errno_name()** "ENOENT" for 2 (positive errno), NULL if unknown. */
KD_API const char *kd_errno_name(int errnum);
/** @brief **kd_signal_name()** "SIGUSR1" for 10, NULL if unknown. */
KD_API const char *kd_signal_name(int sig);

/* ------------------------------------------------------------------ enrichment */

/*
 * Unless KD_OPEN_NO_ENRICH, a live handle scans /proc at kd_open and then keeps
 * a table of threads, processes and their fds current from the events; every
 * event comes with its thread and, for events that use or create an fd, that
 * fd. Replays (file, buffer engines) build the tables from the events alone.
 *
 *   const struct kd_thread *t = kd_event_thread(ev);
 *   const struct kd_fd *f = kd_event_fd(ev);
 *   char s[256];
 *   if (t && f && kd_fd_format(f, s, sizeof(s)) >= 0)
 *           printf("%s(%u) %s\n", kd_thread_comm(t), kd_thread_pid(t), s);
 *
 * Pointers returned here stay valid until the next kd_next() or kd_close();
 * strings are never NULL ("" when unknown) unless said otherwise.
 */
struct kd_thread;
struct kd_fd;

enum kd_fd_type {
	KD_FD_UNKNOWN = 0,
	KD_FD_FILE = 1,      /* regular file, device, fifo: kd_fd_path() */
	KD_FD_DIR = 2,
	KD_FD_IPV4 = 3,      /* AF_INET socket: tuple, kd_fd_proto() */
	KD_FD_IPV6 = 4,
	KD_FD_UNIX = 5,      /* AF_UNIX socket: kd_fd_path() is the bound or peer path */
	KD_FD_NETLINK = 6,
	KD_FD_SOCKET = 7,    /* socket of another family (kd_fd_sock_family()) */
	KD_FD_PIPE = 8,
	KD_FD_EVENT = 9,     /* eventfd */
	KD_FD_SIGNAL = 10,   /* signalfd */
	KD_FD_TIMER = 11,    /* timerfd */
	KD_FD_INOTIFY = 12,
	KD_FD_EPOLL = 13,
	KD_FD_MEMFD = 14,    /* kd_fd_path() is the memfd name */
	KD_FD_BPF = 15,
	KD_FD_USERFAULT = 16,
	KD_FD_IO_URING = 17,
	KD_FD_PIDFD = 18,
	KD_FD_FANOTIFY = 19,
	KD_FD_PERF = 20,
	KD_FD_MOUNT = 21,    /* fsopen, fsmount, open_tree, fspick */
	KD_FD_TYPE__COUNT
};

enum kd_fd_role { KD_FD_ROLE_NONE = 0, KD_FD_ROLE_CLIENT = 1, KD_FD_ROLE_SERVER = 2 };

/* kd_thread_flags() */
#define KD_THREAD_INCOMPLETE (1u << 0) /* first seen in an event and /proc had nothing */
#define KD_THREAD_EXITING    (1u << 1) /* this event ends it; gone at the next kd_next, or
					    * when the process ends, after its proc_exit */

/** @brief **kd_event_thread()** the thread ev came from; NULL without enrichment. */
KD_API const struct kd_thread *kd_event_thread(const struct kd_event *ev);
/**
 * @brief **kd_event_fd()** the fd ev creates (an fd result; the first of a pipe pair)
 * or else uses (its first fd param), as it is while ev is delivered (a close shows
 * what it closes). NULL when the event has no fd, the fd is not known, or without
 * enrichment.
 */
KD_API const struct kd_fd *kd_event_fd(const struct kd_event *ev);
/**
 * @brief **kd_event_param_fd()** the fd that param i (an fd or dirfd param) names, as
 * the table has it while ev is delivered: both fds of sendfile, splice or dup2 (whose
 * newfd is then the copy), a dirfd's directory. NULL when param i is no fd, the fd is
 * not known (AT_FDCWD), or without enrichment.
 */
KD_API const struct kd_fd *kd_event_param_fd(const struct kd_event *ev, unsigned i);
/** @brief **kd_thread_lookup()** the table's thread tid (no /proc lookup); NULL if unknown. */
KD_API const struct kd_thread *kd_thread_lookup(struct kd_handle *h, uint32_t tid);
/**
 * @brief **kd_thread_iter()** calls cb on every thread in the table until cb returns
 * non-zero, which it returns. Errors: -EINVAL, KD_ENOTSUP (no enrichment).
 */
KD_API int kd_thread_iter(struct kd_handle *h, int (*cb)(const struct kd_thread *t, void *ctx),
			  void *ctx);
/**
 * @brief **kd_fd_iter()** calls cb on every fd of process pid, in the order they were
 * opened, until cb returns non-zero, which it returns.
 * Errors: -EINVAL, -ESRCH (pid not in the table), KD_ENOTSUP (no enrichment).
 */
KD_API int kd_fd_iter(struct kd_handle *h, uint32_t pid,
		      int (*cb)(const struct kd_fd *f, void *ctx), void *ctx);

KD_API uint32_t kd_thread_tid(const struct kd_thread *t);
KD_API uint32_t kd_thread_pid(const struct kd_thread *t);
KD_API uint32_t kd_thread_ppid(const struct kd_thread *t);  /* 0 if unknown */
KD_API uint32_t kd_thread_sid(const struct kd_thread *t);   /* session id, 0 if unknown */
KD_API const char *kd_thread_comm(const struct kd_thread *t); /* the thread's name (comm) */
KD_API const char *kd_thread_exe(const struct kd_thread *t);
/** @brief **kd_thread_args()** argv as NUL-separated strings (argv[0] first); len gets the bytes. */
KD_API const char *kd_thread_args(const struct kd_thread *t, size_t *len);
KD_API const char *kd_thread_cwd(const struct kd_thread *t);
KD_API uint32_t kd_thread_uid(const struct kd_thread *t);   /* real ids */
KD_API uint32_t kd_thread_gid(const struct kd_thread *t);
KD_API uint32_t kd_thread_euid(const struct kd_thread *t);  /* effective ids */
KD_API uint32_t kd_thread_egid(const struct kd_thread *t);
KD_API uint32_t kd_thread_loginuid(const struct kd_thread *t); /* (uint32_t)-1 if unset */
/** @brief **kd_thread_user()** name of the effective uid (/etc/passwd, cached); NULL if none. */
KD_API const char *kd_thread_user(const struct kd_thread *t);
/** @brief **kd_thread_group()** name of the effective gid (/etc/group, cached); NULL if none. */
KD_API const char *kd_thread_group(const struct kd_thread *t);
KD_API const char *kd_thread_cgroup(const struct kd_thread *t); /* cgroup v2 path, else first */
/** @brief **kd_thread_container_id()** 12-hex short id; "" for a host process. */
KD_API const char *kd_thread_container_id(const struct kd_thread *t);
/** @brief **kd_thread_container_runtime()** "docker", "containerd", "cri-o", "podman", "kubepods"; "" on the host. */
KD_API const char *kd_thread_container_runtime(const struct kd_thread *t);
KD_API uint64_t kd_thread_start_time(const struct kd_thread *t); /* ns since the epoch, 0 unknown */
KD_API uint32_t kd_thread_flags(const struct kd_thread *t);      /* KD_THREAD_* */

KD_API int kd_fd_num(const struct kd_fd *f);
KD_API int kd_fd_type(const struct kd_fd *f);             /* enum kd_fd_type */
KD_API const char *kd_fd_type_name(int type);             /* "file", "ipv4", ...; "unknown" */
KD_API const char *kd_fd_path(const struct kd_fd *f);     /* files, dirs, unix sockets, memfds */
KD_API uint32_t kd_fd_flags(const struct kd_fd *f);       /* O_* open flags incl. O_CLOEXEC */
KD_API int kd_fd_sock_family(const struct kd_fd *f);      /* AF_*, 0 for non-sockets */
KD_API int kd_fd_sock_type(const struct kd_fd *f);        /* SOCK_STREAM, ...; 0 if unknown */
KD_API int kd_fd_proto(const struct kd_fd *f);            /* IPPROTO_TCP, ...; 0 if unknown */
KD_API const char *kd_fd_proto_name(const struct kd_fd *f); /* "tcp", "udp", ...; "" */
KD_API int kd_fd_role(const struct kd_fd *f);             /* enum kd_fd_role */
/**
 * @brief **kd_fd_local_addr()** / **kd_fd_remote_addr()** the socket's address as text
 * ("127.0.0.1", "::1", a unix path); snprintf-like. -ENOENT when not known.
 */
KD_API int kd_fd_local_addr(const struct kd_fd *f, char *buf, size_t len);
KD_API int kd_fd_remote_addr(const struct kd_fd *f, char *buf, size_t len);
/** @brief **kd_fd_local_port()** / **kd_fd_remote_port()** 0..65535; -ENOENT when not known. */
KD_API int kd_fd_local_port(const struct kd_fd *f);
KD_API int kd_fd_remote_port(const struct kd_fd *f);
/**
 * @brief **kd_fd_sockaddr()** copies the local (remote false) or remote address as a
 * struct sockaddr_in/sockaddr_in6 into sa (len bytes); returns the struct's size.
 * Errors: -EINVAL, -ENOENT (not known or not an IP socket), -ENOSPC (len too small).
 */
KD_API int kd_fd_sockaddr(const struct kd_fd *f, bool remote, void *sa, size_t len);
/**
 * @brief **kd_fd_format()** "file:/etc/hosts", "tcp:127.0.0.1:4000->127.0.0.1:8080"
 * (client->server when the role is known, else local->remote), "unix:/run/x.sock",
 * "pipe"; snprintf-like.
 */
KD_API int kd_fd_format(const struct kd_fd *f, char *buf, size_t len);

/* ------------------------------------------------------------------ capture files */

/*
 * Capture files (docs/capture-format.md) hold records in zlib-compressed
 * blocks; KD_ENGINE_FILE replays them. kd_open_opts.capture writes all that
 * kd_next delivers; kd_dump_* lets a tool write the events it chooses:
 *
 *   struct kd_dump *d;
 *   KD_OPTS(kd_dump_opts, dopts, .max_bytes = 100 << 20);
 *   if (kd_dump_open("out.kd", &dopts, &d) == 0) {
 *           while (kd_next(h, &ev) == 0)
 *                   if (interesting(ev)) kd_dump_event(d, ev);
 *           struct kd_stats st = { .sz = sizeof(st) };
 *           if (kd_stats(h, &st) == 0) kd_dump_stats(d, &st); // what h lost, for replays
 *           kd_dump_close(d);
 *   }
 */
struct kd_dump;

#define KD_DUMP_STORE (-1) /* kd_dump_opts.level: blocks stored uncompressed */

struct kd_dump_opts {
	size_t sz;              /* sizeof(struct kd_dump_opts): set by KD_OPTS */
	int32_t level;          /* zlib 1..9; 0 = 1 (fastest); KD_DUMP_STORE = no compression */
	uint32_t block_records; /* write a block every this many records; 0 = 65536 */
	uint64_t block_bytes;   /* ... or this many record bytes; 0 = 1 MiB; max 16 MiB */
	uint64_t max_bytes;     /* rotate: go on in path.1, path.2, ... once a file has
				 * this many bytes; 0 = never */
	uint64_t max_seconds;   /* rotate once a file spans this much event time; 0 = never */
};

/**
 * @brief **kd_dump_open()** creates (truncates) a capture file at path; opts NULL = defaults.
 * Errors: -EINVAL (path or out NULL), KD_EBADOPT, -errno from open(). On failure *out is
 * NULL and the reason is in kd_last_error(NULL).
 */
KD_API int kd_dump_open(const char *path, const struct kd_dump_opts *opts, struct kd_dump **out);
/**
 * @brief **kd_dump_event()** appends ev's record (its epoch offset is taken from the first
 * event). Errors: -EINVAL, -errno from write(); the reason is in kd_dump_last_error().
 */
KD_API int kd_dump_event(struct kd_dump *d, const struct kd_event *ev);
/** @brief **kd_dump_flush()** writes pending events as a block now, so readers see them. */
KD_API int kd_dump_flush(struct kd_dump *d);
/**
 * @brief **kd_dump_stats()** writes counters st (from kd_stats() of the capturing handle) into
 * the file after the events written so far, so that a replay's kd_stats() reports what the
 * capture lost (drops by reason), its kernel_events and filtered counts. kd_dump_event()
 * writes its handle's by itself each time a block of events leaves; call this before
 * kd_dump_close() for the final counts (a tool that leaves events out on purpose may count
 * them as filtered first). Errors: -EINVAL, KD_EBADOPT (st->sz too small), -errno from write().
 */
KD_API int kd_dump_stats(struct kd_dump *d, const struct kd_stats *st);
/**
 * @brief **kd_dump_close()** writes what is pending and the index, closes and frees d
 * (NULL is fine). Returns the first error the dump met (0 if none).
 */
KD_API int kd_dump_close(struct kd_dump *d);
/** @brief **kd_dump_last_error()** what failed last on d ("" if nothing). */
KD_API const char *kd_dump_last_error(const struct kd_dump *d);

#ifdef __cplusplus
}
#endif
#endif /* KINDLING_H */
