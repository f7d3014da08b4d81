/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_signal.bpf.h: signal_generate (in the sender's context) and
 * signal_deliver (in the receiver's, as its handler is about to run) from
 * the signal:* tracepoints.
 */
#ifndef KD_SIGNAL_BPF_H
#define KD_SIGNAL_BPF_H

#define KD_EV_SIGNAL_GENERATE 1006
#define KD_EV_SIGNAL_DELIVER  1007

#define KD_SI_USER   0
#define KD_SI_KERNEL 0x80

/* The kernel passes SEND_SIG_NOINFO (0) or SEND_SIG_PRIV (1) instead of a
 * siginfo for kill()-like and kernel-made signals. */
static __always_inline int kd_si_code(struct kernel_siginfo *info)
{
	if ((unsigned long)info == 0)
		return KD_SI_USER;
	if ((unsigned long)info == 1)
		return KD_SI_KERNEL;
	return BPF_CORE_READ(info, si_code);
}

static __always_inline void kd_on_sig_generate(int sig, struct kernel_siginfo *info,
					       struct task_struct *task, int result)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 v[5];

	if (!kd_ev_enabled(KD_EV_SIGNAL_GENERATE))
		return;
	if (!kd_wanted(pid_tgid >> 32)) {
		kd_prb_filtered();
		return;
	}
	if (!kd_flt_current(pid_tgid))
		return;
	v[0] = sig;
	v[1] = kd_si_code(info);
	v[2] = pid_tgid >> 32;
	v[3] = BPF_CORE_READ(task, pid);
	v[4] = result;
	kd_prb_vals(KD_EV_SIGNAL_GENERATE, 5, v, (__u32)pid_tgid, pid_tgid >> 32);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(kd_p_siggen_btf, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	kd_on_sig_generate(sig, info, task, result);
	return 0;
}

SEC("raw_tp/signal_generate")
int BPF_PROG(kd_p_siggen_raw, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	kd_on_sig_generate(sig, info, task, result);
	return 0;
}

static __always_inline void kd_on_sig_deliver(int sig, struct kernel_siginfo *info,
					      struct k_sigaction *ka)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 v[4];

	if (!kd_ev_enabled(KD_EV_SIGNAL_DELIVER))
		return;
	if (!kd_wanted(pid_tgid >> 32)) {
		kd_prb_filtered();
		return;
	}
	if (!kd_flt_current(pid_tgid))
		return;
	v[0] = sig;
	v[1] = kd_si_code(info);
	v[2] = (__u64)BPF_CORE_READ(ka, sa.sa_handler);
	v[3] = BPF_CORE_READ(ka, sa.sa_flags);
	kd_prb_vals(KD_EV_SIGNAL_DELIVER, 4, v, (__u32)pid_tgid, pid_tgid >> 32);
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(kd_p_sigdlv_btf, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	kd_on_sig_deliver(sig, info, ka);
	return 0;
}

SEC("raw_tp/signal_deliver")
int BPF_PROG(kd_p_sigdlv_raw, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	kd_on_sig_deliver(sig, info, ka);
	return 0;
}

#endif
