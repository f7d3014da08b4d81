/*
 * bench/bench_probes.c (kd-bench-probes): what each probe beyond syscalls
 * (issue #7) costs the program that triggers it, and what it costs switched
 * off. One interleaved run on one machine:
 *
 *   configs  none     no kindling at all
 *            never    kindling open (core engine, getppid selected, so the
 *                     sys_exit program runs), the probe never enabled: its
 *                     programs are not attached
 *            off      kindling open with the probe on, then switched off at
 *                     runtime (kd_probe_enable(h, probe, 0)): its switch is
 *                     cleared and its unit detached (no other event of the
 *                     unit is on)
 *            on       the probe on, a consumer thread draining kd_next
 *   probes   each with a workload that triggers it (see loads[] below)
 *
 * Each round runs every probe, and for each probe every config in turn (the
 * order rotates per round); each config times the workload three times and
 * keeps the fastest. Reported: median over rounds of ns per iteration; the
 * ratios never/none, off/never, on/never; the probe's events per iteration
 * (every event of its type, other processes' included) and the added ns per
 * event, (on - never) / events.
 *
 *   kd-bench-probes [--rounds N] [--quick] [probe...]   root only; never in a QEMU guest
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kindling/kindling.h>

#include "bench_util.h"

#define MAX_ROUNDS 64
_Static_assert(MAX_ROUNDS <= BENCH_MAX_SAMPLES, "bench_median() takes every round");
#define TRIES      3 /* timed runs per config and round: the fastest counts */

enum cfg { CFG_NONE, CFG_NEVER, CFG_OFF, CFG_ON, CFG__N };

static int rounds = 5;
static double scale = 1.0; /* --quick: fewer iterations */
static int ncpus;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ workloads */

/* Two threads on the producer CPU passing a byte through two pipes: each
 * iteration is two sleeps, two wakeups and two context switches. */
static int pp_a[2], pp_b[2];

static void *pong(void *arg)
{
	long n = (long)arg;
	char c;

	bench_pin(ncpus - 1);
	for (long i = 0; i < n; i++) {
		if (read(pp_a[0], &c, 1) != 1 || write(pp_b[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void load_pingpong(long n)
{
	pthread_t t;
	char c = 'x';

	if (pipe(pp_a) || pipe(pp_b))
		return;
	pthread_create(&t, NULL, pong, (void *)n);
	for (long i = 0; i < n; i++)
		if (write(pp_a[1], &c, 1) != 1 || read(pp_b[0], &c, 1) != 1)
			break;
	pthread_join(t, NULL);
	close(pp_a[0]);
	close(pp_a[1]);
	close(pp_b[0]);
	close(pp_b[1]);
}

static volatile sig_atomic_t sigs;

static void on_usr1(int sig)
{
	(void)sig;
	sigs++;
}

/* One SIGUSR1 to ourselves per iteration: generate and deliver. */
static void load_signal(long n)
{
	pid_t pid = getpid();
	pid_t tid = (pid_t)syscall(SYS_gettid);

	signal(SIGUSR1, on_usr1);
	for (long i = 0; i < n; i++)
		syscall(SYS_tgkill, pid, tid, SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
}

/* Fresh anonymous pages touched from user mode: one user fault each. */
static void load_fault_user(long n)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)(n * page), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return;
	for (long i = 0; i < n; i++)
		m[i * page] = 1;
	munmap(m, (size_t)(n * page));
}

/* Fresh pages written by the kernel (read from /dev/zero): kernel-mode
 * faults on user addresses. */
static void load_fault_kernel(long n)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("/dev/zero", O_RDONLY);
	char *m = mmap(NULL, (size_t)(n * page), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (fd >= 0 && m != MAP_FAILED)
		for (long i = 0; i < n; i++)
			if (read(fd, m + i * page, 1) != 1)
				break;
	if (m != MAP_FAILED)
		munmap(m, (size_t)(n * page));
	if (fd >= 0)
		close(fd);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return sa;
}

/* A loopback TCP connection per iteration: connect, accept, close both
 * (state changes, connect latency, destroy). */
static void load_tcp(long n)
{
	struct sockaddr_in sa = loopback(0);
	socklen_t sl = sizeof(sa);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 64) ||
	    getsockname(l, (struct sockaddr *)&sa, &sl)) {
		close(l);
		return;
	}
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), a;
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		/* an abortive close: no TIME_WAIT pile-up over thousands of rounds */
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa))) {
			close(c);
			break;
		}
		a = accept(l, NULL, NULL);
		close(c);
		if (a >= 0)
			close(a);
	}
	close(l);
}

