/*
 * lib/engines/core_probes.c: probes beyond syscalls on the CO-RE engine.
 *
 * A probe is one non-syscall event of schema/events.def ("sched_switch"),
 * served by one or more BPF programs ("units": kd_p_<unit>_{btf,raw,fentry,
 * kprobe} in drivers/bpf-core/kd_*.bpf.h). Each unit gets an attach method
 * once, before the skeleton loads, by trying in order: its tracepoint as
 * tp_btf (raw_tp when the engine runs raw_tp), then fentry, then kprobe on
 * its kernel function if it has one. While capturing, a unit is attached
 * while any of its events is selected (a never-selected probe costs
 * nothing) and every program first reads its event's switch in kd_ev_on[],
 * so switching one event flips one byte and never touches the others.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_probes.h"
#include "core_debug.h"
#include "engine.h"
#include "internal.h"

#define PRB_FIRST 1000
#define PRB_LAST  1016
#define BIT(id)   (1u << ((id) - PRB_FIRST))

struct unit {
	const char *prog;   /* program base name: kd_p_<unit> */
	const char *tp;     /* tracepoint (its BTF name is btf_trace_<tp>) */
	const char *func;   /* kernel function for fentry/kprobe, or NULL */
	uint32_t events;    /* BIT(event id) it emits */
};

