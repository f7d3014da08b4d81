/*
 * bench/bench_core.c (kd-bench): what capturing costs a traced program, in
 * one run on one machine, interleaved:
 *
 *   configs  none       no capture
 *            ref        bench/ref.bpf.c: sys_exit only, 80-byte records, one
 *                       BPF ring buffer, no wakeups, a polling consumer
 *            ref+copy   ref that also copies the user memory kindling copies
 *                       (read/write buffer up to 80 B, openat's path)
 *            kd         kindling core engine, all syscalls, latency off
 *            kd-lat     kindling core engine, all syscalls, latency on
 *            kd-nodirect  kd with the direct-reserve fast path off
 *            kd-noenrich  kd with KD_OPEN_NO_ENRICH: the engine and decoder
 *                       alone (same BPF as kd: not in the bpf_stats phase)
 *            empty, ref-arr, kd-ringbuf, ref-arr+copy, ref-arr+copy+read:
 *                       see docs/performance.md
 *   mixes    getppid, openat+close (/dev/null), read 64 B (/dev/zero),
 *            write 64 B (/dev/null)
 *
 * Each round starts every config in turn (order rotates per round), runs each
 * mix and stops the config. Reported: the median over rounds of ns per
 * iteration, minus none's; the consumer thread's CPU time per event
 * (getrusage RUSAGE_THREAD); the highest event rate one producer reaches with
 * zero drops; kd_open to the first event. The producer is pinned to the last
 * CPU and the consumer to the first.
 *
 *   kd-bench [--rounds N] [--quick]     root only; never in a QEMU guest
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>

#include <kindling/kindling.h>

#include "core_debug.h" /* lib/engines: kd__core_debug_set() */
#include "bench_util.h"
#include "ref.skel.h"

enum cfg { CFG_NONE, CFG_REF, CFG_REF_COPY, CFG_KD, CFG_KD_LAT, CFG_KD_NODIRECT, CFG_KD_NOENRICH,
	   CFG_EMPTY, CFG_REF_ARR, CFG_KD_RINGBUF, CFG_REF_ARR_COPY, CFG_REF_ARR_READ, CFG__N };
enum mix { MIX_GETPPID, MIX_OPEN_CLOSE, MIX_READ, MIX_WRITE, MIX__N };

static const char *cfg_name[CFG__N] = { "none",   "ref",         "ref+copy",   "kd",
					"kd-lat", "kd-nodirect", "kd-noenrich", "empty", "ref-arr",
					"kd-ringbuf", "ref-arr+copy", "ref-arr+copy+read" };
static const char *mix_name[MIX__N] = { "getppid", "openat+close", "read 64 B", "write 64 B" };
static const long mix_iters[MIX__N] = { 400000, 150000, 300000, 300000 };

#define MAX_ROUNDS 31
_Static_assert(MAX_ROUNDS <= BENCH_MAX_SAMPLES, "bench_median() takes every round");

static int ncpus;
static int rounds = 9;
static double scale = 1.0;
static int progs_only; /* --progs: only the bpf_stats phase */
static bool cfg_on[CFG__N];

/* KD_BENCH_CONFIGS=name,name,..: only these configurations (none and ref
 * always run: the figures are relative to them); for experiments. */
