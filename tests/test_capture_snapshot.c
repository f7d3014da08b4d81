/* tests/test_capture_snapshot.c: SNAPSHOT blocks: the enrichment tables
 * written at the start of a capture and as updates between records, and
 * every way a damaged snapshot is refused (docs/capture-format.md). */
#include "capture_test.h"

TestSuite(capture_snapshot, .init = setup, .fini = teardown, .timeout = 30);

/* ------------------------------------------------------------ snapshots */

/* A SNAPSHOT payload, entry by entry (docs/capture-format.md). */
struct sb {
	uint8_t d[4096];
	size_t len;
	uint32_t count;
};

static uint8_t *sb_entry(struct sb *s, unsigned kind, size_t body)
{
	uint8_t *e = s->d + s->len;

	cr_assert_lt(s->len + KD__SE_HDR + body, sizeof(s->d));
	memset(e, 0, KD__SE_HDR + body);
	kd__put16(e, (uint16_t)kind);
	kd__put32(e + 4, (uint32_t)body);
	s->len += KD__SE_HDR + body;
	s->count++;
	return e + KD__SE_HDR;
}

static void sb_meta(struct sb *s, uint32_t np, uint32_t nt, uint32_t nf)
{
	uint8_t *d;

	memset(s, 0, sizeof(*s));
	d = sb_entry(s, KD__SE_META, 16);
	kd__put16(d, KD__SNAP_VERSION);
	kd__put32(d + 4, np);
	kd__put32(d + 8, nt);
	kd__put32(d + 12, nf);
}

/* u16 length + 1, then the bytes */
static size_t sb_str(uint8_t *d, const char *str, size_t n)
{
	kd__put16(d, (uint16_t)(n + 1));
	memcpy(d + 2, str, n);
	return 2 + n;
}

static void sb_proc(struct sb *s, uint32_t pid, uint32_t ppid, uint32_t fdshare, const char *exe)
{
	static const char args[] = "snap\0-x";
	size_t el = 64 + 2 + strlen(exe) + 2 + 4 + 2 + 2 + sizeof(args) - 1;
	uint8_t *d = sb_entry(s, KD__SE_PROC, el), *at = d + 64;

	kd__put32(d, pid);
	kd__put32(d + 4, ppid);
	kd__put32(d + 12, 1234); /* uid */
	kd__put32(d + 20, 1234); /* euid */
	kd__put32(d + 28, UINT32_MAX);
	kd__put32(d + 36, fdshare);
	kd__put64(d + 40, 42);
	at += sb_str(at, exe, strlen(exe));
	at += sb_str(at, "/srv", 4);
	kd__put16(at, 0); /* no cgroup */
	at += 2;
	at += sb_str(at, args, sizeof(args) - 1);
	cr_assert_eq(at, d + el);
}

static void sb_thread(struct sb *s, uint32_t tid, uint32_t pid, const char *comm)
{
	uint8_t *d = sb_entry(s, KD__SE_THREAD, 48);

	kd__put32(d, tid);
	kd__put32(d + 4, pid);
	snprintf((char *)d + 32, 16, "%s", comm);
}

static void sb_fd(struct sb *s, uint32_t pid, int32_t num, const char *path)
{
	uint8_t *d = sb_entry(s, KD__SE_FD, 64 + 2 + strlen(path));

	kd__put32(d, pid);
	kd__put32(d + 4, (uint32_t)num);
	d[8] = KD_FD_FILE;
	sb_str(d + 64, path, strlen(path));
}

/* The tables of make_records' first process: pid 1000 (threads 1000-1002)
 * with fd 3, its parent 999, and pid 2000 sharing 1000's fd table. */
static void sb_good(struct sb *s)
{
	sb_meta(s, 3, 4, 2);
	sb_proc(s, 999, 1, 999, "/sbin/parent");
	sb_thread(s, 999, 999, "parent");
	sb_proc(s, 1000, 999, 1000, "/usr/bin/snapped");
	sb_thread(s, 1000, 1000, "snapcomm");
	sb_thread(s, 1001, 1000, "snapcomm-1");
	sb_fd(s, 1000, 3, "/etc/snap.conf");
	sb_fd(s, 1000, 7, "/var/log/snap.log");
	sb_proc(s, 2000, 1000, 1000, "/usr/bin/sharer");
	sb_thread(s, 2000, 2000, "sharer");
}