static const struct unit units[] = {
	{ "kd_p_fork", "sched_process_fork", NULL, BIT(1000) },
	{ "kd_p_exec", "sched_process_exec", NULL, BIT(1001) },
	{ "kd_p_exit", "sched_process_exit", NULL, BIT(1002) },
	{ "kd_p_switch", "sched_switch", NULL, BIT(1003) | BIT(1004) | BIT(1005) },
	{ "kd_p_wakeup", "sched_wakeup", NULL, BIT(1005) },
	{ "kd_p_wakenew", "sched_wakeup_new", NULL, BIT(1005) },
	{ "kd_p_siggen", "signal_generate", NULL, BIT(1006) },
	{ "kd_p_sigdlv", "signal_deliver", NULL, BIT(1007) },
	{ "kd_p_pfu", "page_fault_user", NULL, BIT(1008) },
	{ "kd_p_pfk", "page_fault_kernel", NULL, BIT(1009) },
	{ "kd_p_tcpstate", "inet_sock_set_state", NULL, BIT(1010) | BIT(1015) },
	{ "kd_p_retrans", "tcp_retransmit_skb", NULL, BIT(1011) },
	{ "kd_p_rstsend", "tcp_send_reset", NULL, BIT(1012) },
	{ "kd_p_rstrecv", "tcp_receive_reset", "tcp_reset", BIT(1013) },
	{ "kd_p_destroy", "tcp_destroy_sock", NULL, BIT(1014) },
	{ "kd_p_drop", "kfree_skb", NULL, BIT(1016) },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* The unit that reports a probe's attach method: the first carrying it. */
static int unit_of(int id)
{
	for (size_t u = 0; u < NUNITS; u++)
		if (units[u].events & BIT(id))
			return (int)u;
	return -1;
}

static bool is_probe(int id)
{
	return id >= PRB_FIRST && id <= PRB_LAST && kd_event_type_name(id) && unit_of(id) >= 0;
}

bool kd__probe_group(uint8_t *en, const char *name, bool on)
{
	int lo, hi;

	if (strcmp(name, "page_fault") == 0)
		lo = 1008, hi = 1009;
	else if (strcmp(name, "tcp") == 0)
		lo = 1010, hi = 1015;
	else if (strcmp(name, "probes") == 0)
		lo = PRB_FIRST, hi = PRB_LAST;
	else
		return false;
	for (int id = lo; id <= hi; id++)
		if (is_probe(id))
			en[id] = on;
	return true;
}

/* ------------------------------------------------------------ public list */

int kd_probe_count(const struct kd_handle *h)
{
	int n = 0;

	if (!h)
		return -EINVAL;
	for (int id = PRB_FIRST; id <= PRB_LAST; id++)
		n += is_probe(id);
	return n;
}

/* id of the i-th probe, or -1 */
static int probe_at(int i)
{
	for (int id = PRB_FIRST; id <= PRB_LAST && i >= 0; id++)
		if (is_probe(id) && i-- == 0)
			return id;
	return -1;
}

const char *kd_probe_name(const struct kd_handle *h, int i)
{
	int id = probe_at(i);

	return h && id > 0 ? kd_event_type_name(id) : NULL;
}

int kd_probe_state(const struct kd_handle *h, int i)
{
	int id = probe_at(i);

	if (!h)
		return -EINVAL;
	if (id < 0)
		return -ERANGE;
	return h->enabled[id] ? 1 : 0;
}

#ifdef KD_HAVE_CORE
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf-core/kd_core.h"
#include "bpf-core/kd_probe.h"
#include "kd_core.skel.h"

/* stack table entries with KD_OPEN_STACKS: 64 frames each, ~9 MB */
#define KD_STACK_ENTRIES 16384u

enum method { M_NONE, M_TP_BTF, M_RAW_TP, M_FENTRY, M_KPROBE };

static const char *const method_names[] = {
	[M_NONE] = "none", [M_TP_BTF] = "tp_btf", [M_RAW_TP] = "raw_tp",
	[M_FENTRY] = "fentry", [M_KPROBE] = "kprobe",
};

struct unit_state {
	enum method method;
	struct bpf_program *prog;
	struct bpf_link *link;
	char why[256]; /* "none: ..." when method is M_NONE */
};

struct kd__probes {
	struct kd_core *skel;
	bool tables;             /* kd_nr_id/kd_nr_reason filled */
	struct unit_state u[NUNITS];
};

const char *kd_probe_attach_method(const struct kd_handle *h, int i)
{
	int id = probe_at(i), u;

	if (!h || id < 0)
		return NULL;
	if (!h->probes)
		return h->ops && h->ops->id == KD_ENGINE_CORE ? "none: probes not loaded"
							      : "none: this engine has no kernel probes";
	u = unit_of(id);
	if (h->probes->u[u].method == M_NONE)
		return h->probes->u[u].why;
	return method_names[h->probes->u[u].method];
}

/* ------------------------------------------------------------ trying */

static const char *deny_text(int err)
{
	/* lockdown and missing capabilities both come back as EPERM */
	return err == EPERM || err == EACCES ? "not permitted here" : "not supported here";
}

/* fentry: load and attach an empty tracing program on func. */
static int try_fentry(const struct btf *btf, const char *func, char *why, size_t len)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int id, fd, link, err;

	id = btf ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -ENOENT;
	if (id < 0) {
		snprintf(why, len, "fentry: no function %s in the kernel's BTF", func);
		return -ENOENT;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = (uint32_t)id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "kd_try_fentry", "GPL", insns, 2, &o);
	if (fd < 0) {
		err = errno;
		snprintf(why, len, "fentry: %s (loading: %s)", deny_text(err), strerror(err));
		return -err;
	}
	link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	err = link < 0 ? errno : 0;
	if (link >= 0)
		close(link);
	close(fd);
	if (err)
		snprintf(why, len, "fentry: %s (attaching: %s)", deny_text(err), strerror(err));
	return -err;
}

/* kprobe: create (and drop) a kprobe perf event on func. Without the kprobe
 * PMU libbpf would fall back to tracefs kprobe_events: check that exists. */
static int try_kprobe(const char *func, char *why, size_t len)
{
	struct perf_event_attr attr;
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	int type = -1, fd, err;

	if (!f) {
		if (access("/sys/kernel/tracing/kprobe_events", W_OK) == 0 ||
		    access("/sys/kernel/debug/tracing/kprobe_events", W_OK) == 0)
			return 0;
		snprintf(why, len, "kprobe: not permitted here (no kprobe PMU, no tracefs kprobe_events)");
		return -ENOENT;
	}
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	if (type < 0) {
		snprintf(why, len, "kprobe: unreadable kprobe PMU type");
		return -EINVAL;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (uint32_t)type;
	attr.config1 = (uint64_t)(uintptr_t)func;
	fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = errno;
		snprintf(why, len, "kprobe: %s (%s on %s)", deny_text(err), strerror(err), func);
		return -err;
	}
	close(fd);
	return 0;
}

