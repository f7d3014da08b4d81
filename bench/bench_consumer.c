/*
 * bench/bench_consumer.c (kd-bench-consumer): what kd_next() costs the
 * consumer per event, on a backlog, without the producer in the way.
 *
 * kd-bench's consumer figure is the thread's CPU time over a whole run: it
 * mixes the backlog work with sleeps, wakeups and records read while their
 * producer is still writing next to them, and moves by ±20% from run to run
 * on a shared 2-vCPU host. Here a producer thread (on the last CPU) makes N
 * syscalls of one mix while the consumer (CPU 0) waits; then the consumer
 * drains them with kd_next() until the rings are empty, timed with its
 * thread CPU clock. Every batch is one sample; reported per mix and config:
 * the median and the minimum ns per event over the batches (the minimum is
 * the steadiest figure on a noisy host; compare like with like).
 *
 *   configs  kd           core engine, all syscalls, enrichment on (kd_open's
 *                         defaults, as an agent runs it)
 *            kd-noenrich  the same with KD_OPEN_NO_ENRICH: engine, merge and
 *                         decoder alone
 *   mixes    getppid, openat+close (/dev/null), read 64 B (/dev/zero),
 *            write 64 B (/dev/null)
 *
 * Under callgrind the drains alone are counted, for instructions per event:
 *   KD_BENCH_EVENTS=getppid,openat,close,read,write valgrind --tool=callgrind \
 *     --collect-atstart=no build/bench/kd-bench-consumer --batches 1 --events 20000
 * (KD_BENCH_EVENTS, as in kd-bench, selects events: without it valgrind's
 * own syscalls feed the drain forever. Its pipe reads and writes are still
 * events: compare builds, not mixes.)
 *
 *   kd-bench-consumer [--batches N] [--events N] [--quick]   root only; never in a QEMU guest
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <kindling/kindling.h>

#include "bench_util.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

enum mix { MIX_GETPPID, MIX_OPEN_CLOSE, MIX_READ, MIX_WRITE, MIX__N };
static const char *mix_name[MIX__N] = { "getppid", "openat+close", "read 64 B", "write 64 B" };
static const char *cfg_name[2] = { "kd", "kd-noenrich" };

#define MAX_BATCHES 101

static int ncpus, nbatches = 21;
static long nevents = 50000;

/* the producer: one batch of one mix per request, then waits */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int mix;  /* what to run, -1 to end */
	int want; /* batches asked for */
	int done; /* batches run */
} prod = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void run_mix(int mix, long n, int zero_fd, int null_fd)
{
	char buf[64] = { 0 };

	for (long i = 0; i < n; i++) {
		switch (mix) {
		case MIX_GETPPID:
			syscall(SYS_getppid);
			break;
		case MIX_OPEN_CLOSE: {
			int fd = open("/dev/null", O_RDONLY);

			if (fd >= 0)
				close(fd);
			i++; /* two events */
			break;
		}
		case MIX_READ:
			(void)!read(zero_fd, buf, sizeof(buf));
			break;
		default:
			(void)!write(null_fd, buf, sizeof(buf));
			break;
		}
	}
}

static void *producer(void *arg)
{
	int zero_fd = open("/dev/zero", O_RDONLY), null_fd = open("/dev/null", O_WRONLY);

	(void)arg;
	bench_pin(ncpus - 1);
	pthread_mutex_lock(&prod.mu);
	for (;;) {
		while (prod.mix >= 0 && prod.done == prod.want)
			pthread_cond_wait(&prod.cv, &prod.mu);
		if (prod.mix < 0)
			break;
		pthread_mutex_unlock(&prod.mu);
		run_mix(prod.mix, nevents, zero_fd, null_fd);
		pthread_mutex_lock(&prod.mu);
		prod.done++;
		pthread_cond_broadcast(&prod.cv);
	}
	pthread_mutex_unlock(&prod.mu);
	close(zero_fd);
	close(null_fd);
	return NULL;
}

/* One batch: the producer runs, then the consumer drains. ns per event, 0
 * when none of the mix's events came (not selected by KD_BENCH_EVENTS), or
 * a negative value on error. */
