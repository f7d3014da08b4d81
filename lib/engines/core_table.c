/*
 * lib/engines/core_table.c: the CO-RE engine's per-syscall table in the
 * kernel (kd_ksc_tab, kd_fast_tab), filled from the selection and the
 * schema, and the entry hooks that selection needs (core_int.h).
 */
#ifdef KD_HAVE_CORE
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "core_int.h"
#include "core_probes.h"
#include "core_debug.h"

/* Is any selected syscall flagged with one of ksc_flags, and with none of
 * without? */
static bool any_enabled_but(const struct core *c, unsigned ksc_flags, unsigned without)
{
	for (unsigned nr = 0; nr < KD_MAX_SYSCALL_NR; nr++) {
		const struct kd_ksc *k = &c->skel->bss->kd_ksc_tab[nr];

		if ((k->flags & KD_KSC_ENABLED) && (k->flags & ksc_flags) && !(k->flags & without))
			return true;
	}
	return false;
}

static bool any_enabled(const struct core *c, unsigned ksc_flags)
{
	return any_enabled_but(c, ksc_flags, 0);
}

/* Attach prog when want, detach it when not: a program nobody needs costs
 * every syscall (or exec) its call. -errno when it would not attach. */
static int link_set(struct bpf_program *prog, struct bpf_link **link, bool want)
{
	if (want && !*link) {
		*link = bpf_program__attach(prog);
		if (!*link)
			return -errno;
	} else if (!want && *link) {
		bpf_link__destroy(*link);
		*link = NULL;
	}
	return 0;
}

/* link_set(), failing the caller with the reason. */
static int sync_link(struct core *c, struct bpf_program *prog, struct bpf_link **link, bool want)
{
	int err = link_set(prog, link, want);

	if (err)
		return kd__err(c->h, KD_EENGINE, "core engine: attaching %s failed: %s",
			       bpf_program__name(prog), strerror(-err));
	return 0;
}

static void noentry_detach(struct core *c)
{
	bpf_link__destroy(c->noret_link);
	bpf_link__destroy(c->rename_link);
	c->noret_link = c->rename_link = NULL;
	c->skel->bss->kd_exec_at_exit = 0;
}

/* Attach (or detach) the programs that serve exit/exit_group (noret) and
 * execve/execveat (exec) without an entry hook. false when they cannot: the
 * raw sys_enter program takes over for good. */
static bool sync_noentry(struct core *c, bool noret, bool exec)
{
	struct {
		struct bpf_program *prog;
		struct bpf_link **link;
		bool want;
	} u[2] = { { c->noret_prog, &c->noret_link, noret }, { c->rename_prog, &c->rename_link, exec } };

	/* the noret program writes register values only (DIRECT rows) */
	if (!c->noret_prog || c->noentry_failed ||
	    (noret && any_enabled_but(c, KD_KSC_AT_ENTRY, KD_KSC_DIRECT)))
		return false;
	for (int i = 0; i < 2; i++) {
		int err = link_set(u[i].prog, u[i].link, u[i].want);

		if (err) {
			kd__log(c->h, KD_LOG_INFO, "core engine: %s: %s; using raw sys_enter",
				bpf_program__name(u[i].prog), strerror(-err));
			c->noentry_failed = true;
			noentry_detach(c);
			return false;
		}
	}
	c->skel->bss->kd_exec_at_exit = exec;
	return true;
}

/* Entry hooks: latency needs the raw sys_enter program on every syscall.
 * Without latency there is none: any program on a syscall entry tracepoint
 * makes every syscall of the machine pay for it. exit/exit_group (no exit)
 * and a successful execve (registers gone at exit) are served from
 * sched_process_exit and task_rename (kd_noentry.bpf.h); the raw program is
 * the fallback. The exec program keeps the filename of a successful execve,
 * attached first: an exec it missed would have no filename. */
int kd__core_sync_enter(struct core *c)
{
	bool exec = any_enabled(c, KD_KSC_ENTRY_ARGS);
	bool noret = any_enabled(c, KD_KSC_AT_ENTRY);
	bool raw;
	int err;

	err = sync_link(c, c->exec_prog, &c->exec_link, exec);
	if (err)
		return err;
	raw = (c->h->opts.flags & KD_OPEN_LATENCY) ||
	      (!sync_noentry(c, noret, exec) && (exec || noret));
	if (!c->enter_prog) /* not loaded: the programs above serve these */
		return raw ? kd__err(c->h, KD_EENGINE, "core engine: exit/exit_group and execve "
				     "need an entry hook here, and none was loaded") : 0;
	return sync_link(c, c->enter_prog, &c->enter_link, raw);
}

/* Reservation of a DIRECT1 record whose variable param is a buffer: room
 * for the snaplen, and for at least the 8 bytes kd_cap_inplace() passes a
 * value through (kd_launder()); the verifier refuses the program without. */
uint32_t kd__core_direct1_buf(uint32_t snaplen)
{
	return ((snaplen > 8 ? snaplen : 8) + KD_DIRECT1_FIXED + 7) & ~7u;
}

/* Mark the records the exit program writes straight into the ring: register
 * values only (DIRECT), or those plus one variable param that fits a fixed
 * reservation (DIRECT1). The rest are built in the scratch and copied. */
/* One of kd_fast1t()'s tail shapes: n params, the string at v, the tail's
 * struct of size bytes through argument tp when the call succeeded. */
