/*
 * tests/test_core_direct.c: records the CO-RE exit program writes straight
 * into the ring (drivers/bpf-core, KD_KSC_DIRECT1: register values plus one
 * buffer, string, sockaddr or struct) must read exactly as the ones built in
 * the scratch: full strings past the direct reservation, truncation at
 * snaplen, faults, and large snaplens that take the scratch path.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

#include "core_test.h"
#include "core_debug.h" /* lib/engines: kd__core_debug_set() */
#include "bpf-core/kd_core.h" /* KD_FAST_* */

TestSuite(core_direct, .timeout = 30);

/* core_open(events) with the core debug knobs dbg set while it opens
 * (NULL: none); the knobs are off again after. */
static struct kd_handle *core_open_knobs(const char *events, const struct kd__core_debug *dbg)
{
	struct kd_handle *h;

	kd__core_debug_set(dbg);
	h = core_open(events);
	kd__core_debug_set(NULL);
	return h;
}

static struct kd_handle *open_snap(const char *events, uint32_t snaplen)
{
	struct kd_handle *h = NULL;
	int err;

	if (!kd_test_is_root())
		KD_SKIP_OR_FAIL("needs root: the core engine loads BPF programs");
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE,
		.flags = KD_OPEN_TRACE_SELF | KD_OPEN_NO_ENRICH, .timeout_ms = 50, .events = events,
		.snaplen = snaplen);
	err = kd_open(&o, &h);
	if (err == KD_ENOENGINE)
		KD_SKIP_OR_FAIL("library built without the core engine: %s", kd_last_error(NULL));
	if (err == KD_ENOPERM || err == -EPERM)
		KD_SKIP_OR_FAIL("no BPF here: %s", kd_last_error(NULL));
	cr_assert_eq(err, 0, "kd_open: %s: %s", kd_strerror(err), kd_last_error(NULL));
	core_drain(h);
	return h;
}

static uint64_t stat_bytes(struct kd_handle *h)
{
	struct kd_stats st = { .sz = sizeof(st) };

	cr_assert_eq(kd_stats(h, &st), 0);
	return st.bytes;
}

/* The engine hands out records of exactly hdr.len bytes: the slack of a
 * fixed-size ring reservation never reaches the caller (or a capture file).
 * kd_stats.bytes counts what the engine handed out; checked over every event
 * up to the next one of type t from this thread (the machine keeps making
 * events of its own, so "until empty" may never come). */
static void expect_exact_records(struct kd_handle *h, int t)
{
	uint64_t b0 = stat_bytes(h), sum = 0, n = 0;
	const struct kd_event *ev;
	bool ours = false;
	int err;

	while (!ours && (err = kd_next(h, &ev)) == 0) {
		size_t len = 0;

		cr_assert_not_null(kd_event_record(ev, &len));
		sum += len;
		n++;
		ours = kd_event_type(ev) == t && kd_event_tid(ev) == core_tid();
	}
	cr_assert(ours, "no event of ours: %s", kd_last_error(h));
	cr_assert_eq(stat_bytes(h) - b0, sum, "%llu records", (unsigned long long)n);
}

static bool path_is(const struct kd_event *ev, const void *arg)
{
	struct kd_value v;

	return kd_event_param_by_name(ev, "filename", &v) == 0 && v.ptr && strcmp(v.ptr, arg) == 0;
}

/* Paths just under, at and past what the direct reservation holds come back
 * whole: a string that may not fit is rebuilt in the scratch. */
Test(core_direct, openat_paths_of_every_length)
{
	static const size_t lens[] = { 1, 100, 154, 155, 156, 157, 300, 1000 };
	struct kd_handle *h = open_snap("openat", 0);
	int t = core_type("openat"), fd;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char path[1100];
		const struct kd_event *ev;

		/* "/" then 'a's: a name longer than NAME_MAX fails, which is fine */
		memset(path, 'a', lens[i]);
		path[0] = '/';
		path[lens[i]] = '\0';
		fd = openat(AT_FDCWD, path, O_RDONLY);
		ev = core_wait(h, t, core_tid(), path_is, path);
		cr_assert_eq(kd_event_result(ev), fd < 0 ? -errno : fd, "path of %zu bytes", lens[i]);
		core_eq_i(ev, "flags", O_RDONLY);
		cr_assert_not(kd_event_record_flags(ev) & KD_RF_TRUNCATED, "path of %zu", lens[i]);
		if (fd >= 0)
			close(fd);
	}
	fd = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	expect_exact_records(h, t);
	close(fd);
	kd_close(h);
}

