// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * kd_core.bpf.c: the CO-RE eBPF driver. One program on raw_syscalls/sys_exit
 * emits one record (drivers/record.h) per selected syscall with its arguments
 * (read from the saved user registers) and result. A sys_enter program is
 * attached only for latency; without it, the syscalls that need more than
 * their exit (exit_group never returns, a successful execve loses its
 * registers) are served by kd_noentry.bpf.h.
 *
 * Userspace (lib/engines/core.c) fills kd_ksc_tab (by syscall nr) from the
 * schema, sets the rodata below before load, picks the program variants
 * (tp_btf or raw_tp; task storage or hash for latency) with autoload, and
 * reads the per-CPU rings.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "record.h"
#include "kd_core.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* ---- set by userspace before load (constants for the verifier) ---- */
const volatile __u32 kd_self_tgid = 0;   /* skipped unless KD_OPEN_TRACE_SELF (then 0) */
const volatile __u8 kd_filter_pids = 0;  /* only tgids in kd_follow */
const volatile __u8 kd_want_latency = 0;
const volatile __u8 kd_shared_ring = 0;  /* one ring at index 0 instead of one per CPU */
const volatile __u32 kd_snaplen = 80;
const volatile __u64 kd_ring_bytes = 8u << 20;
const volatile __u64 kd_wake_mark = 2u << 20; /* bytes per CPU between wakeups */
const volatile __u8 kd_direct = 1;       /* KD_KSC_DIRECT/DIRECT1 records skip the scratch */
/* reservation of a DIRECT1 buffer record: snaplen + KD_DIRECT1_FIXED, 8-aligned */
const volatile __u32 kd_direct1_buf = 184;

/* ---- shared with userspace through the mmap'd .bss ---- */
struct kd_ksc kd_ksc_tab[KD_MAX_SYSCALL_NR];
struct kd_bpf_cnt kd_cnt[KD_BPF_MAX_CPUS];
/* The probes' own counters: a probe can run inside another program on the
 * same CPU (an interrupt's or a page fault's tracepoint), so they add
 * atomically, and in lines of their own, so that the syscall programs
 * (which never nest in each other) keep plain increments on theirs. */
struct kd_bpf_cnt kd_cnt_probe[KD_BPF_MAX_CPUS];

/* ---- maps ---- */
struct kd_scratch {
	__u64 args[6];
	__s64 ret;
	__u32 rflags;
	__u32 mode;  /* KD_MODE_*: where string params come from */
	struct kd_ksc k;
	__u32 _pad1;
	/* what the capture helpers read through (an iovec entry, an mmsghdr):
	 * here, not on the stack, which old kernels cap at 512 bytes for the
	 * exit program and the global functions it calls together */
	__u64 iov[2];
	__u64 mmsg[8];
	__u8 buf[2 * KD_BPF_REC_LIMIT]; /* the record: header, plen[], bytes */
};

/* Keyed by CPU; userspace sizes it to the number of possible CPUs. A per-CPU
 * map cannot hold values this big. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kd_scratch);
} kd_scratch SEC(".maps");

struct kd_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};

/* One ring per CPU (or one shared), created and inserted by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct kd_ring);
} kd_rings SEC(".maps");

struct kd_lat {
	__u64 ts;
	__u64 nr;
};

/* Entry timestamps: task storage when the kernel has it (5.11+), else a hash
 * by tid. Userspace creates only the one it uses. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kd_lat);
} kd_lat_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KD_BPF_LAT_ENTRIES);
	__type(key, __u32);
	__type(value, struct kd_lat);
} kd_lat_hash SEC(".maps");

/* KD_MODE_EXEC: the exit of a successful execve/execveat. Its filename comes
 * from sched_process_exec (kd_pending.fname) and argv/envp from the new mm:
 * the entry-time copy can miss them, because BPF cannot fault in user pages
 * (a forked child's string literals often sit in file pages not mapped yet). */
#define KD_MODE_USER 0
#define KD_MODE_EXEC 1

struct kd_pending {
	__u8 rec[KD_BPF_PENDING_MAX]; /* the record as captured at entry */
	__u64 args[6];                /* the entry registers: gone after exec */
	__u32 exec;                   /* sched_process_exec filled fname */
	__u32 nr;                     /* syscall nr at entry */
	char fname[KD_STR_MAX];       /* bprm->filename, NUL-terminated */
};

/* execve records built at entry, by tid (and tgid: see kd_park()). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KD_BPF_PENDING_COUNT);
	__type(key, __u32);
	__type(value, struct kd_pending);
} kd_pending SEC(".maps");

/* tgids followed when opts.pids is set; forks of followed tgids join, and
 * a process leaves after it ended (kd_follow_exit()). The value is
 * the group leader's start_time, 0 for the ones the library put there: the
 * end of a process whose pid was already reused must not drop the new one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KD_BPF_FOLLOW_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kd_follow SEC(".maps");

/* clone3's flags for a child that shares its parent's memory, by the child's
 * tid, read in the parent at fork: the child's own read at its return races
 * the parent, which has reused the stack the struct clone_args was on
 * (pthread_create's threads showed CLONE_NEWUSER and other garbage). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KD_BPF_CLONE3_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kd_clone3_flags SEC(".maps");

#include "kd_capture.bpf.h"

#define KD_LAT_TASK 1
#define KD_LAT_HASH 2

/* 32-bit code segment: ia32 syscall numbers and registers differ. */
#define KD_USER32_CS 0x23

#define KD_NR_RT_SIGRETURN 15
#define KD_ENOSYS          38 /* -ENOSYS: what syscall(-1) returns, ax inside a syscall */

