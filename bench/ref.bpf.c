// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * bench/ref.bpf.c: the REFERENCE the core engine is measured against, the
 * least a syscall tracer can do: one tp_btf program on sys_exit that writes
 * an 80-byte record (ts, tid, pid, nr, ret, six args) straight into one BPF
 * ring buffer, without waking the consumer (it polls). No filtering, no
 * strings or buffers, no entry hook.
 *
 * ref_exit_copy ("ref+copy") does the same and also copies the user memory
 * kindling copies for the benchmark's syscalls, so the cost of the engine can
 * be told from the cost of the data: read/write's buffer (up to 80 bytes, as
 * kindling's default snaplen) and openat's path, into a 256-byte record.
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

#define REF_SNAPLEN 80
#define REF_TAIL    176 /* 80 + 176: a 256-byte record, as kindling reserves for a path */

struct ref_rec_copy {
	struct ref_rec r;
	__u32 len;
	__u32 _pad;
	__u8 data[REF_TAIL - 8];
};

_Static_assert(sizeof(struct ref_rec_copy) == 256, "the ref+copy record is 256 bytes");

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

static __always_inline void ref_fill(struct ref_rec *r, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();

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
}

/* What kindling copies for the benchmark's syscalls, into data (room bytes):
 * openat's path, read/write's buffer up to REF_SNAPLEN. Returns the length. */
static __always_inline __u32 ref_copy(__u8 *data, const __u32 room, const struct ref_rec *r)
{
	__u64 n;
	long got;

	if (r->nr == 257) {
		got = bpf_probe_read_user_str(data, room, (void *)r->args[1]);
		return got > 0 ? got : 0;
	}
	n = r->nr == 0 ? (r->ret > 0 ? r->ret : 0) : r->args[2];
	if (n > REF_SNAPLEN)
		n = REF_SNAPLEN;
	if (n && !bpf_probe_read_user(data, n, (void *)r->args[1]))
		return n;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ref_exit_copy, struct pt_regs *regs, long ret)
{
	__u64 nr = regs->orig_ax;
	struct ref_rec_copy *c;
	struct ref_rec *r;

	/* read, write, openat */
	if (nr != 0 && nr != 1 && nr != 257) {
		r = bpf_ringbuf_reserve(&ref_ring, sizeof(*r), 0);
		if (!r) {
			__sync_fetch_and_add(&ref_drops, 1);
			return 0;
		}
		ref_fill(r, regs, ret);
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
		return 0;
	}
	c = bpf_ringbuf_reserve(&ref_ring, sizeof(*c), 0);
	if (!c) {
		__sync_fetch_and_add(&ref_drops, 1);
		return 0;
	}
	ref_fill(&c->r, regs, ret);
	c->len = ref_copy(c->data, sizeof(c->data), &c->r);
	bpf_ringbuf_submit(c, BPF_RB_NO_WAKEUP);
	return 0;
}

/* "empty": the floor, what attaching any sys_exit program costs. */
SEC("tp_btf/sys_exit")
int BPF_PROG(ref_empty, struct pt_regs *regs, long ret)
{
	return 0;
}

/*
 * "ref-arr": the reference's 80-byte record written into a per-CPU region of
 * an mmap'able array instead of a BPF ring buffer: no lock, no atomics. A
 * tracepoint program runs with preemption off and the kernel skips it when it
 * would nest in itself on a CPU, so the region has one writer.
 */
#define REF_ARR_SLOTS 32768

/* head and tail of a region, a cache line each */
struct ref_arr_pos {
	__u64 head; /* slots written, by the program */
	__u64 _p1[7];
	__u64 tail; /* slots read, by the consumer */
	__u64 _p2[7];
};

struct ref_arr_cpu {
	struct ref_arr_pos pos;
	struct ref_rec slot[REF_ARR_SLOTS];
};

/* The slot the next record goes to (of slots, a power of 2), or -1 when the
 * region is full (counted). */
static __always_inline long ref_arr_claim(struct ref_arr_pos *p, const __u64 slots)
{
	__u64 h = p->head;

	if (h - *(volatile __u64 *)&p->tail >= slots) {
		__sync_fetch_and_add(&ref_drops, 1);
		return -1;
	}
	return h & (slots - 1);
}

/* Publish the record written in the claimed slot. */
static __always_inline void ref_arr_publish(struct ref_arr_pos *p)
{
	asm volatile("" ::: "memory"); /* the record before the head */
	*(volatile __u64 *)&p->head = p->head + 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct ref_arr_cpu);
} ref_arr SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(ref_exit_arr, struct pt_regs *regs, long ret)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ref_arr_cpu *a = bpf_map_lookup_elem(&ref_arr, &cpu);
	long i;

	if (!a || (i = ref_arr_claim(&a->pos, REF_ARR_SLOTS)) < 0)
		return 0;
	ref_fill(&a->slot[i], regs, ret);
	ref_arr_publish(&a->pos);
	return 0;
}

/*
 * "ref-arr+copy": ref-arr's region with ref+copy's data: the 80-byte record
 * plus the user memory kindling copies (read/write's buffer up to 80 bytes,
 * openat's path), in 168-byte slots. The least any tracer that copies that
 * data can cost here: no filtering, no table, no counters, no ring buffer.
 */
#define REF_ARRC_SLOTS 16384

struct ref_arrc_rec {
	struct ref_rec r;
	__u32 len;
	__u32 _pad;
	__u8 data[REF_SNAPLEN];
};

_Static_assert(sizeof(struct ref_arrc_rec) == 168, "the ref-arr+copy slot is 168 bytes");

struct ref_arrc_cpu {
	struct ref_arr_pos pos;
	struct ref_arrc_rec slot[REF_ARRC_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct ref_arrc_cpu);
} ref_arrc SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(ref_exit_arrc, struct pt_regs *regs, long ret)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ref_arrc_cpu *a = bpf_map_lookup_elem(&ref_arrc, &cpu);
	struct ref_arrc_rec *r;
	long i;

	if (!a || (i = ref_arr_claim(&a->pos, REF_ARRC_SLOTS)) < 0)
		return 0;
	r = &a->slot[i];
	ref_fill(&r->r, regs, ret);
	/* read, write, openat, as ref+copy */
	r->len = r->r.nr == 0 || r->r.nr == 1 || r->r.nr == 257 ? ref_copy(r->data, sizeof(r->data), &r->r)
								  : 0;
	ref_arr_publish(&a->pos);
	return 0;
}
