/* tests/test_schema.c: the compiled schema: introspection, row consistency,
 * the kernel capture table and flag-set formatting. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "internal.h"
#include "kd_test.h"

TestSuite(schema, .timeout = 30);

static struct kd_ksc ksc[KD_MAX_SYSCALL_NR];

static const struct kd_ksc *ksc_of(const char *name)
{
	static uint8_t enabled[KD__EVENT_MAX];
	int id = kd_event_type_by_name(name);

	cr_assert_gt(id, 0, "%s is in the schema", name);
	enabled[id] = 1;
	kd__ksc_build(ksc, KD_MAX_SYSCALL_NR, enabled);
	cr_assert_geq(kd_event_type_syscall_nr(id), 0);
	return &ksc[kd_event_type_syscall_nr(id)];
}

static const char *fmt(const char *set, uint64_t v)
{
	static char buf[512];
	int n = kd_flags_format(set, v, buf, sizeof(buf));

	cr_assert_geq(n, 0, "kd_flags_format(%s): %d", set, n);
	cr_assert_eq((size_t)n, strlen(buf));
	return buf;
}

Test(schema, enough_syscalls)
{
	size_t nsc = 0;

	for (size_t i = 0; i < kd_event_type_count(); i++)
		nsc += kd_event_type_syscall_nr(kd_event_type_at(i)) >= 0;
	cr_expect_geq(nsc, 350, "only %zu syscalls in schema/syscalls.def", nsc);
	cr_expect_eq(kd_event_type_count(), (size_t)KD_SCHEMA_EVENTS);
	cr_expect_eq(kd_event_type_max(), KD_EV__MAX);
}

Test(schema, ids_names_and_categories)
{
	int prev = 0;

	cr_assert_gt(kd_event_type_count(), 0);
	for (size_t i = 0; i < kd_event_type_count(); i++) {
		int id = kd_event_type_at(i);
		const char *name = kd_event_type_name(id);
		int cat = kd_event_type_category(id);

		cr_assert_gt(id, prev, "ids ascend and are unique (%d after %d)", id, prev);
		prev = id;
		cr_assert_lt(id, kd_event_type_max());
		cr_assert_not_null(name, "id %d has a name", id);
		cr_expect_neq(name[0], '\0', "id %d", id);
		cr_expect_eq(kd_event_type_by_name(name), id, "by_name(%s)", name);
		cr_expect(cat > KD_CAT_UNKNOWN && cat < KD_CAT__COUNT, "%s: category %d", name, cat);
		cr_expect_eq(kd_category_by_name(kd_category_name(cat)), cat);
		if (kd_event_type_flags(id) & KD_EF_SYSCALL)
			cr_expect(id < 1000 && kd_event_type_syscall_nr(id) >= 0, "%s", name);
		else
			cr_expect(id >= 1000 && kd_event_type_syscall_nr(id) == -1, "%s", name);
	}
	cr_expect_eq(kd_event_type_at(kd_event_type_count()), -ERANGE);
}

Test(schema, params_are_named)
{
	for (size_t i = 0; i < kd_event_type_count(); i++) {
		int id = kd_event_type_at(i);
		const struct kd__event_info *e = kd__event_info(id);
		int np = kd_event_type_nparams(id);

		cr_assert_not_null(e);
		cr_assert_eq(np, e->nparams, "%s", e->name);
		/* six arguments at most, and one synthetic param (sendto's tuple) */
		cr_expect_leq(np, (e->flags & KD_EF_SYSCALL) ? (int)KD_KSC_MAX_PARAMS : (int)KD_REC_MAX_PARAMS, "%s",
			      e->name);
		for (int p = 0; p < np; p++) {
			const char *pn = kd_event_type_param_name(id, (unsigned)p);

			cr_assert_not_null(pn, "%s param %d", e->name, p);
			cr_expect_neq(pn[0], '\0', "%s param %d has a name", e->name, p);
			for (int q = 0; q < p; q++)
				cr_expect_str_neq(pn, kd_event_type_param_name(id, (unsigned)q),
						  "%s: param names are unique", e->name);
			if (e->params[p].kind == KD_PK_FLAGS || e->params[p].kind == KD_PK_ENUM)
				cr_expect_not_null(kd_event_type_param_set(id, (unsigned)p),
						   "%s.%s: FLAGS/ENUM param needs a set", e->name, pn);
		}
		cr_expect_null(kd_event_type_param_name(id, (unsigned)np));
		cr_expect_eq(kd_event_type_param_kind(id, (unsigned)np), KD_ENOPARAM);
	}
}

