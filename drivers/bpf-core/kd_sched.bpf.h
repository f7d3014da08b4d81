/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_sched.bpf.h: scheduling probes. sched_switch as such; sched_offcpu, one
 * record per off-CPU interval of a thread, emitted when it runs again and
 * typed by the syscall it was blocked in (read from its saved user
 * registers, so no sys_enter hook is needed) or by preemption; sched_wakeup,
 * the run-queue latency from wakeup (or preemption) to running. Intervals
 * shorter than kd_prb_sched_min_ns are dropped in the kernel. With
 * kd_prb_stacks, sched_offcpu also names the kernel and user stacks the
 * thread left the CPU from: ids into kd_stacks, sized by the library (one
 * entry when stacks are off).
 */
#ifndef KD_SCHED_BPF_H
#define KD_SCHED_BPF_H

#define KD_EV_SCHED_SWITCH 1003
#define KD_EV_SCHED_OFFCPU 1004
#define KD_EV_SCHED_WAKEUP 1005

#define KD_PF_KTHREAD   0x00200000
#define KD_TASK_STOPPED 0x4
#define KD_TASK_TRACED  0x8

struct kd_sched_st {
	__u64 off_ts;  /* switched out at; 0 = not off CPU (or not seen) */
	__u64 wake_ts; /* woken (or preempted) at; 0 = none pending */
	__u32 state;   /* prev_state when switched out */
	__u32 waker;   /* tid that woke it, 0 for preemption */
	__u16 sc;      /* event id of the syscall it blocked in, 0 if none */
	__u8 reason;   /* KD_OFFCPU_* */
	__u8 _pad[5];
	__s32 kstack;  /* stack ids when switched out, or -errno */
	__s32 ustack;
};

#define KD_STACK_DEPTH 64 /* KD_STACK_MAX_DEPTH */
#define KD_ENOENT 2

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KD_STACK_DEPTH * sizeof(__u64));
} kd_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KD_PRB_SCHED_ENTRIES);
	__type(key, __u32);
	__type(value, struct kd_sched_st);
} kd_sched_st SEC(".maps");

/* before 5.14 the field was 'long state' */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 kd_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/* The syscall nr a sleeping user thread is in, or -1. Inside a syscall the
 * entry code left -ENOSYS in ax and the nr in orig_ax; an exception (a page
 * fault) keeps its error code in orig_ax but the user's ax. */
static __always_inline long kd_task_syscall(struct task_struct *t)
{
	struct pt_regs *regs;
	__u64 nr, ax, cs;

	if (BPF_CORE_READ(t, flags) & KD_PF_KTHREAD)
		return -1;
	regs = kd_task_regs(t);
	if (!regs || bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax) ||
	    bpf_probe_read_kernel(&ax, sizeof(ax), &regs->ax) ||
	    bpf_probe_read_kernel(&cs, sizeof(cs), &regs->cs))
		return -1;
	if ((long)ax != -KD_ENOSYS || nr >= KD_MAX_SYSCALL_NR || (cs & 0xffff) == KD_USER32_CS)
		return -1;
	return (long)nr;
}

static __always_inline struct kd_sched_st *kd_sched_get(__u32 tid)
{
	struct kd_sched_st *st = bpf_map_lookup_elem(&kd_sched_st, &tid), zero = {};

	if (st)
		return st;
	bpf_map_update_elem(&kd_sched_st, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&kd_sched_st, &tid);
}

/* sched_switch runs on prev's stack, so the current stacks are prev's. */
static __always_inline void kd_sched_out(void *ctx, struct task_struct *prev, __u32 tid, __u32 tgid,
					 __u32 state, __u64 now, bool off, bool wk)
{
	struct kd_sched_st *st;
	long nr;

	if (!kd_wanted(tgid) || !kd_flt_track(tgid, NULL))
		return;
	st = kd_sched_get(tid);
	if (!st)
		return;
	if (off) {
		nr = kd_task_syscall(prev);
		st->off_ts = now;
		st->state = state;
		st->sc = nr >= 0 ? kd_nr_id[nr & (KD_MAX_SYSCALL_NR - 1)] : 0;
		if (!state)
			st->reason = KD_OFFCPU_PREEMPTED;
		else if (state & (KD_TASK_STOPPED | KD_TASK_TRACED))
			st->reason = KD_OFFCPU_STOPPED;
		else if (nr >= 0)
			st->reason = kd_nr_reason[nr & (KD_MAX_SYSCALL_NR - 1)];
		else
			st->reason = KD_OFFCPU_UNKNOWN;
		st->kstack = st->ustack = -KD_ENOENT;
		if (kd_prb_stacks) {
			st->kstack = bpf_get_stackid(ctx, &kd_stacks, 0);
			st->ustack = bpf_get_stackid(ctx, &kd_stacks, BPF_F_USER_STACK);
		}
	}
	/* preempted: straight back on the run queue */
	if (wk && !state) {
		st->wake_ts = now;
		st->waker = 0;
	}
}