/* Test knobs (core_debug.h): list is "all" or a comma list of units
 * (kd_p_rstrecv) whose tracepoint / fentry is skipped to reach the fallbacks. */
static bool skipped(const char *list, const char *prog)
{
	size_t n = strlen(prog);

	if (!*list)
		return false;
	if (strcmp(list, "all") == 0)
		return true;
	for (const char *p = strstr(list, prog); p; p = strstr(p + 1, prog))
		if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

static struct bpf_program *prog_of(struct kd_core *s, const char *base, const char *suffix)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%s", base, suffix);
	return bpf_object__find_program_by_name(s->obj, name);
}

static void choose(struct kd__probes *p, size_t u, const struct btf *btf, bool tp_btf)
{
	const struct unit *d = &units[u];
	struct unit_state *st = &p->u[u];
	char tname[96], fwhy[112] = "", kwhy[112] = "", tpwhy[96];
	bool has_tp;

	snprintf(tname, sizeof(tname), "btf_trace_%s", d->tp);
	has_tp = btf && btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) > 0;
	if (has_tp && skipped(kd__core_debug()->probe_no_tp, d->prog)) {
		snprintf(tpwhy, sizeof(tpwhy), "tracepoint %s skipped (test knob)", d->tp);
	} else if (has_tp) {
		st->method = tp_btf ? M_TP_BTF : M_RAW_TP;
		st->prog = prog_of(p->skel, d->prog, tp_btf ? "btf" : "raw");
		return;
	} else {
		snprintf(tpwhy, sizeof(tpwhy), "no tracepoint %s in this kernel", d->tp);
	}
	if (d->func) {
		if (skipped(kd__core_debug()->probe_no_fentry, d->prog))
			snprintf(fwhy, sizeof(fwhy), "fentry: skipped (test knob)");
		else if (try_fentry(btf, d->func, fwhy, sizeof(fwhy)) == 0) {
			st->method = M_FENTRY;
			st->prog = prog_of(p->skel, d->prog, "fentry");
			return;
		}
		if (try_kprobe(d->func, kwhy, sizeof(kwhy)) == 0) {
			st->method = M_KPROBE;
			st->prog = prog_of(p->skel, d->prog, "kprobe");
			return;
		}
		snprintf(st->why, sizeof(st->why), "none: %s; %s; %s", tpwhy, fwhy, kwhy);
	} else {
		snprintf(st->why, sizeof(st->why), "none: %s", tpwhy);
	}
	st->method = M_NONE;
	st->prog = NULL;
}

/* packet_drop's reason names: enum skb_drop_reason of this kernel (5.17+),
 * its SKB_DROP_REASON_ prefix dropped, into the tables the probe copies
 * from (drivers/bpf-core/kd_drop.bpf.h). */
static void fill_drop_names(struct kd_core *s, const struct btf *btf)
{
	static const char prefix[] = "SKB_DROP_REASON_";
	const struct btf_type *t;
	const struct btf_enum *e;
	int id = btf ? btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) : -1;

	if (id <= 0)
		return;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, e[i].name_off);
		size_t len;

		if (!n || e[i].val < 0 || (uint32_t)e[i].val >= KD_DROP_NAMES)
			continue;
		if (strncmp(n, prefix, sizeof(prefix) - 1) == 0)
			n += sizeof(prefix) - 1;
		len = strlen(n);
		if (len + 1 > KD_DROP_NAME_LEN) /* none so long yet: cut, not lost */
			len = KD_DROP_NAME_LEN - 1;
		memcpy(s->bss->kd_drop_names[e[i].val], n, len);
		s->bss->kd_drop_names[e[i].val][len] = '\0';
		s->bss->kd_drop_name_len[e[i].val] = (uint8_t)(len + 1);
	}
}