Test(schema, unknown_ids_and_names)
{
	cr_expect_null(kd_event_type_name(0));
	cr_expect_null(kd_event_type_name(-1));
	cr_expect_null(kd_event_type_name(KD__EVENT_MAX));
	cr_expect_null(kd__event_info(KD__EVENT_MAX + 5));
	cr_expect_eq(kd_event_type_nparams(0), KD_EUNKNOWN);
	cr_expect_eq(kd_event_type_category(0), KD_EUNKNOWN);
	cr_expect_eq(kd_event_type_syscall_nr(0), KD_EUNKNOWN);
	cr_expect_eq(kd_event_type_param_kind(0, 0), KD_EUNKNOWN);
	cr_expect_eq(kd_event_type_flags(0), 0);
	cr_expect_eq(kd_event_type_by_name("no_such_syscall"), KD_EUNKNOWN);
	cr_expect_eq(kd_event_type_by_name(""), KD_EUNKNOWN);
	cr_expect_eq(kd_event_type_by_name(NULL), -EINVAL);
	cr_expect_str_eq(kd_category_name(KD_CAT_NET), "net");
	cr_expect_str_eq(kd_category_name(999), "unknown");
	cr_expect_str_eq(kd_category_name(-1), "unknown");
	cr_expect_eq(kd_category_by_name("sched"), KD_CAT_SCHED);
	cr_expect_eq(kd_category_by_name("nope"), KD_EUNKNOWN);
	cr_expect_str_eq(kd_param_kind_name(KD_PK_PATH), "path");
	cr_expect_str_eq(kd_param_kind_name(KD_PK_ERRNO), "errno");
	cr_expect_null(kd_param_kind_name(KD_PK__COUNT));
	cr_expect_eq(kd_schema_version(), KD_SCHEMA_VERSION);
}

Test(schema, introspection_of_openat)
{
	int id = kd_event_type_by_name("openat");

	cr_assert_gt(id, 0, "openat is in the schema");
	cr_expect_str_eq(kd_event_type_name(id), "openat");
	cr_expect_eq(kd_event_type_syscall_nr(id), 257);
	cr_expect_eq(kd_event_type_category(id), KD_CAT_FILE);
	cr_expect(kd_event_type_flags(id) & KD_EF_SYSCALL);
	cr_expect(kd_event_type_flags(id) & KD_EF_CREATES_FD);
	cr_expect_eq(kd_event_type_result_kind(id), KD_PK_FD);
	cr_assert_eq(kd_event_type_nparams(id), 4);
	cr_expect_str_eq(kd_event_type_param_name(id, 0), "dfd");
	cr_expect_eq(kd_event_type_param_kind(id, 0), KD_PK_DIRFD);
	cr_expect_str_eq(kd_event_type_param_name(id, 1), "filename");
	cr_expect_eq(kd_event_type_param_kind(id, 1), KD_PK_PATH);
	cr_expect_str_eq(kd_event_type_param_ctype(id, 1), "const char *");
	cr_expect_str_eq(kd_event_type_param_set(id, 2), "open_flags");
	cr_expect_null(kd_event_type_param_set(id, 1));
}

static int by_name_ids[4];

