/*
 * lib/core/sets.c: the flag and enum sets of schema/flags.def, and how a value
 * is shown with one ("O_RDWR|O_CREAT", "ENOENT", "SIGUSR1").
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "schema.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A sentinel keeps a set without entries valid C; n excludes it. */
#define KD_F(name, value, mask) { #name, (uint64_t)(value), (uint64_t)(mask) },
#define KD_SET(name, entries) static const struct kd__flag set_##name[] = { entries { NULL, 0, 0 } };
#include "flags.def"
#undef KD_SET
#undef KD_F

static const struct {
	const char *name;
	const struct kd__flag *f;
	size_t n;
} sets[] = {
	{ NULL, NULL, 0 }, /* 0: none */
#define KD_SET(name, entries) { #name, set_##name, ARRAY_SIZE(set_##name) - 1 },
#include "flags.def"
#undef KD_SET
};

#define NSETS ARRAY_SIZE(sets)

/* Set names sorted once for bsearch, and the sets errno/signal names use. */
static struct {
	uint16_t by_name[NSETS - 1];
	int errno_set, signal_set;
	int so_set, ip_set, ipv6_set, tcp_set; /* socket options per level */
} idx;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static int cmp_set(const void *a, const void *b)
{
	return strcmp(sets[*(const uint16_t *)a].name, sets[*(const uint16_t *)b].name);
}

static int cmp_name_set(const void *key, const void *elem)
{
	return strcmp(key, sets[*(const uint16_t *)elem].name);
}

static int find(const char *name)
{
	const uint16_t *hit = bsearch(name, idx.by_name, NSETS - 1, sizeof(idx.by_name[0]),
				      cmp_name_set);

	return hit ? *hit : -ENOENT;
}

static void idx_build(void)
{
	for (size_t i = 1; i < NSETS; i++)
		idx.by_name[i - 1] = (uint16_t)i;
	qsort(idx.by_name, NSETS - 1, sizeof(idx.by_name[0]), cmp_set);
	idx.errno_set = find("errno");
	idx.signal_set = find("signals");
	idx.so_set = find("so_optname");
	idx.ip_set = find("ip_optname");
	idx.ipv6_set = find("ipv6_optname");
	idx.tcp_set = find("tcp_optname");
}

static void idx_init(void)
{
	pthread_once(&idx_once, idx_build);
}

size_t kd__set_count(void)
{
	return NSETS;
}

const char *kd__set_name(uint16_t set)
{
	return set < NSETS ? sets[set].name : NULL;
}

int kd__set_by_name(const char *name)
{
	if (!name)
		return -EINVAL;
	idx_init();
	return find(name);
}

const struct kd__flag *kd__set_entries(uint16_t set, size_t *n)
{
	if (set == 0 || set >= NSETS) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = sets[set].n;
	return sets[set].f;
}

const char *kd__set_lookup(uint16_t set, uint64_t v)
{
	if (set == 0 || set >= NSETS)
		return NULL;
	for (size_t i = 0; i < sets[set].n; i++)
		if (sets[set].f[i].value == v)
			return sets[set].f[i].name;
	return NULL;
}

/* snprintf-like appending: pos counts what was needed, even past len. */
struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->pos < o->len) {
		size_t room = o->len - o->pos - 1;

		memcpy(o->buf + o->pos, s, n < room ? n : room);
	}
	o->pos += n;
}

int kd__set_format(uint16_t set, uint64_t v, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	uint64_t used = 0;
	bool any = false;
	char hex[24];

	if (set == 0 || set >= NSETS)
		return -ENOENT;
	if (!buf && len)
		return -EINVAL;
	for (size_t i = 0; i < sets[set].n; i++) {
		const struct kd__flag *f = &sets[set].f[i];

		/* A mask-less entry names zero itself, and only zero. */
		if (f->mask == 0 ? (v != 0 || any) : (f->mask & used) || (v & f->mask) != f->value)
			continue;
		if (any)
			put(&o, "|");
		put(&o, f->name);
		used |= f->mask;
		any = true;
	}
	if (v & ~used) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, v & ~used);
		if (any)
			put(&o, "|");
		put(&o, hex);
	} else if (!any) {
		put(&o, "0");
	}
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = '\0';
	return o.pos > INT32_MAX ? -EOVERFLOW : (int)o.pos;
}

int kd_flags_format(const char *set, uint64_t v, char *buf, size_t len)
{
	int s = kd__set_by_name(set);

	if (s < 0)
		return s;
	return kd__set_format((uint16_t)s, v, buf, len);
}

const char *kd_flags_name(const char *set, uint64_t v)
{
	int s = set ? kd__set_by_name(set) : -1;

	return s < 0 ? NULL : kd__set_lookup((uint16_t)s, v);
}

const char *kd_sockopt_name(int level, int optname)
{
	int set;

	idx_init();
	switch (level) {
	case 1: /* SOL_SOCKET */
		set = idx.so_set;
		break;
	case 0: /* IPPROTO_IP */
		set = idx.ip_set;
		break;
	case 41: /* IPPROTO_IPV6 */
		set = idx.ipv6_set;
		break;
	case 6: /* IPPROTO_TCP */
		set = idx.tcp_set;
		break;
	default:
		return NULL;
	}
	return set < 0 || optname < 0 ? NULL : kd__set_lookup((uint16_t)set, (uint64_t)optname);
}

const char *kd_errno_name(int errnum)
{
	idx_init();
	if (idx.errno_set < 0 || errnum < 0)
		return NULL;
	return kd__set_lookup((uint16_t)idx.errno_set, (uint64_t)errnum);
}

const char *kd_signal_name(int sig)
{
	idx_init();
	if (idx.signal_set < 0 || sig < 0)
		return NULL;
	return kd__set_lookup((uint16_t)idx.signal_set, (uint64_t)sig);
}