void kd__probes_setup(struct kd_handle *h, struct kd_core *s, bool tp_btf)
{
	static const char *const suffixes[] = { "btf", "raw", "fentry", "kprobe" };
	struct kd__probes *p;
	struct btf *btf;

	kd__probes_close(h);
	p = calloc(1, sizeof(*p));
	h->probes = p;
	btf = p ? btf__load_vmlinux_btf() : NULL;
	if (p && !btf)
		kd__log(h, KD_LOG_INFO, "probes: no kernel BTF (%s): no probes beyond syscalls",
			strerror(errno));
	if (p)
		p->skel = s;
	fill_drop_names(s, btf);
	/* the stack table is kernel memory: one entry unless stacks are asked for */
	bpf_map__set_max_entries(s->maps.kd_stacks, (h->opts.flags & KD_OPEN_STACKS) ? KD_STACK_ENTRIES : 1);
	for (size_t u = 0; u < NUNITS; u++) {
		if (p && btf)
			choose(p, u, btf, tp_btf);
		else if (p)
			snprintf(p->u[u].why, sizeof(p->u[u].why), "none: no kernel BTF");
		for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
			struct bpf_program *prog = prog_of(s, units[u].prog, suffixes[k]);

			if (prog)
				bpf_program__set_autoload(prog, p && prog == p->u[u].prog);
		}
		if (p && p->u[u].method != M_NONE && !p->u[u].prog) {
			p->u[u].method = M_NONE;
			snprintf(p->u[u].why, sizeof(p->u[u].why), "none: program not built");
		}
		if (p)
			kd__log(h, KD_LOG_DEBUG, "probes: %s: %s", units[u].prog,
				p->u[u].method ? method_names[p->u[u].method] : p->u[u].why);
	}
	btf__free(btf);
}

/* ------------------------------------------------------------ switching */

static uint8_t offcpu_reason(const char *name, int cat)
{
	static const struct {
		const char *names;
		uint8_t reason;
	} map[] = {
		{ ",nanosleep,clock_nanosleep,", KD_OFFCPU_SLEEP },
		{ ",futex,futex_waitv,flock,", KD_OFFCPU_LOCK },
		{ ",wait4,waitid,", KD_OFFCPU_CHILD_WAIT },
		{ ",pause,rt_sigsuspend,rt_sigtimedwait,", KD_OFFCPU_SIGNAL_WAIT },
		{ ",fsync,fdatasync,sync,syncfs,sync_file_range,", KD_OFFCPU_DISK },
		{ ",read,readv,pread64,preadv,preadv2,write,writev,pwrite64,pwritev,pwritev2,"
		  "poll,ppoll,select,pselect6,epoll_wait,epoll_pwait,epoll_pwait2,io_getevents,"
		  "io_pgetevents,io_uring_enter,splice,sendfile,",
		  KD_OFFCPU_IO_WAIT },
	};
	char key[80];

	snprintf(key, sizeof(key), ",%s,", name);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(map[i].names, key))
			return map[i].reason;
	return cat == KD_CAT_NET ? KD_OFFCPU_NET : KD_OFFCPU_UNKNOWN;
}

