/* fuzz/fuzz_reader.c: arbitrary bytes as a capture file -> KD_ENGINE_FILE ->
 * kd_next until KD_EOF. Whatever events survive are written again with
 * kd_dump_* and read back: the second file must replay cleanly, with the
 * same events. Crashes, leaks, hangs and that mismatch are findings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kindling/kindling.h>

static int in_fd = -1, out_fd = -1;
static char in_path[64], out_path[64];

static void setup(void)
{
	in_fd = memfd_create("kd-fuzz-in", 0);
	out_fd = memfd_create("kd-fuzz-out", 0);
	if (in_fd < 0 || out_fd < 0)
		abort();
	snprintf(in_path, sizeof(in_path), "/proc/self/fd/%d", in_fd);
	snprintf(out_path, sizeof(out_path), "/proc/self/fd/%d", out_fd);
}

static void touch(const struct kd_event *ev)
{
	char buf[256];
	unsigned n = kd_event_nparams(ev);

	for (unsigned i = 0; i < n; i++)
		(void)kd_event_param_format(ev, i, buf, sizeof(buf));
	(void)kd_event_result_format(ev, buf, sizeof(buf));
}

/* Replays path; writes its events to d when d is set. Returns events seen;
 * *errs counts errors. */
static unsigned replay(const char *path, struct kd_dump *d, unsigned *errs, uint64_t *sum)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	unsigned n = 0;
	int err;

	*errs = 0;
	*sum = 0;
	if (kd_open(&o, &h) != 0)
		return 0;
	for (unsigned guard = 0;; guard++) {
		if (guard > 10000000)
			abort(); /* the reader must make progress */
		err = kd_next(h, &ev);
		if (err == KD_EOF)
			break;
		if (err < 0) {
			(*errs)++;
			continue;
		}
		if (err != 0)
			abort(); /* a file never times out */
		touch(ev);
		*sum = *sum * 31 + kd_event_ts_mono(ev) + (uint64_t)kd_event_type(ev);
		if (d && kd_dump_event(d, ev) != 0)
			abort();
		n++;
	}
	kd_close(h);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	KD_OPTS(kd_dump_opts, dopts, .block_records = 3);
	struct kd_dump *d;
	unsigned n1, n2, e1, e2;
	uint64_t s1, s2;

	if (in_fd < 0)
		setup();
	if (ftruncate(in_fd, 0) != 0 || pwrite(in_fd, data, size, 0) != (ssize_t)size)
		abort();
	if (ftruncate(out_fd, 0) != 0 || kd_dump_open(out_path, &dopts, &d) != 0)
		abort();
	n1 = replay(in_path, d, &e1, &s1);
	if (kd_dump_close(d) != 0)
		abort();
	n2 = replay(out_path, NULL, &e2, &s2);
	if (n2 != n1 || e2 != 0 || s2 != s1) {
		fprintf(stderr, "re-written file differs: %u events (%u errors) vs %u (%u errors)\n",
			n2, e2, n1, e1);
		abort();
	}
	return 0;
}
