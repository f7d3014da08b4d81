/*
 * lib/engines/core_debug.h: knobs of the CO-RE engine for kindling's own
 * tests and benchmarks. They are reachable only through the static library
 * (hidden from libkindling.so), never from the environment: a library must
 * not change behaviour because of a variable its host process happens to
 * carry.
 */
#ifndef KD_CORE_DEBUG_H
#define KD_CORE_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* Longest unit list accepted by probe_no_tp / probe_no_fentry. */
#define KD__CORE_DEBUG_LIST 256

struct kd__core_debug {
	/* build every syscall record in the per-CPU scratch (kd-bench measures
	 * the direct paths against it) */
	bool no_direct;
	/* write the direct records into the BPF ring buffers, not the per-CPU
	 * regions (kd-bench measures the regions against them) */
	bool no_region;
	/* without latency, serve exit/exit_group and execve from the raw
	 * sys_enter program as with latency, not from kd_noentry.bpf.h's
	 * programs (tests cover both) */
	bool entry_hooks;
	/* send read/write/pread64/pwrite64 through the general path of the
	 * exit program, not its fast lane (kd_fast.bpf.h) */
	bool no_fast;
	/* bytes per region chunk instead of min(ring, 4 MiB): a power of 2 from
	 * 8 KiB, so tests cross chunk ends without megabytes of records */
	uint64_t region_chunk;
	/* entries of kd_follow (opts.pids) instead of KD_BPF_FOLLOW_MAX, so a
	 * test outlives the table with a few hundred forks */
	uint32_t follow_max;
	/* "all" or a comma list of probe program units (kd_p_rstrecv): skip
	 * their tracepoint / fentry so the fallbacks can be tested */
	char probe_no_tp[KD__CORE_DEBUG_LIST];
	char probe_no_fentry[KD__CORE_DEBUG_LIST];
};

/* Applies to every later kd_open() of the core engine in this process until
 * changed; NULL restores the defaults. Not thread-safe against a concurrent
 * kd_open(): set it first. */
KD__HIDDEN void kd__core_debug_set(const struct kd__core_debug *d);
/* The current knobs (all off by default). */
KD__HIDDEN const struct kd__core_debug *kd__core_debug(void);

/* The fast-lane shape (KD_FAST_*, drivers/bpf-core/kd_core.h) the core
 * engine behind h gives syscall nr now, 0 for none; -1 when h does not run
 * the core engine (lib/engines/core.c). */
KD__HIDDEN int kd__core_fast_shape(const struct kd_handle *h, unsigned nr);
/* The kd_ksc flags (KD_KSC_*) of syscall nr as the program sees them, -1
 * when h does not run the core engine. */
KD__HIDDEN int kd__core_ksc_flags(const struct kd_handle *h, unsigned nr);

#endif