/* Replays a file with one snapshot block (at byte 72, after fb_header) and
 * make_records(4): what the first two events are enriched with. */
struct snap_replay {
	struct replay r;
	char comm[2][32], exe[2][64], cwd[32], args[32], fd[64];
	uint32_t ppid, uid;
	int fd_iter;
};

static int count_fd(const struct kd_fd *f, void *ctx)
{
	(void)f;
	++*(int *)ctx;
	return 0;
}

static void snap_replay(const struct sb *s, uint32_t count, size_t len, struct snap_replay *sr)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct fb f;
	int err;

	kd_rb_reset(&b);
	make_records(&b, 4, 1, 1);
	fb_header(&f, KD_SCHEMA_VERSION);
	cr_assert_eq(f.len, 72);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s->d, len, count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	fb_finish(&f);
	spit(path, f.d, f.len);
	free(f.d);

	memset(sr, 0, sizeof(*sr));
	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while ((err = kd_next(h, &ev)) != KD_EOF) {
		const struct kd_thread *t;
		const struct kd_fd *fd;
		unsigned i = sr->r.events;

		if (err) {
			cr_assert_lt(sr->r.nerr, 16);
			sr->r.errs[sr->r.nerr] = err;
			sr->r.err_at[sr->r.nerr] = sr->r.events;
			snprintf(sr->r.msg[sr->r.nerr++], sizeof(sr->r.msg[0]), "%s", kd_last_error(h));
			continue;
		}
		sr->r.events++;
		if (i >= 2)
			continue;
		t = kd_event_thread(ev);
		cr_assert_not_null(t);
		snprintf(sr->comm[i], sizeof(sr->comm[i]), "%s", kd_thread_comm(t));
		snprintf(sr->exe[i], sizeof(sr->exe[i]), "%s", kd_thread_exe(t));
		if (i == 0) {
			size_t al;
			const char *a = kd_thread_args(t, &al);

			snprintf(sr->cwd, sizeof(sr->cwd), "%s", kd_thread_cwd(t));
			for (size_t k = 0; k < al && k + 1 < sizeof(sr->args); k++)
				sr->args[k] = a[k] ? a[k] : ' ';
			sr->ppid = kd_thread_ppid(t);
			sr->uid = kd_thread_uid(t);
			kd_fd_iter(h, 2000, count_fd, &sr->fd_iter);
		}
		fd = kd_event_fd(ev);
		if (i == 1 && fd)
			kd_fd_format(fd, sr->fd, sizeof(sr->fd));
	}
	kd_close(h);
}

Test(capture_snapshot, snapshot_restores_the_tables)
{
	struct snap_replay sr;
	struct sb s;

	sb_good(&s);
	snap_replay(&s, s.count, s.len, &sr);
	cr_assert_eq(sr.r.nerr, 0, "%s", sr.r.msg[0]);
	cr_assert_eq(sr.r.events, 4);
	/* event 0: openat by 1000; event 1: read(3) by tid 1001 of pid 1000 */
	cr_assert_str_eq(sr.comm[0], "snapcomm");
	cr_assert_str_eq(sr.exe[0], "/usr/bin/snapped");
	cr_assert_str_eq(sr.cwd, "/srv");
	cr_assert_str_eq(sr.args, "snap -x");
	cr_assert_eq(sr.ppid, 999);
	cr_assert_eq(sr.uid, 1234);
	cr_assert_str_eq(sr.comm[1], "snapcomm-1");
	cr_assert_str_eq(sr.fd, "file:/etc/snap.conf");
	/* 2000 shares 1000's table: the openat of event 0 (fd -3 fails) added nothing */
	cr_assert_eq(sr.fd_iter, 2);

	/* the same file without enrichment replays the same events */
	{
		KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all",
			.flags = KD_OPEN_NO_ENRICH);
		const struct kd_event *ev;
		struct kd_handle *h;
		unsigned n = 0;

		cr_assert_eq(kd_open(&o, &h), 0);
		while (kd_next(h, &ev) == 0) {
			cr_assert_null(kd_event_thread(ev));
			n++;
		}
		cr_assert_eq(n, 4);
		kd_close(h);
	}
}

