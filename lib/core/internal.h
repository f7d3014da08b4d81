/* lib/core/internal.h: what the core, engines, enrichment and capture share. */
#ifndef KD_INTERNAL_H
#define KD_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kindling/kindling.h"
#include "record.h"

#define KD__HIDDEN __attribute__((visibility("hidden")))
#define KD__PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Largest event id + 1 the tables hold (syscalls < 1000, other events >= 1000). */
#define KD__EVENT_MAX 2048

/* Storage of a raw param value (the KD_P ctype column). */
enum kd__ctype { KD__CT_I32, KD__CT_U32, KD__CT_I64, KD__CT_U64, KD__CT_PTR };

struct kd__param {
	const char *name;
	uint8_t kind;  /* enum kd_param_kind */
	uint8_t ctype; /* enum kd__ctype */
	uint8_t len;   /* KD_LEN_* of drivers/record.h */
	uint8_t wire;  /* KD_WIRE_* of the kind: the decoder's per-param check */
	uint16_t set;  /* index into the flag sets, 0 = none */
};

struct kd__event_info {
	const char *name;      /* NULL: unused id */
	int16_t nr;            /* x86_64 syscall number, -1 for other events */
	uint8_t category;      /* enum kd_category */
	uint8_t result;        /* enum kd_param_kind */
	uint32_t flags;        /* KD_EF_* */
	uint8_t nparams;
	const struct kd__param *params;
};

/* Schema tables (lib/core/schema.c), indexed by event id. */
KD__HIDDEN extern const struct kd__event_info kd__events[KD__EVENT_MAX];
/* NULL for an unused id (the decoder asks once per record: inline) */
static inline const struct kd__event_info *kd__event_info(int type)
{
	if (type < 0 || type >= KD__EVENT_MAX || !kd__events[type].name)
		return NULL;
	return &kd__events[type];
}
KD__HIDDEN int kd__kind_wire(int kind); /* KD_WIRE_* */

/* How a register param is read: its C type, but fds are ints whatever the
 * prototype says (read's "unsigned int fd", mmap's "unsigned long fd"): -1
 * must read as -1. kd_event_param() and enrichment's readers both use it. */
static inline int kd__param_read_as(const struct kd__param *sp)
{
	return sp->kind == KD_PK_FD || sp->kind == KD_PK_DIRFD ? KD__CT_I32 : sp->ctype;
}

/* The signed value of a register param's 8 raw bytes. */
static inline int64_t kd__param_sval(const struct kd__param *sp, uint64_t raw)
{
	switch (kd__param_read_as(sp)) {
	case KD__CT_I32:
		return (int32_t)(uint32_t)raw;
	case KD__CT_U32:
		return (int64_t)(uint32_t)raw;
	default: /* I64, U64, PTR: 64-bit registers */
		return (int64_t)raw;
	}
}

/* A bytes param (not a string) of n bytes is a NULL pointer: an empty data
 * buffer is a real value, an empty struct is a NULL pointer. */
static inline bool kd__param_bytes_null(const struct kd__param *sp, size_t n)
{
	return n == 0 && sp->kind != KD_PK_BUF && sp->kind != KD_PK_IOVEC && sp->kind != KD_PK_DIRENTS;
}
/* Fill the kernel capture table (by syscall nr) for the selected ids. */
KD__HIDDEN void kd__ksc_build(struct kd_ksc *tab, size_t n, const uint8_t *enabled);

/* A value the public walkers read (kd_value_fdset_next(), kd_value_mmsg()):
 * 0 when it is of kind with bytes and at least hdr of them; KD_EBADKIND
 * (another kind, or no bytes), KD_EBADPARAMS (shorter than its header). */
static inline int kd__value_framed(const struct kd_value *v, uint32_t kind, size_t hdr)
{
	if (v->kind != kind || !(v->flags & KD_VAL_BYTES) || !v->ptr)
		return KD_EBADKIND;
	return v->len < hdr ? KD_EBADPARAMS : 0;
}

/* Flag sets of schema/flags.def (lib/core/sets.c); kd__param.set indexes
 * them. Also: kd__kind_cap(), struct kd__flag, kd__set_entries(). */
#include "schema.h"

