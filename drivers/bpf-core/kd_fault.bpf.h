/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_fault.bpf.h: page_fault_user / page_fault_kernel from the x86
 * exceptions:* tracepoints, sampled: every kd_prb_pf_sample-th fault
 * per CPU is emitted (faults come in bursts of thousands).
 */
#ifndef KD_FAULT_BPF_H
#define KD_FAULT_BPF_H

#define KD_EV_PAGE_FAULT_USER   1008
#define KD_EV_PAGE_FAULT_KERNEL 1009

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} kd_pf_seq SEC(".maps");

static __always_inline void kd_on_fault(const __u16 type, unsigned long address, struct pt_regs *regs,
					unsigned long error_code)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 every = kd_prb_pf_sample, zero = 0;
	__u64 *seq, v[3];

	if (!kd_ev_enabled(type))
		return;
	if (!kd_wanted(pid_tgid >> 32)) {
		kd_prb_filtered();
		return;
	}
	if (!kd_flt_current(pid_tgid))
		return;
	if (every > 1) {
		seq = bpf_map_lookup_elem(&kd_pf_seq, &zero);
		if (!seq)
			return;
		if ((*seq)++ % every) {
			kd_prb_filtered();
			return;
		}
	}
	v[0] = address;
	v[1] = BPF_CORE_READ(regs, ip);
	v[2] = error_code;
	kd_prb_vals(type, 3, v, (__u32)pid_tgid, pid_tgid >> 32);
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(kd_p_pfu_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	kd_on_fault(KD_EV_PAGE_FAULT_USER, address, regs, error_code);
	return 0;
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(kd_p_pfu_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	kd_on_fault(KD_EV_PAGE_FAULT_USER, address, regs, error_code);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(kd_p_pfk_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	kd_on_fault(KD_EV_PAGE_FAULT_KERNEL, address, regs, error_code);
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(kd_p_pfk_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	kd_on_fault(KD_EV_PAGE_FAULT_KERNEL, address, regs, error_code);
	return 0;
}

#endif