static __always_inline struct kd_bpf_cnt *kd_counters(__u32 cpu)
{
	return &kd_cnt[cpu & (KD_BPF_MAX_CPUS - 1)];
}

static __always_inline struct kd_bpf_cnt *kd_probe_counters(__u32 cpu)
{
	return &kd_cnt_probe[cpu & (KD_BPF_MAX_CPUS - 1)];
}

/* A counter that programs of any context add to. */
#define KD_CNT_ADD(c, slot) __sync_fetch_and_add(&(c)->v[slot], 1)

static __always_inline bool kd_wanted(__u32 tgid)
{
	if (tgid == kd_self_tgid)
		return false;
	if (kd_filter_pids && !bpf_map_lookup_elem(&kd_follow, &tgid))
		return false;
	return true;
}

#include "kd_filter.bpf.h"

static __always_inline void kd_read_args(struct pt_regs *regs, const bool direct, __u64 *a)
{
	if (direct) {
		a[0] = regs->di;
		a[1] = regs->si;
		a[2] = regs->dx;
		a[3] = regs->r10;
		a[4] = regs->r8;
		a[5] = regs->r9;
	} else {
		a[0] = BPF_CORE_READ(regs, di);
		a[1] = BPF_CORE_READ(regs, si);
		a[2] = BPF_CORE_READ(regs, dx);
		a[3] = BPF_CORE_READ(regs, r10);
		a[4] = BPF_CORE_READ(regs, r8);
		a[5] = BPF_CORE_READ(regs, r9);
	}
}

static __always_inline bool kd_is_compat(struct pt_regs *regs, const bool direct)
{
	__u64 cs = direct ? regs->cs : BPF_CORE_READ(regs, cs);

	return (cs & 0xffff) == KD_USER32_CS;
}

/* Wake the consumer once per kd_wake_mark bytes this CPU submitted, never
 * per record: a wakeup (an IPI to the consumer's CPU) costs more than all the
 * rest, and the consumer's short poll timer catches the tail. Counted in this
 * CPU's own counter line: asking the ring how full it is would touch the
 * consumer's cache line. */
