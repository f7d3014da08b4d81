/*
 * bench/bench_enrich.c (kd-bench-enrich): what enrichment costs, no root needed.
 *
 *   memory   bytes the tables hold (kd_stats.enrich_bytes) per thread (one
 *            process per thread, as a /proc scan of a typical host gives) and
 *            per fd (a file fd with a 24-byte path), from records built here;
 *            and, as root with the core engine, per thread of this host's
 *            /proc scan.
 *   time     kd_next over the same real records (a capture file, default
 *            examples/demo.kd, repeated to about 1M events) through
 *            KD_ENGINE_BUFFER with and without enrichment, interleaved, the
 *            median of the rounds: ns per event and the ratio.
 *
 *   kd-bench-enrich [--rounds N] [capture.kd]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kindling/kindling.h>

#include "rec_builder.h"

#ifndef KD_SOURCE_DIR
#define KD_SOURCE_DIR "."
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "kd-bench-enrich: %s: %s\n", what, msg);
	exit(1);
}

/* Table bytes after replaying recs (enrichment on). */
static uint64_t table_bytes(const struct kd_rb *b, struct kd_stats *st)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b->data,
		.records_len = b->len, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;

	if (kd_open(&o, &h))
		die("kd_open", kd_last_error(NULL));
	while (kd_next(h, &ev) == 0)
		;
	st->sz = sizeof(*st);
	kd_stats(h, st);
	kd_close(h);
	return st->enrich_bytes;
}

/* One getpid by each of n processes (pid = tid = 10000 + i). */
static void threads(struct kd_rb *b, unsigned n)
{
	kd_rb_reset(b);
	for (unsigned i = 0; i < n; i++) {
		kd_rb_event_begin(b, "getpid", 10000 + i, (struct kd_rb_arg[]){ { NULL } });
		b->hdr.tid = b->hdr.pid = 10000 + i;
		kd_rb_end(b);
	}
}

/* One process opening n files ("/srv/data/file-0000001.db": 24 bytes). */
static void fds(struct kd_rb *b, unsigned n)
{
	char path[64];

	kd_rb_reset(b);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/srv/data/file-%07u.db", i);
		kd_rb_event_begin(b, "openat", 3 + i,
				  (struct kd_rb_arg[]){ KD_RB_V("dfd", -100), KD_RB_S("filename", path),
							KD_RB_V("flags", 0), KD_RB_V("mode", 0), { NULL } });
		b->hdr.tid = b->hdr.pid = 500;
		kd_rb_end(b);
	}
}

static void memory(void)
{
	struct kd_rb b;
	struct kd_stats s0, s1;
	uint64_t b0, b1;

	kd_rb_init(&b);
	threads(&b, 1000);
	b0 = table_bytes(&b, &s0);
	threads(&b, 11000);
	b1 = table_bytes(&b, &s1);
	printf("bytes per thread (own process, no strings): %.0f  (%llu threads: %llu bytes)\n",
	       (double)(b1 - b0) / (double)(s1.enrich_threads - s0.enrich_threads),
	       (unsigned long long)s1.enrich_threads, (unsigned long long)b1);
	fds(&b, 1000);
	b0 = table_bytes(&b, &s0);
	fds(&b, 11000);
	b1 = table_bytes(&b, &s1);
	printf("bytes per fd (file, 24-byte path):          %.0f  (%llu fds: %llu bytes)\n",
	       (double)(b1 - b0) / (double)(s1.enrich_fds - s0.enrich_fds),
	       (unsigned long long)s1.enrich_fds, (unsigned long long)b1);
	kd_rb_free(&b);

	/* a real /proc scan, where the engine can run */
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE, .events = "getppid");
		struct kd_stats st = { .sz = sizeof(st) };
		struct kd_handle *h;

		if (kd_open(&o, &h) == 0) {
			kd_stats(h, &st);
			printf("this host's /proc scan: %llu threads, %llu processes, %llu fds, %llu bytes: "
			       "%.0f bytes per thread with its share of processes and fds\n",
			       (unsigned long long)st.enrich_threads, (unsigned long long)st.enrich_procs,
			       (unsigned long long)st.enrich_fds, (unsigned long long)st.enrich_bytes,
			       (double)st.enrich_bytes / (double)(st.enrich_threads ? st.enrich_threads : 1));
			kd_close(h);
		} else {
			printf("this host's /proc scan: skipped (%s)\n", kd_last_error(NULL));
		}
	}
}

/* The records of a capture file, repeated to about want events. */
static void load(const char *file, struct kd_rb *b, size_t want, size_t *nev)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = file, .events = "all",
		.flags = KD_OPEN_NO_ENRICH);
	const struct kd_event *ev;
	struct kd_handle *h;
	size_t one, n = 0;
	int err;

	if (kd_open(&o, &h))
		die(file, kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) == 0) {
		size_t len;
		const void *rec = kd_event_record(ev, &len);

		kd_rb__grow(&b->data, &b->cap, b->len + len);
		memcpy(b->data + b->len, rec, len);
		b->len += len;
		n++;
	}
	if (err != KD_EOF || !n)
		die(file, kd_last_error(h));
	kd_close(h);
	one = b->len;
	*nev = n;
	while (*nev < want) {
		kd_rb__grow(&b->data, &b->cap, b->len + one);
		memcpy(b->data + b->len, b->data, one);
		b->len += one;
		*nev += n;
	}
}

/* ns per event of one pass over the records. */
static double pass(const struct kd_rb *b, size_t nev, bool enrich)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = b->data,
		.records_len = b->len, .events = "all", .flags = enrich ? 0 : KD_OPEN_NO_ENRICH);
	const struct kd_event *ev;
	struct kd_handle *h;
	size_t n = 0;
	uint64_t t0;

	if (kd_open(&o, &h))
		die("kd_open", kd_last_error(NULL));
	t0 = now_ns();
	while (kd_next(h, &ev) == 0)
		n++;
	t0 = now_ns() - t0;
	kd_close(h);
	if (n != nev)
		die("replay", "event count differs");
	return (double)t0 / (double)n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *file = KD_SOURCE_DIR "/examples/demo.kd";
	double off[31], on[31];
	int rounds = 9;
	struct kd_rb b;
	size_t nev;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else
			file = argv[i];
	}
	if (rounds < 1 || rounds > 31)
		rounds = 9;
	memory();
	kd_rb_init(&b);
	load(file, &b, 1000000, &nev);
	for (int r = 0; r < rounds; r++) {
		/* alternate which goes first */
		if (r % 2) {
			on[r] = pass(&b, nev, true);
			off[r] = pass(&b, nev, false);
		} else {
			off[r] = pass(&b, nev, false);
			on[r] = pass(&b, nev, true);
		}
	}
	qsort(off, (size_t)rounds, sizeof(double), cmp_d);
	qsort(on, (size_t)rounds, sizeof(double), cmp_d);
	printf("kd_next over %zu records of %s (%zu bytes), median of %d rounds:\n", nev, file, b.len,
	       rounds);
	printf("  without enrichment: %6.1f ns/event (%.1f M events/s)\n", off[rounds / 2],
	       1e3 / off[rounds / 2]);
	printf("  with enrichment:    %6.1f ns/event (%.1f M events/s)\n", on[rounds / 2],
	       1e3 / on[rounds / 2]);
	printf("  enrichment adds %.1f ns/event: %.2fx\n", on[rounds / 2] - off[rounds / 2],
	       on[rounds / 2] / off[rounds / 2]);
	kd_rb_free(&b);
	return 0;
}
