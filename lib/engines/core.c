/*
 * lib/engines/core.c: the CO-RE eBPF engine. Loads drivers/bpf-core (the
 * skeleton embedded in the library), attaches to raw_syscalls and reads one
 * BPF ring per CPU with our own zero-copy reader, merging the rings by
 * timestamp. The kernel's capture table is core_table.c's, opts.pids
 * core_follow.c's; the state they share is in core_int.h.
 *
 * Built only when drivers/bpf-core produced the skeleton (KD_HAVE_CORE).
 */
#ifdef KD_HAVE_CORE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core_int.h"
#include "bpf-core/kd_filter.h"
#include "core_probes.h"
#include "core_debug.h"

/* Longest sleep between looks at the rings: records are submitted without
 * wakeups, so this timer is what delivers the tail of a quiet stream. */
#define CORE_POLL_MS 10
/* Above this, the default 8 MiB per ring shrinks so all rings together stay
 * within it (256 CPUs would otherwise pin 2 GiB). */
#define CORE_RING_TOTAL_DEFAULT (256ull << 20)
#define CORE_RING_MIN_DEFAULT   (1ull << 20)
#define CORE_RING_DEFAULT       (8ull << 20)
/* a region holds a few of the largest in-place records (KD_DIRECT1_MAX) */
#define CORE_REGION_MIN         (16ull << 10)

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif


/* libbpf's print callback has no context argument: point it at the engine
 * being opened, on this thread, for the duration of the open only. */
static __thread struct core *tls_core;

static int core_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	struct core *c = tls_core;
	char line[512];
	size_t n, have;

	if (!c || level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	kd__log(c->h, level == LIBBPF_WARN ? KD_LOG_DEBUG : KD_LOG_DEBUG, "libbpf: %s", line);
	/* keep the last lines: the verifier's verdict comes last */
	n = strlen(line);
	have = strlen(c->libbpf_msg);
	if (have + n >= sizeof(c->libbpf_msg)) {
		size_t drop = have + n - sizeof(c->libbpf_msg) + 1;

		if (drop >= have) {
			c->libbpf_msg[0] = '\0';
			have = 0;
			if (n >= sizeof(c->libbpf_msg))
				n = sizeof(c->libbpf_msg) - 1;
		} else {
			memmove(c->libbpf_msg, c->libbpf_msg + drop, have - drop + 1);
			have -= drop;
		}
	}
	memcpy(c->libbpf_msg + have, line + (strlen(line) - n), n);
	c->libbpf_msg[have + n] = '\0';
	return 0;
}

static void squash_newlines(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\t')
			*s = ' ';
}

/* ------------------------------------------------------------ privileges */

static int check_caps(struct kd_handle *h)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	uint64_t eff;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return 0; /* cannot tell: let bpf() decide */
	eff = (uint64_t)data[0].effective | (uint64_t)data[1].effective << 32;
	if (eff & (1ull << CAP_SYS_ADMIN))
		return 0;
	if ((eff & (1ull << CAP_BPF)) && (eff & (1ull << CAP_PERFMON)))
		return 0;
	return kd__err(h, KD_ENOPERM,
		       "core engine needs CAP_BPF and CAP_PERFMON (or root / CAP_SYS_ADMIN); missing: %s%s%s",
		       (eff & (1ull << CAP_BPF)) ? "" : "CAP_BPF",
		       !(eff & (1ull << CAP_BPF)) && !(eff & (1ull << CAP_PERFMON)) ? ", " : "",
		       (eff & (1ull << CAP_PERFMON)) ? "" : "CAP_PERFMON");
}

/* ------------------------------------------------------------ open */

static uint64_t ring_size(const struct kd_handle *h, int nrings)
{
	uint64_t sz = h->opts.ring_bytes ? h->opts.ring_bytes : CORE_RING_DEFAULT;

	if (sz == CORE_RING_DEFAULT)
		while (sz > CORE_RING_MIN_DEFAULT && sz * (uint64_t)nrings > CORE_RING_TOTAL_DEFAULT)
			sz /= 2;
	return sz;
}

static void core_close(void *state);

/* Load the skeleton with one enter/exit variant; tp_btf first, raw_tp when
 * the kernel cannot (no BTF, too old). */