Test(core_direct, write_bad_pointer_is_a_fault)
{
	struct kd_handle *h = open_snap("write", 0);
	const struct kd_event *ev;
	int p[2], fd;
	ssize_t n;

	/* a pipe copies the bytes (/dev/null would not look at them) */
	cr_assert_eq(pipe(p), 0);
	fd = p[1];
	n = syscall(SYS_write, fd, (void *)8, 16);
	cr_assert_eq(n, -1);
	ev = core_expect_where(h, "write", "fd", fd, -EFAULT);
	core_eq_null(ev, "buf");
	core_eq_u(ev, "count", 16);
	cr_assert(kd_event_record_flags(ev) & KD_RF_READ_FAULT);

	cr_assert_eq(syscall(SYS_write, fd, NULL, 0), 0);
	ev = core_expect_where(h, "write", "fd", fd, 0);
	core_eq_null(ev, "buf");
	cr_assert_eq(kd_event_record_flags(ev) & (KD_RF_READ_FAULT | KD_RF_TRUNCATED), 0);
	close(p[0]);
	close(p[1]);
	kd_close(h);
}

/* snaplen 1000 still fits a direct reservation; 10000 does not, and takes
 * the scratch: both capture exactly what was written. */
static void write_with_snaplen(uint32_t snaplen, size_t n)
{
	struct kd_handle *h = open_snap("write", snaplen);
	int fd = open("/dev/null", O_WRONLY);
	size_t want = n < snaplen ? n : snaplen;
	const struct kd_event *ev;
	uint8_t *buf = malloc(n);

	cr_assert_not_null(buf);
	cr_assert_geq(fd, 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	cr_assert_eq(write(fd, buf, n), (ssize_t)n);
	ev = core_expect_where(h, "write", "fd", fd, (int64_t)n);
	core_eq_bytes(ev, "buf", buf, want);
	core_eq_u(ev, "count", n);
	cr_assert_eq(!!(kd_event_record_flags(ev) & KD_RF_TRUNCATED), n > snaplen);
	cr_assert_eq(write(fd, buf, n), (ssize_t)n);
	expect_exact_records(h, core_type("write"));
	free(buf);
	close(fd);
	kd_close(h);
}

Test(core_direct, write_snaplen_1000)
{
	write_with_snaplen(1000, 600);
	write_with_snaplen(1000, 1500);
}

/* Below the 8 bytes the in-place writer needs to reserve anyway: the
 * program still loads, and the records hold exactly snaplen bytes. */
Test(core_direct, write_snaplen_below_8)
{
	write_with_snaplen(1, 100);
	write_with_snaplen(7, 5);
}

Test(core_direct, write_snaplen_10000_uses_the_scratch)
{
	write_with_snaplen(10000, 6000);
}

/* A struct written by the kernel (pipe's int[2]), read at exit. */
Test(core_direct, pipe_fd_pair)
{
	struct kd_handle *h = open_snap("pipe", 0);
	const struct kd_event *ev;
	int p[2];

	cr_assert_eq(syscall(SYS_pipe, p), 0);
	ev = core_expect(h, "pipe", 0);
	core_eq_bytes(ev, "fildes", p, sizeof(p));
	close(p[0]);
	close(p[1]);
	kd_close(h);
}

/* Records written in place go to a per-CPU region (kd_region.bpf.h) in
 * chunks that no record crosses: a chunk's end is padded and writing goes
 * on in the next one. Many records of every size through a 16 KiB region
 * (in two 8 KiB chunks with chunked), drained after each burst so nothing
 * can be dropped, all come back whole and in order. */
static void region_wraps(bool chunked)
{
	enum { PER_BURST = 40, MAXLEN = 96 };
	/* ~560 KB through the region; ~170 KB (10 laps) on the slow machines */
	const int bursts = kd_test_under_valgrind() || getenv("KD_GUEST") ? 30 : 100;
	int32_t pid = getpid();
	struct kd_handle *h;
	struct kd_stats st = { .sz = sizeof(st) };
	int fd = open("/dev/null", O_WRONLY), t = core_type("write");
	uint8_t buf[MAXLEN];
	unsigned seq = 0, seen = 0;

	if (chunked)
		kd__core_debug_set(&(struct kd__core_debug){ .region_chunk = 8192 });
	h = core_open_with((struct core_open_args){ .events = "write", .ring_bytes = 16384, .pids = &pid,
						    .npids = 1 });
	kd__core_debug_set(NULL);
	cr_assert_geq(fd, 0);
	for (int b = 0; b < bursts; b++) {
		for (int i = 0; i < PER_BURST; i++, seq++) {
			size_t n = 1 + seq % MAXLEN;

			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)(seq + j * 13);
			cr_assert_eq(write(fd, buf, n), (ssize_t)n);
		}
		while (seen < seq) {
			const struct kd_event *ev;
			size_t n = 1 + seen % MAXLEN, want = n < 80 ? n : 80;
			int err = kd_next(h, &ev);

			cr_assert_eq(err, 0, "write %u of %u: %s: %s", seen, seq, kd_strerror(err),
				     kd_last_error(h));
			if (kd_event_type(ev) != t || core_param(ev, "fd").i != fd)
				continue;
			core_eq_u(ev, "count", n);
			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)(seen + j * 13);
			core_eq_bytes(ev, "buf", buf, want);
			seen++;
		}
	}
	cr_assert_eq(kd_stats(h, &st), 0);
	cr_assert_eq(st.drops, 0);
	close(fd);
	kd_close(h);
}