static void *by_name_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		by_name_ids[0] = kd_event_type_by_name("read");
		by_name_ids[1] = kd_event_type_by_name("write");
	}
	return NULL;
}

/* The name index is built on first use; racing first uses must agree. */
Test(schema, by_name_from_threads)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, by_name_thread, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_expect_eq(by_name_ids[0], KD_EV_READ);
	cr_expect_eq(by_name_ids[1], KD_EV_WRITE);
}

/* ------------------------------------------------------------ kernel table */

Test(schema, ksc_openat)
{
	const struct kd_ksc *k = ksc_of("openat");

	cr_expect_eq(k->id, kd_event_type_by_name("openat"));
	cr_expect_eq(k->nparams, 4);
	cr_expect(k->flags & KD_KSC_ENABLED);
	cr_expect_eq(k->p[0].cap, KD_CAP_VAL);
	cr_expect_eq(k->p[1].cap, KD_CAP_STR);
	cr_expect_eq(k->p[1].aux, KD_LEN_NONE);
	cr_expect_eq(k->p[2].cap, KD_CAP_VAL);
}

Test(schema, ksc_read_write)
{
	const struct kd_ksc *r = ksc_of("read");
	const struct kd_ksc *w = &ksc[kd_event_type_syscall_nr(KD_EV_WRITE)];

	cr_expect_eq(r->id, KD_EV_READ);
	cr_expect_eq(r->p[1].cap, KD_CAP_BUF);
	cr_expect_eq(r->p[1].aux, KD_LEN_RET);
	cr_expect_eq(w->id, KD_EV_WRITE);
	cr_expect_eq(w->p[1].cap, KD_CAP_BUF);
	cr_expect_eq(w->p[1].aux, KD_LEN_ARG(2));
	cr_expect_not(w->flags & KD_KSC_ENABLED, "only read was enabled");
}

Test(schema, ksc_connect_execve_exit_group)
{
	const struct kd_ksc *c = ksc_of("connect");
	const struct kd_ksc *x = ksc_of("execve");
	const struct kd_ksc *e = ksc_of("exit_group");

	cr_expect_eq(c->p[1].cap, KD_CAP_SOCKADDR);
	cr_expect_eq(c->p[1].aux, KD_LEN_ARG(2));
	cr_expect(x->flags & KD_KSC_ENTRY_ARGS);
	cr_expect_eq(x->p[0].cap, KD_CAP_STR);
	cr_expect_eq(x->p[1].cap, KD_CAP_STRARR);
	cr_expect(e->flags & KD_KSC_AT_ENTRY);
	cr_expect_not(x->flags & KD_KSC_AT_ENTRY);
}

Test(schema, ksc_fixed_sizes_and_bounds)
{
	struct kd_ksc small[4];
	uint16_t size = 0;

	cr_expect_eq(kd__kind_cap(KD_PK_TIMESPEC, &size), KD_CAP_FIXED);
	cr_expect_eq(size, 16);
	cr_expect_eq(kd__kind_cap(KD_PK_ITIMERSPEC, &size), KD_CAP_FIXED);
	cr_expect_eq(size, 32);
	cr_expect_eq(kd__kind_cap(KD_PK_FDPAIR, &size), KD_CAP_FIXED);
	cr_expect_eq(size, 8);
	cr_expect_eq(kd__kind_cap(KD_PK_RLIMIT, &size), KD_CAP_FIXED);
	cr_expect_eq(size, 16);
	cr_expect_eq(kd__kind_cap(KD_PK_FD, &size), KD_CAP_VAL);
	cr_expect_eq(size, 0);
	cr_expect_eq(kd__kind_cap(KD_PK__COUNT, NULL), KD_EBADKIND);
	cr_expect_eq(kd__kind_wire(-1), KD_EBADKIND);
	/* a short table holds only the low syscall numbers, nothing enabled */
	memset(small, 0xff, sizeof(small));
	kd__ksc_build(small, 4, NULL);
	cr_expect_eq(small[0].id, KD_EV_READ);
	cr_expect_eq(small[0].flags & KD_KSC_ENABLED, 0);
	kd__ksc_build(NULL, 4, NULL);
}