static int load(struct core *c, bool tp_btf)
{
	struct kd_handle *h = c->h;
	struct kd_core *s;
	bool lat = h->opts.flags & KD_OPEN_LATENCY;
	bool task = tp_btf && lat && c->task_storage;
	int err;

	s = kd_core__open();
	if (!s)
		return kd__err(h, KD_EENGINE, "core engine: opening the BPF object failed: %s",
			       strerror(errno));
	c->skel = s;
	c->tp_btf = tp_btf;

	s->rodata->kd_self_tgid = (h->opts.flags & KD_OPEN_TRACE_SELF) ? 0 : (uint32_t)getpid();
	s->rodata->kd_filter_pids = h->opts.npids > 0;
	s->rodata->kd_want_latency = lat;
	s->rodata->kd_shared_ring = (h->opts.flags & KD_OPEN_SHARED_RING) != 0;
	s->rodata->kd_snaplen = h->opts.snaplen;
	s->rodata->kd_ring_bytes = c->ring_bytes;
	s->rodata->kd_wake_mark = c->ring_bytes / 4;
	if (c->nregions) {
		s->rodata->kd_region_bytes = c->ring_bytes;
		s->rodata->kd_region_chunk = c->region_chunk;
		s->rodata->kd_region_nchunks = (uint32_t)(c->ring_bytes / c->region_chunk);
		s->rodata->kd_region_shift = (uint32_t)__builtin_ctzll(c->region_chunk);
		bpf_map__set_value_size(s->maps.kd_regions, (uint32_t)c->region_chunk);
		bpf_map__set_max_entries(s->maps.kd_regions,
					 (uint32_t)(c->ring_bytes / c->region_chunk) * (uint32_t)c->nregions);
	}
	/* kd-bench's knob (core_debug.h): measure the scratch path for every record */
	s->rodata->kd_direct = !kd__core_debug()->no_direct;
	/* any sane size when buffers do not take the direct path (kd__core_mark_direct) */
	s->rodata->kd_direct1_buf = kd__core_direct1_buf(h->opts.snaplen) <= KD_DIRECT1_MAX ?
					    kd__core_direct1_buf(h->opts.snaplen) : KD_DIRECT1_SMALL;

	bpf_map__set_max_entries(s->maps.kd_scratch, (uint32_t)c->ncpus);
	bpf_map__set_max_entries(s->maps.kd_rings, (uint32_t)c->nrings);
	/* the inner ring template keeps its 4 KiB: since 5.10 the kernel does not
	 * compare ring sizes of inner maps (and libbpf 1.1 crashes resizing it) */
	if (!(lat && !task))
		bpf_map__set_max_entries(s->maps.kd_lat_hash, 64);
	bpf_map__set_autocreate(s->maps.kd_lat_task, task);
	if (!h->opts.npids)
		bpf_map__set_max_entries(s->maps.kd_follow, 1);
	else if (kd__core_debug()->follow_max)
		bpf_map__set_max_entries(s->maps.kd_follow, kd__core_debug()->follow_max);

	c->exit_prog = !tp_btf ? s->progs.kd_exit_raw : task ? s->progs.kd_exit_task : s->progs.kd_exit_hash;
	c->enter_prog = !tp_btf ? s->progs.kd_enter_raw : task ? s->progs.kd_enter_task : s->progs.kd_enter_hash;
	/* followed pids join by it, and clone3's threads get their flags */
	c->fork_prog = tp_btf ? s->progs.kd_fork_btf : s->progs.kd_fork_raw;
	c->exec_prog = tp_btf ? s->progs.kd_exec_btf : s->progs.kd_exec_raw;
	/* followed processes leave kd_follow when they end */
	c->gone_prog = !h->opts.npids ? NULL : tp_btf ? s->progs.kd_gone_btf : s->progs.kd_gone_raw;
	/* kd_noentry.bpf.h, unless latency needs the raw entry program anyway
	 * (or a test wants that path without latency) */
	if (!lat && !kd__core_debug()->entry_hooks) {
		c->noret_prog = tp_btf ? s->progs.kd_noret_btf : s->progs.kd_noret_raw;
		c->rename_prog = tp_btf ? s->progs.kd_rename_btf : s->progs.kd_rename_raw;
		/* they serve what the entry program would: not loading it
		 * saves its verification, ~35 ms of kd_open here */
		c->enter_prog = NULL;
	}
	/* only the tp_btf programs have the lane (registers read in place) */
	c->fast = tp_btf && !kd__core_debug()->no_fast;
	bpf_program__set_autoload(s->progs.kd_exit_raw, c->exit_prog == s->progs.kd_exit_raw);
	bpf_program__set_autoload(s->progs.kd_exit_task, c->exit_prog == s->progs.kd_exit_task);
	bpf_program__set_autoload(s->progs.kd_exit_hash, c->exit_prog == s->progs.kd_exit_hash);
	bpf_program__set_autoload(s->progs.kd_enter_raw, c->enter_prog == s->progs.kd_enter_raw);
	bpf_program__set_autoload(s->progs.kd_enter_task, c->enter_prog == s->progs.kd_enter_task);
	bpf_program__set_autoload(s->progs.kd_enter_hash, c->enter_prog == s->progs.kd_enter_hash);
	bpf_program__set_autoload(s->progs.kd_fork_btf, c->fork_prog == s->progs.kd_fork_btf);
	bpf_program__set_autoload(s->progs.kd_fork_raw, c->fork_prog == s->progs.kd_fork_raw);
	bpf_program__set_autoload(s->progs.kd_exec_btf, c->exec_prog == s->progs.kd_exec_btf);
	bpf_program__set_autoload(s->progs.kd_exec_raw, c->exec_prog == s->progs.kd_exec_raw);
	bpf_program__set_autoload(s->progs.kd_gone_btf, c->gone_prog == s->progs.kd_gone_btf);
	bpf_program__set_autoload(s->progs.kd_gone_raw, c->gone_prog == s->progs.kd_gone_raw);
	bpf_program__set_autoload(s->progs.kd_noret_btf, c->noret_prog == s->progs.kd_noret_btf);
	bpf_program__set_autoload(s->progs.kd_noret_raw, c->noret_prog == s->progs.kd_noret_raw);
	bpf_program__set_autoload(s->progs.kd_rename_btf, c->rename_prog == s->progs.kd_rename_btf);
	bpf_program__set_autoload(s->progs.kd_rename_raw, c->rename_prog == s->progs.kd_rename_raw);

	kd__probes_setup(h, s, tp_btf);
	c->libbpf_msg[0] = '\0';
	err = kd_core__load(s);
	if (err) {
		squash_newlines(c->libbpf_msg);
		kd__err(h, KD_EENGINE, "core engine: loading the BPF programs (%s) failed: %s; libbpf: %s",
			tp_btf ? "tp_btf" : "raw_tp", strerror(-err), c->libbpf_msg);
		kd_core__destroy(s);
		c->skel = NULL;
		/* check_caps() passed: EACCES is the verifier refusing a program
		 * (a bug of ours or a kernel it does not know), EPERM a policy
		 * such as lockdown */
		return err == -EPERM ? KD_ENOPERM : KD_EENGINE;
	}
	return 0;
}

