/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_filter.bpf.h: in-kernel event filters (struct kd_filter, set at kd_open
 * or by kd_filter_set while capturing) and the bounded string helpers they
 * run on.
 *
 * The helpers compare fixed-size, zero-padded slots a word at a time under
 * a byte mask, so the verifier sees constant offsets and at most
 * KD_FLT_PATH_MAX / 8 iterations: no NUL search, no per-byte loop. They need
 * nothing but fixed-width types: tests/bpf/kd_filter_test.bpf.c runs them
 * through BPF_PROG_TEST_RUN with KD_FLT_HELPERS_ONLY defined.
 *
 * The rest is the filter state and checks, included by kd_core.bpf.c after
 * kd_counters() and kd_wanted(). Userspace (lib/engines/core.c) writes the
 * unused slot of kd_flt_map, flips kd_flt_idx, and sets kd_flt_any: with no
 * filter every hook costs one load and one predictable branch on it.
 */
#ifndef KD_FILTER_BPF_H
#define KD_FILTER_BPF_H

#include "kd_filter.h"

/* ---- bounded string helpers ---- */

/* The low n bytes (0..8) of a little-endian word. */
static __always_inline __u64 kd_str_wmask(__u32 n)
{
	return n >= 8 ? ~0ull : (1ull << (n * 8)) - 1;
}

/* Is the 16-byte name c (a comm, zero-padded) equal to pat under mask?
 * Exact names mask all 16 bytes (the zero padding must match too); a
 * prefix masks its own bytes only. Two words, no loop. */
static __always_inline bool kd_str16_match(const __u64 *c, const __u64 *pat, const __u64 *mask)
{
	return !(((c[0] ^ pat[0]) & mask[0]) | ((c[1] ^ pat[1]) & mask[1]));
}

/* Does s (slen bytes of string in a KD_FLT_PATH_MAX slot; no NUL needed)
 * start with p (plen bytes in a KD_FLT_PATH_MAX slot)? Bytes past plen in
 * either slot are never looked at. */
static __always_inline bool kd_str_prefix(const __u8 *s, __u32 slen, const __u8 *p, __u32 plen)
{
	__u32 w;

	if (plen > slen || plen > KD_FLT_PATH_MAX)
		return false;
	for (w = 0; w < KD_FLT_PATH_MAX / 8; w++) {
		__u32 o = w * 8;

		if (o >= plen)
			break;
		if ((*(const __u64 *)(s + o) ^ *(const __u64 *)(p + o)) & kd_str_wmask(plen - o))
			return false;
	}
	return true;
}

/* Exact compare of two strings in KD_FLT_PATH_MAX slots. */
static __always_inline bool kd_str_eq(const __u8 *s, __u32 slen, const __u8 *p, __u32 plen)
{
	return slen == plen && kd_str_prefix(s, slen, p, plen);
}

#ifndef KD_FLT_HELPERS_ONLY

/* ---- state, written by userspace at any time ---- */
__u32 kd_flt_any;                   /* 0: no filter in force */
__u32 kd_flt_idx;                   /* the slot of kd_flt_map in force */
__u8 kd_flt_pathmask[KD_FLT_EVENTS]; /* by event id: bit i = param i is a PATH */
/* by syscall nr: 1 = passes the comm kind and carries no path mask (process
 * lifecycle calls that enrichment must see; lib/core/filter.c judges them) */
__u8 kd_flt_bypass[KD_MAX_SYSCALL_NR];

/* Two slots: a change is written to the idle one, then kd_flt_idx flips,
 * so a program sees the old filter or the new one, never half of each. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct kd_flt);
} kd_flt_map SEC(".maps");

/* The path being compared, copied out of the record (per CPU). */
struct kd_flt_buf {
	__u8 s[KD_FLT_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kd_flt_buf);
} kd_flt_buf SEC(".maps");

/* Local views of the kernel types read (CO-RE matches them by name without
 * the ___ suffix); the cgroup ancestors changed type in 6.0. */