static __always_inline __u64 kd_wake_flag(struct kd_bpf_cnt *c, __u32 len)
{
	__u64 b = c->v[KD_CNT_WAKE_BYTES] + len + 8;

	if (b >= kd_wake_mark) {
		c->v[KD_CNT_WAKE_BYTES] = 0;
		return BPF_RB_FORCE_WAKEUP;
	}
	c->v[KD_CNT_WAKE_BYTES] = b;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void *kd_ring(__u32 cpu)
{
	__u32 idx = kd_shared_ring ? 0 : cpu;

	return bpf_map_lookup_elem(&kd_rings, &idx);
}

#include "kd_region.bpf.h"

_Static_assert(__builtin_offsetof(struct kd_rec_hdr, tid) == 24 &&
		       __builtin_offsetof(struct kd_rec_hdr, pid) == 28 &&
		       __builtin_offsetof(struct kd_rec_hdr, len) == 32 &&
		       __builtin_offsetof(struct kd_rec_hdr, type) == 36 &&
		       __builtin_offsetof(struct kd_rec_hdr, cpu) == 38 &&
		       __builtin_offsetof(struct kd_rec_hdr, nparams) == 40 &&
		       __builtin_offsetof(struct kd_rec_hdr, schema) == 42 &&
		       __builtin_offsetof(struct kd_rec_hdr, flags) == 44,
	       "kd_hdr_fill() writes the header in 8-byte words");

/* The header of a record (drivers/record.h): an event of type (a syscall's
 * kd_ksc.id or a probe's id) with n params, about thread pid_tgid. */
static __always_inline void kd_hdr_fill(struct kd_rec_hdr *h, __u16 type, __u32 n, __u32 len,
					long ret, __u64 lat, __u64 now, __u64 pid_tgid, __u32 cpu,
					__u32 rflags)
{
	h->ts = now;
	h->res = ret;
	h->latency = lat;
	/* little endian, in three stores: tid then pid (pid_tgid's halves);
	 * len, type, cpu; nparams, schema, flags */
	*(__u64 *)&h->tid = pid_tgid;
	*(__u64 *)&h->len = len | (__u64)type << 32 | (__u64)(__u16)cpu << 48;
	*(__u64 *)&h->nparams = (__u16)n | (__u64)KD_SCHEMA_VERSION << 16 | (__u64)rflags << 32;
}

/* Append data to the ring of this CPU. */
static __always_inline void kd_submit(void *data, __u32 len, __u32 cpu)
{
	struct kd_bpf_cnt *c = kd_counters(cpu);
	void *ring;
	__u64 fl;

	if (kd_flt_rec_drop(data, cpu))
		return;
	c->v[KD_CNT_KERNEL_EVENTS]++;
	ring = kd_ring(cpu);
	if (!ring) {
		c->v[KD_CNT_DROP_FULL]++;
		return;
	}
	if (len + 8 > kd_ring_bytes) {
		c->v[KD_CNT_DROP_TOO_BIG]++;
		return;
	}
	fl = kd_wake_flag(c, len);
	/* a no-op (records are below the limit) that older verifiers need to
	 * bound len once it was compared with a small kd_ring_bytes */
	asm volatile("" : "+r"(len)); /* keep the compiler from dropping the mask */
	len &= KD_BPF_REC_MASK;
	if (bpf_ringbuf_output(ring, data, len, fl))
		c->v[KD_CNT_DROP_FULL]++;
}

/* A record of n register values, reserved at its exact size (a constant per
 * n, as the verifier wants) and written in place: no scratch, no copy. */
static __always_inline void kd_direct_n(const __u32 n, struct kd_ksc *k, __u64 *a, long ret,
					__u64 now, __u64 pid_tgid, __u32 cpu, __u32 rflags,
					__u64 lat)
{
	const __u32 len = KD_REC_HDR_SIZE + n * (2 + 8);
	struct kd_bpf_cnt *c = kd_counters(cpu);
	struct kd_out o;
	__u8 *r;
	__u32 i;

	c->v[KD_CNT_KERNEL_EVENTS]++;
	r = kd_out_reserve(&o, cpu, len);
	if (!r) {
		c->v[KD_CNT_DROP_FULL]++;
		return;
	}
	kd_hdr_fill((void *)r, k->id, n, len, ret, lat, now, pid_tgid, cpu, rflags);
	for (i = 0; i < n; i++) {
		*(__u16 *)(r + KD_REC_HDR_SIZE + 2 * i) = 8;
		*(__u64 *)(r + KD_REC_HDR_SIZE + 2 * n + 8 * i) = a[i];
	}
	kd_out_submit(&o, r, len, len, cpu, c);
}

static __always_inline void kd_direct_emit(struct kd_ksc *k, __u64 *a, long ret, __u64 now,
					   __u64 pid_tgid, __u32 cpu, __u32 rflags, __u64 lat)
{
	switch (k->nparams) {
	case 0:
		kd_direct_n(0, k, a, ret, now, pid_tgid, cpu, rflags, lat);
		break;
	case 1:
		kd_direct_n(1, k, a, ret, now, pid_tgid, cpu, rflags, lat);
		break;
	case 2:
		kd_direct_n(2, k, a, ret, now, pid_tgid, cpu, rflags, lat);
		break;
	case 3:
		kd_direct_n(3, k, a, ret, now, pid_tgid, cpu, rflags, lat);
		break;
	case 4:
		kd_direct_n(4, k, a, ret, now, pid_tgid, cpu, rflags, lat);
		break;
	case 5:
		kd_direct_n(5, k, a, ret, now, pid_tgid, cpu, rflags, lat);
		break;
	default:
		kd_direct_n(6, k, a, ret, now, pid_tgid, cpu, rflags, lat);
		break;
	}
}

/* An event the full ring or region had no room for. */
static __always_inline void kd_count_full(struct kd_bpf_cnt *c)
{
	c->v[KD_CNT_KERNEL_EVENTS]++;
	c->v[KD_CNT_DROP_FULL]++;
}

/* Submit a record written in place (rsv bytes reserved), unless the path
 * filter drops it. */
static __always_inline void kd_direct1_send(struct kd_out *o, __u8 *r, struct kd_bpf_cnt *c,
					    const __u32 rsv, __u32 len, __u32 cpu, const bool paths)
{
	if (paths && kd_flt_rec_drop(r, cpu)) {
		kd_out_discard(o, r);
		return;
	}
	c->v[KD_CNT_KERNEL_EVENTS]++;
	/* a ring keeps the whole reservation, a region only the record */
	kd_out_submit(o, r, len, rsv, cpu, c);
}

/* Pass len and rflags through the header of the record at r and back. The
 * verifier then knows only their bounds, not which of kd_cap_inplace()'s
 * returns (and flags) they came from, so it checks the rest of the record
 * once per shape instead of once per way the copy ended: 16 k fewer
 * instructions to verify in the exit program (of 131 k), for two stores
 * and two loads at run time. The header is written again in full later. */
static __always_inline void kd_forget(__u8 *r, __u32 *len, __u32 *rflags)
{
	volatile struct kd_rec_hdr *h = (volatile struct kd_rec_hdr *)r;

	h->len = *len;
	h->flags = *rflags;
	*len = h->len;
	*rflags = h->flags;
}

/* A record of register values and one variable param (index in k->flags,
 * kind cap), reserved at rsv bytes (a constant per kind for the verifier)
 * and written in place; hdr.len says where it ends. 0 when done (sent or
 * counted as a drop); < 0 to build it in the scratch instead (a string
 * longer than the reservation holds). cap KD_CAP_ANY: the param's own,
 * read at run time, so that kinds sharing a reservation share one inlined
 * copy (each copy is verified on its own: ~5 k instructions less). */
#define KD_CAP_ANY 0xff
static __always_inline int kd_direct1(const __u8 cap_, const __u32 rsv, struct kd_ksc *k,
				      __u64 *a, long ret, __u64 now, __u64 pid_tgid, __u32 cpu,
				      __u32 rflags, __u64 lat)
{
	const __u32 room = rsv - KD_DIRECT1_FIXED;
	struct kd_bpf_cnt *c = kd_counters(cpu);
	__u32 n = k->nparams, v = KD_KSC_VAR_IDX(k->flags), base, len, i;
	__u8 cap = cap_;
	struct kd_out o;
	__u8 *r;

	if (n > 6 || v >= n)
		return -1;
	if (cap_ == KD_CAP_ANY) /* ioctl's data is a FIXED for kd_cap_inplace() */
		cap = k->p[v].cap == KD_CAP_IOCTL ? KD_CAP_FIXED : k->p[v].cap;
	r = kd_out_reserve(&o, cpu, rsv);
	if (!r) {
		kd_count_full(c);
		return 0;
	}
	base = KD_REC_HDR_SIZE + 2 * n;
	len = kd_cap_inplace(cap, r + base + 8 * v, room, &k->p[v], a, v, ret, &rflags);
	kd_forget(r, &len, &rflags);
	/* kd_arg()'s switch split the verifier's paths by v's value: a fresh
	 * read of the table's shape (set at load, never changed) joins them;
	 * the rest was verified once per v, ~15 k instructions more */
	n = *(volatile __u8 *)&k->nparams;
	v = KD_KSC_VAR_IDX(*(volatile __u8 *)&k->flags);
	if (len > room || n > 6 || v >= n) {
		kd_out_discard(&o, r);
		return -1;
	}
	base = KD_REC_HDR_SIZE + 2 * n;
	*(__u16 *)(r + KD_REC_HDR_SIZE + 2 * v) = len;
	for (i = 0; i < 6; i++) {
		__u32 o = base + 8 * i;

		if (i >= n)
			break;
		if (i == v)
			continue;
		if (i > v)
			o += len - 8;
		*(__u16 *)(r + KD_REC_HDR_SIZE + 2 * i) = 8;
		*(__u64 *)(r + o) = a[i];
	}
	len = base + 8 * (n - 1) + len;
	kd_hdr_fill((void *)r, k->id, n, len, ret, lat, now, pid_tgid, cpu, rflags);
	kd_direct1_send(&o, r, c, rsv, len, cpu, true);
	return 0;
}

/* Length of the buffer of a fast record: the two sources of read/write and
 * pread/pwrite without a switch, the rest through kd_aux_len_a(). */
static __always_inline __u64 kd_fast_buf_len(const __u64 *a, long ret, __u8 aux)
{
	if (aux == KD_LEN_RET)
		return ret > 0 ? (__u64)ret : 0;
	if (aux == KD_LEN_ARG(2))
		return a[2];
	return kd_aux_len_a(a, ret, aux);
}

/*
 * kd_direct1() for the commonest shapes (n params, the variable one at v,
 * a buffer or a string: read/write, pread/pwrite, openat, stat, unlink...),
 * with n, v and cap compile-time constants so every offset but the ones
 * after the variable param is a constant, the registers are picked without
 * a switch and nothing is spilled for the general case. Same record, same
 * return convention as kd_direct1().
 */
static __always_inline int kd_fast1t(const __u32 n, const __u32 v, const __u8 cap, const __u32 rsv,
				     const __u32 tail, const __u32 tp, struct kd_ksc *k, __u64 *a,
				     long ret, __u64 now, __u64 pid_tgid, __u32 cpu, __u32 rflags,
				     __u64 lat)
{
	const __u32 room = rsv - KD_DIRECT1_FIXED;
	const __u32 base = KD_REC_HDR_SIZE + 2 * n;
	/* the params between the variable one and the tail (or the end) */
	const __u32 nv = tail ? n - 1 : n;
	struct kd_bpf_cnt *c = kd_counters(cpu);
	__u64 ptr = a[v];
	__u32 len = 0, tlen = 0, i;
	struct kd_out o;
	__u8 *r;
	long got;

	r = kd_out_reserve(&o, cpu, rsv + tail);
	if (!r)
		goto drop;
	if (cap == KD_CAP_STR) {
		if (ptr) {
			got = bpf_probe_read_user_str(r + base + 8 * v, room, (void *)ptr);
			if (got >= (long)room) {
				/* may be cut: the scratch path has room for all of it */
				kd_out_discard(&o, r);
				return -1;
			}
			if (got < 0)
				rflags |= KD_RF_READ_FAULT;
			else
				len = got;
		}
	} else {
		len = kd_user_into(r + base + 8 * v, room, ptr, kd_fast_buf_len(a, ret, k->p[v].aux),
				   kd_snaplen, &rflags);
	}
	for (i = 0; i < nv; i++)
		*(__u16 *)(r + KD_REC_HDR_SIZE + 2 * i) = i == v ? len : 8;
	for (i = 0; i < v; i++)
		*(__u64 *)(r + base + 8 * i) = a[i];
	for (i = v + 1; i < nv; i++)
		*(__u64 *)(r + base + len + 8 * (i - 1)) = a[i];
	if (tail) {
		/* what the call wrote, so only when it succeeded */
		if (ret >= 0 && a[tp]) {
			if (bpf_probe_read_user(r + base + len + 8 * (n - 2), tail, (void *)a[tp]))
				rflags |= KD_RF_READ_FAULT;
			else
				tlen = tail;
		}
		*(__u16 *)(r + KD_REC_HDR_SIZE + 2 * (n - 1)) = tlen;
		len = base + 8 * (n - 2) + len + tlen;
	} else {
		len = base + 8 * (n - 1) + len;
	}
	kd_hdr_fill((void *)r, k->id, n, len, ret, lat, now, pid_tgid, cpu, rflags);
	/* a buffer shape has no other variable param, so no path to filter */
	kd_direct1_send(&o, r, c, rsv + tail, len, cpu, cap == KD_CAP_STR);
	return 0;
drop:
	kd_count_full(c);
	return 0;
}

static __always_inline int kd_fast1(const __u32 n, const __u32 v, const __u8 cap, const __u32 rsv,
				    struct kd_ksc *k, __u64 *a, long ret, __u64 now, __u64 pid_tgid,
				    __u32 cpu, __u32 rflags, __u64 lat)
{
	return kd_fast1t(n, v, cap, rsv, 0, 0, k, a, ret, now, pid_tgid, cpu, rflags, lat);
}

static __always_inline int kd_direct1_emit(struct kd_ksc *k, __u64 *a, long ret, __u64 now,
					   __u64 pid_tgid, __u32 cpu, __u32 rflags, __u64 lat)
{
	__u32 v = KD_KSC_VAR_IDX(k->flags);

	if (v >= 6)
		return -1;
	/* the common shapes first, with constant offsets (kd_fast1) */
	if (k->p[v].cap == KD_CAP_BUF && v == 1) {
		if (k->nparams == 3)
			return kd_fast1(3, 1, KD_CAP_BUF, kd_direct1_buf, k, a, ret, now, pid_tgid, cpu,
					rflags, lat);
		if (k->nparams == 4)
			return kd_fast1(4, 1, KD_CAP_BUF, kd_direct1_buf, k, a, ret, now, pid_tgid, cpu,
					rflags, lat);
	}
	if (k->p[v].cap == KD_CAP_STR) {
		/* a string and a tail: only KD_TAIL_SHAPES are marked so */
#define KD_TAIL_EMIT(n_, v_, tp_, size_)                                                     \
		if (v == v_ && k->nparams == n_ && k->p[n_ - 1].cap == KD_CAP_FIXED)           \
			return kd_fast1t(n_, v_, KD_CAP_STR, KD_DIRECT1_SMALL, size_, tp_, k, a, ret, \
					 now, pid_tgid, cpu, rflags, lat);
		KD_TAIL_SHAPES(KD_TAIL_EMIT)
#undef KD_TAIL_EMIT
		if (v == 0 && k->nparams == 1)
			return kd_fast1(1, 0, KD_CAP_STR, KD_DIRECT1_SMALL, k, a, ret, now, pid_tgid, cpu,
					rflags, lat);
		if (v == 0 && k->nparams == 2)
			return kd_fast1(2, 0, KD_CAP_STR, KD_DIRECT1_SMALL, k, a, ret, now, pid_tgid, cpu,
					rflags, lat);
		if (v == 0 && k->nparams == 3)
			return kd_fast1(3, 0, KD_CAP_STR, KD_DIRECT1_SMALL, k, a, ret, now, pid_tgid, cpu,
					rflags, lat);
		if (v == 1 && k->nparams == 3)
			return kd_fast1(3, 1, KD_CAP_STR, KD_DIRECT1_SMALL, k, a, ret, now, pid_tgid, cpu,
					rflags, lat);
		if (v == 1 && k->nparams == 4)
			return kd_fast1(4, 1, KD_CAP_STR, KD_DIRECT1_SMALL, k, a, ret, now, pid_tgid, cpu,
					rflags, lat);
	}
	switch (k->p[v].cap) {
	case KD_CAP_BUF:
		return kd_direct1(KD_CAP_BUF, kd_direct1_buf, k, a, ret, now, pid_tgid, cpu, rflags, lat);
	case KD_CAP_STR:
	case KD_CAP_SOCKADDR:
	case KD_CAP_FIXED:
	case KD_CAP_IOCTL:
		return kd_direct1(KD_CAP_ANY, KD_DIRECT1_SMALL, k, a, ret, now, pid_tgid, cpu, rflags,
				  lat);
	case KD_CAP_EPOLLEV:
		return kd_direct1(KD_CAP_EPOLLEV, KD_DIRECT1_EPOLL, k, a, ret, now, pid_tgid, cpu, rflags,
				  lat);
	}
	return -1;
}

/* Build the record in this CPU's scratch; returns it or NULL. */
static __always_inline struct kd_scratch *kd_build(struct kd_ksc *k, __u64 *a, long ret,
						   __u64 now, __u64 pid_tgid, __u32 cpu,
						   __u32 rflags, __u32 mode, __u32 *lenp)
{
	struct kd_scratch *s = bpf_map_lookup_elem(&kd_scratch, &cpu);
	__u32 n, i;
	long off;

	if (!s)
		return NULL;
	s->args[0] = a[0];
	s->args[1] = a[1];
	s->args[2] = a[2];
	s->args[3] = a[3];
	s->args[4] = a[4];
	s->args[5] = a[5];
	s->ret = ret;
	s->rflags = rflags;
	s->mode = mode;
	s->k = *k;
	n = k->nparams;
	if (n > KD_KSC_MAX_PARAMS)
		n = KD_KSC_MAX_PARAMS;
	off = KD_REC_HDR_SIZE + 2 * n;
	for (i = 0; i < KD_KSC_MAX_PARAMS; i++) {
		if (i >= n)
			break;
		/* register values inline: a call per param costs more than the copy
		 * (a 7th param is synthetic, never a register) */
		if (i < 6 && k->p[i].cap == KD_CAP_VAL) {
			*(__u64 *)&s->buf[off & KD_BPF_REC_MASK] = a[i];
			*(__u16 *)&s->buf[KD_REC_HDR_SIZE + 2 * i] = 8;
			off = (off & KD_BPF_REC_MASK) + 8;
			continue;
		}
		off = k->p[i].cap == KD_CAP_MMSGS ? kd_cap_mmsgs(i, off) : kd_cap_param(i, off);
		if (off < 0)
			return NULL;
	}
	kd_hdr_fill((void *)s->buf, k->id, n, off, ret, 0, now, pid_tgid, cpu, s->rflags);
	*lenp = off & KD_BPF_REC_MASK;
	return s;
}

static __always_inline void kd_park_args(__u32 key, __u64 *a, __u32 nr)
{
	struct kd_pending *p = bpf_map_lookup_elem(&kd_pending, &key);

	if (!p)
		return;
	p->args[0] = a[0];
	p->args[1] = a[1];
	p->args[2] = a[2];
	p->args[3] = a[3];
	p->args[4] = a[4];
	p->args[5] = a[5];
	p->exec = 0;
	p->nr = nr;
}

/* execve's argv is gone after a successful exec, and so are its registers:
 * build the whole record at entry and park it with the registers (what a
 * failed call reports; a successful one is rebuilt at exit, see KD_MODE_EXEC).
 * A non-leader thread that execs successfully comes back with the leader's
 * tid, so the record is parked under the tgid too. */
static __always_inline void kd_park(struct kd_scratch *s, __u64 *a, __u32 nr, __u32 len,
				    __u64 pid_tgid, __u32 cpu)
{
	__u32 tid = (__u32)pid_tgid, tgid = pid_tgid >> 32;

	if (len > KD_BPF_PENDING_MAX) {
		struct kd_bpf_cnt *c = kd_counters(cpu);

		c->v[KD_CNT_KERNEL_EVENTS]++;
		c->v[KD_CNT_DROP_TOO_BIG]++;
		return;
	}
	/* the value is bigger than the record: the tail is filled just below */
	bpf_map_update_elem(&kd_pending, &tid, s->buf, BPF_ANY);
	kd_park_args(tid, a, nr);
	if (tid != tgid) {
		bpf_map_update_elem(&kd_pending, &tgid, s->buf, BPF_ANY);
		kd_park_args(tgid, a, nr);
	}
}

/* The exit record of a successful exec parked as p (the call's nr and
 * registers; the filename from sched_process_exec), rebuilt from the new
 * image; latency from entry_ts when measured (0: none). Ends the park. */
static __always_inline void kd_exec_record(struct kd_pending *p, __u64 entry_ts, __u64 now,
					   __u64 pid_tgid, __u32 cpu)
{
	__u32 tid = (__u32)pid_tgid, len;
	struct kd_rec_hdr *h;
	struct kd_scratch *s;

	s = kd_build(&kd_ksc_tab[p->nr & (KD_MAX_SYSCALL_NR - 1)], p->args, 0, now, pid_tgid, cpu, 0,
		     KD_MODE_EXEC, &len);
	if (s) {
		h = (void *)s->buf;
		if (kd_want_latency && entry_ts && entry_ts <= now) {
			h->latency = now - entry_ts;
			h->flags |= KD_RF_LATENCY;
		}
		kd_submit(s->buf, len, cpu);
	}
	bpf_map_delete_elem(&kd_pending, &tid);
}

/* The exit of a call parked at entry. enabled: this exit's own syscall is
 * selected. A successful execveat exits as execve (the kernel reports nr 59),
 * so the parked nr says what the call was. */
static __always_inline void kd_unpark(bool enabled, long ret, __u64 now, __u64 pid_tgid, __u32 cpu)
{
	__u32 tid = (__u32)pid_tgid;
	struct kd_pending *p = bpf_map_lookup_elem(&kd_pending, &tid);
	struct kd_rec_hdr *h;
	__u32 len;

	if (!p) {
		struct kd_bpf_cnt *c = kd_counters(cpu);

		if (!enabled) {
			c->v[KD_CNT_FILTERED]++;
			return;
		}
		/* the entry was dropped by a filter (counted there) */
		if (kd_flt_any)
			return;
		c->v[KD_CNT_KERNEL_EVENTS]++;
		c->v[KD_CNT_DROP_NO_STATE]++;
		return;
	}
	h = (void *)p->rec;
	if (ret == 0 && p->exec) {
		kd_exec_record(p, h->ts, now, pid_tgid, cpu);
		return;
	}
	if (kd_want_latency) {
		h->latency = now - h->ts;
		h->flags |= KD_RF_LATENCY;
	}
	h->ts = now;
	h->res = ret;
	h->tid = tid;
	h->pid = pid_tgid >> 32;
	h->cpu = cpu;
	len = h->len;
	if (len > KD_BPF_PENDING_MAX)
		len = KD_BPF_PENDING_MAX;
	kd_submit(p->rec, len, cpu);
	bpf_map_delete_elem(&kd_pending, &tid);
}

/* 1 while execve/execveat have no entry hook (no latency, and the kernel
 * lets kd_rename_park attach): their exit builds the record (kd_exec_exit).
 * Set by userspace with the hooks, so not a rodata constant. */
__u32 kd_exec_at_exit;

/* The exit of execve/execveat without an entry hook. A failed call returns
 * to the caller with its registers and memory intact, so its record is built
 * like any other syscall's: true tells the caller to, by the same inlined
 * kd_build() (a second copy cost ~4 k verified instructions). A successful
 * one comes back in the new image, registers cleared: kd_rename_park() kept
 * them (and sched_process_exec the filename) under this thread's tid before
 * the image was replaced. enabled: this exit's own syscall is selected. */
static __always_inline bool kd_exec_exit(__u64 nr, bool enabled, long ret, __u64 now, __u64 pid_tgid,
					 __u32 cpu)
{
	__u32 tid = (__u32)pid_tgid;
	struct kd_pending *p = bpf_map_lookup_elem(&kd_pending, &tid);
	struct kd_bpf_cnt *c = kd_counters(cpu);

	if (p && ret == 0 && p->exec) {
		kd_exec_record(p, 0, now, pid_tgid, cpu);
		return false;
	}
	if (p)
		bpf_map_delete_elem(&kd_pending, &tid);
	if (!enabled) {
		c->v[KD_CNT_FILTERED]++;
		return false;
	}
	if (!kd_flt_syscall(nr, pid_tgid))
		return false;
	if (ret == 0) {
		/* the park was lost (an LRU eviction): nothing to build from */
		c->v[KD_CNT_KERNEL_EVENTS]++;
		c->v[KD_CNT_DROP_NO_STATE]++;
		return false;
	}
	return true;
}

static __always_inline void kd_lat_store(__u32 tid, __u64 nr, __u64 now, const int lat)
{
	struct kd_lat v = { .ts = now, .nr = nr }, *l;

	if (lat == KD_LAT_TASK) {
		l = bpf_task_storage_get(&kd_lat_task, bpf_get_current_task_btf(), 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (l)
			*l = v;
	} else {
		bpf_map_update_elem(&kd_lat_hash, &tid, &v, BPF_ANY);
	}
}

static __always_inline __u64 kd_lat_take(__u32 tid, __u64 nr, __u64 now, const int lat)
{
	struct kd_lat *l;
	__u64 d = 0;

	if (lat == KD_LAT_TASK)
		l = bpf_task_storage_get(&kd_lat_task, bpf_get_current_task_btf(), 0, 0);
	else
		l = bpf_map_lookup_elem(&kd_lat_hash, &tid);
	if (l && l->nr == nr && l->ts && l->ts <= now) {
		d = now - l->ts;
		l->ts = 0;
	}
	return d;
}

#include "kd_fast.bpf.h"

static __always_inline int kd_on_exit(struct pt_regs *regs, long ret, const bool direct,
				      const int lat)
{
	__u64 nr = direct ? regs->orig_ax : BPF_CORE_READ(regs, orig_ax);
	__u32 cpu, len, rflags = 0;
	struct kd_scratch *s;
	__u64 pid_tgid, now, d = 0;
	struct kd_ksc *k;
	__u64 a[6];

	if (nr >= KD_MAX_SYSCALL_NR) {
		/* rt_sigreturn restores the registers it returns to, orig_ax
		 * -1 included; the only other exits with -1 are syscall(-1),
		 * which returns -ENOSYS, and a ptracer's skip */
		if (nr != (__u64)-1 || ret == -KD_ENOSYS)
			return 0;
		nr = KD_NR_RT_SIGRETURN;
	}
	if (direct && kd_fast_lane(regs, nr, ret))
		return 0;
	k = &kd_ksc_tab[nr];
	cpu = bpf_get_smp_processor_id();
	/* an unselected execve exit may still end a selected execveat */
	if (!(k->flags & (KD_KSC_ENABLED | KD_KSC_ENTRY_ARGS))) {
		kd_counters(cpu)->v[KD_CNT_FILTERED]++;
		return 0;
	}
	if (k->flags & KD_KSC_AT_ENTRY)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!kd_wanted(pid_tgid >> 32) || kd_is_compat(regs, direct))
		return 0;
	/* calls parked at entry were filtered there (exec changes the comm) */
	if (!(k->flags & KD_KSC_ENTRY_ARGS) && !kd_flt_syscall(nr, pid_tgid))
		return 0;
	now = bpf_ktime_get_ns();
	if (k->flags & KD_KSC_ENTRY_ARGS) {
		if (!kd_exec_at_exit) {
			kd_unpark(k->flags & KD_KSC_ENABLED, ret, now, pid_tgid, cpu);
			return 0;
		}
		if (!kd_exec_exit(nr, k->flags & KD_KSC_ENABLED, ret, now, pid_tgid, cpu))
			return 0;
		kd_read_args(regs, direct, a);
		goto build;
	}
	if (kd_want_latency) {
		d = kd_lat_take((__u32)pid_tgid, nr, now, lat);
		if (d)
			rflags |= KD_RF_LATENCY;
	}
	kd_read_args(regs, direct, a);
	if (kd_direct && (k->flags & KD_KSC_DIRECT)) {
		kd_direct_emit(k, a, ret, now, pid_tgid, cpu, rflags, d);
		return 0;
	}
	if (kd_direct && (k->flags & KD_KSC_DIRECT1) &&
	    !kd_direct1_emit(k, a, ret, now, pid_tgid, cpu, rflags, d))
		return 0;
build:
	s = kd_build(k, a, ret, now, pid_tgid, cpu, rflags, KD_MODE_USER, &len);
	if (!s)
		return 0;
	((struct kd_rec_hdr *)s->buf)->latency = d;
	kd_submit(s->buf, len, cpu);
	return 0;
}

/* A syscall that never returns is emitted now; execve's record is parked. */
static __always_inline void kd_entry_record(struct kd_ksc *k, __u32 id, __u64 *a, __u64 now,
					    __u64 pid_tgid)
{
	__u32 cpu = bpf_get_smp_processor_id(), len;
	struct kd_scratch *s;

	if (k->flags & KD_KSC_AT_ENTRY) {
		s = kd_build(k, a, 0, now, pid_tgid, cpu, KD_RF_AT_ENTRY, KD_MODE_USER, &len);
		if (s)
			kd_submit(s->buf, len, cpu);
	} else {
		s = kd_build(k, a, 0, now, pid_tgid, cpu, 0, KD_MODE_USER, &len);
		if (s)
			kd_park(s, a, id, len, pid_tgid, cpu);
	}
}

static __always_inline int kd_on_enter(struct pt_regs *regs, long id, const bool direct,
				       const int lat)
{
	__u64 pid_tgid, now;
	struct kd_ksc *k;
	__u64 a[6];
	__u8 f;

	if ((__u64)id >= KD_MAX_SYSCALL_NR)
		return 0;
	k = &kd_ksc_tab[id];
	f = k->flags;
	if (!(f & KD_KSC_ENABLED))
		return 0;
	if (!kd_want_latency && !(f & (KD_KSC_AT_ENTRY | KD_KSC_ENTRY_ARGS)))
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!kd_wanted(pid_tgid >> 32) || kd_is_compat(regs, direct))
		return 0;
	now = bpf_ktime_get_ns();
	if (kd_want_latency && !(f & KD_KSC_AT_ENTRY))
		kd_lat_store((__u32)pid_tgid, id, now, lat);
	if (!(f & (KD_KSC_AT_ENTRY | KD_KSC_ENTRY_ARGS)) || !kd_flt_syscall(id, pid_tgid))
		return 0;
	kd_read_args(regs, direct, a);
	kd_entry_record(k, id, a, now, pid_tgid);
	return 0;
}