Test(core_direct, region_wraps_without_loss, .timeout = 120)
{
	region_wraps(false);
}

Test(core_direct, region_chunks_without_loss, .timeout = 120)
{
	region_wraps(true);
}

/* The direct records written into per-CPU BPF rings instead of regions: a
 * ring below the regions' minimum size, and the knob at the default size.
 * Each shape (register values only, a buffer, a string) arrives whole. */
static void direct_in_rings(uint64_t ring_bytes)
{
	/* this process only: another's reads fill an 8 KiB ring faster than a
	 * consumer under valgrind empties it, and the openat is then a drop */
	const int32_t self = getpid();
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_CORE,
		.flags = KD_OPEN_TRACE_SELF | KD_OPEN_NO_ENRICH, .timeout_ms = 50,
		.events = "getppid,openat,read", .ring_bytes = ring_bytes, .pids = &self, .npids = 1);
	struct kd_handle *h;
	const struct kd_event *ev;
	char buf[64], want[64];
	int fd;

	kd__core_debug_set(&(struct kd__core_debug){ .no_region = true });
	h = core_open_opts(&o);
	kd__core_debug_set(NULL);
	core_drain(h);
	memset(want, 0, sizeof(want));
	cr_assert_eq(syscall(SYS_getppid), getppid());
	core_expect(h, "getppid", getppid());
	fd = openat(AT_FDCWD, "/dev/zero", O_RDONLY);
	cr_assert_geq(fd, 0);
	ev = core_expect(h, "openat", fd);
	core_eq_str(ev, "filename", "/dev/zero");
	cr_assert_eq(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ev = core_expect_where(h, "read", "fd", fd, sizeof(buf));
	core_eq_bytes(ev, "buf", want, sizeof(want));
	core_eq_u(ev, "count", sizeof(buf));
	close(fd);
	kd_close(h);
}

Test(core_direct, rings_without_regions)
{
	direct_in_rings(8192);
	direct_in_rings(0);
}

/* ---- the fast lane (drivers/bpf-core/kd_fast.bpf.h) ---- */

static void expect_shapes(struct kd_handle *h, int rd, int wr, int prd, int pwr)
{
	cr_assert_eq(kd__core_fast_shape(h, SYS_read), rd);
	cr_assert_eq(kd__core_fast_shape(h, SYS_write), wr);
	cr_assert_eq(kd__core_fast_shape(h, SYS_pread64), prd);
	cr_assert_eq(kd__core_fast_shape(h, SYS_pwrite64), pwr);
	/* a string param is not the lane's shape */
	cr_assert_eq(kd__core_fast_shape(h, SYS_openat), 0);
}

/* Which calls the lane serves follows the selection and the options: only
 * selected calls, and none with latency, a pid list or the knob. */
