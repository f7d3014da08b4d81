/*
 * lib/core/schema.c: schema/syscalls.def and schema/events.def compiled into
 * the event table (indexed by event id) that the decoder, the introspection
 * API and the kernel capture table read. Flag sets live in sets.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "schema.h"
#include "schema_kinds.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The enums of kindling.h and the tables of schema_kinds.h must agree. */
#define CHECK_KIND(K, ...) _Static_assert((int)KD_PK_##K == (int)KIND_IDX_##K, "kind order: " #K);
#define KIND_IDX(K, ...) KIND_IDX_##K,
enum { KD__KINDS(KIND_IDX) KIND_IDX__COUNT };
KD__KINDS(CHECK_KIND)
_Static_assert((int)KIND_IDX__COUNT == (int)KD_PK__COUNT, "schema_kinds.h lists every kind");
#define CHECK_CAT(C, n) _Static_assert((int)KD_CAT_##C == (int)CAT_IDX_##C, "category order: " #C);
#define CAT_IDX(C, n) CAT_IDX_##C,
enum { KD__CATEGORIES(CAT_IDX) CAT_IDX__COUNT };
KD__CATEGORIES(CHECK_CAT)
_Static_assert((int)CAT_IDX__COUNT == (int)KD_CAT__COUNT, "schema_kinds.h lists every category");

/* Set column -> set index (0 = NONE), in flags.def order as in sets.c. */
enum {
	KD__SET_NONE = 0,
#define KD_SET(name, entries) KD__SET_##name,
#include "flags.def"
#undef KD_SET
};

/* The flags column's short names, for these tables only. */
#define CREATES_FD KD_EF_CREATES_FD
#define CLOSES_FD  KD_EF_CLOSES_FD
#define USES_FD    KD_EF_USES_FD
#define READS      KD_EF_READS
#define WRITES     KD_EF_WRITES
#define PROC_STATE KD_EF_PROC_STATE
#define NORETURN   KD_EF_NORETURN
#define ENTRY_ARGS KD_EF_ENTRY_ARGS
#define BLOCKING   KD_EF_BLOCKING

/* each kind's wire at build time: the decoder reads it for every param */
enum {
#define KD__WIRE_OF(K, name, wire, ...) KD__WIRE_OF_##K = KD_WIRE_##wire,
	KD__KINDS(KD__WIRE_OF)
#undef KD__WIRE_OF
};

/* One params array per event, with a sentinel so that rows without params
 * stay valid C: nparams is the array size minus one. */