/* ------------------------------------------------------------ every row */

ParameterizedTestParameters(schema, row)
{
	static int ids[KD__EVENT_MAX];
	size_t n = kd_event_type_count();

	for (size_t i = 0; i < n && i < KD__EVENT_MAX; i++)
		ids[i] = kd_event_type_at(i);
	return cr_make_param_array(int, ids, n);
}

static bool is_byte_wire(int w)
{
	return w == KD_WIRE_STR || w == KD_WIRE_BYTES || w == KD_WIRE_STRARR;
}

/* Each param: kind, wire and kernel capture agree; lengths point at real
 * integer arguments; the kernel table row matches. */
ParameterizedTest(int *idp, schema, row)
{
	int id = *idp;
	const struct kd__event_info *e = kd__event_info(id);
	bool sc;

	cr_assert_not_null(e, "id %d", id);
	sc = e->flags & KD_EF_SYSCALL;
	cr_expect_lt(e->result, KD_PK__COUNT, "%s result kind", e->name);
	cr_expect_eq(e->flags & ~0x3ffu, 0, "%s: unknown flag bits", e->name);
	cr_expect_eq(sc, e->nr >= 0, "%s", e->name);
	if (sc) {
		cr_expect_lt(e->nr, (int)KD_MAX_SYSCALL_NR);
		kd__ksc_build(ksc, KD_MAX_SYSCALL_NR, NULL);
		cr_expect_eq(ksc[e->nr].id, id, "%s: nr %d belongs to one event", e->name, e->nr);
		cr_expect_eq(ksc[e->nr].nparams, e->nparams);
		cr_expect_eq(!!(ksc[e->nr].flags & KD_KSC_AT_ENTRY), !!(e->flags & KD_EF_NORETURN));
		cr_expect_eq(!!(ksc[e->nr].flags & KD_KSC_ENTRY_ARGS), !!(e->flags & KD_EF_ENTRY_ARGS));
	}
	for (unsigned i = 0; i < e->nparams; i++) {
		const struct kd__param *p = &e->params[i];
		int wire = kd__kind_wire(p->kind);
		uint16_t size = 0;
		int cap = kd__kind_cap(p->kind, &size);
		unsigned src = KD_LEN_SRC(p->len), ai = KD_LEN_IDX(p->len);

		cr_assert_lt(p->kind, KD_PK__COUNT, "%s.%s kind", e->name, p->name);
		cr_expect_eq(p->wire, wire, "%s.%s: the param's wire is its kind's", e->name, p->name);
		/* kd_noentry.bpf.h writes a noreturn syscall from its registers */
		if (e->flags & KD_EF_NORETURN)
			cr_expect_eq(cap, KD_CAP_VAL, "%s.%s: a noreturn syscall has register values only",
				     e->name, p->name);
		cr_expect_leq(p->ctype, KD__CT_PTR, "%s.%s ctype", e->name, p->name);
		cr_expect_not_null(kd_event_type_param_ctype(id, i));
		cr_expect_eq(kd_event_type_param_kind(id, i), p->kind);
		switch (wire) {
		case KD_WIRE_VAL:
			cr_expect(cap == KD_CAP_VAL || cap == KD_CAP_UVAL64, "%s.%s", e->name, p->name);
			break;
		case KD_WIRE_STR:
			cr_expect_eq(cap, KD_CAP_STR, "%s.%s", e->name, p->name);
			break;
		case KD_WIRE_STRARR:
			cr_expect_eq(cap, KD_CAP_STRARR, "%s.%s", e->name, p->name);
			break;
		case KD_WIRE_BYTES:
			cr_expect(cap == KD_CAP_BUF || cap == KD_CAP_SOCKADDR || cap == KD_CAP_IOVEC ||
					  cap == KD_CAP_SOCKTUPLE || cap == KD_CAP_WSTATUS ||
					  cap == KD_CAP_POLLFD || cap == KD_CAP_EPOLLEV ||
					  cap == KD_CAP_FDSETS || cap == KD_CAP_IOCTL ||
					  cap == KD_CAP_MMSGS || (cap == KD_CAP_FIXED && size > 0),
				  "%s.%s: cap %d", e->name, p->name, cap);
			break;
		default:
			cr_expect_fail("%s.%s: wire %d", e->name, p->name, wire);
		}
		if (is_byte_wire(wire))
			cr_expect_eq(p->ctype, KD__CT_PTR, "%s.%s: pointers are PTR", e->name, p->name);
		/* Buffers need a length source; other kinds have none. */
		if (sc && (cap == KD_CAP_BUF || cap == KD_CAP_SOCKADDR || cap == KD_CAP_IOVEC))
			cr_expect_neq(p->len, KD_LEN_NONE, "%s.%s needs a len", e->name, p->name);
		if (cap == KD_CAP_IOVEC && !KD_LEN_IS_MSG(src))
			cr_expect_eq(src, KD_LEN_ARG(0), "%s.%s: iovec count is ARG(i)", e->name, p->name);
		/* through a msghdr: a synthetic address or data param, after a
		 * pointer argument, of a syscall */
		if (KD_LEN_IS_MSG(src)) {
			cr_expect(sc && (cap == KD_CAP_SOCKADDR || cap == KD_CAP_IOVEC),
				  "%s.%s: MSG only for a syscall's SOCKADDR or IOVEC", e->name, p->name);
			cr_expect(ai < i && e->params[ai].kind == KD_PK_PTR,
				  "%s.%s: MSG(%u) names a PTR argument before it", e->name, p->name, ai);
		}
		/* read through a pointer argument (clone3's flags, wait4's status,
		 * poll's fds) */
		if (cap == KD_CAP_UVAL64 || cap == KD_CAP_WSTATUS || cap == KD_CAP_POLLFD ||
		    cap == KD_CAP_EPOLLEV) {
			cr_expect(sc && src == KD_LEN_ARG(0) && ai < e->nparams &&
					  e->params[ai].kind == KD_PK_PTR,
				  "%s.%s: read through a PTR argument", e->name, p->name);
			if (cap == KD_CAP_UVAL64 || cap == KD_CAP_POLLFD || cap == KD_CAP_EPOLLEV)
				cr_expect_neq(p->set, 0, "%s.%s: flags need a set", e->name, p->name);
			/* the count is the argument after the array's pointer */
			if (cap == KD_CAP_POLLFD)
				cr_expect(ai + 1 < e->nparams && kd__kind_wire(e->params[ai + 1].kind) ==
									 KD_WIRE_VAL,
					  "%s.%s: count after the pointer", e->name, p->name);
			cr_expect_eq(i, e->nparams - 1u, "%s.%s: synthetic params come last", e->name,
				     p->name);
		}
		/* select's sets: arguments 1-3 are the set pointers, ARG(i) their n */
		if (cap == KD_CAP_FDSETS) {
			cr_expect(sc && src == KD_LEN_ARG(0) && ai == 0 && e->nparams > 4 &&
					  e->params[0].kind == KD_PK_INT && e->params[1].kind == KD_PK_PTR &&
					  e->params[2].kind == KD_PK_PTR && e->params[3].kind == KD_PK_PTR,
				  "%s.%s: n, then the three set pointers", e->name, p->name);
			cr_expect_eq(i, e->nparams - 1u, "%s.%s: synthetic params come last", e->name,
				     p->name);
		}
		/* sendmmsg's and recvmmsg's msgs: through the mmsghdr array (ARG(i)),
		 * the second argument, after vlen */
		if (cap == KD_CAP_MMSGS) {
			cr_expect(sc && src == KD_LEN_ARG(0) && ai == 1 && e->nparams > 3 &&
					  e->params[0].kind == KD_PK_FD && e->params[1].kind == KD_PK_PTR &&
					  strcmp(e->params[2].name, "vlen") == 0,
				  "%s.%s: fd, the mmsghdr array, vlen", e->name, p->name);
			cr_expect_eq(i, e->nparams - 1u, "%s.%s: synthetic params come last", e->name,
				     p->name);
		}
		/* ioctl's data: through arg (ARG(i)), sized by the cmd before it */
		if (cap == KD_CAP_IOCTL) {
			cr_expect(sc && src == KD_LEN_ARG(0) && ai > 0 && ai < i &&
					  e->params[ai - 1].set == kd__set_by_name("ioctl_cmd"),
				  "%s.%s: ARG(i) after ioctl's cmd", e->name, p->name);
			cr_expect_eq(i, e->nparams - 1u, "%s.%s: synthetic params come last", e->name,
				     p->name);
		}
		/* a synthetic tuple's len says where its fd is: an fd argument or the result */
		if (cap == KD_CAP_SOCKTUPLE) {
			cr_expect(sc && (src == KD_LEN_RET || src == KD_LEN_ARG(0) || src == KD_LEN_ADDR(0)),
				  "%s.%s: fd source", e->name, p->name);
			if (src == KD_LEN_ADDR(0))
				cr_expect(ai < i && e->params[ai].kind == KD_PK_SOCKADDR &&
						  e->params[0].kind == KD_PK_FD,
					  "%s.%s: ADDR(%u) names a sockaddr before it, the fd is first",
					  e->name, p->name, ai);
			if (src == KD_LEN_ARG(0))
				cr_expect(ai < e->nparams && e->params[ai].kind == KD_PK_FD, "%s.%s: fd arg",
					  e->name, p->name);
			else if (src == KD_LEN_RET)
				cr_expect_eq(e->result, KD_PK_FD, "%s.%s: fd result", e->name, p->name);
			/* sendmmsg's msgs (schema 9) came after its tuple (schema 5) */
			cr_expect(i == e->nparams - 1u ||
					  (i == e->nparams - 2u && e->params[i + 1].kind == KD_PK_MMSGS),
				  "%s.%s: synthetic params come last", e->name, p->name);
		}
		/* a synthetic struct, through a pointer argument before it */
		if (KD_LEN_IS_PTR(src)) {
			/* LOCK(i): fcntl's arg, read as the cmd before it says */
			bool lock = src == KD_LEN_LOCK(0);

			cr_expect(sc && cap == KD_CAP_FIXED && ai < i &&
					  e->params[ai].kind == (lock ? KD_PK_FCNTLARG : KD_PK_PTR),
				  "%s.%s: PTR(%u) names a PTR argument before it", e->name, p->name, ai);
			if (lock)
				cr_expect(ai > 0 && e->params[ai - 1].set == kd__set_by_name("fcntl_cmd"),
					  "%s.%s: LOCK(%u) follows fcntl's cmd", e->name, p->name, ai);
			/* EPOLL(i): skipped when argument 1 is EPOLL_CTL_DEL */
			if (src == KD_LEN_EPOLL(0))
				cr_expect(e->nparams > 1 && e->params[1].set == kd__set_by_name("epoll_ctl_op"),
					  "%s.%s: EPOLL(%u) with epoll_ctl's op as argument 1", e->name,
					  p->name, ai);
			for (unsigned j = i + 1; j < e->nparams; j++)
				cr_expect(KD_LEN_IS_PTR(e->params[j].len), "%s.%s: synthetic params come last",
					  e->name, p->name);
		}
		/* OUT, OUT_EINTR: a struct argument the kernel writes */
		if (src == KD_LEN_OUT || src == KD_LEN_OUT_EINTR)
			cr_expect(cap == KD_CAP_FIXED && i < 6 && p->ctype == KD__CT_PTR,
				  "%s.%s: OUT on a struct argument", e->name, p->name);
		/* FUTEX(i): a struct argument, argument i is futex's op */
		if (src == KD_LEN_FUTEX(0))
			cr_expect(cap == KD_CAP_FIXED && i < 6 && p->ctype == KD__CT_PTR && ai < i &&
					  e->params[ai].set == kd__set_by_name("futex_op"),
				  "%s.%s: FUTEX(%u) on a struct argument after futex's op", e->name,
				  p->name, ai);
		if (cap != KD_CAP_BUF && cap != KD_CAP_SOCKADDR && cap != KD_CAP_IOVEC &&
		    cap != KD_CAP_SOCKTUPLE && cap != KD_CAP_UVAL64 && cap != KD_CAP_WSTATUS &&
		    cap != KD_CAP_POLLFD && cap != KD_CAP_EPOLLEV && cap != KD_CAP_FDSETS &&
		    cap != KD_CAP_IOCTL && cap != KD_CAP_MMSGS &&
		    !KD_LEN_IS_PTR(src) && src != KD_LEN_OUT && src != KD_LEN_OUT_EINTR &&
		    src != KD_LEN_FUTEX(0))
			cr_expect_eq(p->len, KD_LEN_NONE, "%s.%s: len on a %s", e->name, p->name,
				     kd_param_kind_name(p->kind));
		if (!sc)
			cr_expect(src != KD_LEN_RET && src != KD_LEN_ARG_MIN_RET(0), "%s.%s", e->name, p->name);
		if (src == KD_LEN_ARG(0) || src == KD_LEN_ARGPTR(0) || src == KD_LEN_ARG_MIN_RET(0)) {
			cr_expect(ai < e->nparams && ai != i, "%s.%s: len argument %u", e->name, p->name, ai);
			if (ai < e->nparams)
				cr_expect_eq(kd__kind_wire(e->params[ai].kind), KD_WIRE_VAL,
					     "%s.%s: length from a value argument", e->name, p->name);
		} else if (!KD_LEN_IS_MSG(src) && src != KD_LEN_ADDR(0) && !KD_LEN_IS_PTR(src) &&
			   src != KD_LEN_OUT && src != KD_LEN_OUT_EINTR && src != KD_LEN_FUTEX(0)) {
			cr_expect(p->len == KD_LEN_NONE || p->len == KD_LEN_RET, "%s.%s: len 0x%x",
				  e->name, p->name, p->len);
		}
		if (p->set)
			cr_expect_not_null(kd__set_name(p->set), "%s.%s", e->name, p->name);
		if (sc) {
			cr_expect_eq(ksc[e->nr].p[i].cap, cap, "%s.%s", e->name, p->name);
			cr_expect_eq(ksc[e->nr].p[i].aux, p->len);
			cr_expect_eq(ksc[e->nr].p[i].size, size);
		}
	}
}