Test(core_direct, fast_lane_follows_the_selection, .timeout = 120)
{
	const char *ev = "read,write,pread64,pwrite64,openat";
	int32_t pid = getpid();
	struct kd_handle *h;

	h = core_open(ev);
	expect_shapes(h, KD_FAST_BUF3_RET, KD_FAST_BUF3_ARG, KD_FAST_BUF4_RET, KD_FAST_BUF4_ARG);
	cr_assert_eq(kd_probe_enable(h, "read", false), 0, "%s", kd_last_error(h));
	expect_shapes(h, 0, KD_FAST_BUF3_ARG, KD_FAST_BUF4_RET, KD_FAST_BUF4_ARG);
	cr_assert_eq(kd_probe_enable(h, "read", true), 0, "%s", kd_last_error(h));
	expect_shapes(h, KD_FAST_BUF3_RET, KD_FAST_BUF3_ARG, KD_FAST_BUF4_RET, KD_FAST_BUF4_ARG);
	kd_close(h);

	h = core_open("write");
	expect_shapes(h, 0, KD_FAST_BUF3_ARG, 0, 0);
	kd_close(h);

	h = core_open_with((struct core_open_args){ .events = ev, .flags = KD_OPEN_LATENCY });
	expect_shapes(h, 0, 0, 0, 0);
	kd_close(h);

	h = core_open_with((struct core_open_args){ .events = ev, .pids = &pid, .npids = 1 });
	expect_shapes(h, 0, 0, 0, 0);
	kd_close(h);

	h = core_open_knobs(ev, &(struct kd__core_debug){ .no_fast = true });
	expect_shapes(h, 0, 0, 0, 0);
	kd_close(h);
}

enum { LANE_CALLS = 12, LANE_FILE = 256 };

/* One of each case the lane handles, on fds opened by the caller so both
 * runs see the same numbers. Returns the calls made (all of them traced). */
static int lane_workload(int file, int null, int pipe_w, int out)
{
	static uint8_t buf[LANE_FILE], big[200];
	int n = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 3 + 5);
	/* read: cut at snaplen, failed, empty, at the end of the file */
	cr_assert_eq(pread(file, buf, 0, 0), 0);
	n++;
	cr_assert_eq(lseek(file, 0, SEEK_SET), 0);
	cr_assert_eq(read(file, buf, 160), 160);
	n++;
	cr_assert_eq(read(CORE_BAD_FD, buf, 10), -1);
	n++;
	cr_assert_eq(read(file, buf, 0), 0);
	n++;
	cr_assert_eq(lseek(file, LANE_FILE - 6, SEEK_SET), LANE_FILE - 6);
	cr_assert_eq(read(file, buf, 50), 6);
	n++;
	/* pread64: inside the file and past its end */
	cr_assert_eq(pread(file, buf, 50, 10), 50);
	n++;
	cr_assert_eq(pread(file, buf, 50, LANE_FILE), 0);
	n++;
	/* write: whole, cut at snaplen, a bad pointer, nothing */
	cr_assert_eq(write(null, big, 64), 64);
	n++;
	cr_assert_eq(write(null, big, sizeof(big)), (ssize_t)sizeof(big));
	n++;
	cr_assert_eq(syscall(SYS_write, pipe_w, (void *)8, 16), -1);
	n++;
	cr_assert_eq(syscall(SYS_write, null, NULL, 0), 0);
	n++;
	/* pwrite64 */
	cr_assert_eq(pwrite(out, big, 20, 100), 20);
	n++;
	return n;
}

/* The records of this thread's next n calls of the four types, copied. */
/* The next n records of this thread of one of the ntypes types (and that
 * keep accepts, when given), copied. */
static void collect_if(struct kd_handle *h, const int *types, int ntypes, int n, uint8_t **recs,
		       size_t *lens, bool (*keep)(const struct kd_event *ev))
{
	uint64_t deadline = core_now_ns() + 3000000000ull;
	const struct kd_event *ev;
	int got = 0;

	while (got < n) {
		int err = kd_next(h, &ev), t, k;
		const void *r;

		cr_assert_geq(err, 0, "kd_next: %s", kd_last_error(h));
		cr_assert_lt(core_now_ns(), deadline, "%d of %d records", got, n);
		if (err)
			continue;
		t = kd_event_type(ev);
		for (k = 0; k < ntypes && types[k] != t; k++)
			;
		if (kd_event_tid(ev) != core_tid() || core_valgrind_own(ev) || k == ntypes ||
		    (keep && !keep(ev)))
			continue;
		r = kd_event_record(ev, &lens[got]);
		cr_assert_not_null(r);
		recs[got] = malloc(lens[got]);
		cr_assert_not_null(recs[got]);
		memcpy(recs[got], r, lens[got]);
		got++;
	}
}

static void collect(struct kd_handle *h, const int *types, int ntypes, int n, uint8_t **recs,
		    size_t *lens)
{
	collect_if(h, types, ntypes, n, recs, lens, NULL);
}

static void lane_collect(struct kd_handle *h, int n, uint8_t **recs, size_t *lens)
{
	const int types[] = { core_type("read"), core_type("write"), core_type("pread64"),
			      core_type("pwrite64") };

	collect(h, types, 4, n, recs, lens);
}