/* An update (what the live handle learned from the kernel mid-stream) is
 * merged into the tables before the record after it. */
Test(capture_snapshot, snapshot_update_between_records)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct fb f;
	struct sb s, u;
	char fd[4][64] = { "", "", "", "" }, exe[4][64];
	unsigned n = 0;
	size_t cut;

	kd_rb_reset(&b);
	make_records(&b, 2, 1, 1); /* openat by 1000, read(3) by 1001 */
	cut = b.len;
	make_records(&b, 2, 10, 1);
	sb_good(&s);
	sb_meta(&u, 1, 2, 1);
	kd__put16(u.d + 8 + 2, 1); /* update */
	sb_proc(&u, 1000, 999, 1000, "/usr/bin/updated");
	sb_thread(&u, 1000, 1000, "snapcomm");
	sb_thread(&u, 1001, 1000, "renamed");
	sb_fd(&u, 1000, 3, "/etc/updated.conf");
	fb_header(&f, KD_SCHEMA_VERSION);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s.d, s.len, s.count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, cut, 2);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, u.d, u.len, u.count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data + cut, b.len - cut, 2);
	fb_finish(&f);
	spit(path, f.d, f.len);
	free(f.d);

	cr_assert_eq(kd_open(&o, &h), 0, "%s", kd_last_error(NULL));
	while (kd_next(h, &ev) == 0) {
		const struct kd_fd *x = kd_event_fd(ev);

		cr_assert_lt(n, 4);
		if (x)
			kd_fd_format(x, fd[n], sizeof(fd[n]));
		snprintf(exe[n], sizeof(exe[n]), "%s", kd_thread_exe(kd_event_thread(ev)));
		n++;
	}
	cr_assert_eq(n, 4, "%s", kd_last_error(h));
	cr_assert_str_eq(exe[1], "/usr/bin/snapped");
	cr_assert_str_eq(fd[1], "file:/etc/snap.conf");
	cr_assert_str_eq(exe[3], "/usr/bin/updated");
	cr_assert_str_eq(fd[3], "file:/etc/updated.conf");
	cr_assert_str_eq(kd_thread_comm(kd_thread_lookup(h, 1001)), "renamed");
	/* the whole table was replaced: fd 7 is gone, the parent link stays */
	cr_assert_eq(kd_fd_iter(h, 1000, count_fd, &(int){ 0 }), 0);
	{
		int k = 0;

		kd_fd_iter(h, 1000, count_fd, &k);
		cr_assert_eq(k, 1);
	}
	cr_assert_eq(kd_thread_ppid(kd_thread_lookup(h, 1000)), 999);
	kd_close(h);
}

/* Tables that events can make but a reader refuses must not be written: a
 * pid 0 (the kernel's idle task) is fine, a parent loop is cut. Found by the
 * reader fuzzer (fuzz/corpus/reader/snapshot-pid0). */