static int pick_configs(void)
{
	const char *want = getenv("KD_BENCH_CONFIGS");

	for (int k = 0; k < CFG__N; k++)
		cfg_on[k] = !want || k == CFG_NONE || k == CFG_REF;
	while (want && *want) {
		size_t len = strcspn(want, ",");
		int k;

		for (k = 0; k < CFG__N; k++)
			if (strlen(cfg_name[k]) == len && strncmp(want, cfg_name[k], len) == 0)
				break;
		if (k == CFG__N) {
			fprintf(stderr, "kd-bench: KD_BENCH_CONFIGS: no configuration '%.*s'\n", (int)len, want);
			return -1;
		}
		cfg_on[k] = true;
		want += len + (want[len] == ',');
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

/* ------------------------------------------------------------ workload */

static int zero_fd, null_fd;

/* ns per iteration of one mix */
static double run_mix(int mix)
{
	long n = (long)(mix_iters[mix] * scale);
	char buf[64] = { 0 };
	uint64_t t0 = now_ns();

	for (long i = 0; i < n; i++) {
		switch (mix) {
		case MIX_GETPPID:
			syscall(SYS_getppid);
			break;
		case MIX_OPEN_CLOSE:
			close((int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY));
			break;
		case MIX_READ:
			if (read(zero_fd, buf, sizeof(buf)) != sizeof(buf))
				abort();
			break;
		case MIX_WRITE:
			if (write(null_fd, buf, sizeof(buf)) != sizeof(buf))
				abort();
			break;
		}
	}
	return (double)(now_ns() - t0) / (double)n;
}

/* ------------------------------------------------------------ capture */

struct capture {
	int cfg;
	struct ref *ref;
	struct bpf_link *ref_link;
	struct ring_buffer *rb;
	uint8_t *arr; /* ref-arr, ref-arr+copy: the mmap'd per-CPU regions */
	size_t arr_len, arr_value;
	struct kd_handle *h;
	pthread_t thr;
	volatile int stop;
	uint64_t events, cpu_ns;
	double open_s, first_s; /* kd: kd_open, and kd_open to our first event */
};

static int ref_count(void *ctx, void *data, size_t len)
{
	(void)data;
	(void)len;
	((struct capture *)ctx)->events++;
	return 0;
}

/* ref-arr's and ref-arr+copy's regions (bench/ref.bpf.c struct ref_arr_cpu,
 * ref_arrc_cpu): head at 0, tail at 64, then the slots. */
#define ARR_VALUE  (128u + 80u * 32768u)

#define ARRC_SLOT  168u
#define ARRC_SLOTS 16384u
#define ARRC_VALUE (128u + ARRC_SLOT * ARRC_SLOTS)

static volatile uint64_t arr_sink;

/* ref-arr+copy+read's consumer reads every byte of every record, as any
 * consumer that looks at its events does: the producer then writes lines
 * the consumer's core has pulled to itself. */
static void arr_read(const uint8_t *slots, uint64_t from, uint64_t to)
{
	uint64_t sum = 0;

	for (uint64_t s = from; s < to; s++) {
		const uint8_t *r = slots + (size_t)(s & (ARRC_SLOTS - 1)) * ARRC_SLOT;

		for (unsigned w = 0; w < ARRC_SLOT; w += 8) {
			uint64_t v;

			memcpy(&v, r + w, sizeof(v));
			sum += v;
		}
	}
	arr_sink += sum;
}

static uint64_t arr_consume(struct capture *c)
{
	uint64_t n = 0;

	for (int i = 0; i < ncpus; i++) {
		uint64_t *head = (uint64_t *)(c->arr + (size_t)i * c->arr_value);
		uint64_t *tail = head + 8;
		uint64_t h = __atomic_load_n(head, __ATOMIC_ACQUIRE);

		if (c->cfg == CFG_REF_ARR_READ)
			arr_read((const uint8_t *)head + 128, *tail, h);
		n += h - *tail;
		__atomic_store_n(tail, h, __ATOMIC_RELEASE);
	}
	c->events += n;
	return n;
}

/* The consumers both look at their rings, and sleep 10 ms when they are
 * empty (records come without wakeups). */
static void *consume(void *arg)
{
	struct capture *c = arg;
	const struct kd_event *ev;
	uint64_t cpu0;

	bench_pin(0);
	cpu0 = thread_cpu_ns();
	while (!c->stop) {
		if (c->rb) {
			if (ring_buffer__consume(c->rb) <= 0)
				ring_buffer__poll(c->rb, 10);
		} else if (c->arr) {
			if (!arr_consume(c))
				usleep(1000); /* its regions hold less than a ring */
		} else if (!c->h) {
			usleep(10000);
		} else if (kd_next(c->h, &ev) == 0) {
			c->events++;
		}
	}
	c->cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

static int ref_start(struct capture *c)
{
	int err;

	struct bpf_program *prog;

	c->ref = ref__open();
	if (!c->ref) {
		fprintf(stderr, "kd-bench: opening the reference program failed: %s\n", strerror(errno));
		return -1;
	}
	prog = c->cfg == CFG_REF_COPY ? c->ref->progs.ref_exit_copy
	       : c->cfg == CFG_EMPTY  ? c->ref->progs.ref_empty
	       : c->cfg == CFG_REF_ARR ? c->ref->progs.ref_exit_arr
	       : c->cfg == CFG_REF_ARR_COPY || c->cfg == CFG_REF_ARR_READ ? c->ref->progs.ref_exit_arrc
					    : c->ref->progs.ref_exit;
	bpf_program__set_autoload(c->ref->progs.ref_exit, prog == c->ref->progs.ref_exit);
	bpf_program__set_autoload(c->ref->progs.ref_exit_copy, prog == c->ref->progs.ref_exit_copy);
	bpf_program__set_autoload(c->ref->progs.ref_empty, prog == c->ref->progs.ref_empty);
	bpf_program__set_autoload(c->ref->progs.ref_exit_arr, prog == c->ref->progs.ref_exit_arr);
	bpf_program__set_autoload(c->ref->progs.ref_exit_arrc, prog == c->ref->progs.ref_exit_arrc);
	bpf_map__set_max_entries(c->ref->maps.ref_arr, (uint32_t)ncpus);
	bpf_map__set_max_entries(c->ref->maps.ref_arrc, (uint32_t)ncpus);
	/* megabytes per CPU each: only for the configuration that writes them */
	bpf_map__set_autocreate(c->ref->maps.ref_arr, prog == c->ref->progs.ref_exit_arr);
	bpf_map__set_autocreate(c->ref->maps.ref_arrc, prog == c->ref->progs.ref_exit_arrc);
	err = ref__load(c->ref);
	if (err) {
		fprintf(stderr, "kd-bench: loading the reference program failed: %s\n", strerror(-err));
		return -1;
	}
	c->ref_link = bpf_program__attach(prog);
	err = c->ref_link ? 0 : -errno;
	if (!err && (c->cfg == CFG_REF_ARR || c->cfg == CFG_REF_ARR_COPY || c->cfg == CFG_REF_ARR_READ)) {
		bool copy = c->cfg != CFG_REF_ARR;

		c->arr_value = copy ? ARRC_VALUE : ARR_VALUE;
		c->arr_len = (size_t)ncpus * c->arr_value;
		c->arr = mmap(NULL, c->arr_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			      bpf_map__fd(copy ? c->ref->maps.ref_arrc : c->ref->maps.ref_arr), 0);
		if (c->arr == MAP_FAILED) {
			c->arr = NULL;
			err = -errno;
		}
	} else if (!err && c->cfg != CFG_EMPTY) {
		c->rb = ring_buffer__new(bpf_map__fd(c->ref->maps.ref_ring), ref_count, c, NULL);
		if (!c->rb)
			err = -errno;
	}
	if (err) {
		fprintf(stderr, "kd-bench: attaching the reference program failed: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

static int kd_start(struct capture *c)
{
	uint32_t flags = KD_OPEN_TRACE_SELF | (c->cfg == CFG_KD_LAT ? KD_OPEN_LATENCY : 0) |
			 (c->cfg == CFG_KD_NOENRICH ? KD_OPEN_NO_ENRICH : 0);
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .timeout_ms = 10, .flags = flags);
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	int t = kd_event_type_by_name("getppid");
	const struct kd_event *ev;
	uint64_t t0 = now_ns();
	int err;

	/* KD_BENCH_COMM=NAME[*]: measure with an in-kernel comm filter */
	const char *comm = getenv("KD_BENCH_COMM");
	KD_OPTS(kd_filter, flt, .comms = &comm, .ncomms = 1);
	if (comm)
		o.filter = &flt;
	o.events = getenv("KD_BENCH_EVENTS");
	if (getenv("KD_BENCH_SNAPLEN"))
		o.snaplen = (uint32_t)atoi(getenv("KD_BENCH_SNAPLEN"));
	if (getenv("KD_BENCH_RING"))
		o.ring_bytes = (uint64_t)atoll(getenv("KD_BENCH_RING"));
	/* the scratch-only knob of lib/engines/core.c (static library only) */
	if (c->cfg == CFG_KD_NODIRECT)
		kd__core_debug_set(&(struct kd__core_debug){ .no_direct = true });
	if (c->cfg == CFG_KD_RINGBUF)
		kd__core_debug_set(&(struct kd__core_debug){ .no_region = true });
	/* kd_open as an agent that is not pinned runs it: the /proc scan reads
	 * on the CPUs the caller may use (lib/enrich/proc_scan.c) */
	cpu_set_t pinned, all;

	pthread_getaffinity_np(pthread_self(), sizeof(pinned), &pinned);
	CPU_ZERO(&all);
	for (int i = 0; i < ncpus; i++)
		CPU_SET(i, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	err = kd_open(&o, &c->h);
	pthread_setaffinity_np(pthread_self(), sizeof(pinned), &pinned);
	kd__core_debug_set(NULL);
	if (err) {
		fprintf(stderr, "kd-bench: kd_open: %s: %s\n", kd_strerror(err), kd_last_error(NULL));
		return -1;
	}
	c->open_s = (double)(now_ns() - t0) / 1e9;
	for (;;) {
		syscall(SYS_getppid);
		err = kd_next(c->h, &ev);
		if (err < 0) {
			fprintf(stderr, "kd-bench: kd_next: %s\n", kd_last_error(c->h));
			return -1;
		}
		if (err == 0 && kd_event_type(ev) == t && kd_event_tid(ev) == tid)
			break;
		if (now_ns() - t0 > 10000000000ull) {
			fprintf(stderr, "kd-bench: no event of ours 10 s after kd_open\n");
			return -1;
		}
	}
	c->first_s = (double)(now_ns() - t0) / 1e9;
	return 0;
}

static int start(struct capture *c, int cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	if (cfg == CFG_NONE)
		return 0;
	if (cfg == CFG_REF || cfg == CFG_REF_COPY || cfg == CFG_EMPTY || cfg == CFG_REF_ARR ||
			    cfg == CFG_REF_ARR_COPY || cfg == CFG_REF_ARR_READ
		    ? ref_start(c)
		    : kd_start(c))
		return -1;
	return pthread_create(&c->thr, NULL, consume, c) ? -1 : 0;
}

/* Stops the consumer; the kernel's counters say what was produced. */
static void stop(struct capture *c, uint64_t *kernel, uint64_t *drops)
{
	*kernel = *drops = 0;
	if (c->cfg == CFG_NONE)
		return;
	c->stop = 1;
	pthread_join(c->thr, NULL);
	if (c->ref) {
		*drops = c->ref->bss->ref_drops;
		*kernel = c->events + *drops;
		bpf_link__destroy(c->ref_link);
		ring_buffer__free(c->rb);
		if (c->arr)
			munmap(c->arr, c->arr_len);
		ref__destroy(c->ref);
	} else {
		struct kd_stats st = { .sz = sizeof(st) };

		kd_stats(c->h, &st);
		*kernel = st.kernel_events;
		*drops = st.drops;
		kd_close(c->h);
	}
}

/* ------------------------------------------------------------ phases */

static double ns[CFG__N][MIX__N][MAX_ROUNDS];
static double cons_ns[CFG__N][MAX_ROUNDS];
static double open_s[MAX_ROUNDS], first_s[MAX_ROUNDS];
static uint64_t drops_total[CFG__N];

static int overhead(void)
{
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < CFG__N; k++) {
			int cfg = (k + r) % CFG__N;
			struct capture c;
			uint64_t kernel, drops;

			if (!cfg_on[cfg])
				continue;
			if (start(&c, cfg))
				return -1;
			if (cfg == CFG_KD) {
				open_s[r] = c.open_s;
				first_s[r] = c.first_s;
			}
			for (int m = 0; m < MIX__N; m++)
				ns[cfg][m][r] = run_mix(m);
			stop(&c, &kernel, &drops);
			drops_total[cfg] += drops;
			cons_ns[cfg][r] = c.events ? (double)c.cpu_ns / (double)c.events : 0;
		}
		fprintf(stderr, "round %d/%d done\n", r + 1, rounds);
	}
	return 0;
}

/* One producer makes getppid as fast as it can for a second. */
static int max_rate(int cfg, double *rate, uint64_t *drops)
{
	struct capture c;
	uint64_t kernel, t0, n = 0;

	if (start(&c, cfg))
		return -1;
	t0 = now_ns();
	while (now_ns() - t0 < (uint64_t)(1e9 * scale)) {
		for (int i = 0; i < 1000; i++)
			syscall(SYS_getppid);
		n += 1000;
	}
	*rate = (double)n / ((double)(now_ns() - t0) / 1e9);
	stop(&c, &kernel, drops);
	return 0;
}

/* Run time of the BPF programs this process holds (ref's or kindling's), from
 * the kernel's bpf_stats: what the programs themselves cost, without the
 * trampoline and with far less noise than wall time. */
static void own_prog_stats(uint64_t *run_ns, uint64_t *runs)
{
	DIR *d = opendir("/proc/self/fdinfo");
	unsigned seen[64], nseen = 0;
	struct dirent *e;

	*run_ns = *runs = 0;
	while (d && (e = readdir(d))) {
		char path[300], line[128];
		FILE *f;
		unsigned id = 0;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1)
				break;
		if (f)
			fclose(f);
		for (unsigned i = 0; id && i < nseen; i++)
			if (seen[i] == id)
				id = 0; /* the same program behind two fds */
		if (id && nseen < 64) {
			struct bpf_prog_info info;
			uint32_t ilen = sizeof(info);
			int fd = bpf_prog_get_fd_by_id(id);

			seen[nseen++] = id;
			memset(&info, 0, sizeof(info));
			if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &ilen)) {
				*run_ns += info.run_time_ns;
				*runs += info.run_cnt;
			}
			if (fd >= 0)
				close(fd);
		}
	}
	if (d)
		closedir(d);
}

static double prog_ns[CFG__N][MIX__N][MAX_ROUNDS];

static int prog_cost(void)
{
	int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (sfd < 0) {
		fprintf(stderr, "kd-bench: bpf_enable_stats: %s (no program run times)\n", strerror(-sfd));
		return -1;
	}
	for (int r = 0; r < rounds; r++) {
		for (int cfg = CFG_REF; cfg < CFG__N; cfg++) {
			struct capture c;

			uint64_t kernel, drops;

			if (cfg == CFG_KD_NOENRICH || !cfg_on[cfg])
				continue;

			if (start(&c, cfg))
				return -1;
			for (int m = 0; m < MIX__N; m++) {
				uint64_t ns0, n0, ns1, n1;

				own_prog_stats(&ns0, &n0);
				run_mix(m);
				own_prog_stats(&ns1, &n1);
				prog_ns[cfg][m][r] = n1 > n0 ? (double)(ns1 - ns0) / (double)(n1 - n0) : 0;
			}
			stop(&c, &kernel, &drops);
		}
	}
	close(sfd);
	return 0;
}

/* Other processes' syscall tracers (other kindling handles, other tools) run
 * on every syscall of ours too, in every configuration: they add noise. */
static int foreign_tracers(void)
{
	uint32_t id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info;
		uint32_t ilen = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) &&
		    (strncmp(info.name, "kd_exit", 7) == 0 || strncmp(info.name, "ref_e", 5) == 0))
			n++;
		close(fd);
	}
	return n;
}

