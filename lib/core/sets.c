/*
 * lib/core/sets.c: the flag and enum sets of schema/flags.def, and how a value
 * is shown with one ("O_RDWR|O_CREAT", "ENOENT", "SIGUSR1").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/epoll.h>

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

static int sockopt_set(int64_t level)
{
	switch (level) {
	case 1: /* SOL_SOCKET */
		return idx.so_set;
	case 0: /* IPPROTO_IP */
		return idx.ip_set;
	case 41: /* IPPROTO_IPV6 */
		return idx.ipv6_set;
	case 6: /* IPPROTO_TCP */
		return idx.tcp_set;
	default:
		return -1;
	}
}

/* The fcntl commands whose arg (set) or result (get, -1: none) a set names. */
static const struct {
	int32_t set, get;
	const char *name;
} fcntl_sets[] = {
	{ 2, 1, "fcntl_fd_flags" },   /* F_SETFD, F_GETFD */
	{ 4, 3, "open_flags" },       /* F_SETFL, F_GETFL */
	{ 10, 11, "signals" },        /* F_SETSIG, F_GETSIG */
	{ 1024, 1025, "fcntl_lease" }, /* F_SETLEASE, F_GETLEASE */
	{ 1026, -1, "dnotify_flags" }, /* F_NOTIFY */
	{ 1033, 1034, "fcntl_seals" }, /* F_ADD_SEALS, F_GET_SEALS */
};

static int fcntl_set(uint64_t cmd, bool result)
{
	for (size_t i = 0; i < ARRAY_SIZE(fcntl_sets); i++)
		if ((int64_t)cmd == (result ? fcntl_sets[i].get : fcntl_sets[i].set))
			return find(fcntl_sets[i].name);
	return -1;
}

/* the kernel side reads a struct flock for these (drivers/record.h) */
_Static_assert(KD_FCNTL_IS_LOCK(F_GETLK) && KD_FCNTL_IS_LOCK(F_SETLK) && KD_FCNTL_IS_LOCK(F_SETLKW) &&
		       KD_FCNTL_IS_LOCK(F_OFD_GETLK) && KD_FCNTL_IS_LOCK(F_OFD_SETLK) &&
		       KD_FCNTL_IS_LOCK(F_OFD_SETLKW) && !KD_FCNTL_IS_LOCK(F_SETOWN) &&
		       !KD_FCNTL_IS_LOCK(F_SETOWN_EX),
	       "KD_FCNTL_IS_LOCK names the lock commands");
_Static_assert(sizeof(struct flock) == KD_FLOCK_SIZE, "struct flock is KD_FLOCK_SIZE bytes");
_Static_assert(KD_EPOLL_CTL_DEL == EPOLL_CTL_DEL, "KD_LEN_EPOLL skips EPOLL_CTL_DEL");
/* the kernel side reads futex's utime for these only (KD_LEN_FUTEX) */
_Static_assert(KD_FUTEX_TIMED(FUTEX_WAIT) && KD_FUTEX_TIMED(FUTEX_WAIT_PRIVATE) &&
		       KD_FUTEX_TIMED(FUTEX_LOCK_PI) && KD_FUTEX_TIMED(FUTEX_LOCK_PI2) &&
		       KD_FUTEX_TIMED(FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME) &&
		       KD_FUTEX_TIMED(FUTEX_WAIT_REQUEUE_PI_PRIVATE) && !KD_FUTEX_TIMED(FUTEX_WAKE) &&
		       !KD_FUTEX_TIMED(FUTEX_REQUEUE) && !KD_FUTEX_TIMED(FUTEX_CMP_REQUEUE_PRIVATE) &&
		       !KD_FUTEX_TIMED(FUTEX_WAKE_OP) && !KD_FUTEX_TIMED(FUTEX_CMP_REQUEUE_PI) &&
		       !KD_FUTEX_TIMED(FUTEX_TRYLOCK_PI) && !KD_FUTEX_TIMED(FUTEX_UNLOCK_PI) &&
		       !KD_FUTEX_TIMED(FUTEX_WAKE_BITSET) && !KD_FUTEX_TIMED(FUTEX_FD),
	       "KD_FUTEX_TIMED names the futex commands with a timeout");

/* fcntl's arg by cmd: a set, or none (*ptr: a pointer, else a number). */
static int fcntl_arg_set(uint64_t cmd, bool *ptr)
{
	if (KD_FCNTL_IS_LOCK(cmd)) { /* struct flock *: the lock param shows it */
		*ptr = true;
		return -1;
	}
	switch (cmd) {
	case 15: case 16: case 17: /* F_SETOWN_EX, F_GETOWN_EX, F_GETOWNER_UIDS */
	case 1035: case 1036: case 1037: case 1038: /* the read/write hints: u64 * */
		*ptr = true;
		return -1;
	default: /* a set, or an fd (F_DUPFD*), a pid (F_SETOWN), a size, unused */
		*ptr = false;
		return fcntl_set(cmd, false);
	}
}

int kd__param_set_of(const struct kd_event *ev, unsigned i, bool *ptr)
{
	const struct kd__param *sp = &ev->info->params[i];
	struct kd_value by;

	*ptr = false;
	if (sp->kind != KD_PK_SOCKOPT && sp->kind != KD_PK_FCNTLARG)
		return sp->set ? sp->set : -1;
	if (i == 0 || kd_event_param(ev, i - 1, &by) || (by.flags & (KD_VAL_BYTES | KD_VAL_NULL)))
		return -1;
	idx_init();
	return sp->kind == KD_PK_SOCKOPT ? sockopt_set(by.i) : fcntl_arg_set(by.u, ptr);
}

int kd__result_set_of(const struct kd_event *ev)
{
	struct kd_value cmd;

	if (kd_event_type(ev) != KD_EV_FCNTL || kd_event_result(ev) < 0 || kd_event_param(ev, 1, &cmd))
		return -1;
	idx_init();
	return fcntl_set(cmd.u, true);
}

bool kd__flock_answered(const struct kd_event *ev, unsigned i, const uint8_t *lock)
{
	struct kd_value cmd;
	unsigned arg = KD_LEN_IDX(ev->info->params[i].len); /* LOCK(arg): cmd is arg - 1 */
	int16_t type;

	if (ev->info->params[i].kind != KD_PK_FLOCK || arg == 0 || kd_event_param(ev, arg - 1, &cmd) ||
	    (cmd.u != F_GETLK && cmd.u != F_OFD_GETLK))
		return false;
	memcpy(&type, lock, 2);
	return kd_event_result(ev) >= 0 && type != F_UNLCK;
}

const char *kd_event_param_set(const struct kd_event *ev, unsigned i)
{
	bool ptr;
	int set;

	if (!ev || i >= kd_event_nparams(ev))
		return NULL;
	set = kd__param_set_of(ev, i, &ptr);
	return set > 0 ? sets[set].name : NULL;
}

const char *kd_sockopt_name(int level, int optname)
{
	int set;

	idx_init();
	set = sockopt_set(level);
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