/* A region is ring_bytes / region_chunk elements of kd_regions, back to
 * back in the array's mapping; its positions are in .bss (kd_rpos). */
static int make_regions(struct core *c)
{
	void *p;

	if (!c->nregions)
		return 0;
	c->regions_len = (size_t)c->nregions * (size_t)c->ring_bytes;
	p = mmap(NULL, c->regions_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(c->skel->maps.kd_regions), 0);
	if (p == MAP_FAILED)
		return kd__err(c->h, KD_EENGINE, "core engine: mmap of %d regions of %llu bytes: %s",
			       c->nregions, (unsigned long long)c->ring_bytes, strerror(errno));
	c->regions = p;
	madvise(p, c->regions_len, MADV_DONTFORK); /* as the rings: see kd__ring_map() */
	for (int i = 0; i < c->nregions; i++)
		kd__ring_region(&c->rings[c->nrings + i], c->regions + (size_t)i * (size_t)c->ring_bytes,
				c->ring_bytes, c->region_chunk, &c->skel->bss->kd_rpos[i].head,
				&c->skel->bss->kd_rpos[i].tail);
	return 0;
}

/* The rings into the outer array. The kernel waits for an RCU grace period
 * after every update of a map-in-map (6-16 ms each here, so per CPU), and
 * once for a whole batch; kernels without batch updates for it get one
 * update per ring. */
