/*
 * lib/engines/core_int.h: the CO-RE engine's state, shared by its files:
 * core.c (open, next, stats, close), core_table.c (the kernel's per-syscall
 * table and the hooks it needs) and core_follow.c (opts.pids). Private to
 * the engine; built only with KD_HAVE_CORE.
 */
#ifndef KD_CORE_INT_H
#define KD_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "engine.h"
#include "internal.h"
#include "bpf-core/kd_core.h"
#include "ringbuf.h"
#include "merge.h"

#include "kd_core.skel.h"

struct core {
	struct kd_handle *h;
	struct kd_core *skel;
	struct bpf_program *exit_prog, *enter_prog, *fork_prog, *exec_prog, *gone_prog;
	struct bpf_link *exit_link, *enter_link, *fork_link, *exec_link, *gone_link;
	/* exit/exit_group and a successful exec without an entry hook
	 * (kd_noentry.bpf.h; latency off only) */
	struct bpf_program *noret_prog, *rename_prog;
	struct bpf_link *noret_link, *rename_link;
	bool noentry_failed; /* they would not attach: raw sys_enter instead */
	int ncpus;
	int nrings;
	uint64_t ring_bytes;
	/* per-CPU regions for the records the sys_exit program writes in place
	 * (drivers/bpf-core/kd_region.bpf.h), read after the rings: rings[nrings
	 * + cpu]; nsrc = nrings + nregions */
	int nregions, nsrc;
	uint64_t region_chunk; /* bytes per array element */
	uint8_t *regions;
	size_t regions_len;
	struct kd__ring *rings;
	int *ring_fds;
	int epfd;
	struct kd__merge merge; /* of rings[0..nsrc) (merge.h) */
	bool tp_btf, task_storage;
	bool fast;             /* the exit program's fast lane may serve calls */
	char libbpf_msg[512];  /* tail of libbpf's last warnings (verifier log) */
};

/* core_table.c */
/* Fill the kernel's per-syscall table from the selection. */
KD__HIDDEN void kd__core_fill_table(struct core *c);
/* The entry hooks the selection needs, attached or detached to match. */
KD__HIDDEN int kd__core_sync_enter(struct core *c);
/* engine op: the selection changed (kd_probe_enable, kd_select...) */
KD__HIDDEN int kd__core_select(void *state);
/* The bytes a DIRECT1 record reserves for its buffer at this snaplen. */
KD__HIDDEN uint32_t kd__core_direct1_buf(uint32_t snaplen);
/* Mark k for the in-place writers when its shape allows. */
KD__HIDDEN void kd__core_mark_direct(struct kd_ksc *k, uint32_t snaplen);

/* core_follow.c */
/* Warn when this process is outside the initial PID namespace. */
KD__HIDDEN void kd__core_warn_pidns(struct kd_handle *h);
/* Put opts.pids into kd_follow. 0 or KD_EENGINE. */
KD__HIDDEN int kd__core_follow_pids(struct core *c);
/* Add the descendants opts.pids already have (after the fork program is
 * attached). */
KD__HIDDEN void kd__core_follow_descendants(struct core *c);

#endif
