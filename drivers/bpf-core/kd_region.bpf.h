/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/bpf-core/kd_region.bpf.h: where the sys_exit program writes the
 * records it builds in place (the direct paths), included by kd_core.bpf.c.
 *
 * With per-CPU rings, each CPU also gets a region of kd_region_bytes: a
 * record is written at the region's head and published by storing the new
 * head (kd_rpos, in .bss, with the tail userspace writes back): no lock, no
 * atomic, no ring-buffer header to commit, which makes a record 20-38 ns
 * cheaper than bpf_ringbuf_reserve()/submit() here (kd-bench, "ref-arr" and
 * "kd-ringbuf"). That is safe because a region has one writer: only the
 * sys_exit program writes it, tracepoint programs run with preemption off,
 * and a syscall exit cannot happen inside another one on the same CPU.
 * x86-64 does not reorder stores with each other, so a compiler barrier
 * orders the record before the head (the driver reads x86-64 registers
 * anyway).
 *
 * A region is kd_region_bytes / kd_region_chunk elements of an mmap'able
 * array, back to back: an element holds at most 4 MiB on every kernel
 * (KMALLOC_MAX_SIZE), rings hold more. Each record is preceded by 8 bytes,
 * its length (hdr.len), or KD_REGION_PAD when the rest of the chunk is
 * unused: a record never crosses a chunk's end. The consumer is woken
 * through the CPU's ring (an empty discarded record with
 * BPF_RB_FORCE_WAKEUP) at the same byte marks as the ring itself.
 * kd_region_bytes == 0 (a shared ring) sends everything to the rings.
 */
#ifndef KD_REGION_BPF_H
#define KD_REGION_BPF_H

const volatile __u64 kd_region_bytes = 0; /* per CPU, a power of 2; 0: no regions */
const volatile __u64 kd_region_chunk = 4096; /* bytes per element, a power of 2 */
const volatile __u32 kd_region_nchunks = 1;  /* elements per CPU */
const volatile __u32 kd_region_shift = 12;   /* log2(kd_region_chunk) */

struct kd_region_pos kd_rpos[KD_BPF_MAX_CPUS];

/* Keyed by CPU * kd_region_nchunks + chunk; userspace sets max_entries and
 * value_size (kd_region_chunk) before load. No BTF value type: its size is
 * only known then. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 4096);
} kd_regions SEC(".maps");

/* A record being written in a region (unused with rings). */
struct kd_out {
	struct kd_region_pos *pos;
	__u64 head;   /* where the record's 8-byte prefix starts */
};

/* The chunk of this CPU's region that byte h falls in. */
static __always_inline __u8 *kd_region_elem(__u32 cpu, __u64 h)
{
	__u32 key = cpu * kd_region_nchunks + (__u32)((h & (kd_region_bytes - 1)) >> kd_region_shift);

	return bpf_map_lookup_elem(&kd_regions, &key);
}

/* Room for rsv bytes on this CPU: the record's address, or NULL when the
 * region (or the ring) is full. */
static __always_inline __u8 *kd_out_reserve(struct kd_out *o, __u32 cpu, const __u32 rsv)
{
	const __u64 step = KD_REGION_STEP(rsv);
	struct kd_region_pos *p;
	__u64 h, t, off;
	__u8 *v;

	if (!kd_region_bytes) {
		void *ring = kd_ring(cpu);

		/* unused with rings, but never undefined: the compiler may spill
		 * an undefined value from a register the verifier calls unread */
		o->pos = NULL;
		o->head = 0;
		return ring ? bpf_ringbuf_reserve(ring, rsv, 0) : NULL;
	}
	p = &kd_rpos[cpu & (KD_BPF_MAX_CPUS - 1)];
	h = p->head;
	t = *(volatile __u64 *)&p->tail;
	/* 8-aligned and at most kd_region_chunk - 8, as the verifier can see */
	off = h & (kd_region_chunk - 8);
	if (off > kd_region_chunk - step) {
		/* no record across a chunk's end: mark the rest unused */
		if (h + (kd_region_chunk - off) + step - t > kd_region_bytes)
			return NULL;
		v = kd_region_elem(cpu, h);
		if (!v)
			return NULL;
		*(__u64 *)(v + off) = KD_REGION_PAD;
		h += kd_region_chunk - off;
		off = 0;
	} else if (h + step - t > kd_region_bytes) {
		return NULL;
	}
	v = kd_region_elem(cpu, h);
	if (!v)
		return NULL;
	o->pos = p;
	o->head = h;
	return v + off + KD_REGION_PREFIX;
}

/* Publish the record at r, len bytes (hdr.len) of the rsv reserved. The
 * consumer is woken each kd_wake_mark bytes: in a region, when the head
 * passes a multiple of it (a power of 2), without a counter to update; a
 * ring counts its bytes in c (kd_wake_flag). */
static __always_inline void kd_out_submit(struct kd_out *o, __u8 *r, __u32 len, __u32 rsv,
					  __u32 cpu, struct kd_bpf_cnt *c)
{
	__u64 next;
	void *ring;

	/* on the rodata constant, which the verifier knows, not on o->pos */
	if (!kd_region_bytes) {
		bpf_ringbuf_submit(r, kd_wake_flag(c, rsv));
		return;
	}
	next = o->head + KD_REGION_STEP(len);
	*(__u64 *)(r - KD_REGION_PREFIX) = len;
	asm volatile("" ::: "memory"); /* the record before the head */
	*(volatile __u64 *)&o->pos->head = next;
	if ((o->head ^ next) < kd_wake_mark)
		return;
	ring = kd_ring(cpu);
	r = ring ? bpf_ringbuf_reserve(ring, 8, 0) : NULL;
	if (r)
		bpf_ringbuf_discard(r, BPF_RB_FORCE_WAKEUP);
}

/* Forget the record at r: in a region, the head just does not move. */
static __always_inline void kd_out_discard(struct kd_out *o, __u8 *r)
{
	if (!kd_region_bytes)
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
}

#endif