Test(capture_snapshot, snapshot_of_odd_tables)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_FILE, .file = path, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct replay r;
	char p2[160];
	int err;

	kd_rb_reset(&b);
	kd_rb_event_begin(&b, "getpid", 0, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 0;
	kd_rb_end(&b);
	/* 100 forks 200, then 200 "forks" 100: 100 (first seen in an event) takes 200 as parent */
	kd_rb_event_begin(&b, "fork", 200, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 100;
	kd_rb_end(&b);
	kd_rb_event_begin(&b, "fork", 100, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 200;
	kd_rb_end(&b);
	kd_rb_event_begin(&b, "getpid", 100, (struct kd_rb_arg[]){ { NULL } });
	b.hdr.tid = b.hdr.pid = 100;
	b.hdr.ts = 10000000000ull;
	kd_rb_end(&b);
	dump_records(path, NULL);
	/* replay it and dump the replay, rotating at the last event: the second
	 * file's snapshot holds those tables */
	snprintf(p2, sizeof(p2), "%s/again.kd", dir);
	{
		KD_OPTS(kd_dump_opts, dopts, .max_seconds = 1);
		struct kd_dump *d;

		cr_assert_eq(kd_open(&o, &h), 0);
		cr_assert_eq(kd_dump_open(p2, &dopts, &d), 0);
		while ((err = kd_next(h, &ev)) == 0)
			cr_assert_eq(kd_dump_event(d, ev), 0);
		cr_assert_eq(err, KD_EOF, "%s", kd_last_error(h));
		cr_assert_eq(kd_thread_ppid(kd_thread_lookup(h, 100)), 200, "the loop is in the tables");
		cr_assert_eq(kd_dump_close(d), 0);
		kd_close(h);
	}
	replay(p2, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 4);
	snprintf(p2, sizeof(p2), "%s/again.kd.1", dir);
	replay(p2, &r);
	cr_assert_eq(r.nerr, 0, "%s", r.msg[0]);
	cr_assert_eq(r.events, 1);
	o.file = p2;
	cr_assert_eq(kd_open(&o, &h), 0);
	cr_assert_eq(kd_next(h, &ev), 0);
	cr_assert_eq(kd_thread_ppid(kd_event_thread(ev)), 0, "the loop is cut in the file");
	cr_assert_str_eq(kd_thread_comm(kd_thread_lookup(h, 0)), "");
	cr_assert_not_null(kd_thread_lookup(h, 0));
	kd_close(h);
}

/* Damage to a snapshot: one KD_EBADFILE naming the block's byte offset and
 * the entry's payload byte, the block is skipped (the tables start empty),
 * the events all come. */
static void snap_bad(const struct sb *s, uint32_t count, size_t len, const char *want)
{
	struct snap_replay sr;

	snap_replay(s, count, len, &sr);
	cr_assert_eq(sr.r.events, 4);
	cr_assert_eq(sr.r.nerr, 1, "%u errors: %s", sr.r.nerr, sr.r.msg[0]);
	cr_assert_eq(sr.r.errs[0], KD_EBADFILE);
	cr_assert_eq(sr.r.err_at[0], 0);
	assert_msg(&sr.r, 0, "snapshot block at byte offset 72: ");
	assert_msg(&sr.r, 0, want);
	assert_msg(&sr.r, 0, "the block is skipped");
	/* nothing of it was restored */
	cr_assert_str_eq(sr.comm[0], "");
	cr_assert_str_eq(sr.exe[0], "");
	cr_assert_str_eq(sr.fd, "");
}

Test(capture_snapshot, snapshot_damage)
{
	struct sb s;

	/* parent links that loop: 999 -> 2000 -> 1000 -> 999 */
	sb_good(&s);
	kd__put32(s.d + 8 + 16 + 8 + 4, 2000); /* first process entry (999): ppid */
	snap_bad(&s, s.count, s.len, "process entry at payload byte 24: the parent links of pid 999 "
		 "loop back to it (pid 999 -> ppid 2000)");

	/* a tid twice */
	sb_good(&s);
	sb_thread(&s, 1001, 999, "dup");
	kd__put32(s.d + 8 + 8, 5);
	snap_bad(&s, s.count, s.len, "thread entry at payload byte 743: duplicate tid 1001 (also at "
		 "payload byte 346)");

	/* cut short inside an entry header, and inside an entry */
	sb_good(&s);
	snap_bad(&s, s.count, s.len - 3, "entry at payload byte 687 says 48 bytes, 45 remain");
	snap_bad(&s, s.count, 691, "entry at payload byte 687 is cut short (4 bytes left)");

	/* lengths that lie: an exe longer than its entry, an entry longer than the payload */
	sb_good(&s);
	kd__put16(s.d + 24 + 8 + 64, 500);
	snap_bad(&s, s.count, s.len, "entry at payload byte 24: exe says 499 bytes, 29 remain in the "
		 "entry");
	sb_good(&s);
	kd__put32(s.d + 24 + 4, 1u << 30);
	snap_bad(&s, s.count, s.len, "entry at payload byte 24 says 1073741824 bytes");
	sb_good(&s);
	snap_bad(&s, s.count + 1, s.len, "the block says 11 entries, the payload holds 10");

	/* absurd counts, and counts that disagree with the entries */
	sb_good(&s);
	kd__put32(s.d + 8 + 8, 4000000);
	snap_bad(&s, s.count, s.len, "claims 3 processes, 4000000 threads and 2 fds");
	sb_good(&s);
	kd__put32(s.d + 8 + 8, 3);
	snap_bad(&s, s.count, s.len, "thread entry at payload byte 687 is one more than the 3");

	/* references to nothing */
	sb_good(&s);
	sb_fd(&s, 2000, 9, "/x");
	kd__put32(s.d + 8 + 12, 3);
	snap_bad(&s, s.count, s.len, "fd 9 of pid 2000, which uses the fd table of pid 1000");
	sb_good(&s);
	sb_thread(&s, 77, 77, "orphan");
	kd__put32(s.d + 8 + 8, 5);
	snap_bad(&s, s.count, s.len, "tid 77 belongs to pid 77, which is not in the snapshot");
	sb_good(&s);
	sb_fd(&s, 1000, 3, "/again");
	kd__put32(s.d + 8 + 12, 3);
	snap_bad(&s, s.count, s.len, "pid 1000 has fd 3 twice");

	/* a newer snapshot version, and entries before the header entry */
	sb_good(&s);
	kd__put16(s.d + 8, 9);
	snap_bad(&s, s.count, s.len, "snapshot version 9, this library reads 1: upgrade kindling");
	sb_meta(&s, 0, 0, 0);
	s.len = 0;
	s.count = 0;
	sb_thread(&s, 1, 1, "x");
	snap_bad(&s, s.count, s.len, "entry at payload byte 0 is a thread entry: the snapshot must "
		 "start with its header entry");
}

Test(capture_snapshot, snapshots_and_unknown_blocks)
{
	struct replay r;
	struct fb f;
	struct sb s;

	kd_rb_reset(&b);
	make_records(&b, 4, 1, 1);
	fb_header(&f, KD_SCHEMA_VERSION);
	/* empty snapshot, then one with an entry kind from a newer writer (skipped) */
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, "", 0, 0);
	sb_meta(&s, 0, 0, 0);
	sb_entry(&s, 99, 12);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s.d, s.len, s.count);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	/* garbage snapshot: entry length past the payload */
	kd__put32(s.d + 24 + 4, 400);
	fb_block(&f, KD__BLK_SNAPSHOT, KD__BF_DEFLATE, s.d, s.len, s.count);
	/* a newer writer's optional block type: skipped */
	fb_block(&f, 77, KD__BF_DEFLATE, "future", 6, 1);
	fb_block(&f, KD__BLK_EVENTS, 0, b.data, b.len, 4);
	fb_finish(&f);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.open_err, 0);
	cr_assert_eq(r.events, 8);
	cr_assert_eq(r.nerr, 1, "%s", r.msg[0]);
	cr_assert_eq(r.err_at[0], 4);
	assert_msg(&r, 0, "snapshot block at byte offset");
	assert_msg(&r, 0, "says 400 bytes");
	free(f.d);

	/* a required block type this library does not know stops the replay */
	fb_header(&f, KD_SCHEMA_VERSION);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	fb_block(&f, 78, KD__BF_REQUIRED, "x", 1, 0);
	fb_block(&f, KD__BLK_EVENTS, KD__BF_DEFLATE, b.data, b.len, 4);
	fb_finish(&f);
	spit(path, f.d, f.len);
	replay(path, &r);
	cr_assert_eq(r.events, 4);
	cr_assert_eq(r.nerr, 1);
	assert_msg(&r, 0, "type 78");
	assert_msg(&r, 0, "upgrade kindling");
	free(f.d);
}
