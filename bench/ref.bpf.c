// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * bench/ref.bpf.c: the REFERENCE the core engine is measured against, the
 * least a syscall tracer can do: one tp_btf program on sys_exit that writes
 * an 80-byte record (ts, tid, pid, nr, ret, six args) straight into one BPF
 * ring buffer, without waking the consumer (it polls). No filtering, no
 * strings or buffers, no entry hook.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct ref_rec {
	__u64 ts;
	__u32 tid;
	__u32 pid;
	__u64 nr;
	__s64 ret;
	__u64 args[6];
};

_Static_assert(sizeof(struct ref_rec) == 80, "the reference record is 80 bytes");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} ref_ring SEC(".maps");

__u64 ref_drops;

SEC("tp_btf/sys_exit")
int BPF_PROG(ref_exit, struct pt_regs *regs, long ret)
{
	struct ref_rec *r = bpf_ringbuf_reserve(&ref_ring, sizeof(*r), 0);
	__u64 id;

	if (!r) {
		__sync_fetch_and_add(&ref_drops, 1);
		return 0;
	}
	id = bpf_get_current_pid_tgid();
	r->ts = bpf_ktime_get_ns();
	r->tid = (__u32)id;
	r->pid = id >> 32;
	r->nr = regs->orig_ax;
	r->ret = ret;
	r->args[0] = regs->di;
	r->args[1] = regs->si;
	r->args[2] = regs->dx;
	r->args[3] = regs->r10;
	r->args[4] = regs->r8;
	r->args[5] = regs->r9;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}
