/*
 * lib/engines/core_probes.h: probes beyond syscalls (process lifecycle,
 * scheduling, signals, page faults, TCP, packet drops): their registry, the
 * attach method each one gets on this kernel, and switching them while the
 * CO-RE engine captures (lib/engines/core_probes.c).
 */
#ifndef KD_CORE_PROBES_H
#define KD_CORE_PROBES_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

struct kd_core;

/* Groups of probe events that are not an event name or a category:
 * "page_fault", "tcp", "probes" (every non-syscall event). Sets en[] and
 * returns true when name is one. */
KD__HIDDEN bool kd__probe_group(uint8_t *en, const char *name, bool on);

/* CO-RE engine hooks (lib/engines/core.c). setup: after the skeleton is
 * opened, before it is loaded: chooses each probe's attach method and sets
 * the programs' autoload. sync: after load and after every selection change:
 * attaches what is wanted, detaches what is not, flips the in-kernel
 * switches. close: detaches everything, before the skeleton goes. */
KD__HIDDEN void kd__probes_setup(struct kd_handle *h, struct kd_core *skel, bool tp_btf);
KD__HIDDEN int kd__probes_sync(struct kd_handle *h);
KD__HIDDEN void kd__probes_close(struct kd_handle *h);

#endif
