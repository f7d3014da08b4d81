/* lib/core/schema.h: schema internals beyond internal.h: flag sets and how
 * the kernel side captures each param kind (lib/core/schema.c). */
#ifndef KD_SCHEMA_H
#define KD_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* One KD_F() row of schema/flags.def. */
struct kd__flag {
	const char *name;
	uint64_t value;
	uint64_t mask;
};

/* KD_CAP_* for a param kind; *size gets the struct size for KD_CAP_FIXED
 * (else 0). KD_EBADKIND for an unknown kind. size may be NULL. */
KD__HIDDEN int kd__kind_cap(int kind, uint16_t *size);

/* C type of param i of an event row ("const char *", "unsigned int"). */
KD__HIDDEN const char *kd__param_ctype(const struct kd__param *p);

/* Flag sets are numbered 1..kd__set_count()-1; 0 means none. */
KD__HIDDEN size_t kd__set_count(void);
KD__HIDDEN const char *kd__set_name(uint16_t set);  /* NULL for 0 or out of range */
KD__HIDDEN int kd__set_by_name(const char *name);    /* set index, or -ENOENT */
KD__HIDDEN const struct kd__flag *kd__set_entries(uint16_t set, size_t *n);

/*
 * Render v with a set, snprintf-like: returns the length needed (without the
 * NUL), writes at most len bytes including the NUL. Entries are tried in
 * order; one matches when none of its mask bits are consumed yet and
 * (v & mask) == value; matches are joined with '|'; left-over bits follow
 * as 0x..; "0" when nothing matched and v is 0. -ENOENT for a bad set.
 */
KD__HIDDEN int kd__set_format(uint16_t set, uint64_t v, char *buf, size_t len);

/* Name of the first entry whose value is exactly v, or NULL. */
KD__HIDDEN const char *kd__set_lookup(uint16_t set, uint64_t v);
/* The set that names param i of ev, after the param that qualifies it
 * (kd_event_param_set()); -1 for none, then *ptr when it is a pointer. */
KD__HIDDEN int kd__param_set_of(const struct kd_event *ev, unsigned i, bool *ptr);
/* The set that names ev's result (fcntl's F_GETFL: open_flags...), or -1. */
KD__HIDDEN int kd__result_set_of(const struct kd_event *ev);
/* fcntl's lock param i, whose bytes are lock (KD_FLOCK_SIZE), holds the
 * kernel's answer (a GETLK that found a lock): its l_pid means something, a
 * request's is what the caller left */
KD__HIDDEN bool kd__flock_answered(const struct kd_event *ev, unsigned i, const uint8_t *lock);

#endif