static bool tail_shape(const struct kd_ksc *k)
{
	static const struct { uint8_t n, v, tp; uint16_t size; } shapes[] = {
#define KD__TAIL(n, v, tp, size) { n, v, tp, size },
		KD_TAIL_SHAPES(KD__TAIL)
#undef KD__TAIL
	};
	const struct kd_kparam *t = &k->p[k->nparams - 1];

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		if (k->nparams != shapes[i].n || k->p[shapes[i].v].cap != KD_CAP_STR ||
		    t->cap != KD_CAP_FIXED || t->aux != KD_LEN_PTR_OUT(shapes[i].tp) ||
		    t->size != shapes[i].size)
			continue;
		/* every other param a register value */
		for (unsigned j = 0; j + 1 < k->nparams; j++)
			if (j != shapes[i].v && k->p[j].cap != KD_CAP_VAL)
				return false;
		return true;
	}
	return false;
}

void kd__core_mark_direct(struct kd_ksc *k, uint32_t snaplen)
{
	unsigned nvar = 0, v = 0;
	bool fits = false;

	if (k->nparams > 6 || (k->flags & KD_KSC_ENTRY_ARGS))
		return;
	for (unsigned i = 0; i < k->nparams; i++)
		if (k->p[i].cap != KD_CAP_VAL) {
			nvar++;
			v = i;
		}
	/* a noreturn syscall of register values (exit, exit_group) is DIRECT
	 * too: kd_noentry.bpf.h writes it in place, the exit program never
	 * sees it; it is never DIRECT1 */
	if (nvar == 0) {
		k->flags |= KD_KSC_DIRECT;
		return;
	}
	if (k->flags & KD_KSC_AT_ENTRY)
		return;
	/* a string and a tail (drivers/bpf-core/kd_core.h): the shapes the
	 * program writes in place, nothing else */
	if (nvar == 2 && tail_shape(k)) {
		for (v = 0; k->p[v].cap != KD_CAP_STR; v++)
			;
		k->flags |= KD_KSC_DIRECT1 | (uint8_t)(v << KD_KSC_VAR_SHIFT);
		return;
	}
	/* in place, a param is read from its own register, not through a
	 * msghdr or another argument */
	if (nvar > 1 || KD_LEN_IS_MSG(k->p[v].aux) || KD_LEN_IS_PTR(k->p[v].aux))
		return;
	switch (k->p[v].cap) {
	case KD_CAP_BUF:
		fits = kd__core_direct1_buf(snaplen) <= KD_DIRECT1_MAX;
		break;
	case KD_CAP_STR:
	case KD_CAP_SOCKADDR:
		fits = true;
		break;
	case KD_CAP_FIXED:
		fits = k->p[v].size <= KD_DIRECT1_SMALL - KD_DIRECT1_FIXED;
		break;
	case KD_CAP_IOCTL: /* in the struct reservation */
		fits = KD_IOCTL_MAX <= KD_DIRECT1_SMALL - KD_DIRECT1_FIXED;
		break;
	case KD_CAP_EPOLLEV:
		fits = true; /* KD_DIRECT1_EPOLL holds the most it takes */
		break;
	}
	if (fits)
		k->flags |= KD_KSC_DIRECT1 | (uint8_t)(v << KD_KSC_VAR_SHIFT);
}

/* The fast lane's shape of a selected syscall (kd_fast.bpf.h), or 0: a
 * buffer record of 3 or 4 params, the buffer second, written in place. The
 * lane serves neither latency nor a pid list (the program checks that too). */
static uint8_t fast_shape(const struct core *c, const struct kd_ksc *k)
{
	const struct kd_kparam *b = &k->p[1];
	bool ret;

	if (!(k->flags & KD_KSC_ENABLED) || !(k->flags & KD_KSC_DIRECT1) ||
	    KD_KSC_VAR_IDX(k->flags) != 1 || b->cap != KD_CAP_BUF ||
	    (k->nparams != 3 && k->nparams != 4) || c->skel->rodata->kd_want_latency ||
	    c->skel->rodata->kd_filter_pids || !c->skel->rodata->kd_direct || !c->fast)
		return 0;
	if (b->aux != KD_LEN_RET && b->aux != KD_LEN_ARG(2))
		return 0;
	ret = b->aux == KD_LEN_RET;
	if (k->nparams == 3)
		return ret ? KD_FAST_BUF3_RET : KD_FAST_BUF3_ARG;
	return ret ? KD_FAST_BUF4_RET : KD_FAST_BUF4_ARG;
}

/* Build aside, then copy: the programs read the live table all the time and
 * should never see it cleared. A call leaves the fast lane before its entry
 * changes and joins it after, so the lane never serves a stale entry. */
void kd__core_fill_table(struct core *c)
{
	struct kd_ksc tab[KD_MAX_SYSCALL_NR];
	uint8_t en[KD__EVENT_MAX], fast[KD_MAX_SYSCALL_NR];
	uint8_t *live = c->skel->bss->kd_fast_tab;

	kd__kernel_selection(c->h, en);
	kd__ksc_build(tab, KD_MAX_SYSCALL_NR, en);
	for (unsigned nr = 0; nr < KD_MAX_SYSCALL_NR; nr++) {
		kd__core_mark_direct(&tab[nr], c->h->opts.snaplen);
		fast[nr] = fast_shape(c, &tab[nr]);
		if (live[nr] != fast[nr])
			__atomic_store_n(&live[nr], 0, __ATOMIC_RELEASE);
	}
	memcpy(c->skel->bss->kd_ksc_tab, tab, sizeof(tab));
	for (unsigned nr = 0; nr < KD_MAX_SYSCALL_NR; nr++)
		__atomic_store_n(&live[nr], fast[nr], __ATOMIC_RELEASE);
}

int kd__core_select(void *state)
{
	struct core *c = state;

	kd__core_fill_table(c);
	int err = kd__core_sync_enter(c);
	return err ? err : kd__probes_sync(c->h);
}

#endif /* KD_HAVE_CORE */