/* ---- program variants: userspace autoloads one enter and one exit ---- */
SEC("tp_btf/sys_exit")
int BPF_PROG(kd_exit_task, struct pt_regs *regs, long ret)
{
	return kd_on_exit(regs, ret, true, KD_LAT_TASK);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(kd_exit_hash, struct pt_regs *regs, long ret)
{
	return kd_on_exit(regs, ret, true, KD_LAT_HASH);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(kd_exit_raw, struct pt_regs *regs, long ret)
{
	return kd_on_exit(regs, ret, false, KD_LAT_HASH);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(kd_enter_task, struct pt_regs *regs, long id)
{
	return kd_on_enter(regs, id, true, KD_LAT_TASK);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(kd_enter_hash, struct pt_regs *regs, long id)
{
	return kd_on_enter(regs, id, true, KD_LAT_HASH);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(kd_enter_raw, struct pt_regs *regs, long id)
{
	return kd_on_enter(regs, id, false, KD_LAT_HASH);
}

/* A successful exec: keep bprm->filename (kernel memory, always readable) for
 * the exit record. The exec'ing thread now has the leader's tid (pid); its
 * entry record was parked under both. */
static __always_inline void kd_exec_seen(__u32 tid, __u32 old_tid, const char *fname)
{
	struct kd_pending *p = bpf_map_lookup_elem(&kd_pending, &tid);

	if (!p)
		return;
	p->exec = bpf_probe_read_kernel_str(p->fname, sizeof(p->fname), fname) > 0;
	if (old_tid != tid)
		bpf_map_delete_elem(&kd_pending, &old_tid);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(kd_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	kd_exec_seen(p->pid, old_pid, bprm->filename);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(kd_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	kd_exec_seen(BPF_CORE_READ(p, pid), old_pid, BPF_CORE_READ(bprm, filename));
	return 0;
}

/* ---- probes beyond syscalls (lib/engines/core_probes.c drives them) ---- */
#include "kd_probe.bpf.h"
#include "kd_proc.bpf.h"
#include "kd_sched.bpf.h"
#include "kd_signal.bpf.h"
#include "kd_fault.bpf.h"
#include "kd_tcp.bpf.h"
#include "kd_drop.bpf.h"
#include "kd_noentry.bpf.h"

/* ---- forks, for the syscall programs ---- */

/* A fork in the parent: a followed tgid's child joins (opts.pids), and a
 * clone3 child sharing the memory gets its flags kept (kd_clone3_flags). */
static __always_inline void kd_fork_seen(__u32 ptgid, __u32 ctgid, __u32 ctid, __u64 cstart)
{
	__u64 fl;

	/* a child that cannot be followed (the map is full) loses its events:
	 * counted, never silent */
	if (kd_filter_pids && ptgid != ctgid && bpf_map_lookup_elem(&kd_follow, &ptgid) &&
	    bpf_map_update_elem(&kd_follow, &ctgid, &cstart, BPF_ANY))
		KD_CNT_ADD(kd_probe_counters(bpf_get_smp_processor_id()), KD_CNT_DROP_NO_STATE);
	/* a child nobody follows never has its clone3 shown: no flags to
	 * keep, and a stale entry of its tid cannot answer for it (a later
	 * owner of the tid that is followed comes through here again) */
	if (!(kd_ksc_tab[KD_NR_CLONE3].flags & KD_KSC_ENABLED) || !kd_wanted(ctgid))
		return;
	fl = kd_clone_flags(KD_NR_CLONE3);
	/* a vfork child runs while its parent waits, and a forked one has
	 * its own copy: their own read is right (and an entry left by a
	 * filtered thread of an earlier life of this tid must not answer) */
	if ((fl & (KD_CLONE_VM | KD_CLONE_VFORK)) == KD_CLONE_VM)
		bpf_map_update_elem(&kd_clone3_flags, &ctid, &fl, BPF_ANY);
	else
		bpf_map_delete_elem(&kd_clone3_flags, &ctid);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(kd_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	kd_fork_seen(parent->tgid, child->tgid, child->pid, child->group_leader->start_time);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(kd_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	kd_fork_seen(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid),
		     BPF_CORE_READ(child, pid), BPF_CORE_READ(child, group_leader, start_time));
	return 0;
}

/* The followed process that last ended on each CPU, still in kd_follow. */
struct kd_follow_gone {
	__u32 tgid;
	__u64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kd_follow_gone);
} kd_follow_gone SEC(".maps");

/* A followed process leaves kd_follow when it ends (its last thread exits),
 * so the map holds only the living: followed exits would otherwise fill it,
 * and then no child could join. Not at once: its proc_exit event, in a
 * program on this tracepoint that may run after this one, still has to pass
 * kd_wanted(). It goes when the next followed process ends on this CPU, by
 * which time every program of its exit has run. */
static __always_inline void kd_follow_exit(struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid), zero = 0;
	struct kd_follow_gone *g;
	__u64 *v;

	if (!kd_filter_pids || BPF_CORE_READ(p, signal, live.counter) != 0)
		return;
	if (!bpf_map_lookup_elem(&kd_follow, &tgid) || !(g = bpf_map_lookup_elem(&kd_follow_gone, &zero)))
		return;
	/* the one before, unless its pid was since taken by a followed child */
	if (g->tgid && g->tgid != tgid && (v = bpf_map_lookup_elem(&kd_follow, &g->tgid)) &&
	    (*v == 0 || *v == g->start))
		bpf_map_delete_elem(&kd_follow, &g->tgid);
	g->tgid = tgid;
	g->start = BPF_CORE_READ(p, group_leader, start_time);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kd_gone_btf, struct task_struct *p)
{
	kd_follow_exit(p);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(kd_gone_raw, struct task_struct *p)
{
	kd_follow_exit(p);
	return 0;
}