static double batch(struct kd_handle *h, int mix, long *got)
{
	const struct kd_event *ev;
	uint64_t t0, t1;
	long n = 0;
	int err;

	pthread_mutex_lock(&prod.mu);
	prod.mix = mix;
	prod.want++;
	pthread_cond_broadcast(&prod.cv);
	while (prod.done != prod.want)
		pthread_cond_wait(&prod.cv, &prod.mu);
	pthread_mutex_unlock(&prod.mu);
	usleep(2000); /* the last records are committed: a drain, not a race */
	CALLGRIND_TOGGLE_COLLECT;
	t0 = cpu_ns();
	while ((err = kd_next(h, &ev)) == 0)
		n++;
	t1 = cpu_ns();
	CALLGRIND_TOGGLE_COLLECT;
	*got = n;
	if (err != KD_TIMEOUT) {
		fprintf(stderr, "kd-bench-consumer: kd_next: %s\n", kd_last_error(h));
		return -1;
	}
	return n ? (double)(t1 - t0) / (double)n : 0;
}

int main(int argc, char **argv)
{
	double ns[2][MIX__N][MAX_BATCHES];
	uint64_t drops[2] = { 0, 0 };
	long short_batches = 0, drained[2] = { 0, 0 };
	pthread_t thr;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc) {
			nbatches = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
			nevents = atol(argv[++i]);
		} else if (strcmp(argv[i], "--quick") == 0) {
			nbatches = 5;
			nevents = 20000;
		} else {
			fprintf(stderr, "usage: kd-bench-consumer [--batches N] [--events N] [--quick]\n");
			return 2;
		}
	}
	if (nbatches < 1 || nbatches > MAX_BATCHES || nevents < 2 || nevents > 200000) {
		fprintf(stderr, "kd-bench-consumer: --batches is 1..%d, --events 2..200000\n", MAX_BATCHES);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "kd-bench-consumer: needs root (BPF)\n");
		return 1;
	}
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 2) {
		fprintf(stderr, "kd-bench-consumer: needs 2 CPUs (producer and consumer apart)\n");
		return 1;
	}
	bench_pin(0);
	if (pthread_create(&thr, NULL, producer, NULL)) {
		fprintf(stderr, "kd-bench-consumer: pthread_create failed\n");
		return 1;
	}
	for (int k = 0; k < 2; k++) {
		/* the rings hold a whole batch: 64 MiB per CPU */
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .timeout_ms = 0,
			.ring_bytes = 64ull << 20,
			.flags = KD_OPEN_TRACE_SELF | (k ? KD_OPEN_NO_ENRICH : 0),
			.events = getenv("KD_BENCH_EVENTS"));
		struct kd_stats st = { .sz = sizeof(st) };
		const struct kd_event *ev;
		struct kd_handle *h;
		int err = kd_open(&o, &h);

		if (err) {
			fprintf(stderr, "kd-bench-consumer: kd_open: %s: %s\n", kd_strerror(err), kd_last_error(NULL));
			return 1;
		}
		while (kd_next(h, &ev) == 0) /* what kd_open itself caused */
			;
		/* mixes interleaved batch by batch: a drift of the host is shared */
		for (int b = 0; b < nbatches; b++)
			for (int m = 0; m < MIX__N; m++) {
				long got;

				ns[k][m][b] = batch(h, m, &got);
				if (ns[k][m][b] < 0)
					return 1;
				if (got && got < nevents)
					short_batches++;
				drained[k] += got;
			}
		kd_stats(h, &st);
		drops[k] = st.drops;
		kd_close(h);
	}
	pthread_mutex_lock(&prod.mu);
	prod.mix = -1;
	pthread_cond_broadcast(&prod.cv);
	pthread_mutex_unlock(&prod.mu);
	pthread_join(thr, NULL);

	printf("kd-bench-consumer: %d CPUs, producer on CPU %d, consumer on CPU 0, %d batches of %ld events\n\n",
	       ncpus, ncpus - 1, nbatches, nevents);
	printf("| consumer CPU ns per event, backlog drain: median (min) | %s | %s | %s | %s |\n",
	       mix_name[0], mix_name[1], mix_name[2], mix_name[3]);
	printf("| --- | --- | --- | --- | --- |\n");
	for (int k = 0; k < 2; k++) {
		printf("| %s | ", cfg_name[k]);
		for (int m = 0; m < MIX__N; m++) {
			qsort(ns[k][m], (size_t)nbatches, sizeof(double), bench_cmp_double);
			if (ns[k][m][0] == 0)
				printf("- | "); /* not selected */
			else
				printf("%.1f (%.1f) | ", ns[k][m][nbatches / 2], ns[k][m][0]);
		}
		printf("\n");
	}
	printf("\nevents drained: kd %ld, kd-noenrich %ld (callgrind: its total over the sum is instructions per event)\n",
	       drained[0], drained[1]);
	printf("drops: kd %llu, kd-noenrich %llu; batches that delivered fewer events than made: %ld\n",
	       (unsigned long long)drops[0], (unsigned long long)drops[1], short_batches);
	return drops[0] || drops[1] || short_batches ? 1 : 0;
}