static int insert_rings(struct core *c, int outer)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t *keys = malloc((size_t)c->nrings * sizeof(*keys)), n = (uint32_t)c->nrings;

	if (!keys)
		return kd__err(c->h, -ENOMEM, "core engine: out of memory for %d ring keys", c->nrings);
	for (uint32_t i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(outer, keys, c->ring_fds, &n, &opts) == 0 && n == (uint32_t)c->nrings) {
		free(keys);
		return 0;
	}
	for (int i = 0; i < c->nrings; i++) {
		if (bpf_map_update_elem(outer, &keys[i], &c->ring_fds[i], BPF_ANY)) {
			int e = errno;

			free(keys);
			return kd__err(c->h, KD_EENGINE, "core engine: inserting ring %d: %s", i, strerror(e));
		}
	}
	free(keys);
	return 0;
}

static int make_rings(struct core *c)
{
	struct kd_handle *h = c->h;
	int outer = bpf_map__fd(c->skel->maps.kd_rings), err;

	c->rings = calloc((size_t)c->nsrc, sizeof(*c->rings));
	c->ring_fds = malloc((size_t)c->nrings * sizeof(int));
	if (!c->rings || !c->ring_fds)
		return kd__err(h, -ENOMEM, "core engine: out of memory for %d rings", c->nrings);
	for (int i = 0; i < c->nrings; i++)
		c->ring_fds[i] = -1;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return kd__err(h, -errno, "core engine: epoll_create1: %s", strerror(errno));
	for (int i = 0; i < c->nrings; i++) {
		/* edge-triggered: a ring is reported when its producer woke us
		 * (the fill mark), not whenever it holds a record. Level-triggered,
		 * one wakeup kept the ring "ready" while the producer kept writing,
		 * and the consumer span in epoll_wait a few records at a time. */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i };
		int fd;

		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "kd_ring", 0, 0, (uint32_t)c->ring_bytes, NULL);
		if (fd < 0)
			return kd__err(h, KD_EENGINE, "core engine: creating ring %d of %llu bytes: %s", i,
				       (unsigned long long)c->ring_bytes, strerror(errno));
		c->ring_fds[i] = fd;
		err = kd__ring_map(&c->rings[i], fd, c->ring_bytes);
		if (err)
			return kd__err(h, KD_EENGINE, "core engine: mmap of ring %d: %s", i, strerror(-err));
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
			return kd__err(h, -errno, "core engine: epoll_ctl: %s", strerror(errno));
	}
	err = insert_rings(c, outer);
	if (err)
		return err;
	err = make_regions(c);
	if (err)
		return err;
	if (kd__merge_init(&c->merge, c->rings, c->nsrc))
		return kd__err(h, -ENOMEM, "core engine: out of memory for the merge of %d sources", c->nsrc);
	return 0;
}

/* Attach prog (NULL: nothing to do) into *link. 0 or KD_EENGINE. */
static int attach(struct core *c, struct bpf_program *prog, struct bpf_link **link)
{
	if (!prog)
		return 0;
	*link = bpf_program__attach(prog);
	if (!*link)
		return kd__err(c->h, KD_EENGINE, "core engine: attaching %s failed: %s",
			       bpf_program__name(prog), strerror(errno));
	return 0;
}

/* ------------------------------------------------------------ filters */

/* Into the idle slot, then flip: a program sees the old filter or the new
 * one whole (drivers/bpf-core/kd_filter.bpf.h). */
static int core_filter(void *state, const struct kd_flt *f)
{
	struct core *c = state;
	uint32_t idle = (__atomic_load_n(&c->skel->bss->kd_flt_idx, __ATOMIC_RELAXED) & 1) ^ 1;

	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.kd_flt_map), &idle, f, BPF_ANY))
		return kd__err(c->h, KD_EENGINE, "core engine: writing the filter: %s", strerror(errno));
	__atomic_store_n(&c->skel->bss->kd_flt_idx, idle, __ATOMIC_RELEASE);
	__atomic_store_n(&c->skel->bss->kd_flt_any, f->kinds != 0, __ATOMIC_RELEASE);
	return 0;
}

