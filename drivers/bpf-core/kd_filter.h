/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/bpf-core/kd_filter.h: the in-kernel event filter as the CO-RE
 * programs (kd_filter.bpf.h) and lib/engines/core.c share it. Built by
 * lib/core/filter.c from a struct kd_filter; fixed-width types only.
 */
#ifndef KD_BPF_FILTER_H
#define KD_BPF_FILTER_H

#define KD_FLT_PIDS     16u
#define KD_FLT_COMMS    8u
#define KD_FLT_CGROUPS  8u
#define KD_FLT_PATHS    8u /* a power of 2 (indexes are masked) */
#define KD_FLT_PATH_MAX 128u /* a prefix slot; a power of 2 (offsets are masked) */
#define KD_FLT_COMM_LEN 16u  /* TASK_COMM_LEN */
/* event ids below this may have path params (syscalls) */
#define KD_FLT_EVENTS   1024u

/* kd_flt.kinds: which kinds are set (AND across kinds, OR within one) */
#define KD_FLT_K_PID    (1u << 0)
#define KD_FLT_K_COMM   (1u << 1)
#define KD_FLT_K_CGROUP (1u << 2)
#define KD_FLT_K_PATH   (1u << 3)
/* kd_flt_task()'s kmask only: a bookkeeping check, whose rejection drops no
 * event now (a later check about the same task counts it) */
#define KD_FLT_QUIET    (1u << 31)

/* Strings are zero-padded to their slot, so comparisons run on whole
 * 8-byte words under a mask: no per-byte loop, no NUL search. */
struct kd_flt {
	__u32 kinds;
	__u32 npid, ncomm, ncg, npath;
	__u32 _pad;
	__u32 pid[KD_FLT_PIDS];                  /* tgids */
	__u64 comm[KD_FLT_COMMS][2];             /* name, zero-padded */
	__u64 comm_mask[KD_FLT_COMMS][2];        /* exact: all 16 bytes; "p*": strlen(p) bytes */
	__u64 cg_id[KD_FLT_CGROUPS];             /* cgroup v2 id (the directory's inode) */
	__u32 cg_level[KD_FLT_CGROUPS];          /* its depth below the root (root = 0) */
	__u32 path_len[KD_FLT_PATHS];            /* bytes of the prefix, no NUL */
	__u8 path[KD_FLT_PATHS][KD_FLT_PATH_MAX];
};

#endif
