/*
 * bench/bench_capture.c (kd-bench-capture): how fast capture files are
 * written and read back, no root needed.
 *
 *   kd-bench-capture [--events N] [--rounds R] [capture.kd]
 *
 * The records are real ones: those of capture.kd (default: the bundled
 * examples/demo.kd), repeated to N events (default 2,000,000) with rising
 * timestamps. Each round writes them with kd_dump at the default level and
 * reads the file back through KD_ENGINE_FILE without enrichment, once calling
 * only kd_next and once also decoding every param (kd_event_param). Medians.
 * Repetition helps the compressor: real traffic compresses less, so the write
 * figure is optimistic; the read figure is dominated by decoding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kindling/kindling.h>

#include "bench_util.h"
#include "record.h"

#ifndef KD_SOURCE_DIR
#define KD_SOURCE_DIR "."
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err, const char *msg)
{
	fprintf(stderr, "kd-bench-capture: %s: %s: %s\n", what, kd_strerror(err), msg);
	exit(1);
}

/* The raw records of a capture file, concatenated. */
static uint8_t *load_records(const char *path, size_t *len, size_t *count)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .flags = KD_OPEN_NO_ENRICH);
	struct kd_handle *h;
	const struct kd_event *ev;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int err;

	*len = *count = 0;
	if ((err = kd_open(&o, &h)))
		die(path, err, kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) == 0) {
		size_t n;
		const void *rec = kd_event_record(ev, &n);

		if (*len + n > cap) {
			cap = (*len + n) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("load", -ENOMEM, "out of memory");
		}
		memcpy(buf + *len, rec, n);
		*len += n;
		(*count)++;
	}
	if (err != KD_EOF)
		die(path, err, kd_last_error(h));
	kd_close(h);
	return buf;
}

/* seed repeated to n events, each copy shifted in time so order holds */
static uint8_t *repeat(const uint8_t *seed, size_t seed_len, size_t seed_count, size_t n,
		       size_t *out_len)
{
	size_t copies = (n + seed_count - 1) / seed_count;
	uint8_t *buf = malloc(copies * seed_len);
	const struct kd_rec_hdr *first = (const void *)seed;
	uint64_t span = 0;

	if (!buf)
		die("repeat", -ENOMEM, "out of memory");
	for (size_t off = 0; off < seed_len;) {
		struct kd_rec_hdr h;

		memcpy(&h, seed + off, sizeof(h));
		span = h.ts - first->ts + 1;
		off += h.len;
	}
	for (size_t c = 0; c < copies; c++) {
		uint8_t *dst = buf + c * seed_len;

		memcpy(dst, seed, seed_len);
		for (size_t off = 0; off < seed_len;) {
			struct kd_rec_hdr h;

			memcpy(&h, dst + off, sizeof(h));
			h.ts += c * span;
			memcpy(dst + off, &h, sizeof(h));
			off += h.len;
		}
	}
	*out_len = copies * seed_len;
	return buf;
}

static double write_file(const char *path, const uint8_t *recs, size_t len, size_t *events)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = recs, .records_len = len,
		.flags = KD_OPEN_NO_ENRICH);
	struct kd_handle *h;
	struct kd_dump *d;
	const struct kd_event *ev;
	double t0;
	int err;

	if ((err = kd_open(&o, &h)))
		die("buffer", err, kd_last_error(NULL));
	if ((err = kd_dump_open(path, NULL, &d)))
		die(path, err, kd_last_error(NULL));
	*events = 0;
	t0 = now();
	while ((err = kd_next(h, &ev)) == 0) {
		if ((err = kd_dump_event(d, ev)))
			die("kd_dump_event", err, kd_dump_last_error(d));
		(*events)++;
	}
	if ((err = kd_dump_close(d)))
		die("kd_dump_close", err, "");
	t0 = now() - t0;
	kd_close(h);
	return t0;
}

static double read_file(const char *path, int decode, size_t *events)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .flags = KD_OPEN_NO_ENRICH);
	struct kd_handle *h;
	const struct kd_event *ev;
	struct kd_value v;
	uint64_t sink = 0;
	double t0;
	int err;

	if ((err = kd_open(&o, &h)))
		die(path, err, kd_last_error(NULL));
	*events = 0;
	t0 = now();
	while ((err = kd_next(h, &ev)) == 0) {
		sink += (uint64_t)kd_event_type(ev);
		if (decode)
			for (unsigned i = 0; i < kd_event_nparams(ev); i++)
				if (kd_event_param(ev, i, &v) == 0)
					sink += v.u + v.len;
		(*events)++;
	}
	t0 = now() - t0;
	if (err != KD_EOF)
		die(path, err, kd_last_error(h));
	kd_close(h);
	if (sink == 42)
		putchar(' '); /* keeps the loop from being optimized away */
	return t0;
}

int main(int argc, char **argv)
{
	const char *src = KD_SOURCE_DIR "/examples/demo.kd";
	size_t n = 2000000, rounds = 5, seed_len, seed_count, len, events = 0;
	char path[] = "/tmp/kd-bench-capture-XXXXXX";
	double *w, *r, *rd;
	off_t size = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = strtoull(argv[++i], NULL, 10);
		else if (argv[i][0] != '-')
			src = argv[i];
		else {
			fprintf(stderr, "usage: kd-bench-capture [--events N] [--rounds R] [capture.kd]\n");
			return 2;
		}
	}
	if (!n || !rounds)
		return 2;
	uint8_t *seed = load_records(src, &seed_len, &seed_count);
	if (!seed_count)
		die(src, KD_EEMPTY, "no events");
	uint8_t *recs = repeat(seed, seed_len, seed_count, n, &len);
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp", -errno, strerror(errno));
	close(fd);
	w = calloc(rounds, sizeof(*w));
	r = calloc(rounds, sizeof(*r));
	rd = calloc(rounds, sizeof(*rd));
	if (!w || !r || !rd)
		die("alloc", -ENOMEM, "out of memory");
	for (size_t i = 0; i < rounds; i++) {
		size_t e;

		w[i] = write_file(path, recs, len, &events);
		r[i] = read_file(path, 0, &e);
		rd[i] = read_file(path, 1, &e);
		if (e != events)
			die("read back", KD_EBADFILE, "event count differs");
	}
	FILE *f = fopen(path, "rb");
	if (f && !fseek(f, 0, SEEK_END))
		size = ftello(f);
	if (f)
		fclose(f);
	unlink(path);
	qsort(w, rounds, sizeof(*w), bench_cmp_double);
	qsort(r, rounds, sizeof(*r), bench_cmp_double);
	qsort(rd, rounds, sizeof(*rd), bench_cmp_double);
	printf("events %zu (%zu real records from %s, repeated), record bytes %zu, file %lld bytes "
	       "(%.1f B/event)\n", events, seed_count, src, len, (long long)size,
	       (double)size / (double)events);
	printf("write (kd_dump, default level)   %6.2f M events/s\n", events / w[rounds / 2] / 1e6);
	printf("read  (kd_next, no enrichment)   %6.2f M events/s  %5.1f ns/event\n",
	       events / r[rounds / 2] / 1e6, r[rounds / 2] * 1e9 / events);
	printf("read  + kd_event_param of all    %6.2f M events/s  %5.1f ns/event\n",
	       events / rd[rounds / 2] / 1e6, rd[rounds / 2] * 1e9 / events);
	free(w);
	free(r);
	free(rd);
	free(recs);
	free(seed);
	return 0;
}