/* A port nobody listens on (bound then closed). */
static int closed_port(int type)
{
	struct sockaddr_in sa = loopback(0);
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type, 0), port = 0;

	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* A connect to a closed port: the kernel answers with a reset. */
static void load_tcp_reset(long n)
{
	struct sockaddr_in sa = loopback(closed_port(SOCK_STREAM));

	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);

		connect(c, (struct sockaddr *)&sa, sizeof(sa));
		close(c);
	}
}

/* A UDP datagram to a closed loopback port: dropped (no socket). */
static void load_udp_drop(long n)
{
	struct sockaddr_in sa = loopback(closed_port(SOCK_DGRAM));
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	for (long i = 0; i < n; i++)
		sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
}

/* fork + _exit + wait: one fork, one exit per iteration. */
static void load_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
	}
}

/* fork + exec /bin/true + wait. */
static void load_exec(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (p > 0)
			waitpid(p, NULL, 0);
	}
}

struct load {
	const char *probe; /* probe name = event name */
	void (*run)(long n);
	long iters;
	const char *what;
};

/* tcp_retransmit has no workload here: nothing on loopback retransmits on
 * demand without dropping packets with a firewall rule. */
static const struct load loads[] = {
	{ "sched_switch", load_pingpong, 20000, "pipe ping-pong, 2 threads, 1 CPU" },
	{ "sched_offcpu", load_pingpong, 20000, "pipe ping-pong, 2 threads, 1 CPU" },
	{ "sched_wakeup", load_pingpong, 20000, "pipe ping-pong, 2 threads, 1 CPU" },
	{ "signal_generate", load_signal, 50000, "tgkill(self, SIGUSR1)" },
	{ "signal_deliver", load_signal, 50000, "tgkill(self, SIGUSR1)" },
	{ "page_fault_user", load_fault_user, 20000, "touch a fresh page" },
	{ "page_fault_kernel", load_fault_kernel, 20000, "read 1 B into a fresh page" },
	{ "tcp_state", load_tcp, 2000, "loopback connect/accept/close" },
	{ "tcp_connect_latency", load_tcp, 2000, "loopback connect/accept/close" },
	{ "tcp_destroy", load_tcp, 2000, "loopback connect/accept/close" },
	{ "tcp_reset_send", load_tcp_reset, 5000, "connect to a closed port" },
	{ "tcp_reset_recv", load_tcp_reset, 5000, "connect to a closed port" },
	{ "packet_drop", load_udp_drop, 20000, "UDP to a closed port" },
	{ "proc_fork", load_fork, 500, "fork, _exit, wait" },
	{ "proc_exit", load_fork, 500, "fork, _exit, wait" },
	{ "proc_exec", load_exec, 200, "fork, exec /bin/true, wait" },
};
#define NLOADS (sizeof(loads) / sizeof(loads[0]))

/* ------------------------------------------------------------ capture */

struct capture {
	struct kd_handle *h;
	pthread_t thr;
	volatile int stop;
	volatile int counting;
	int type;
	uint64_t events; /* of type, while counting */
};

static void *consume(void *arg)
{
	struct capture *c = arg;
	const struct kd_event *ev;

	bench_pin(0);
	while (!c->stop)
		if (kd_next(c->h, &ev) == 0 && c->counting && kd_event_type(ev) == c->type)
			c->events++;
	return NULL;
}

static int start(struct capture *c, int cfg, const char *probe)
{
	char events[96];
	int err;

	memset(c, 0, sizeof(*c));
	if (cfg == CFG_NONE)
		return 0;
	snprintf(events, sizeof(events), cfg == CFG_NEVER ? "getppid" : "getppid,%s", probe);
	/* our own process is the workload; enrichment off: its /proc scan at
	 * open is no part of the probe's cost */
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .timeout_ms = 10,
		.flags = KD_OPEN_TRACE_SELF | KD_OPEN_NO_ENRICH, .events = events);
	err = kd_open(&o, &c->h);
	if (err) {
		fprintf(stderr, "kd-bench-probes: kd_open(%s): %s: %s\n", events, kd_strerror(err),
			kd_last_error(NULL));
		return -1;
	}
	if (cfg == CFG_OFF && (err = kd_probe_enable(c->h, probe, false))) {
		fprintf(stderr, "kd-bench-probes: kd_probe_enable(%s, 0): %s\n", probe,
			kd_last_error(c->h));
		kd_close(c->h);
		return -1;
	}
	c->type = kd_event_type_by_name(probe);
	return pthread_create(&c->thr, NULL, consume, c) ? -1 : 0;
}

static void stop(struct capture *c)
{
	if (!c->h)
		return;
	c->stop = 1;
	pthread_join(c->thr, NULL);
	kd_close(c->h);
}

/* ------------------------------------------------------------ run */