/* Which params of each syscall are paths (the path kind looks at those),
 * then opts.filter, before anything is attached. */
static int filter_setup(struct core *c)
{
	struct kd_handle *h = c->h;
	int err;

	for (int id = 1; id < (int)KD_FLT_EVENTS; id++) {
		const struct kd__event_info *info = kd__event_info(id);
		uint8_t m = 0;

		if (!info || !info->name)
			continue;
		for (unsigned i = 0; i < info->nparams && i < 6; i++)
			if (info->params[i].kind == KD_PK_PATH)
				m |= (uint8_t)(1u << i);
		c->skel->bss->kd_flt_pathmask[id] = m;
	}
	/* the tables must see every exec and fork: kd__filter_pass() judges
	 * those in userspace */
	for (int id = 1; id < 1000; id++) {
		int nr = kd_event_type_syscall_nr(id);

		if (nr < 0 || nr >= (int)KD_MAX_SYSCALL_NR || !kd__filter_bypass(h, id))
			continue;
		c->skel->bss->kd_flt_bypass[nr] = 1;
		c->skel->bss->kd_flt_pathmask[id] = 0;
	}
	if (!h->filter)
		return 0;
	err = core_filter(c, h->filter);
	return err;
}

static int core_open(struct kd_handle *h, void **state)
{
	struct core *c;
	int err;

	err = check_caps(h);
	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return kd__err(h, -ENOMEM, "core engine: out of memory");
	c->h = h;
	c->epfd = -1;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		err = kd__err(h, KD_EENGINE, "core engine: cannot count the possible CPUs: %s",
			      strerror(-c->ncpus));
		goto fail;
	}
	c->nrings = (h->opts.flags & KD_OPEN_SHARED_RING) ? 1 : c->ncpus;
	/* a region per CPU beside each ring; a shared ring keeps everything */
	c->nregions = c->nrings > 1 && c->ncpus <= (int)KD_BPF_MAX_CPUS && !kd__core_debug()->no_region ?
			      c->ncpus : 0;
	c->nsrc = c->nrings + c->nregions;
	c->ring_bytes = ring_size(h, c->nsrc);
	if (c->ring_bytes < CORE_REGION_MIN)
		c->nregions = 0, c->nsrc = c->nrings;
	c->region_chunk = c->ring_bytes < KD_REGION_CHUNK_MAX ? c->ring_bytes : KD_REGION_CHUNK_MAX;
	if (kd__core_debug()->region_chunk >= 8192 && kd__core_debug()->region_chunk < c->region_chunk &&
	    !(kd__core_debug()->region_chunk & (kd__core_debug()->region_chunk - 1)))
		c->region_chunk = kd__core_debug()->region_chunk;

	tls_core = c;
	libbpf_print_fn_t old = libbpf_set_print(core_libbpf_print);
	c->task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	err = load(c, true);
	if (err && err != KD_ENOPERM) {
		kd__log(h, KD_LOG_INFO, "%s; trying raw_tp", h->err);
		err = load(c, false);
	}
	libbpf_set_print(old);
	tls_core = NULL;
	if (err)
		goto fail;

	err = make_rings(c);
	if (!err)
		err = kd__core_follow_pids(c);
	if (!err)
		err = filter_setup(c);
	if (err)
		goto fail;
	kd__core_fill_table(c);

	if ((err = attach(c, c->exit_prog, &c->exit_link)) || (err = attach(c, c->fork_prog, &c->fork_link)) ||
	    (err = attach(c, c->gone_prog, &c->gone_link)))
		goto fail;
	/* forks from now on join in the kernel: now the ones before */
	if (h->opts.npids)
		kd__core_follow_descendants(c);
	err = kd__core_sync_enter(c);
	if (!err)
		err = kd__probes_sync(h);
	if (err)
		goto fail;
	kd__core_warn_pidns(h);
	kd__log(h, KD_LOG_INFO, "core engine: %s, %d ring(s) and %d region(s) of %llu bytes, latency %s",
		c->tp_btf ? "tp_btf" : "raw_tp", c->nrings, c->nregions, (unsigned long long)c->ring_bytes,
		!(h->opts.flags & KD_OPEN_LATENCY) ? "off" : c->task_storage && c->tp_btf ? "task storage" : "hash");
	*state = c;
	return 0;
