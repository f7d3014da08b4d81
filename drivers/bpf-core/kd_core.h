/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/bpf-core/kd_core.h: what the CO-RE programs and lib/engines/core.c
 * agree on besides drivers/record.h: counter slots and scratch limits.
 * Plain fixed-width types only: included by BPF code and userspace.
 */
#ifndef KD_BPF_CORE_H
#define KD_BPF_CORE_H

/* Per-CPU counters live in .bss, one 64-byte slot per CPU (no false sharing);
 * CPUs past the last slot fold onto earlier ones, so sums stay exact. */
#define KD_BPF_MAX_CPUS 1024u

#define KD_CNT_KERNEL_EVENTS 0 /* records the programs tried to emit */
#define KD_CNT_FILTERED      1 /* syscalls seen but not selected: nothing copied */
#define KD_CNT_DROP_FULL     2 /* ring had no room */
#define KD_CNT_DROP_TOO_BIG  3 /* record larger than the ring or pending area */
#define KD_CNT_DROP_NO_STATE 4 /* entry state missing (execve args), or a followed child that kd_follow had no room for */
#define KD_CNT_WAKE_BYTES    5 /* ring bytes submitted since this CPU last woke the consumer */
#define KD_CNT_FLT_TASK      6 /* dropped by the pid/comm/cgroup filter (kd_filter.bpf.h) */
#define KD_CNT_FLT_PATH      7 /* dropped by the path-prefix filter */
#define KD_CNT__MAX          8

/* kd_ksc.flags bit set by lib/engines/core.c (drivers/record.h uses the low
 * bits): every param is a register value, so the record's size is known
 * before anything is read and it is written straight into the ring. */
#define KD_KSC_DIRECT (1u << 7)

/* kd_ksc.flags: register values and exactly one variable param (a buffer up
 * to snaplen, a sockaddr, a small struct or a string), whose index is in
 * bits 3-5. The record is reserved at a fixed size per kind (the most it can
 * take) and written in place; the ring record's tail past hdr.len is slack.
 * A string that does not fit its reservation falls back to the scratch. */
#define KD_KSC_DIRECT1    (1u << 6)
#define KD_KSC_VAR_SHIFT  3
#define KD_KSC_VAR_IDX(f) (((f) >> KD_KSC_VAR_SHIFT) & 7u)

/* DIRECT1 rows may end in a "tail": a synthetic KD_CAP_FIXED struct read
 * through a pointer argument when the call succeeded (KD_LEN_PTR_OUT), after
 * their string. Only these shapes are written in place (kd_fast1() has them
 * with constant offsets); lib/engines/core.c marks no other tail row DIRECT1.
 * Both take the shapes from KD_TAIL_SHAPES: X(n params, the string at v, the
 * struct through argument tp, its bytes).
 *   (path, statbuf, stat)                          stat, lstat
 *   (dfd, path, statbuf, flag, stat)                newfstatat
 *   (dfd, path, flags, mask, buffer, stat)          statx */
#define KD_TAIL_STAT   120u /* the struct stat bytes the schema keeps */
#define KD_TAIL_STATX  144u /* the struct statx bytes */
#define KD_TAIL_SHAPES(X)            \
	X(3, 0, 1, KD_TAIL_STAT)     \
	X(5, 1, 2, KD_TAIL_STAT)     \
	X(6, 1, 4, KD_TAIL_STATX)

/* kd_fast_tab (kd_fast.bpf.h): the fast lane's record shapes: 3 or 4
 * params, the buffer second, its length from ret or from the third arg. */
#define KD_FAST_BUF3_RET 1 /* read */
#define KD_FAST_BUF3_ARG 2 /* write */
#define KD_FAST_BUF4_RET 3 /* pread64 */
#define KD_FAST_BUF4_ARG 4 /* pwrite64 */

/* header, six lengths and five register values: what a DIRECT1 record
 * holds besides its variable param */
#define KD_DIRECT1_FIXED  100u
/* reservation of a record with a string, a sockaddr (up to 128 bytes), or a
 * KD_CAP_FIXED struct or ioctl's data up to 156 bytes: one size, so one
 * inlined kd_direct1() serves them all */
#define KD_DIRECT1_SMALL  256u
#define KD_DIRECT1_EPOLL  (KD_DIRECT1_FIXED + KD_EPOLLEV_MAX * 12) /* epoll_wait's ready */
#define KD_DIRECT1_MAX    4096u /* buffer records reserve snaplen + 100 up to this */

struct kd_bpf_cnt {
	__u64 v[KD_CNT__MAX];
};

/* A record is built in a per-CPU scratch of twice this size: offsets are
 * masked below it and every copy is at most this long, which is what lets
 * the verifier accept variable lengths. A record never exceeds it. */
#define KD_BPF_REC_LIMIT 65536u
#define KD_BPF_REC_MASK  (KD_BPF_REC_LIMIT - 1)

/* execve/execveat records are captured at entry and parked here per thread:
 * path + argv + envp at their limits fit. */
#define KD_BPF_PENDING_MAX   16384u
#define KD_BPF_PENDING_COUNT 256u

/* Per-CPU regions (kd_region.bpf.h). */
#define KD_REGION_CHUNK_MAX (4u << 20) /* bytes per array element: KMALLOC_MAX_SIZE */
#define KD_REGION_PREFIX    8u         /* before each record: its length, or KD_REGION_PAD */
#define KD_REGION_PAD       (1ull << 32) /* the rest of the chunk is unused */
/* Bytes a record of len bytes takes in a region: prefix, record, 8-aligned. */
#define KD_REGION_STEP(len) (((__u64)(len) + KD_REGION_PREFIX + 7) & ~7ull)

/* Where each CPU's region is written and read (.bss), a cache line each. */
struct kd_region_pos {
	__u64 head; /* bytes written, by the program */
	__u64 _p1[7];
	__u64 tail; /* bytes read, by userspace */
	__u64 _p2[7];
};

/* Pid filter capacity (followed processes and their children). */
#define KD_BPF_FOLLOW_MAX 8192u
#define KD_BPF_CLONE3_MAX 1024u /* clone3 children whose flags wait (kd_clone3_flags) */

/* Latency fallback (no task storage): entry timestamps by tid. */
#define KD_BPF_LAT_ENTRIES 16384u

#endif