/* Two runs' records, the same but for the time, the CPU and the ids. */
static void same_records(uint8_t **recs0, size_t *lens0, uint8_t **recs1, size_t *lens1, int n)
{
	for (int i = 0; i < n; i++) {
		struct kd_rec_hdr a, b;

		cr_assert_eq(lens0[i], lens1[i], "call %d", i);
		memcpy(&a, recs0[i], sizeof(a));
		memcpy(&b, recs1[i], sizeof(b));
		cr_assert(a.res == b.res && a.latency == b.latency && a.len == b.len &&
				  a.type == b.type && a.nparams == b.nparams && a.schema == b.schema &&
				  a.flags == b.flags,
			  "call %d: header", i);
		for (size_t k = KD_REC_HDR_SIZE; k < lens0[i]; k++)
			cr_assert_eq(recs0[i][k], recs1[i][k], "call %d: params differ at byte %zu of %zu",
				     i, k, lens0[i]);
	}
}

/* The lane writes the very record the general path writes: the same
 * workload through both, compared byte for byte but for the time, the CPU
 * and the tid/pid (hdr.latency, len, type, nparams, schema, flags, result
 * and every param included). The lane's own records are checked too. */
Test(core_direct, fast_lane_matches_the_general_path, .timeout = 120)
{
	char path[] = "/tmp/kd-lane-XXXXXX", opath[] = "/tmp/kd-lane-out-XXXXXX";
	int file = mkstemp(path), out = mkstemp(opath), null = open("/dev/null", O_WRONLY), p[2];
	const char *ev = "read,write,pread64,pwrite64";
	uint8_t *recs[2][LANE_CALLS], data[LANE_FILE];
	size_t lens[2][LANE_CALLS];
	struct kd_rec_hdr h0;

	cr_assert(file >= 0 && out >= 0 && null >= 0);
	cr_assert_eq(pipe(p), 0);
	for (int i = 0; i < LANE_FILE; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	cr_assert_eq(write(file, data, sizeof(data)), (ssize_t)sizeof(data));
	unlink(path);
	unlink(opath);
	for (int run = 0; run < 2; run++) {
		struct kd_handle *h;

		h = core_open_knobs(ev, run ? &(struct kd__core_debug){ .no_fast = true } : NULL);
		cr_assert_eq(kd__core_fast_shape(h, SYS_read), run ? 0 : KD_FAST_BUF3_RET);
		cr_assert_eq(lane_workload(file, null, p[1], out), LANE_CALLS);
		lane_collect(h, LANE_CALLS, recs[run], lens[run]);
		kd_close(h);
	}
	same_records(recs[0], lens[0], recs[1], lens[1], LANE_CALLS);
	/* and what the lane wrote is right: read 160 is cut to 80 bytes */
	memcpy(&h0, recs[0][1], sizeof(h0));
	cr_assert_eq(h0.res, 160);
	cr_assert(h0.flags & KD_RF_TRUNCATED);
	cr_assert_eq(memcmp(recs[0][1] + KD_REC_HDR_SIZE + 6 + 8, data, 80), 0);
	/* the bad pointer is a fault, the failed read has no bytes */
	memcpy(&h0, recs[0][9], sizeof(h0));
	cr_assert_eq(h0.res, -EFAULT);
	cr_assert(h0.flags & KD_RF_READ_FAULT);
	memcpy(&h0, recs[0][2], sizeof(h0));
	cr_assert_eq(h0.res, -EBADF);
	cr_assert_eq(h0.len, KD_REC_HDR_SIZE + 6 + 16);
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < LANE_CALLS; i++)
			free(recs[r][i]);
	close(file);
	close(out);
	close(null);
	close(p[0]);
	close(p[1]);
}

enum { TAIL_CALLS = 9 };

/* ours, not a stat the library makes (enrichment reads /proc) */
static bool on_our_paths(const struct kd_event *ev)
{
	static const char *const ours[] = { "/etc/hostname", "/proc/self", "/dev/null",
					    "/nonexistent", "/" };
	struct kd_value v;

	if (kd_event_param_by_name(ev, "filename", &v) || !v.ptr)
		return false;
	if (strncmp(v.ptr, "/etc/./.", 8) == 0) /* the long path */
		return true;
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (strcmp(v.ptr, ours[i]) == 0)
			return true;
	return false;
}

/* The stat family's tails: success with a short path, with one past the
 * direct reservation (rebuilt in the scratch), a symlink, a device, a
 * failure, a bad buffer; statx's larger struct. */
