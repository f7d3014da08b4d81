/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/bpf-core/kd_fast.bpf.h: the fast lane of the sys_exit program,
 * included by kd_core.bpf.c, for the calls that move a buffer through a
 * register fd: read/write, pread64/pwrite64.
 *
 * They are the calls a busy machine makes most, and their record has one
 * shape (fd, buffer up to snaplen, count, [pos]). Userspace marks them in
 * kd_fast_tab only when nothing else is asked of their exit: selected, no
 * latency, no pid list, records written in place. The lane then goes from
 * the register file to the region with nothing else live: no table flags to
 * walk, no argument array on the stack, no dispatch on the param's kind. The
 * general path (kd_fast1() in kd_core.bpf.c) writes the same record; the
 * lane spends ~2-5 ns less BPF time per call (kd-bench --progs, alternated
 * runs; docs/performance.md). A runtime filter (kd_flt_any) sends the calls
 * back to the general path, which applies it.
 */
#ifndef KD_FAST_BPF_H
#define KD_FAST_BPF_H

/* Per syscall nr: KD_FAST_* (kd_core.h), or 0 for the general path. */
__u8 kd_fast_tab[KD_MAX_SYSCALL_NR];

/* The record of a fast call with n params (3 or 4), the buffer second, its
 * length from ret (read) or from the third argument (write). */
static __always_inline int kd_fast_buf(const __u32 n, const bool len_ret, struct pt_regs *regs,
				       long ret, __u16 type)
{
	const __u32 rsv = kd_direct1_buf;
	const __u32 room = rsv - KD_DIRECT1_FIXED;
	const __u32 base = KD_REC_HDR_SIZE + 2 * n;
	__u64 pid_tgid = bpf_get_current_pid_tgid(), ptr = regs->si, want, now;
	__u32 cpu, len = 0, rflags = 0, total;
	struct kd_bpf_cnt *c;
	struct kd_out o;
	__u8 *r;

	if ((__u32)(pid_tgid >> 32) == kd_self_tgid || (regs->cs & 0xffff) == KD_USER32_CS)
		return 0;
	now = bpf_ktime_get_ns();
	cpu = bpf_get_smp_processor_id();
	c = kd_counters(cpu);
	r = kd_out_reserve(&o, cpu, rsv);
	if (!r) {
		kd_count_full(c);
		return 0;
	}
	want = len_ret ? (ret > 0 ? (__u64)ret : 0) : regs->dx;
	len = kd_user_into(r + base + 8, room, ptr, want, kd_snaplen, &rflags);
	*(__u16 *)(r + KD_REC_HDR_SIZE) = 8;
	*(__u16 *)(r + KD_REC_HDR_SIZE + 2) = len;
	*(__u16 *)(r + KD_REC_HDR_SIZE + 4) = 8;
	*(__u64 *)(r + base) = regs->di;
	*(__u64 *)(r + base + 8 + len) = regs->dx;
	if (n == 4) {
		*(__u16 *)(r + KD_REC_HDR_SIZE + 6) = 8;
		*(__u64 *)(r + base + 16 + len) = regs->r10;
	}
	total = base + 8 * (n - 1) + len;
	kd_hdr_fill((void *)r, type, n, total, ret, 0, now, pid_tgid, cpu, rflags);
	/* nothing to filter by path: a buffer is not a path */
	kd_direct1_send(&o, r, c, rsv, total, cpu, false);
	return 0;
}

/* 1 when the call went through the lane (done), 0 for the general path. */
static __always_inline int kd_fast_lane(struct pt_regs *regs, __u64 nr, long ret)
{
	__u8 f = kd_fast_tab[nr & (KD_MAX_SYSCALL_NR - 1)];
	__u16 type;

	/* the rodata tests are free (the verifier drops them) and keep the
	 * lane off whatever userspace set */
	if (!f || kd_want_latency || kd_filter_pids || !kd_direct || kd_flt_any)
		return 0;
	type = kd_ksc_tab[nr & (KD_MAX_SYSCALL_NR - 1)].id;
	switch (f) {
	case KD_FAST_BUF3_RET:
		kd_fast_buf(3, true, regs, ret, type);
		return 1;
	case KD_FAST_BUF3_ARG:
		kd_fast_buf(3, false, regs, ret, type);
		return 1;
	case KD_FAST_BUF4_RET:
		kd_fast_buf(4, true, regs, ret, type);
		return 1;
	case KD_FAST_BUF4_ARG:
		kd_fast_buf(4, false, regs, ret, type);
		return 1;
	}
	return 0;
}

#endif