static __always_inline void kd_sched_in(struct task_struct *next, __u32 tid, __u32 tgid, __u64 now,
					bool off, bool wk)
{
	__u64 since = kd_prb_sched_since, min = kd_prb_sched_min_ns;
	struct kd_sched_st *st;
	__u64 v[7];

	if (!kd_wanted(tgid))
		return;
	/* the events of a filtered thread are dropped here, one of each kind
	 * on (the check counts one); its switch-out and wakeup were not kept */
	if (!kd_flt_other(tgid, next)) {
		if (off && wk)
			KD_CNT_ADD(kd_counters(bpf_get_smp_processor_id()), KD_CNT_FLT_TASK);
		return;
	}
	st = bpf_map_lookup_elem(&kd_sched_st, &tid);
	if (!st)
		return;
	if (off && st->off_ts) {
		if (st->off_ts >= since && now - st->off_ts >= min) {
			v[0] = st->off_ts;
			v[1] = now;
			v[2] = st->state;
			v[3] = st->sc;
			v[4] = st->reason;
			v[5] = (__u64)(__s64)st->kstack;
			v[6] = (__u64)(__s64)st->ustack;
			kd_prb_vals(KD_EV_SCHED_OFFCPU, 7, v, tid, tgid);
		} else {
			kd_prb_filtered();
		}
		st->off_ts = 0;
	}
	if (wk && st->wake_ts) {
		if (st->wake_ts >= since && now - st->wake_ts >= min) {
			v[0] = st->waker;
			v[1] = tid;
			v[2] = now - st->wake_ts;
			kd_prb_vals(KD_EV_SCHED_WAKEUP, 3, v, tid, tgid);
		} else {
			kd_prb_filtered();
		}
		st->wake_ts = 0;
	}
}

static __always_inline void kd_on_switch(void *ctx, bool preempt, struct task_struct *prev,
					 struct task_struct *next)
{
	bool sw = kd_ev_enabled(KD_EV_SCHED_SWITCH), off = kd_ev_enabled(KD_EV_SCHED_OFFCPU);
	bool wk = kd_ev_enabled(KD_EV_SCHED_WAKEUP);
	__u32 ptid, ptgid, ntid, ntgid, state;
	__u64 now, v[4];

	if (!sw && !off && !wk)
		return;
	ptid = BPF_CORE_READ(prev, pid);
	ptgid = BPF_CORE_READ(prev, tgid);
	ntid = BPF_CORE_READ(next, pid);
	ntgid = BPF_CORE_READ(next, tgid);
	state = preempt ? 0 : kd_task_state(prev);
	if (sw) {
		if (!kd_wanted(ptgid)) {
			kd_prb_filtered();
		} else if (kd_flt_current((__u64)ptgid << 32)) {
			v[0] = ptid;
			v[1] = state;
			v[2] = ntid;
			v[3] = ntgid;
			kd_prb_vals(KD_EV_SCHED_SWITCH, 4, v, ptid, ptgid);
		}
	}
	if (!off && !wk)
		return;
	now = bpf_ktime_get_ns();
	if (ptid)
		kd_sched_out(ctx, prev, ptid, ptgid, state, now, off, wk);
	if (ntid)
		kd_sched_in(next, ntid, ntgid, now, off, wk);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(kd_p_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	kd_on_switch(ctx, preempt, prev, next);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(kd_p_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	kd_on_switch(ctx, preempt, prev, next);
	return 0;
}

static __always_inline void kd_on_wakeup(struct task_struct *p)
{
	struct kd_sched_st *st;
	__u32 tid, tgid;

	if (!kd_ev_enabled(KD_EV_SCHED_WAKEUP))
		return;
	tgid = BPF_CORE_READ(p, tgid);
	if (!kd_wanted(tgid) || !kd_flt_track(tgid, p))
		return;
	tid = BPF_CORE_READ(p, pid);
	if (!tid)
		return;
	st = kd_sched_get(tid);
	if (!st)
		return;
	st->wake_ts = bpf_ktime_get_ns();
	st->waker = (__u32)bpf_get_current_pid_tgid();
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(kd_p_wakeup_btf, struct task_struct *p)
{
	kd_on_wakeup(p);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(kd_p_wakeup_raw, struct task_struct *p)
{
	kd_on_wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(kd_p_wakenew_btf, struct task_struct *p)
{
	kd_on_wakeup(p);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(kd_p_wakenew_raw, struct task_struct *p)
{
	kd_on_wakeup(p);
	return 0;
}

#endif