static int tail_workload(const char *longp)
{
	struct stat st;
	struct statx stx;
	int n = 0;

	cr_assert_eq(syscall(SYS_stat, "/etc/hostname", &st), 0);
	n++;
	cr_assert_eq(syscall(SYS_stat, longp, &st), 0);
	n++;
	cr_assert_eq(syscall(SYS_lstat, "/proc/self", &st), 0);
	n++;
	cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, "/dev/null", &st, 0), 0);
	n++;
	cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, "/nonexistent", &st, 0), -1);
	n++;
	/* a read-only page: the kernel cannot write it (and memcheck does not
	 * call it unaddressable) */
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(ro, MAP_FAILED);
	cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, "/", ro, 0), -1);
	cr_assert_eq(errno, EFAULT);
	munmap(ro, 4096);
	n++;
	cr_assert_eq(syscall(SYS_statx, AT_FDCWD, "/etc/hostname", 0, STATX_BASIC_STATS, &stx), 0);
	n++;
	cr_assert_eq(syscall(SYS_statx, AT_FDCWD, longp, 0, STATX_BASIC_STATS, &stx), 0);
	n++;
	cr_assert_eq(syscall(SYS_statx, AT_FDCWD, "/nonexistent", 0, STATX_BASIC_STATS, &stx), -1);
	n++;
	return n;
}

/* Schema 6's stat tails are written in place for stat, lstat, newfstatat and
 * statx (kd_fast1t()), and read exactly as the scratch builds them. */
Test(core_direct, stat_tails_match_the_scratch, .timeout = 120)
{
	const int types[] = { core_type("stat"), core_type("lstat"), core_type("newfstatat"),
			      core_type("statx") };
	uint8_t *recs[2][TAIL_CALLS];
	size_t lens[2][TAIL_CALLS];
	char longp[400] = "/etc";
	struct kd_rec_hdr h0;

	while (strlen(longp) < 300)
		strcat(longp, "/.");
	strcat(longp, "/hostname");
	for (int run = 0; run < 2; run++) {
		struct kd_handle *h;

		h = core_open_knobs("stat,lstat,newfstatat,statx",
				    run ? &(struct kd__core_debug){ .no_direct = true } : NULL);
		for (size_t i = 0; i < 4; i++) {
			static const unsigned nrs[] = { SYS_stat, SYS_lstat, SYS_newfstatat, SYS_statx };
			int f = kd__core_ksc_flags(h, nrs[i]);

			/* marked in both runs; the knob keeps the program off it */
			cr_assert(f >= 0 && (f & KD_KSC_DIRECT1), "syscall %u: flags %#x", nrs[i], f);
		}
		cr_assert_eq(tail_workload(longp), TAIL_CALLS);
		collect_if(h, types, 4, TAIL_CALLS, recs[run], lens[run], on_our_paths);
		kd_close(h);
	}
	same_records(recs[0], lens[0], recs[1], lens[1], TAIL_CALLS);
	/* and they hold the structs: 120 bytes of stat, 144 of statx, none
	 * for the failures (the bad buffer is not read either) */
	for (int i = 0; i < TAIL_CALLS; i++) {
		uint16_t tl;

		memcpy(&h0, recs[0][i], sizeof(h0));
		memcpy(&tl, recs[0][i] + KD_REC_HDR_SIZE + 2 * (h0.nparams - 1), sizeof(tl));
		cr_assert_eq(tl, h0.res < 0 ? 0 : i >= 6 ? 144 : 120, "call %d", i);
		cr_assert_not(h0.flags & KD_RF_READ_FAULT, "call %d", i);
	}
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < TAIL_CALLS; i++)
			free(recs[r][i]);
}

/* One workload run under a handle: its records, in order. */
typedef void (*path_run_fn)(struct kd_handle *h, uint8_t **recs, size_t *lens);

/* The workload with the records of syscall nr written in place (DIRECT1),
 * then built in the scratch: n records each, the same byte for byte. */
static void in_place_as_scratch(const char *events, unsigned nr, path_run_fn run, uint8_t **recs0,
				size_t *lens0, uint8_t **recs1, size_t *lens1, int n)
{
	for (int r = 0; r < 2; r++) {
		struct kd_handle *h;

		h = core_open_knobs(events, r ? &(struct kd__core_debug){ .no_direct = true } : NULL);
		/* marked in both runs; the knob keeps the program off it */
		cr_assert(kd__core_ksc_flags(h, nr) & KD_KSC_DIRECT1);
		run(h, r ? recs1 : recs0, r ? lens1 : lens0);
		kd_close(h);
	}
	same_records(recs0, lens0, recs1, lens1, n);
}