/* A decoded event: the record plus offsets of each param (lib/core/decode.c). */
struct kd_event {
	const struct kd_rec_hdr *hdr;
	const struct kd__event_info *info;
	const uint8_t *params;           /* param bytes */
	uint16_t plen[KD_REC_MAX_PARAMS];
	uint32_t poff[KD_REC_MAX_PARAMS];
	uint64_t boot_ns;                /* epoch = boot_ns + hdr->ts */
	struct kd_handle *h;
	const void *rec;                 /* the raw record (kd_event_record) */
	struct kd_rec_hdr hcopy;         /* hdr points here: records may be unaligned */
};

/* Validate rec (len bytes, untrusted) and fill ev. 0 or a KD_E* error with
 * a message in msg (may be NULL). */
KD__HIDDEN int kd__decode(const void *rec, size_t len, struct kd_event *ev, char *msg, size_t msglen);

/* Forks noted between two delivered events; more are not noted (a replay
 * then meets those children as strangers, as before they were followed). */
#define KD__FORKS_MAX 64

struct kd_handle {
	struct kd_open_opts opts;          /* normalized copy; strings owned below */
	char *events_str, *file_str, *capture_str;
	int32_t *pids_copy;                /* opts.pids outlives the caller's array */
	const struct kd_engine_ops *ops;
	void *engine;
	uint8_t enabled[KD__EVENT_MAX];    /* selection by event id */
	struct kd_event ev;
	uint64_t boot_ns;
	uint64_t events, invalid, bytes;
	uint64_t followed;                 /* decoded, not selected: enrichment only */
	uint64_t flt_task, flt_path;       /* filtered here (kd__filter_pass) */
	struct kd__capture *capture;       /* opts.capture writer (lib/capture/), or NULL */
	struct kd__enrich *enrich;         /* thread/fd tables (lib/enrich/), NULL if off */
	struct kd__probes *probes;         /* lib/engines/core_probes.c, NULL if none */
	struct kd_flt *filter;             /* the filter in force as built (lib/core/filter.c),
					    * NULL if none: opts.filter, then kd_filter_set() */
	/* children (tids) of the forks followed for the tables only since the
	 * last delivered event: no replay sees those records, so captures write
	 * the children as updates before that event (lib/capture/dump.c) */
	uint32_t forks[KD__FORKS_MAX];
	unsigned nforks;
	bool forks_done;                   /* the event they preceded was delivered */
	char err[512];
};

/* Record an error on h (or the thread's open error when h is NULL) and
 * return code, so callers write: return kd__err(h, KD_EENGINE, "...%s", x); */
KD__HIDDEN int kd__err(struct kd_handle *h, int code, const char *fmt, ...) KD__PRINTF(3, 4);
KD__HIDDEN void kd__log(const struct kd_handle *h, int level, const char *fmt, ...) KD__PRINTF(3, 4);
KD__HIDDEN void kd__err_clear(struct kd_handle *h);

/* What a live engine selects in the kernel (en: KD__EVENT_MAX bytes):
 * h->enabled plus, unless KD_OPEN_NO_ENRICH, the syscalls that change the
 * state enrichment tracks, so a narrow selection keeps the tables exact;
 * kd_next() feeds those to enrichment and hides them (lib/enrich/enrich.c). */
KD__HIDDEN void kd__kernel_selection(const struct kd_handle *h, uint8_t *en);

/* The file engine of h replays a capture written on this host (same
 * hostname): this machine's /etc/passwd and /etc/group name its users
 * (lib/engines/file.c). false for any other engine. */
KD__HIDDEN bool kd__file_this_host(const struct kd_handle *h);

/* Pick and open h->opts.engine (AUTO tries core, classic, kmod): sets
 * h->ops and h->engine (lib/engines/engines.c). */
KD__HIDDEN int kd__engine_open(struct kd_handle *h);

/* Check f and build the kernel form into out (lib/core/filter.c); *any is
 * false when f is NULL or empty. Errors: KD_EBADOPT with the message on h
 * (NULL: the thread's open error). */
KD__HIDDEN int kd__filter_build(struct kd_handle *h, const struct kd_filter *f, struct kd_flt *out,
				bool *any);

/* Process-lifecycle syscalls (clone family, exec, exit, prctl) pass the
 * kernel's comm and path kinds when enrichment is on, so the tables see every
 * exec and fork of the processes in the pid/cgroup kinds; kd__filter_pass()
 * then applies those two kinds, with the thread as enriched after the event
 * (an exec is judged by its new name). */
KD__HIDDEN bool kd__filter_bypass(const struct kd_handle *h, int id);
KD__HIDDEN bool kd__filter_pass(struct kd_handle *h, const struct kd_event *ev);

#endif