/* ------------------------------------------------------------ flag sets */

Test(schema, open_flags)
{
	cr_expect_str_eq(fmt("open_flags", O_RDWR | O_CREAT | O_CLOEXEC), "O_RDWR|O_CREAT|O_CLOEXEC");
	cr_expect_str_eq(fmt("open_flags", O_RDONLY), "O_RDONLY");
	cr_expect_str_eq(fmt("open_flags", O_WRONLY | O_TRUNC), "O_WRONLY|O_TRUNC");
	/* 0x80000000 is no open flag: left over in hex */
	cr_expect_str_eq(fmt("open_flags", O_WRONLY | 0x80000000u), "O_WRONLY|0x80000000");
	/* multi-bit flags win over their sub-bits when listed first */
	cr_expect_str_eq(fmt("open_flags", O_RDONLY | O_SYNC), "O_RDONLY|O_SYNC");
	cr_expect_str_eq(fmt("open_flags", O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
}

Test(schema, format_is_snprintf_like)
{
	char buf[8];
	int need = kd_flags_format("open_flags", O_RDWR | O_CREAT | O_CLOEXEC, NULL, 0);

	cr_expect_eq(need, (int)strlen("O_RDWR|O_CREAT|O_CLOEXEC"));
	cr_expect_eq(kd_flags_format("open_flags", O_RDWR | O_CREAT | O_CLOEXEC, buf, sizeof(buf)), need);
	cr_expect_str_eq(buf, "O_RDWR|");
	cr_expect_eq(kd_flags_format("open_flags", O_RDWR, buf, 1), 6);
	cr_expect_str_eq(buf, "");
	cr_expect_eq(kd_flags_format("no_such_set", 1, buf, sizeof(buf)), -ENOENT);
	cr_expect_eq(kd_flags_format(NULL, 1, buf, sizeof(buf)), -EINVAL);
	cr_expect_eq(kd_flags_format("open_flags", 1, NULL, 4), -EINVAL);
	cr_expect_eq(kd__set_format(0, 1, buf, sizeof(buf)), -ENOENT);
}

Test(schema, set_lookup_and_names)
{
	int s = kd__set_by_name("open_flags");

	cr_assert_gt(s, 0);
	cr_expect_str_eq(kd__set_name((uint16_t)s), "open_flags");
	cr_expect_str_eq(kd__set_lookup((uint16_t)s, O_RDWR), "O_RDWR");
	cr_expect_null(kd__set_lookup((uint16_t)s, 0x80000000u));
	cr_expect_null(kd__set_name(0));
	cr_expect_null(kd__set_name((uint16_t)kd__set_count()));
	cr_expect_eq(kd__set_by_name("nope"), -ENOENT);
	for (size_t i = 1; i < kd__set_count(); i++)
		cr_expect_eq(kd__set_by_name(kd__set_name((uint16_t)i)), (int)i, "set %s is unique",
			     kd__set_name((uint16_t)i));
}

Test(schema, mmap_sets)
{
	cr_expect_str_eq(fmt("mmap_prot", PROT_READ | PROT_WRITE), "PROT_READ|PROT_WRITE");
	cr_expect_str_eq(fmt("mmap_prot", PROT_NONE), "PROT_NONE");
	cr_expect_str_eq(fmt("mmap_flags", MAP_PRIVATE | MAP_ANONYMOUS), "MAP_PRIVATE|MAP_ANONYMOUS");
	cr_expect_str_eq(fmt("mmap_flags", MAP_SHARED | MAP_FIXED), "MAP_SHARED|MAP_FIXED");
}

Test(schema, clone_flags_with_signal)
{
	cr_expect_str_eq(fmt("clone_flags", CLONE_VM | CLONE_VFORK | SIGCHLD), "CLONE_VM|CLONE_VFORK|SIGCHLD");
	cr_expect_str_eq(fmt("clone_flags", CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD),
			 "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
}

Test(schema, errno_and_signal_names)
{
	cr_expect_str_eq(kd_errno_name(ENOENT), "ENOENT");
	cr_expect_str_eq(kd_errno_name(EPERM), "EPERM");
	cr_expect_str_eq(kd_errno_name(EAGAIN), "EAGAIN");
	cr_expect_null(kd_errno_name(100000));
	cr_expect_null(kd_errno_name(-2));
	cr_expect_str_eq(kd_signal_name(SIGUSR1), "SIGUSR1");
	cr_expect_str_eq(kd_signal_name(SIGKILL), "SIGKILL");
	cr_expect_str_eq(kd_signal_name(SIGCHLD), "SIGCHLD");
	cr_expect_null(kd_signal_name(1000));
}