static void free_records(uint8_t **recs0, uint8_t **recs1, int n)
{
	for (int i = 0; i < n; i++) {
		free(recs0[i]);
		free(recs1[i]);
	}
}

enum { EPOLL_CALLS = 4, EPOLL_FD = 900 };

/* ours, not the epoll_wait of kd_next() itself (this thread, traced too) */
static bool on_our_epoll(const struct kd_event *ev)
{
	struct kd_value v;

	return kd_event_param(ev, 0, &v) == 0 && (v.i == EPOLL_FD || v.i == CORE_BAD_FD);
}

/* epoll_wait's ready in one run: none, one, more than fit (36, cut at 32),
 * a failure; the same fds, addresses and data in every run. */
static void epoll_run(struct kd_handle *h, uint8_t **recs, size_t *lens)
{
	static struct epoll_event out[40];
	const int types[] = { core_type("epoll_wait") };
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2], efd[35];

	/* at one number in both runs: the handle's own fds vary (what kd_open
	 * found on the machine), and epfd is in the record */
	cr_assert_geq(ep, 0);
	cr_assert_eq(dup3(ep, EPOLL_FD, O_CLOEXEC), EPOLL_FD);
	close(ep);
	ep = EPOLL_FD;
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, p[0],
			       &(struct epoll_event){ .events = EPOLLIN, .data.u64 = 77 }), 0);
	cr_assert_eq(epoll_wait(ep, out, 40, 0), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert_eq(epoll_wait(ep, out, 1, 0), 1);
	for (int i = 0; i < 35; i++) {
		efd[i] = eventfd(1, EFD_CLOEXEC);
		cr_assert_geq(efd[i], 0);
		cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, efd[i],
				       &(struct epoll_event){ .events = EPOLLIN, .data.u64 = (uint64_t)i }),
			     0);
	}
	cr_assert_eq(epoll_wait(ep, out, 40, 0), 36);
	cr_assert_eq(epoll_wait(CORE_BAD_FD, out, 4, 0), -1);
	collect_if(h, types, 1, EPOLL_CALLS, recs, lens, on_our_epoll);
	for (int i = 0; i < 35; i++)
		close(efd[i]);
	close(ep);
	close(p[0]);
	close(p[1]);
}

/* epoll_wait's ready (schema 6) is written in place, and reads exactly as
 * the scratch builds it. */
Test(core_direct, epoll_ready_matches_the_scratch, .timeout = 120)
{
	uint8_t *recs[2][EPOLL_CALLS];
	size_t lens[2][EPOLL_CALLS];
	struct kd_rec_hdr h0;
	uint16_t rl;
	uint64_t data;

	in_place_as_scratch("epoll_wait", SYS_epoll_wait, epoll_run, recs[0], lens[0], recs[1], lens[1],
			    EPOLL_CALLS);
	/* ready is param 4: none, 12 bytes with the pipe's data, 32 entries cut */
	for (int i = 0; i < EPOLL_CALLS; i++) {
		memcpy(&h0, recs[0][i], sizeof(h0));
		memcpy(&rl, recs[0][i] + KD_REC_HDR_SIZE + 2 * 4, sizeof(rl));
		cr_assert_eq(rl, i == 1 ? 12 : i == 2 ? 32 * 12 : 0, "call %d", i);
		cr_assert_eq(!!(h0.flags & KD_RF_TRUNCATED), i == 2, "call %d", i);
	}
	memcpy(&data, recs[0][1] + KD_REC_HDR_SIZE + 10 + 32 + 4, sizeof(data));
	cr_assert_eq(data, 77);
	free_records(recs[0], recs[1], EPOLL_CALLS);
}

enum { FUTEX_CALLS = 4 };

static uint32_t futex_word = 5;

static bool on_our_futex(const struct kd_event *ev)
{
	struct kd_value v;

	return kd_event_param(ev, 0, &v) == 0 && v.u == (uintptr_t)&futex_word;
}

/* A wait with a timespec, a wake with a valid pointer there, a requeue
 * with val2 where the pointer would be, an absolute bitset wait. */
