/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/bpf-core/kd_probe.h: what the probes beyond syscalls (kd_*.bpf.h)
 * and lib/engines/core_probes.c agree on. Fixed-width types only.
 */
#ifndef KD_BPF_PROBE_H
#define KD_BPF_PROBE_H

/* Non-syscall event ids KD_PRB_FIRST.. (schema/events.def) index kd_ev_on[]. */
#define KD_PRB_FIRST  1000u
#define KD_PRB_EVENTS 32u

/* offcpu_reason set of schema/flags.def */
#define KD_OFFCPU_UNKNOWN     0
#define KD_OFFCPU_PREEMPTED   1
#define KD_OFFCPU_SLEEP       2
#define KD_OFFCPU_LOCK        3
#define KD_OFFCPU_IO_WAIT     4
#define KD_OFFCPU_DISK        5
#define KD_OFFCPU_NET         6
#define KD_OFFCPU_CHILD_WAIT  7
#define KD_OFFCPU_SIGNAL_WAIT 8
#define KD_OFFCPU_STOPPED     9
#define KD_OFFCPU_PAGE_FAULT  10

/* packet_drop's reason_name: the names of enum skb_drop_reason, from the
 * running kernel's BTF (its values differ between kernels), for reasons
 * below KD_DROP_NAMES; each NUL-terminated within KD_DROP_NAME_LEN bytes
 * (the SKB_DROP_REASON_ prefix dropped, as the tracepoint prints them). */
#define KD_DROP_NAMES    256u
#define KD_DROP_NAME_LEN 40u

/* Threads whose sched state is kept (off-CPU start, wakeup time). */
#define KD_PRB_SCHED_ENTRIES 16384u
/* Sockets between SYN_SENT and ESTABLISHED (connect latency). */
#define KD_PRB_CONNECT_ENTRIES 4096u

#endif