static void print_prog_cost(void)
{
	printf("\n| BPF ns per program run (bpf_stats, median) | %s | %s | %s | %s |\n", mix_name[0],
	       mix_name[1], mix_name[2], mix_name[3]);
	printf("| --- | --- | --- | --- | --- |\n");
	for (int k = CFG_REF; k < CFG__N; k++) {
		if (k == CFG_KD_NOENRICH || !cfg_on[k])
			continue;
		printf("| %s | ", cfg_name[k]);
		for (int m = 0; m < MIX__N; m++)
			printf("%.1f | ", bench_median(prog_ns[k][m], rounds));
		printf("\n");
	}
}

static void machine(void)
{
	char model[512] = "?", line[512];
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');

			snprintf(model, sizeof(model), "%s", p ? p + 2 : line);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	printf("machine: %s, %d CPUs, Linux %s, kindling %s\n", model, ncpus, u.release,
	       kd_version_string());
	printf("rounds: %d (medians), producer on CPU %d, consumer on CPU 0\n\n", rounds, ncpus - 1);
}

int main(int argc, char **argv)
{
	double base[MIX__N];
	int tracers;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--progs") == 0)
			progs_only = 1;
		else if (strcmp(argv[i], "--quick") == 0)
			scale = 0.2, rounds = 3;
		else {
			fprintf(stderr, "usage: kd-bench [--rounds N] [--quick] [--progs]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 9;
	if (geteuid() != 0) {
		fprintf(stderr, "kd-bench: needs root (loads BPF programs)\n");
		return 1;
	}
	if (pick_configs())
		return 2;
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	bench_pin(ncpus - 1);
	zero_fd = open("/dev/zero", O_RDONLY);
	null_fd = open("/dev/null", O_WRONLY);
	libbpf_set_print(NULL);
	machine();

	if (progs_only) {
		if (prog_cost())
			return 1;
		print_prog_cost();
		return 0;
	}
	tracers = foreign_tracers();
	if (overhead())
		return 1;
	/* our own closed programs are freed a little after their last fd
	 * closes: give them a moment not to be counted as foreign */
	for (int i = 0; i < 40 && foreign_tracers() > tracers; i++)
		usleep(50000);
	tracers = tracers > foreign_tracers() ? tracers : foreign_tracers();
	if (tracers)
		printf("warning: %d syscall-exit program(s) of other processes were loaded: they run on our\n"
		       "syscalls too and add noise to every configuration\n\n", tracers);

	for (int m = 0; m < MIX__N; m++)
		base[m] = bench_median(ns[CFG_NONE][m], rounds);
	printf("| ns per iteration (median) | %s | %s | %s | %s |\n", mix_name[0], mix_name[1], mix_name[2],
	       mix_name[3]);
	printf("| --- | --- | --- | --- | --- |\n");
	printf("| (a) no capture | %.0f | %.0f | %.0f | %.0f |\n", base[0], base[1], base[2], base[3]);
	for (int k = CFG_REF; k < CFG__N; k++) {
		if (!cfg_on[k])
			continue;
		printf("| %s added | ", cfg_name[k]);
		for (int m = 0; m < MIX__N; m++)
			printf("+%.0f | ", bench_median(ns[k][m], rounds) - base[m]);
		printf("\n");
	}
	for (int ref = CFG_REF; ref <= CFG_REF_COPY; ref++)
		for (int k = CFG_KD; k < CFG__N; k++) {
			if (!cfg_on[k] || !cfg_on[ref])
				continue;
			printf("| %s / %s (added ns) | ", cfg_name[k], cfg_name[ref]);
			for (int m = 0; m < MIX__N; m++)
				printf("%.2fx | ", (bench_median(ns[k][m], rounds) - base[m]) /
							   (bench_median(ns[ref][m], rounds) - base[m]));
			printf("\n");
		}
	/* the same ratio within each round (configurations run back to back),
	 * then the median: a drift of the machine between rounds cancels */
	printf("\n| paired: median over rounds of (kd - none) / (ref - none) | %s | %s | %s | %s |\n",
	       mix_name[0], mix_name[1], mix_name[2], mix_name[3]);
	printf("| --- | --- | --- | --- | --- |\n");
	for (int k = CFG_KD; k < CFG__N; k++) {
		if (!cfg_on[k])
			continue;
		printf("| %s / ref | ", cfg_name[k]);
		for (int m = 0; m < MIX__N; m++) {
			double q[MAX_ROUNDS];

			for (int r = 0; r < rounds; r++)
				q[r] = (ns[k][m][r] - ns[CFG_NONE][m][r]) / (ns[CFG_REF][m][r] - ns[CFG_NONE][m][r]);
			printf("%.2fx | ", bench_median(q, rounds));
		}
		printf("\n");
	}
	printf("\n| consumer CPU ns per event (median) | ");
	for (int k = CFG_REF; k < CFG__N; k++)
		if (cfg_on[k])
			printf("%s %.1f | ", cfg_name[k], bench_median(cons_ns[k], rounds));
	printf("\n| drops during the overhead runs | ");
	for (int k = CFG_REF; k < CFG__N; k++)
		if (cfg_on[k])
			printf("%s %llu | ", cfg_name[k], (unsigned long long)drops_total[k]);
	printf("\n| kd_open (median, s) | %.3f | first event after kd_open (median, s) | %.3f |\n",
	       bench_median(open_s, rounds), bench_median(first_s, rounds));

	if (!prog_cost())
		print_prog_cost();

	printf("\n| max rate, 1 producer (getppid) | events/s | drops |\n| --- | --- | --- |\n");
	for (int k = CFG_REF; k <= CFG_KD_LAT; k++) {
		double rate;
		uint64_t drops;

		if (!cfg_on[k])
			continue;
		if (max_rate(k, &rate, &drops))
			return 1;
		printf("| %s | %.0f | %llu |\n", cfg_name[k], rate, (unsigned long long)drops);
	}
	close(zero_fd);
	close(null_fd);
	return 0;
}