static void futex_run(struct kd_handle *h, uint8_t **recs, size_t *lens)
{
	static const struct timespec rel = { 1, 0 }, abs_ts = { 2, 500 };
	const int types[] = { core_type("futex") };

	cr_assert_eq(syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 6, &rel, NULL, 0), -1);
	cr_assert_eq(syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, &rel, NULL, 0), 0);
	cr_assert_eq(syscall(SYS_futex, &futex_word, FUTEX_CMP_REQUEUE_PRIVATE, 1,
			     (void *)(uintptr_t)0x7fffffff, &futex_word, 5), 0);
	cr_assert_eq(syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET_PRIVATE, 6, &abs_ts, NULL,
			     FUTEX_BITSET_MATCH_ANY), -1);
	collect_if(h, types, 1, FUTEX_CALLS, recs, lens, on_our_futex);
}

/* futex's utime (len FUTEX(1)) is read for the commands with a timeout
 * only, in place as in the scratch: a wait's timespec, a wake's valid
 * pointer left unread, a requeue's val2 never taken for a pointer (both
 * kept as the 8-byte register), an absolute bitset wait's timespec. */
Test(core_direct, futex_utime_matches_the_scratch, .timeout = 120)
{
	uint8_t *recs[2][FUTEX_CALLS];
	size_t lens[2][FUTEX_CALLS];

	in_place_as_scratch("futex", SYS_futex, futex_run, recs[0], lens[0], recs[1], lens[1],
			    FUTEX_CALLS);
	for (int i = 0; i < FUTEX_CALLS; i++) {
		struct kd_rec_hdr h0;
		uint16_t ul;

		memcpy(&h0, recs[0][i], sizeof(h0));
		/* utime is param 3 */
		memcpy(&ul, recs[0][i] + KD_REC_HDR_SIZE + 2 * 3, sizeof(ul));
		cr_assert_eq(ul, i == 0 || i == 3 ? sizeof(struct timespec) : 8, "call %d", i);
		cr_assert_not(h0.flags & KD_RF_READ_FAULT, "call %d", i);
	}
	/* the requeue's val2, after 6 lengths and 3 registers */
	uint64_t val2;

	memcpy(&val2, recs[0][2] + KD_REC_HDR_SIZE + 2 * 6 + 3 * 8, sizeof(val2));
	cr_assert_eq(val2, 0x7fffffff);
	free_records(recs[0], recs[1], FUTEX_CALLS);
}

enum { IOCTL_CALLS = 4, IOCTL_FD = 901 };

static bool on_our_ioctl(const struct kd_event *ev)
{
	struct kd_value v;

	return kd_event_param(ev, 0, &v) == 0 && v.i == IOCTL_FD;
}

/* On IOCTL_FD (a pipe's read end with 3 bytes): an answer, a value handed
 * over, an unknown command, an answer of a call that failed. */
static void ioctl_run(struct kd_handle *h, uint8_t **recs, size_t *lens)
{
	static int n, one = 1;
	static struct termios tio;
	const int types[] = { core_type("ioctl") };

	cr_assert_eq(ioctl(IOCTL_FD, FIONREAD, &n), 0);
	cr_assert_eq(ioctl(IOCTL_FD, FIONBIO, &one), 0);
	cr_assert_eq(ioctl(IOCTL_FD, 0x80047899, &n), -1);
	cr_assert_eq(ioctl(IOCTL_FD, TCGETS, &tio), -1);
	collect_if(h, types, 1, IOCTL_CALLS, recs, lens, on_our_ioctl);
}

/* ioctl's data (schema 8) is written in place (the struct reservation), as
 * the scratch builds it. */
Test(core_direct, ioctl_data_matches_the_scratch, .timeout = 120)
{
	uint8_t *recs[2][IOCTL_CALLS];
	size_t lens[2][IOCTL_CALLS];
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(dup3(p[0], IOCTL_FD, O_CLOEXEC), IOCTL_FD);
	cr_assert_eq(write(p[1], "abc", 3), 3);
	in_place_as_scratch("ioctl", SYS_ioctl, ioctl_run, recs[0], lens[0], recs[1], lens[1],
			    IOCTL_CALLS);
	for (int i = 0; i < IOCTL_CALLS; i++) {
		uint16_t dl;
		int32_t val;

		/* data is param 3 */
		memcpy(&dl, recs[0][i] + KD_REC_HDR_SIZE + 2 * 3, sizeof(dl));
		cr_assert_eq(dl, i < 2 ? 4 : 0, "call %d", i);
		if (i < 2) {
			memcpy(&val, recs[0][i] + KD_REC_HDR_SIZE + 8 + 3 * 8, sizeof(val));
			cr_assert_eq(val, i ? 1 : 3, "call %d", i);
		}
	}
	free_records(recs[0], recs[1], IOCTL_CALLS);
	close(IOCTL_FD);
	close(p[0]);
	close(p[1]);
}