static void fill_tables(struct kd__probes *p)
{
	struct kd_core *s = p->skel;

	for (int id = 1; id < 1000; id++) {
		int nr = kd_event_type_syscall_nr(id);

		if (nr < 0 || nr >= (int)KD_MAX_SYSCALL_NR || !kd_event_type_name(id))
			continue;
		s->bss->kd_nr_id[nr] = (uint16_t)id;
		s->bss->kd_nr_reason[nr] = offcpu_reason(kd_event_type_name(id), kd_event_type_category(id));
	}
	p->tables = true;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int kd__probes_sync(struct kd_handle *h)
{
	struct kd__probes *p = h->probes;
	uint8_t en[KD__EVENT_MAX];
	volatile uint8_t *on;
	int err = 0;

	if (!p || !p->skel)
		return 0;
	kd__kernel_selection(h, en);
	if (!p->tables)
		fill_tables(p);
	on = p->skel->bss->kd_ev_on;
	p->skel->bss->kd_prb_sched_min_ns = h->opts.sched_min_ns;
	p->skel->bss->kd_prb_pf_sample = h->opts.page_fault_sample;
	p->skel->bss->kd_prb_stacks = (h->opts.flags & KD_OPEN_STACKS) != 0;
	/* switches off first: a unit about to go must not emit meanwhile */
	for (int id = PRB_FIRST; id <= PRB_LAST; id++)
		if (!en[id])
			on[id - PRB_FIRST] = 0;
	for (size_t u = 0; u < NUNITS; u++) {
		struct unit_state *st = &p->u[u];
		bool want = false;

		for (int id = PRB_FIRST; id <= PRB_LAST; id++)
			want = want || ((units[u].events & BIT(id)) && en[id]);
		if (want && !st->link && st->prog) {
			/* per-thread sched state from before a detach is stale */
			if (units[u].events & (BIT(1004) | BIT(1005)))
				p->skel->bss->kd_prb_sched_since = mono_ns();
			st->link = bpf_program__attach(st->prog);
			if (!st->link) {
				int e = errno;

				snprintf(st->why, sizeof(st->why), "none: attaching %s failed: %s",
					 bpf_program__name(st->prog), strerror(e));
				st->method = M_NONE;
				st->prog = NULL;
				err = kd__err(h, KD_EENGINE, "probes: %s", st->why + 6);
			}
		} else if (!want && st->link) {
			bpf_link__destroy(st->link);
			st->link = NULL;
		}
	}
	for (int id = PRB_FIRST; id <= PRB_LAST; id++)
		if (en[id])
			on[id - PRB_FIRST] = 1;
	return err;
}

int kd_stack(struct kd_handle *h, int32_t id, uint64_t *ips, size_t max)
{
	uint64_t st[KD_STACK_MAX_DEPTH];
	int n;

	if (!h || (!ips && max))
		return -EINVAL;
	if (!(h->opts.flags & KD_OPEN_STACKS) || !h->probes)
		return kd__err(h, KD_ENOTSUP, "kd_stack: %s",
			       !(h->opts.flags & KD_OPEN_STACKS) ? "opened without KD_OPEN_STACKS"
								 : "this engine keeps no stacks");
	if (id < 0)
		return kd__err(h, -ENOENT, "kd_stack: id %d is an error the kernel returned (%s)", id,
			       kd_err_name(id));
	if (bpf_map__lookup_elem(h->probes->skel->maps.kd_stacks, &id, sizeof(id), st, sizeof(st), 0))
		return kd__err(h, -ENOENT, "kd_stack: no stack %d", id);
	/* the kernel zero-fills past the last frame */
	for (n = 0; n < KD_STACK_MAX_DEPTH && st[n]; n++)
		if ((size_t)n < max)
			ips[n] = st[n];
	return n;
}

void kd__probes_close(struct kd_handle *h)
{
	struct kd__probes *p = h ? h->probes : NULL;

	if (!p)
		return;
	for (size_t u = 0; u < NUNITS; u++)
		bpf_link__destroy(p->u[u].link);
	free(p);
	h->probes = NULL;
}

#else /* !KD_HAVE_CORE */

int kd_stack(struct kd_handle *h, int32_t id, uint64_t *ips, size_t max)
{
	(void)id;
	if (!h || (!ips && max))
		return -EINVAL;
	return kd__err(h, KD_ENOTSUP, "kd_stack: library built without the core engine");
}

const char *kd_probe_attach_method(const struct kd_handle *h, int i)
{
	if (!h || probe_at(i) < 0)
		return NULL;
	return "none: library built without the core engine";
}

void kd__probes_close(struct kd_handle *h)
{
	(void)h;
}

#endif