fail:
	core_close(c);
	return err;
}

/* ------------------------------------------------------------ next */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A record reserved at a fixed size (KD_KSC_DIRECT1) ends at hdr.len: hand
 * out only that, so capture files and byte counts see the record itself.
 * A hdr.len out of range is left for the decoder to report. */
static void trim_slack(const void *rec, size_t *len)
{
	uint32_t hl;

	if (*len < KD_REC_HDR_SIZE)
		return;
	memcpy(&hl, (const uint8_t *)rec + offsetof(struct kd_rec_hdr, len), sizeof(hl));
	if (hl >= KD_REC_HDR_SIZE && hl < *len)
		*len = hl;
}

/* The rings are empty: let the kernel reuse what we read, then sleep until
 * a wakeup, the poll period or *deadline (0: not set yet; the clock is read
 * only here). 0 to look again, KD_TIMEOUT or an error. Out of line: most
 * kd_next() calls never get here. */
static __attribute__((noinline)) int core_wait(struct core *c, int timeout_ms, uint64_t *deadline)
{
	struct epoll_event evs[8];
	int wait = CORE_POLL_MS;

	for (int r = 0; r < c->nsrc; r++)
		kd__ring_publish(&c->rings[r]);
	if (timeout_ms == 0)
		return KD_TIMEOUT;
	if (timeout_ms > 0) {
		uint64_t now = now_ms();

		if (!*deadline)
			*deadline = now + (uint64_t)timeout_ms;
		if (now >= *deadline)
			return KD_TIMEOUT;
		if (*deadline - now < (uint64_t)wait)
			wait = (int)(*deadline - now);
	}
	if (epoll_wait(c->epfd, evs, 8, wait) < 0 && errno != EINTR)
		return kd__err(c->h, -errno, "core engine: epoll_wait: %s", strerror(errno));
	return 0;
}

static int core_next(void *state, const void **rec, size_t *len, int timeout_ms)
{
	struct core *c = state;
	uint64_t deadline = 0;
	uint32_t rlen;
	int err;

	for (;;) {
		/* steps past the record handed out last (the caller is done) */
		const void *r = kd__merge_next(&c->merge, &rlen);

		if (r) {
			*rec = r;
			*len = rlen;
			trim_slack(*rec, len);
			return 0;
		}
		if ((err = core_wait(c, timeout_ms, &deadline)))
			return err;
	}
}

/* ------------------------------------------------------------ stats */

/* Runs the kernel skipped because the program was already running on that
 * CPU, over every program of the handle (syscalls and probes alike). */
static uint64_t recursion_misses(const struct core *c)
{
	struct bpf_program *p;
	uint64_t n = 0;

	bpf_object__for_each_program(p, c->skel->obj) {
		struct bpf_prog_info info;
		uint32_t ilen = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		/* kernels before 5.12 do not fill recursion_misses: it stays 0 */
		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
			n += info.recursion_misses;
	}
	return n;
}

static void cpu_counters(const struct core *c, int cpu, uint64_t v[KD_CNT__MAX])
{
	const struct kd_bpf_cnt *k = &c->skel->bss->kd_cnt[cpu];
	const struct kd_bpf_cnt *p = &c->skel->bss->kd_cnt_probe[cpu];

	/* the syscall programs' counters and the probes' (kd_core.bpf.c) */
	for (int j = 0; j < KD_CNT__MAX; j++)
		v[j] = __atomic_load_n(&k->v[j], __ATOMIC_RELAXED) +
		       __atomic_load_n(&p->v[j], __ATOMIC_RELAXED);
}

