/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_noentry.bpf.h: the syscalls that need more than their exit (exit and
 * exit_group never return; a successful execve loses its registers), served
 * without any syscall entry hook. Included by kd_core.bpf.c.
 *
 * Any program on a syscall entry tracepoint, even syscalls:sys_enter_<name>,
 * makes every syscall of the machine call perf_syscall_enter(): ~14 ns of
 * kindling's ~115 ns on a 64-byte read here (docs/performance.md). With
 * latency off, userspace attaches these two instead, to tracepoints that fire
 * only in the rare paths they serve:
 *
 * - sched_process_exit: a thread that ends inside exit/exit_group still has
 *   that syscall's number and arguments in its saved user registers; its
 *   record (KD_RF_AT_ENTRY, no result) is emitted there.
 * - task_rename: exec renames the task after the point of no return but
 *   before the new image clears the registers; they are parked for the exit
 *   record (kd_exec_exit() in kd_core.bpf.c). A failed exec needs nothing:
 *   it returns with its registers and memory intact.
 *
 * Both read the registers at the top of the task's kernel stack
 * (kd_task_regs), so they run on every kernel the engine supports.
 * Without latency the raw entry program is not even loaded (its
 * verification cost kd_open ~35 ms): if either of these does not attach,
 * kd_open (or the kd_probe_enable() that needs them) fails with KD_EENGINE.
 */
#ifndef KD_NOENTRY_BPF_H
#define KD_NOENTRY_BPF_H

/* The running task's saved user registers as syscall arguments; its syscall
 * nr, or KD_MAX_SYSCALL_NR when there is none to report (compat task,
 * unreadable registers). */
static __always_inline __u64 kd_cur_syscall(__u64 *a)
{
	struct pt_regs *regs = kd_task_regs((void *)bpf_get_current_task());
	__u64 nr = KD_MAX_SYSCALL_NR;

	/* field by field: a whole pt_regs on the stack is too much for 5.10
	 * beside kd_build() */
	if (!regs || bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax) ||
	    nr >= KD_MAX_SYSCALL_NR || kd_is_compat(regs, false))
		return KD_MAX_SYSCALL_NR;
	kd_read_args(regs, false, a);
	return nr;
}

/* A thread ends. Threads killed by a signal carry the number of whatever
 * they were doing (or -1 outside a syscall), never a noreturn syscall's,
 * unless they were in one. */
static __always_inline void kd_on_noret_exit(void)
{
	__u64 a[6], pid_tgid, nr = kd_cur_syscall(a);
	struct kd_ksc *k;

	if (nr >= KD_MAX_SYSCALL_NR)
		return;
	k = &kd_ksc_tab[nr];
	/* exit and exit_group: register values only (DIRECT), written in
	 * place; userspace attaches this program only when every selected
	 * noreturn syscall is so. Without kd_build() the program verifies in
	 * ~2 ms instead of ~39 (kd_open time). */
	if ((k->flags & (KD_KSC_ENABLED | KD_KSC_AT_ENTRY | KD_KSC_DIRECT)) !=
	    (KD_KSC_ENABLED | KD_KSC_AT_ENTRY | KD_KSC_DIRECT))
		return;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!kd_wanted(pid_tgid >> 32) || !kd_flt_syscall(nr, pid_tgid))
		return;
	kd_direct_emit(k, a, 0, bpf_ktime_get_ns(), pid_tgid, bpf_get_smp_processor_id(),
		       KD_RF_AT_ENTRY, 0);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kd_noret_btf, struct task_struct *p)
{
	kd_on_noret_exit();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(kd_noret_raw, struct task_struct *p)
{
	kd_on_noret_exit();
	return 0;
}

/* A task is renamed: by exec (past de_thread, so under the tid the exit
 * will have), or by prctl / a comm write, which the syscall nr tells apart.
 * The park holds no record, only the registers; sched_process_exec adds the
 * filename (kd_exec_seen). */
static __always_inline void kd_rename_park(struct task_struct *t)
{
	__u64 a[6], pid_tgid, nr;
	struct kd_scratch *s;
	__u32 tid, cpu;

	if ((void *)t != (void *)bpf_get_current_task())
		return;
	nr = kd_cur_syscall(a);
	if (nr >= KD_MAX_SYSCALL_NR)
		return;
	if (!(kd_ksc_tab[nr].flags & KD_KSC_ENTRY_ARGS) || !(kd_ksc_tab[nr].flags & KD_KSC_ENABLED))
		return;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!kd_wanted(pid_tgid >> 32) || !kd_flt_syscall(nr, pid_tgid))
		return;
	tid = (__u32)pid_tgid;
	cpu = bpf_get_smp_processor_id();
	s = bpf_map_lookup_elem(&kd_scratch, &cpu);
	if (!s)
		return;
	/* a map value is written whole: the scratch is a big enough source,
	 * and the record part is never read (exec records are rebuilt) */
	bpf_map_update_elem(&kd_pending, &tid, s->buf, BPF_ANY);
	kd_park_args(tid, a, nr);
}

SEC("tp_btf/task_rename")
int BPF_PROG(kd_rename_btf, struct task_struct *t, const char *comm)
{
	kd_rename_park(t);
	return 0;
}

SEC("raw_tp/task_rename")
int BPF_PROG(kd_rename_raw, struct task_struct *t, const char *comm)
{
	kd_rename_park(t);
	return 0;
}

#endif
