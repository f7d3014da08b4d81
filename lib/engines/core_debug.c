/*
 * lib/engines/core_debug.c: the CO-RE engine's test and benchmark knobs
 * (core_debug.h), set through the static library only.
 */
#include <string.h>

#include "core_debug.h"

static struct kd__core_debug knobs;

void kd__core_debug_set(const struct kd__core_debug *d)
{
	if (!d) {
		memset(&knobs, 0, sizeof(knobs));
		return;
	}
	knobs = *d;
	knobs.probe_no_tp[sizeof(knobs.probe_no_tp) - 1] = '\0';
	knobs.probe_no_fentry[sizeof(knobs.probe_no_fentry) - 1] = '\0';
}

const struct kd__core_debug *kd__core_debug(void)
{
	return &knobs;
}
