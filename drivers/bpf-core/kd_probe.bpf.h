/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_probe.bpf.h: what the probes beyond syscalls share (kd_proc, kd_sched,
 * kd_signal, kd_fault, kd_tcp, kd_drop .bpf.h): the per-event switch that
 * every program reads first, runtime knobs, and a record writer for
 * fixed-layout records reserved straight in the ring.
 *
 * Included by kd_core.bpf.c after the syscall code: it uses kd_ring(),
 * kd_counters(), kd_wake_flag(), kd_hdr_fill() and kd_wanted() from there.
 */
#ifndef KD_PROBE_BPF_H
#define KD_PROBE_BPF_H

#include <bpf/bpf_endian.h>

#include "kd_probe.h"

/* ---- written by userspace at any time (lib/engines/core_probes.c) ---- */
/* [event id - KD_PRB_FIRST]: 1 = emit. A program of a switched-off event
 * returns after this one load. */
__u8 kd_ev_on[KD_PRB_EVENTS];
/* scalars, not a struct: the skeleton header (included by core.c too) must
 * not need a type of ours */
__u64 kd_prb_sched_min_ns; /* sched_offcpu/sched_wakeup: shorter intervals are not emitted */
__u64 kd_prb_sched_since;  /* per-thread sched state older than this is stale (re-attach) */
__u32 kd_prb_pf_sample;    /* page faults: emit every Nth per CPU; 0 or 1 = all */
__u32 kd_prb_stacks;       /* sched_offcpu: take stack ids (KD_OPEN_STACKS) */
/* syscall nr -> kindling event id and off-CPU reason (KD_OFFCPU_*) */
__u16 kd_nr_id[KD_MAX_SYSCALL_NR];
__u8 kd_nr_reason[KD_MAX_SYSCALL_NR];

static __always_inline bool kd_ev_enabled(const __u32 id)
{
	return kd_ev_on[(id - KD_PRB_FIRST) & (KD_PRB_EVENTS - 1)];
}

/*
 * Writes params into a record reserved at its exact size. Every offset is a
 * constant once inlined (the layouts are fixed per event and family), which
 * is all the verifier needs for ring memory.
 */
struct kd_pw {
	__u8 *r;
	__u32 off; /* next param byte */
	__u32 i;   /* next param index */
};

static __always_inline void kd_pw_val(struct kd_pw *w, __u64 v)
{
	*(__u16 *)(w->r + KD_REC_HDR_SIZE + 2 * w->i) = 8;
	*(__u64 *)(w->r + w->off) = v;
	w->off += 8;
	w->i++;
}

static __always_inline void kd_pw_bytes(struct kd_pw *w, const void *src, const __u32 n)
{
	*(__u16 *)(w->r + KD_REC_HDR_SIZE + 2 * w->i) = n;
	__builtin_memcpy(w->r + w->off, src, n);
	w->off += n;
	w->i++;
}

/* Reserve a record of len bytes (n params) in this CPU's ring and fill its
 * header; tid/pid name the thread the event is about. NULL: counted drop. */
static __always_inline void *kd_prb_reserve(const __u32 len, const __u16 n, __u16 type,
					    __u32 tid, __u32 pid, __u64 now, __u32 cpu)
{
	struct kd_bpf_cnt *c = kd_probe_counters(cpu);
	struct kd_rec_hdr *h;
	void *ring;

	KD_CNT_ADD(c, KD_CNT_KERNEL_EVENTS);
	ring = kd_ring(cpu);
	if (!ring) {
		KD_CNT_ADD(c, KD_CNT_DROP_FULL);
		return NULL;
	}
	h = bpf_ringbuf_reserve(ring, len, 0);
	if (!h) {
		KD_CNT_ADD(c, KD_CNT_DROP_FULL);
		return NULL;
	}
	kd_hdr_fill(h, type, n, len, 0, 0, now, (__u64)pid << 32 | tid, cpu, 0);
	return h;
}

static __always_inline void kd_prb_submit(void *r, const __u32 len, __u32 cpu)
{
	/* a wake mark missed by a nested update only moves one wakeup */
	bpf_ringbuf_submit(r, kd_wake_flag(kd_probe_counters(cpu), len));
}

/* A record of n integer params (v[0..n-1]). */
static __always_inline void kd_prb_vals(__u16 type, const __u16 n, const __u64 *v, __u32 tid,
					__u32 pid)
{
	const __u32 len = KD_REC_HDR_SIZE + n * (2 + 8);
	__u32 cpu = bpf_get_smp_processor_id();
	struct kd_pw w;
	__u32 i;

	w.r = kd_prb_reserve(len, n, type, tid, pid, bpf_ktime_get_ns(), cpu);
	if (!w.r)
		return;
	w.off = KD_REC_HDR_SIZE + 2 * n;
	w.i = 0;
	for (i = 0; i < n; i++)
		kd_pw_val(&w, v[i]);
	kd_prb_submit(w.r, len, cpu);
}

static __always_inline void kd_prb_filtered(void)
{
	KD_CNT_ADD(kd_probe_counters(bpf_get_smp_processor_id()), KD_CNT_FILTERED);
}

/* x86_64: the user registers sit at the top of a task's kernel stack. */
#define KD_THREAD_SIZE (16384u)

static __always_inline struct pt_regs *kd_task_regs(struct task_struct *t)
{
	void *stack = BPF_CORE_READ(t, stack);

	if (!stack)
		return NULL;
	/* the target kernel's size, not the build header's */
	return (struct pt_regs *)(stack + KD_THREAD_SIZE - bpf_core_type_size(struct pt_regs));
}

#endif