#define KD_P(name, kind, ctype, set, len) \
	{ #name, KD_PK_##kind, KD__CT_##ctype, KD_LEN_##len, KD__WIRE_OF_##kind, KD__SET_##set },
#define KD_SC(id, name, nr, cat, res, flags, params) \
	static const struct kd__param p_##name[] = { params { NULL, 0, 0, 0, 0, 0 } };
#define KD_EV(id, name, cat, flags, params) \
	static const struct kd__param p_##name[] = { params { NULL, 0, 0, 0, 0, 0 } };
#include "syscalls.def"
#include "events.def"
#undef KD_SC
#undef KD_EV
#undef KD_P

#define NPARAMS(name) (ARRAY_SIZE(p_##name) - 1)

/* Row sanity the compiler can check: id ranges, syscall numbers, arity. */
#define KD_SC(id, name, nr, cat, res, flags, params)                                   \
	_Static_assert((id) > 0 && (id) < 1000, "syscall ids are 1..999: " #name);      \
	_Static_assert((nr) >= 0 && (nr) < (int)KD_MAX_SYSCALL_NR, "bad nr: " #name);   \
	_Static_assert(NPARAMS(name) <= KD_KSC_MAX_PARAMS,                               \
		       "a syscall has at most 6 arguments and 1 synthetic param: " #name);
#define KD_EV(id, name, cat, flags, params)                                            \
	_Static_assert((id) >= 1000 && (id) < KD__EVENT_MAX, "event ids are 1000+: " #name); \
	_Static_assert(NPARAMS(name) <= KD_REC_MAX_PARAMS, "too many params: " #name);
#include "syscalls.def"
#include "events.def"
#undef KD_SC
#undef KD_EV

/* Duplicate ids or syscall numbers fail to compile: "duplicate case value". */
static inline __attribute__((unused)) void check_unique_ids(int id)
{
	switch (id) {
#define KD_SC(id, name, nr, cat, res, flags, params) case id:
#define KD_EV(id, name, cat, flags, params) case id:
#include "syscalls.def"
#include "events.def"
#undef KD_SC
#undef KD_EV
	default:
		break;
	}
}

static inline __attribute__((unused)) void check_unique_nrs(int nr)
{
	switch (nr) {
#define KD_SC(id, name, nr, cat, res, flags, params) case nr:
#include "syscalls.def"
#undef KD_SC
	default:
		break;
	}
}
/* Duplicate names fail above already: p_<name> would be defined twice. */

const struct kd__event_info kd__events[KD__EVENT_MAX] = {
#define KD_SC(id, name, nr, cat, res, flags, params)                                   \
	[id] = { #name, (nr), KD_CAT_##cat, KD_PK_##res, KD_EF_SYSCALL | (flags),       \
		 NPARAMS(name), p_##name },
#define KD_EV(id, name, cat, flags, params)                                            \
	[id] = { #name, -1, KD_CAT_##cat, KD_PK_INT, (flags), NPARAMS(name), p_##name },
#include "syscalls.def"
#include "events.def"
#undef KD_SC
#undef KD_EV
};

enum {
	N_EVENTS = 0
#define KD_SC(id, name, nr, cat, res, flags, params) +1
#define KD_EV(id, name, cat, flags, params) +1
#include "syscalls.def"
#include "events.def"
#undef KD_SC
#undef KD_EV
};

#undef CREATES_FD
#undef CLOSES_FD
#undef USES_FD
#undef READS
#undef WRITES
#undef PROC_STATE
#undef NORETURN
#undef ENTRY_ARGS
#undef BLOCKING

/* Ids ascending and ids by name, computed once: immutable afterwards. */
static struct {
	uint16_t by_id[N_EVENTS];
	uint16_t by_name[N_EVENTS];
	int max; /* one past the highest id */
} idx;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static int cmp_id_name(const void *a, const void *b)
{
	return strcmp(kd__events[*(const uint16_t *)a].name, kd__events[*(const uint16_t *)b].name);
}

static void idx_build(void)
{
	size_t n = 0;

	for (size_t id = 0; id < KD__EVENT_MAX; id++)
		if (kd__events[id].name)
			idx.by_id[n++] = (uint16_t)id;
	idx.max = n ? idx.by_id[n - 1] + 1 : 0;
	memcpy(idx.by_name, idx.by_id, sizeof(idx.by_name));
	qsort(idx.by_name, N_EVENTS, sizeof(idx.by_name[0]), cmp_id_name);
}

static void idx_init(void)
{
	pthread_once(&idx_once, idx_build);
}

static const struct kd__param *param(int type, unsigned i)
{
	const struct kd__event_info *e = kd__event_info(type);

	return e && i < e->nparams ? &e->params[i] : NULL;
}

/* ---------------------------------------------------------------- kinds */

static const struct {
	const char *name, *ctype;
	uint8_t wire, cap;
	uint16_t size;
} kinds[] = {
#define KIND_ROW(K, name, wire, cap, size, ctype, meaning) \
	{ name, ctype, KD_WIRE_##wire, KD_CAP_##cap, size },
	KD__KINDS(KIND_ROW)
#undef KIND_ROW
};

static const char *const ctypes[] = {
#define CT_ROW(CT, s) [KD__CT_##CT] = s,
	KD__CTYPES(CT_ROW)
#undef CT_ROW
};

int kd__kind_wire(int kind)
{
	if (kind < 0 || kind >= KD_PK__COUNT)
		return KD_EBADKIND;
	return kinds[kind].wire;
}

int kd__kind_cap(int kind, uint16_t *size)
{
	if (kind < 0 || kind >= KD_PK__COUNT)
		return KD_EBADKIND;
	if (size)
		*size = kinds[kind].size;
	return kinds[kind].cap;
}

const char *kd__param_ctype(const struct kd__param *p)
{
	if (!p || p->kind >= KD_PK__COUNT || p->ctype >= ARRAY_SIZE(ctypes))
		return NULL;
	return kinds[p->kind].ctype ? kinds[p->kind].ctype : ctypes[p->ctype];
}

const char *kd_param_kind_name(int kind)
{
	if (kind < 0 || kind >= KD_PK__COUNT)
		return NULL;
	return kinds[kind].name;
}

static const char *const categories[] = {
#define CAT_ROW(C, name) name,
	KD__CATEGORIES(CAT_ROW)
#undef CAT_ROW
};

const char *kd_category_name(int cat)
{
	if (cat < 0 || cat >= KD_CAT__COUNT)
		return categories[KD_CAT_UNKNOWN];
	return categories[cat];
}

int kd_category_by_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (int c = 0; c < KD_CAT__COUNT; c++)
		if (strcmp(categories[c], name) == 0)
			return c;
	return KD_EUNKNOWN;
}

/* ---------------------------------------------------------------- event types */

uint32_t kd_schema_version(void)
{
	return KD_SCHEMA_VERSION;
}

int kd_event_type_max(void)
{
	idx_init();
	return idx.max;
}

size_t kd_event_type_count(void)
{
	return N_EVENTS;
}

int kd_event_type_at(size_t i)
{
	if (i >= N_EVENTS)
		return -ERANGE;
	idx_init();
	return idx.by_id[i];
}

static int cmp_name_id(const void *key, const void *elem)
{
	return strcmp(key, kd__events[*(const uint16_t *)elem].name);
}

int kd_event_type_by_name(const char *name)
{
	const uint16_t *hit;

	if (!name)
		return -EINVAL;
	idx_init();
	hit = bsearch(name, idx.by_name, N_EVENTS, sizeof(idx.by_name[0]), cmp_name_id);
	return hit ? *hit : KD_EUNKNOWN;
}

const char *kd_event_type_name(int type)
{
	const struct kd__event_info *e = kd__event_info(type);

	return e ? e->name : NULL;
}

int kd_event_type_category(int type)
{
	const struct kd__event_info *e = kd__event_info(type);

	return e ? e->category : KD_EUNKNOWN;
}

uint32_t kd_event_type_flags(int type)
{
	const struct kd__event_info *e = kd__event_info(type);

	return e ? e->flags : 0;
}

int kd_event_type_syscall_nr(int type)
{
	const struct kd__event_info *e = kd__event_info(type);

	return e ? e->nr : KD_EUNKNOWN;
}

int kd_event_type_nparams(int type)
{
	const struct kd__event_info *e = kd__event_info(type);

	return e ? e->nparams : KD_EUNKNOWN;
}

int kd_event_type_result_kind(int type)
{
	const struct kd__event_info *e = kd__event_info(type);

	return e ? e->result : KD_EUNKNOWN;
}

const char *kd_event_type_param_name(int type, unsigned i)
{
	const struct kd__param *p = param(type, i);

	return p ? p->name : NULL;
}

int kd_event_type_param_kind(int type, unsigned i)
{
	const struct kd__param *p = param(type, i);

	if (!p)
		return kd__event_info(type) ? KD_ENOPARAM : KD_EUNKNOWN;
	return p->kind;
}

const char *kd_event_type_param_ctype(int type, unsigned i)
{
	return kd__param_ctype(param(type, i));
}

const char *kd_event_type_param_set(int type, unsigned i)
{
	const struct kd__param *p = param(type, i);

	return p ? kd__set_name(p->set) : NULL;
}

/* ---------------------------------------------------------------- kernel table */

void kd__ksc_build(struct kd_ksc *tab, size_t n, const uint8_t *enabled)
{
	if (!tab)
		return;
	memset(tab, 0, n * sizeof(*tab));
	for (int id = 1; id < 1000; id++) {
		const struct kd__event_info *e = &kd__events[id];
		struct kd_ksc *k;

		if (!e->name || e->nr < 0 || (size_t)e->nr >= n)
			continue;
		k = &tab[e->nr];
		k->id = (uint16_t)id;
		k->nparams = e->nparams;
		if (enabled && enabled[id])
			k->flags |= KD_KSC_ENABLED;
		if (e->flags & KD_EF_NORETURN)
			k->flags |= KD_KSC_AT_ENTRY;
		if (e->flags & KD_EF_ENTRY_ARGS)
			k->flags |= KD_KSC_ENTRY_ARGS;
		for (unsigned i = 0; i < e->nparams && i < ARRAY_SIZE(k->p); i++) {
			uint16_t size = 0;

			k->p[i].cap = (uint8_t)kd__kind_cap(e->params[i].kind, &size);
			k->p[i].aux = e->params[i].len;
			k->p[i].size = size;
		}
	}
}