struct kernfs_node___kd {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup___kd {
	struct kernfs_node___kd *kn;
	int level;
} __attribute__((preserve_access_index));

struct cgroup___kd_new { /* 6.0+: struct cgroup *ancestors[] */
	int level;
	struct cgroup___kd *ancestors[0];
} __attribute__((preserve_access_index));

struct cgroup___kd_old { /* up to 5.19: u64 ancestor_ids[] */
	int level;
	__u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

struct css_set___kd {
	struct cgroup___kd *dfl_cgrp;
} __attribute__((preserve_access_index));

struct task_struct___kd {
	char comm[16];
	struct css_set___kd *cgroups;
} __attribute__((preserve_access_index));

static __always_inline struct kd_flt *kd_flt_get(void)
{
	__u32 i = kd_flt_idx & 1;

	return bpf_map_lookup_elem(&kd_flt_map, &i);
}

/* Id of the ancestor at level lv of cgroup cg, one function per kernel
 * layout: out of line, so that the compiler cannot hoist the other
 * layout's (unresolvable, poisoned) offset into the path that runs. */
static __attribute__((noinline)) __u64 kd_flt_cg_new(__u64 cg, __u64 lv)
{
	__u64 off = bpf_core_field_offset(struct cgroup___kd_new, ancestors);
	struct cgroup___kd *a = NULL;

	if (bpf_probe_read_kernel(&a, sizeof(a), (void *)(cg + off + 8 * lv)) || !a)
		return 0;
	return BPF_CORE_READ(a, kn, id);
}

static __attribute__((noinline)) __u64 kd_flt_cg_old(__u64 cg, __u64 lv)
{
	__u64 off = bpf_core_field_offset(struct cgroup___kd_old, ancestor_ids), id = 0;

	bpf_probe_read_kernel(&id, sizeof(id), (void *)(cg + off + 8 * lv));
	return id;
}

static __always_inline __u64 kd_flt_cg_ancestor(struct cgroup___kd *cg, __u32 lv)
{
	if (bpf_core_field_exists(struct cgroup___kd_new, ancestors))
		return kd_flt_cg_new((__u64)cg, lv);
	if (bpf_core_field_exists(struct cgroup___kd_old, ancestor_ids))
		return kd_flt_cg_old((__u64)cg, lv);
	return 0;
}

/*
 * Does the task (tgid; t = task_struct address, 0 = current) pass the pid,
 * comm and cgroup kinds of the filter in force, those of them in kmask?
 * 1 = pass; 0 = filtered, counted unless kmask has KD_FLT_QUIET. A global function: the verifier checks it
 * once, on its own, not in every program and call site.
 */
__attribute__((noinline)) int kd_flt_task(__u64 tgid, __u64 t, __u32 kmask)
{
	struct task_struct___kd *tk = (void *)t;
	struct kd_flt *f = kd_flt_get();
	__u32 kinds, i, n;
	bool hit;

	if (!f)
		return 1;
	kinds = f->kinds & kmask;
	if (kinds & KD_FLT_K_PID) {
		n = f->npid;
		hit = false;
		for (i = 0; i < KD_FLT_PIDS; i++) {
			if (i >= n)
				break;
			if (f->pid[i] == (__u32)tgid) {
				hit = true;
				break;
			}
		}
		if (!hit)
			goto out;
	}
	if (kinds & KD_FLT_K_COMM) {
		__u64 c[2] = {};

		/* zero-padded either way: the helpers pad, the slot was zeroed */
		if (!tk)
			bpf_get_current_comm(c, sizeof(c));
		else
			bpf_core_read_str(c, sizeof(c), &tk->comm);
		n = f->ncomm;
		hit = false;
		for (i = 0; i < KD_FLT_COMMS; i++) {
			if (i >= n)
				break;
			if (kd_str16_match(c, f->comm[i], f->comm_mask[i])) {
				hit = true;
				break;
			}
		}
		if (!hit)
			goto out;
	}
	if (kinds & KD_FLT_K_CGROUP) {
		struct cgroup___kd *cg;
		__u32 level;

		if (!tk)
			tk = (void *)bpf_get_current_task();
		cg = BPF_CORE_READ(tk, cgroups, dfl_cgrp);
		if (!cg)
			goto out;
		level = BPF_CORE_READ(cg, level);
		n = f->ncg;
		hit = false;
		for (i = 0; i < KD_FLT_CGROUPS; i++) {
			__u32 lv;

			if (i >= n)
				break;
			lv = f->cg_level[i];
			if (lv <= level && kd_flt_cg_ancestor(cg, lv) == f->cg_id[i]) {
				hit = true;
				break;
			}
		}
		if (!hit)
			goto out;
	}
	return 1;
out:
	/* syscall programs and probes alike come here: atomic */
	if (!(kmask & KD_FLT_QUIET))
		KD_CNT_ADD(kd_counters(bpf_get_smp_processor_id()), KD_CNT_FLT_TASK);
	return 0;
}

/* Syscalls and probes about the running task: false = filtered (counted). */
static __always_inline bool kd_flt_current(__u64 pid_tgid)
{
	if (!kd_flt_any)
		return true;
	return kd_flt_task(pid_tgid >> 32, 0, KD_FLT_K_PID | KD_FLT_K_COMM | KD_FLT_K_CGROUP);
}

/* A syscall of the running task: as kd_flt_current, but a bypassing nr is
 * checked for pid and cgroup only (they do not change at exec; its comm and
 * paths are judged in userspace, lib/core/filter.c). */
static __always_inline bool kd_flt_syscall(__u32 nr, __u64 pid_tgid)
{
	if (!kd_flt_any)
		return true;
	return kd_flt_task(pid_tgid >> 32, 0,
			   kd_flt_bypass[nr & (KD_MAX_SYSCALL_NR - 1)] ?
				   KD_FLT_K_PID | KD_FLT_K_CGROUP :
				   KD_FLT_K_PID | KD_FLT_K_COMM | KD_FLT_K_CGROUP);
}

/* The task kinds for task t (NULL: the running one), extra = KD_FLT_QUIET
 * or 0. */
static __always_inline bool kd_flt_task_at(__u32 tgid, const void *t, __u32 extra)
{
	__u64 addr = 0;

	if (!kd_flt_any)
		return true;
	/* as a plain number: a global function takes scalars only */
	if (t)
		bpf_probe_read_kernel(&addr, sizeof(addr), &t);
	return kd_flt_task(tgid, addr, KD_FLT_K_PID | KD_FLT_K_COMM | KD_FLT_K_CGROUP | extra);
}

/* Probes about another task t (sched_switch's next, a woken task). */
static __always_inline bool kd_flt_other(__u32 tgid, const void *t)
{
	return kd_flt_task_at(tgid, t, 0);
}

/* Bookkeeping about task t (NULL: the running one) for events that come
 * later (sched_offcpu's switch-out, sched_wakeup's wakeup): as
 * kd_flt_other(), but not counted; the check where the event would be
 * emitted counts it. */
static __always_inline bool kd_flt_track(__u32 tgid, const void *t)
{
	return kd_flt_task_at(tgid, t, KD_FLT_QUIET);
}

/* Does the path in this CPU's kd_flt_buf (slen bytes, at most
 * KD_FLT_PATH_MAX) start with prefix j of the filter in force? Global: the
 * verifier walks its word loop once, not once per prefix. */
__attribute__((noinline)) int kd_flt_prefix_at(__u32 j, __u32 slen)
{
	struct kd_flt *f = kd_flt_get();
	struct kd_flt_buf *b;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&kd_flt_buf, &zero);
	if (!f || !b)
		return 0;
	/* the caller passes j < KD_FLT_PATHS; a mask is the bound the
	 * verifier sees (a compare, clang checks on a copy of j) */
	j &= KD_FLT_PATHS - 1;
	return kd_str_prefix(b->s, slen, f->path[j], f->path_len[j]);
}

/* Does the path in this CPU's kd_flt_buf (slen bytes) start with one of
 * the prefixes in force? Global, like kd_flt_task. */
__attribute__((noinline)) int kd_flt_path_match(__u32 slen)
{
	struct kd_flt *f = kd_flt_get();
	__u32 j, n;

	if (!f)
		return 0;
	if (slen > KD_FLT_PATH_MAX)
		slen = KD_FLT_PATH_MAX;
	n = f->npath;
	for (j = 0; j < KD_FLT_PATHS; j++) {
		if (j >= n)
			break;
		if (kd_flt_prefix_at(j, slen))
			return 1;
	}
	return 0;
}

/*
 * Path kind on a finished record (header, plen[], params) at address rec:
 * 1 when the event has PATH params and none starts with a prefix in force,
 * so it is dropped (counted); events without a PATH param pass. Global, so
 * the verifier checks it once, not at each of the writers that call it.
 */
__attribute__((noinline)) int kd_flt_rec_check(__u64 rec, __u32 cpu)
{
	struct {
		struct kd_rec_hdr h;
		__u16 plen[6];
	} r;
	struct kd_flt_buf *b;
	struct kd_flt *f;
	__u32 zero = 0, off, i, n;
	__u8 mask;

	f = kd_flt_get();
	if (!f || !(f->kinds & KD_FLT_K_PATH))
		return 0;
	if (bpf_probe_read_kernel(&r, sizeof(r), (const void *)rec))
		return 0;
	mask = kd_flt_pathmask[r.h.type & (KD_FLT_EVENTS - 1)];
	b = bpf_map_lookup_elem(&kd_flt_buf, &zero);
	if (!mask || !b)
		return 0;
	n = r.h.nparams < 6 ? r.h.nparams : 6;
	off = KD_REC_HDR_SIZE + 2 * n;
	for (i = 0; i < 6; i++) {
		__u32 len = r.plen[i], cp;

		if (i >= n)
			break;
		/* len counts the NUL; 0 is a NULL pointer, which matches nothing */
		if ((mask & (1u << i)) && len > 1) {
			cp = len < KD_FLT_PATH_MAX ? len : KD_FLT_PATH_MAX;
			if (!bpf_probe_read_kernel(b->s, cp, (const void *)(rec + (off & 0x3ffff))) &&
			    kd_flt_path_match(len - 1))
				return 0;
		}
		off += len;
	}
	KD_CNT_ADD(kd_counters(cpu), KD_CNT_FLT_PATH);
	return 1;
}

/* Should the finished record at rec be dropped by the path kind? With no
 * filter in force: one load. */
static __always_inline bool kd_flt_rec_drop(const void *rec, __u32 cpu)
{
	__u64 addr = 0;

	if (!kd_flt_any)
		return false;
	/* as a plain number: a global function takes scalars only */
	bpf_probe_read_kernel(&addr, sizeof(addr), &rec);
	return kd_flt_rec_check(addr, cpu);
}

#endif /* KD_FLT_HELPERS_ONLY */
#endif
