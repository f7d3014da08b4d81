/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_proc.bpf.h: process lifecycle probes: proc_fork, proc_exec, proc_exit
 * from the sched_process_* tracepoints (schema/events.def). Each program
 * comes as tp_btf and raw_tp; userspace loads the one the kernel has.
 */
#ifndef KD_PROC_BPF_H
#define KD_PROC_BPF_H

#define KD_EV_PROC_FORK 1000
#define KD_EV_PROC_EXEC 1001
#define KD_EV_PROC_EXIT 1002

#define KD_NR_CLONE  56
#define KD_NR_FORK   57
#define KD_NR_VFORK  58
#define KD_NR_CLONE3 435
#define KD_SIGCHLD   17
#define KD_CLONE_VM    0x00000100
#define KD_CLONE_VFORK 0x00004000

/* The tracepoint has no clone flags: they are the clone syscall's argument
 * (or the first field of clone3's struct), still in the parent's registers.
 * only: 0, or the one syscall nr to answer for (0 for the others). */
static __always_inline __u64 kd_clone_flags(const __u64 only)
{
	struct pt_regs *regs = kd_task_regs((void *)bpf_get_current_task());
	__u64 nr = 0, di = 0;

	if (!regs || bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax) ||
	    (only && nr != only) || bpf_probe_read_kernel(&di, sizeof(di), &regs->di))
		return 0;
	switch (nr) {
	case KD_NR_CLONE:
		return di;
	case KD_NR_FORK:
		return KD_SIGCHLD;
	case KD_NR_VFORK:
		return KD_CLONE_VFORK | KD_CLONE_VM | KD_SIGCHLD;
	case KD_NR_CLONE3:
		if (bpf_probe_read_user(&nr, sizeof(nr), (void *)di))
			return 0;
		return nr;
	}
	return 0; /* a kernel thread, or kernel_clone from inside the kernel */
}

static __always_inline void kd_on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u64 v[4];

	if (!kd_ev_enabled(KD_EV_PROC_FORK))
		return;
	if (!kd_wanted(ptgid)) {
		kd_prb_filtered();
		return;
	}
	if (!kd_flt_current((__u64)ptgid << 32))
		return;
	v[0] = ptgid;
	v[1] = BPF_CORE_READ(child, tgid);
	v[2] = BPF_CORE_READ(child, pid);
	v[3] = kd_clone_flags(0);
	kd_prb_vals(KD_EV_PROC_FORK, 4, v, BPF_CORE_READ(parent, pid), ptgid);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(kd_p_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	kd_on_fork(parent, child);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(kd_p_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	kd_on_fork(parent, child);
	return 0;
}

/* proc_exec carries a path and an argv: built in a per-CPU scratch, output
 * at its length. */
#define KD_PRB_SCRATCH 16384u

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[KD_PRB_SCRATCH]);
} kd_prb_scratch SEC(".maps");

static __always_inline void kd_on_exec(struct task_struct *p, __u32 old_pid, struct linux_binprm *bprm)
{
	const __u32 fixed = KD_REC_HDR_SIZE + 2 * 4;
	__u32 tgid = BPF_CORE_READ(p, tgid), tid = BPF_CORE_READ(p, pid);
	__u32 zero = 0, cpu, len, off, m, rflags = 0;
	const char *fname;
	struct kd_bpf_cnt *c;
	void *ring;
	__u8 *b;
	long n;

	if (!kd_ev_enabled(KD_EV_PROC_EXEC))
		return;
	if (!kd_wanted(tgid)) {
		kd_prb_filtered();
		return;
	}
	if (!kd_flt_current((__u64)tgid << 32))
		return;
	b = bpf_map_lookup_elem(&kd_prb_scratch, &zero);
	if (!b)
		return;
	fname = BPF_CORE_READ(bprm, filename);
	n = bpf_probe_read_kernel_str(b + fixed, KD_STR_MAX, fname);
	if (n < 0)
		n = 0;
	if (n > KD_STR_MAX)
		n = KD_STR_MAX;
	*(__u64 *)(b + fixed + n) = tid;
	*(__u64 *)(b + fixed + n + 8) = old_pid;
	if (n == KD_STR_MAX)
		rflags |= KD_RF_TRUNCATED;
	/* below half the scratch, as the verifier can see: room for the args */
	off = (fixed + (__u32)n + 16) & (KD_PRB_SCRATCH / 2 - 1);
	m = kd_exec_strs(b + off, KD_STRARR_MAX, false, &rflags); /* p is current */
	*(__u16 *)(b + KD_REC_HDR_SIZE) = n;
	*(__u16 *)(b + KD_REC_HDR_SIZE + 2) = 8;
	*(__u16 *)(b + KD_REC_HDR_SIZE + 4) = 8;
	*(__u16 *)(b + KD_REC_HDR_SIZE + 6) = m;
	len = off + m;
	cpu = bpf_get_smp_processor_id();
	kd_hdr_fill((void *)b, KD_EV_PROC_EXEC, 4, len, 0, 0, bpf_ktime_get_ns(),
		    (__u64)tgid << 32 | tid, cpu, rflags);
	c = kd_probe_counters(cpu);
	KD_CNT_ADD(c, KD_CNT_KERNEL_EVENTS);
	ring = kd_ring(cpu);
	if (!ring || bpf_ringbuf_output(ring, b, len, kd_wake_flag(c, len)))
		KD_CNT_ADD(c, KD_CNT_DROP_FULL);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(kd_p_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	kd_on_exec(p, old_pid, bprm);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(kd_p_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	kd_on_exec(p, old_pid, bprm);
	return 0;
}

#define KD_SIGNAL_GROUP_EXIT 0x4

/* Processes already reported, by signal_struct and start time (the pair is
 * never reused): the last two threads of a process can both see live at 0. */
struct kd_exit_key {
	__u64 sig;
	__u64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct kd_exit_key);
	__type(value, __u8);
} kd_exit_seen SEC(".maps");

/* Fires for every thread; the process ends with its last one, when
 * signal->live has dropped to 0 (do_exit counts it down before the trace).
 * The status is the group's (exit_group, a fatal signal) when there was a
 * group exit, else that last thread's own. */
static __always_inline void kd_on_exit_task(struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct signal_struct *sig = BPF_CORE_READ(p, signal);
	struct kd_exit_key key = {};
	__u32 code;
	__u8 one = 1;
	__u64 v[2];

	if (!kd_ev_enabled(KD_EV_PROC_EXIT))
		return;
	if (BPF_CORE_READ(sig, live.counter) != 0)
		return;
	if (!kd_wanted(tgid)) {
		kd_prb_filtered();
		return;
	}
	if (!kd_flt_current((__u64)tgid << 32))
		return;
	key.sig = (__u64)sig;
	key.start = BPF_CORE_READ(p, group_leader, start_time);
	if (bpf_map_update_elem(&kd_exit_seen, &key, &one, BPF_NOEXIST))
		return;
	if (BPF_CORE_READ(sig, flags) & KD_SIGNAL_GROUP_EXIT)
		code = BPF_CORE_READ(sig, group_exit_code);
	else
		code = BPF_CORE_READ(p, exit_code);
	v[0] = (code >> 8) & 0xff;
	v[1] = code & 0x7f;
	kd_prb_vals(KD_EV_PROC_EXIT, 2, v, BPF_CORE_READ(p, pid), tgid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kd_p_exit_btf, struct task_struct *p)
{
	kd_on_exit_task(p);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(kd_p_exit_raw, struct task_struct *p)
{
	kd_on_exit_task(p);
	return 0;
}

#endif
