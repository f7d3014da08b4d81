/* bench/bench_util.h: what the benchmark programs share (each is one .c
 * file and one executable): pinning a thread, sorting and medians. */
#ifndef KD_BENCH_UTIL_H
#define KD_BENCH_UTIL_H

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* samples bench_median() takes: more than any program's rounds or batches */
#define BENCH_MAX_SAMPLES 128

/* The calling thread onto one CPU. */
static inline void bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* qsort() order of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n) (1 <= n <= BENCH_MAX_SAMPLES), v left as it is. */
static inline double bench_median(const double *v, int n)
{
	double s[BENCH_MAX_SAMPLES];

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

#endif