static int core_stats(void *state, struct kd_stats *st)
{
	struct core *c = state;
	uint64_t rec = recursion_misses(c);
	int n = c->ncpus < (int)KD_BPF_MAX_CPUS ? c->ncpus : (int)KD_BPF_MAX_CPUS;

	for (int cpu = 0; cpu < n; cpu++) {
		uint64_t v[KD_CNT__MAX];

		cpu_counters(c, cpu, v);
		st->kernel_events += v[KD_CNT_KERNEL_EVENTS];
		st->filtered += v[KD_CNT_FILTERED];
		st->drops_by_reason[KD_DROP_BUFFER_FULL] += v[KD_CNT_DROP_FULL];
		st->drops_by_reason[KD_DROP_TOO_BIG] += v[KD_CNT_DROP_TOO_BIG];
		st->drops_by_reason[KD_DROP_NO_STATE] += v[KD_CNT_DROP_NO_STATE];
		st->filtered_task += v[KD_CNT_FLT_TASK];
		st->filtered_path += v[KD_CNT_FLT_PATH];
	}
	/* a recursion miss is a record the kernel would have produced */
	st->kernel_events += rec;
	st->drops_by_reason[KD_DROP_RECURSION] += rec;
	st->ncpus = (uint32_t)c->ncpus;
	return 0;
}

static int core_stats_cpu(void *state, unsigned cpu, struct kd_cpu_stats *st)
{
	struct core *c = state;
	const struct kd__ring *r;
	uint64_t v[KD_CNT__MAX];

	if (cpu >= (unsigned)c->ncpus)
		return kd__err(c->h, -ERANGE, "core engine: no cpu %u (%d possible)", cpu, c->ncpus);
	r = &c->rings[c->nrings == 1 ? 0 : cpu];
	if (cpu < KD_BPF_MAX_CPUS) {
		cpu_counters(c, (int)cpu, v);
		st->drops = v[KD_CNT_DROP_FULL] + v[KD_CNT_DROP_TOO_BIG] + v[KD_CNT_DROP_NO_STATE];
		st->events = v[KD_CNT_KERNEL_EVENTS] - st->drops;
	}
	st->ring_size = r->size;
	st->ring_high_water = r->high_water;
	/* the fuller of the CPU's ring and region (they are the same size) */
	if (cpu < (unsigned)c->nregions && c->rings[c->nrings + cpu].high_water > st->ring_high_water)
		st->ring_high_water = c->rings[c->nrings + cpu].high_water;
	return 0;
}

/* ------------------------------------------------------------ close */

static void core_close(void *state)
{
	struct core *c = state;

	if (!c)
		return;
	bpf_link__destroy(c->enter_link);
	bpf_link__destroy(c->exit_link);
	bpf_link__destroy(c->fork_link);
	bpf_link__destroy(c->gone_link);
	bpf_link__destroy(c->exec_link);
	bpf_link__destroy(c->noret_link);
	bpf_link__destroy(c->rename_link);
	if (c->rings)
		for (int i = 0; i < c->nsrc; i++)
			kd__ring_unmap(&c->rings[i]);
	if (c->regions)
		munmap(c->regions, c->regions_len);
	if (c->ring_fds)
		for (int i = 0; i < c->nrings; i++)
			if (c->ring_fds[i] >= 0)
				close(c->ring_fds[i]);
	if (c->epfd >= 0)
		close(c->epfd);
	kd__probes_close(c->h);
	kd_core__destroy(c->skel);
	kd__merge_free(&c->merge);
	free(c->rings);
	free(c->ring_fds);
	free(c);
}

int kd__core_fast_shape(const struct kd_handle *h, unsigned nr)
{
	const struct core *c = h->engine;

	if (h->ops != &kd__engine_core || !c || nr >= KD_MAX_SYSCALL_NR)
		return -1;
	return __atomic_load_n(&c->skel->bss->kd_fast_tab[nr], __ATOMIC_RELAXED);
}

int kd__core_ksc_flags(const struct kd_handle *h, unsigned nr)
{
	const struct core *c = h->engine;

	if (h->ops != &kd__engine_core || !c || nr >= KD_MAX_SYSCALL_NR)
		return -1;
	return __atomic_load_n(&c->skel->bss->kd_ksc_tab[nr].flags, __ATOMIC_RELAXED);
}

const struct kd_engine_ops kd__engine_core = {
	.name = "core",
	.id = KD_ENGINE_CORE,
	.open = core_open,
	.next = core_next,
	.select = kd__core_select,
	.filter = core_filter,
	.stats = core_stats,
	.stats_cpu = core_stats_cpu,
	.close = core_close,
};

#endif /* KD_HAVE_CORE */
