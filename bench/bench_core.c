/*
 * bench/bench_core.c: added ns per syscall with the core engine capturing
 * (a consumer thread drains with kd_next), vs no capture. Root only.
 *   cc -O2 -pthread -I include -I build/gen bench/bench_core.c build/lib/libkindling.a \
 *      $(pkg-config --libs libbpf libelf zlib) -o bench_core && ./bench_core
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <kindling/kindling.h>

#define N 1000000

static volatile int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *drain(void *arg)
{
	struct kd_handle *h = arg;
	const struct kd_event *ev;

	while (!stop)
		(void)kd_next(h, &ev);
	return NULL;
}

/* median of 5 runs of N calls, ns per call */
static double run(int what, int fd)
{
	double best[5];
	char buf[64] = { 0 };

	for (int r = 0; r < 5; r++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < N; i++) {
			if (what == 0)
				(void)close(-1);
			else if (what == 1)
				(void)!read(fd, buf, sizeof(buf));
			else
				(void)!write(fd, buf, sizeof(buf));
		}
		best[r] = (double)(now_ns() - t0) / N;
	}
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (best[j] < best[i]) {
				double t = best[i];
				best[i] = best[j];
				best[j] = t;
			}
	return best[2];
}

static void measure(const char *label, double base[3], int rfd, int wfd)
{
	double v[3] = { run(0, -1), run(1, rfd), run(2, wfd) };

	if (!base) {
		printf("%-28s close(-1) %.0f ns, read 64 B %.0f ns, write 64 B %.0f ns\n", label, v[0], v[1], v[2]);
		return;
	}
	printf("%-28s +%.0f / +%.0f / +%.0f ns\n", label, v[0] - base[0], v[1] - base[1], v[2] - base[2]);
}

int main(void)
{
	int rfd = open("/dev/zero", O_RDONLY), wfd = open("/dev/null", O_WRONLY);
	double base[3] = { run(0, -1), run(1, rfd), run(2, wfd) };
	uint32_t flags[] = { 0, KD_OPEN_LATENCY };

	printf("%-28s close(-1) %.0f ns, read 64 B %.0f ns, write 64 B %.0f ns\n", "no capture", base[0], base[1], base[2]);
	for (int f = 0; f < 2; f++) {
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .timeout_ms = 100,
			.flags = KD_OPEN_TRACE_SELF | flags[f]);
		struct kd_stats st = { .sz = sizeof(st) };
		struct kd_handle *h;
		pthread_t t;

		if (kd_open(&o, &h)) {
			fprintf(stderr, "kd_open: %s\n", kd_last_error(NULL));
			return 1;
		}
		stop = 0;
		pthread_create(&t, NULL, drain, h);
		measure(f ? "capture all + latency" : "capture all syscalls", base, rfd, wfd);
		stop = 1;
		pthread_join(t, NULL);
		kd_stats(h, &st);
		printf("    events %llu, kernel %llu, drops %llu\n", (unsigned long long)st.events,
		       (unsigned long long)st.kernel_events, (unsigned long long)st.drops);
		kd_close(h);
	}
	return 0;
}