static double ns[NLOADS][CFG__N][MAX_ROUNDS];
static double evs[NLOADS][MAX_ROUNDS];
static bool wanted[NLOADS];

static const char *method_of(const char *probe)
{
	static char m[160];
	struct kd_handle *h;
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .flags = KD_OPEN_NO_ENRICH, .events = "getppid");

	snprintf(m, sizeof(m), "?");
	if (kd_open(&o, &h))
		return m;
	for (int i = 0; i < kd_probe_count(h); i++)
		if (strcmp(kd_probe_name(h, i), probe) == 0)
			snprintf(m, sizeof(m), "%s", kd_probe_attach_method(h, i));
	kd_close(h);
	return m;
}

static int run(void)
{
	for (int r = 0; r < rounds; r++) {
		for (size_t l = 0; l < NLOADS; l++) {
			long n = (long)((double)loads[l].iters * scale);

			if (!wanted[l])
				continue;
			if (n < 10)
				n = 10;
			for (int k = 0; k < CFG__N; k++) {
				int cfg = (k + r) % CFG__N;
				struct capture c;
				uint64_t t0;

				if (start(&c, cfg, loads[l].probe))
					return -1;
				/* warm up: page cache, sockets, the probe's first records */
				loads[l].run(n / 10 + 1);
				/* records still in the ring: give the consumer its poll period */
				if (c.h)
					usleep(30000);
				c.counting = 1;
				/* the best of a few short runs: a burst of the machine's
				 * other work lands in one of them, not in all */
				ns[l][cfg][r] = 0;
				for (int t = 0; t < TRIES; t++) {
					double v;

					t0 = now_ns();
					loads[l].run(n);
					v = (double)(now_ns() - t0) / (double)n;
					if (t == 0 || v < ns[l][cfg][r])
						ns[l][cfg][r] = v;
				}
				/* records still in the ring: give the consumer its poll period */
				if (c.h)
					usleep(30000);
				c.counting = 0;
				if (cfg == CFG_ON)
					evs[l][r] = (double)c.events / (double)(TRIES * n);
				stop(&c);
			}
		}
		fprintf(stderr, "kd-bench-probes: round %d/%d done\n", r + 1, rounds);
	}
	return 0;
}

static void report(void)
{
	printf("\n| probe (workload) | none ns/iter | never | off | on | never/none | off/never | on/never | events/iter | added ns/event |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (size_t l = 0; l < NLOADS; l++) {
		double m[CFG__N], e;

		if (!wanted[l])
			continue;
		for (int k = 0; k < CFG__N; k++)
			m[k] = bench_median(ns[l][k], rounds);
		e = bench_median(evs[l], rounds);
		printf("| %s (%s) | %.0f | %.0f | %.0f | %.0f | %.3f | %.3f | %.2f | %.2f | ", loads[l].probe,
		       loads[l].what, m[CFG_NONE], m[CFG_NEVER], m[CFG_OFF], m[CFG_ON],
		       m[CFG_NEVER] / m[CFG_NONE], m[CFG_OFF] / m[CFG_NEVER], m[CFG_ON] / m[CFG_NEVER], e);
		if (e > 0.01)
			printf("%.0f |\n", (m[CFG_ON] - m[CFG_NEVER]) / e);
		else
			printf("- |\n");
	}
}

int main(int argc, char **argv)
{
	bool any = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--quick") == 0) {
			rounds = 3;
			scale = 0.2;
		} else if (argv[i][0] != '-') {
			size_t l;

			for (l = 0; l < NLOADS; l++)
				if (strcmp(loads[l].probe, argv[i]) == 0)
					wanted[l] = any = true;
			if (!any) {
				fprintf(stderr, "kd-bench-probes: no workload for probe %s\n", argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: kd-bench-probes [--rounds N] [--quick] [probe...]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "kd-bench-probes: --rounds must be 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	if (!any)
		for (size_t l = 0; l < NLOADS; l++)
			wanted[l] = true;
	if (geteuid() != 0) {
		fprintf(stderr, "kd-bench-probes: needs root (BPF)\n");
		return 1;
	}
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		ncpus = 1;
	signal(SIGPIPE, SIG_IGN);
	bench_pin(ncpus - 1);
	printf("kd-bench-probes: %d CPUs, workload on CPU %d, consumer on CPU 0, %d rounds (medians)\n",
	       ncpus, ncpus - 1, rounds);
	printf("attach methods:");
	for (size_t l = 0; l < NLOADS; l++)
		if (wanted[l])
			printf(" %s=%s", loads[l].probe, method_of(loads[l].probe));
	printf("\n");
	if (run())
		return 1;
	report();
	return 0;
}
