/* fuzz/gen_corpus.c: writes the seed corpus (fuzz/corpus/<target>/): raw
 * record buffers for fuzz_decode and capture files for fuzz_reader, built
 * with the library itself, plus a real capture (examples/demo.kd) and its
 * records. Run by hand when the formats change:
 *   fuzz/run.sh --seeds */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_builder.h"

static const char *out;

static void save(const char *target, const char *name, const void *d, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/%s", out, target, name);
	f = fopen(p, "wb");
	if (!f || fwrite(d, 1, len, f) != len || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
}

static void records(struct kd_rb *b, unsigned first, unsigned n)
{
	static const char *const argv[] = { "/bin/ls", "-l", NULL };
	uint8_t sa4[16] = { 2, 0, 0x1f, 0x90, 127, 0, 0, 1 };
	uint8_t sa6[28] = { 10, 0, 0, 80 };
	uint8_t buf[40];

	memset(buf, 'x', sizeof(buf));
	sa6[23] = 1;
	for (unsigned i = first; i < first + n; i++) {
		switch (i % 7) {
		case 0:
			kd_rb_event(b, "openat", 3, (struct kd_rb_arg[]){ KD_RB_V("dfd", -100),
				    KD_RB_S("filename", "/etc/passwd"), KD_RB_V("flags", 02000000),
				    KD_RB_V("mode", 0), { NULL } });
			break;
		case 1:
			kd_rb_event(b, "read", 40, (struct kd_rb_arg[]){ KD_RB_V("fd", 3),
				    KD_RB_B("buf", buf, sizeof(buf)), KD_RB_V("count", 4096), { NULL } });
			break;
		case 2:
			kd_rb_event(b, "execve", 0, (struct kd_rb_arg[]){ KD_RB_S("filename", "/bin/ls"),
				    KD_RB_A("argv", argv), KD_RB_A("envp", argv), { NULL } });
			break;
		case 3:
			kd_rb_event(b, "connect", -111, (struct kd_rb_arg[]){ KD_RB_V("fd", 4),
				    KD_RB_B("uservaddr", sa4, sizeof(sa4)), KD_RB_V("addrlen", 16), { NULL } });
			break;
		case 4:
			kd_rb_event(b, "connect", 0, (struct kd_rb_arg[]){ KD_RB_V("fd", 4),
				    KD_RB_B("uservaddr", sa6, sizeof(sa6)), KD_RB_V("addrlen", 28), { NULL } });
			break;
		case 5:
			kd_rb_event(b, "close", -9, (struct kd_rb_arg[]){ KD_RB_V("fd", 99), { NULL } });
			break;
		default:
			kd_rb_event(b, "mmap", 0x7f0000000000, (struct kd_rb_arg[]){ KD_RB_V("len", 4096),
				    KD_RB_V("prot", 3), KD_RB_V("flags", 0x22), KD_RB_V("fd", -1), { NULL } });
			break;
		}
	}
}

/* One record per walker-backed kind (their own framing inside the param):
 * select's ready, recvmmsg's msgs. */
static void walkers(struct kd_rb *b)
{
	uint8_t sets[8 + 16] = { 70, 0, 0, 0, 0x1, [8] = 0x09, [16] = 0x02 };
	uint8_t mm[8 + 8 + 16 + 3 + 8 + 2] = { 2, [8] = 3, [12] = 16, [14] = 3,
					      [16] = 2, 0, 0x1f, 0x90, 127, 0, 0, 1,
					      [32] = 'a', '\n', 'b', 0x2c, 1, 0, 0, 0, 0, 2, 0, 1, 'z' };

	kd_rb_reset(b);
	kd_rb_event(b, "select", 2, (struct kd_rb_arg[]){ KD_RB_V("n", 70), KD_RB_V("inp", 4096),
		    KD_RB_V("outp", 0), KD_RB_V("exp", 0), KD_RB_B("tvp", "", 0),
		    KD_RB_B("ready", sets, sizeof(sets)), { NULL } });
	save("decode", "kind-fdsets", b->data, b->len);
	kd_rb_reset(b);
	kd_rb_event(b, "recvmmsg", 2, (struct kd_rb_arg[]){ KD_RB_V("fd", 3), KD_RB_V("mmsg", 4096),
		    KD_RB_V("vlen", 8), KD_RB_V("flags", 0), KD_RB_B("timeout", "", 0),
		    KD_RB_B("addr", mm + 16, 16), KD_RB_B("data", "a\nb", 3),
		    KD_RB_B("msgs", mm, sizeof(mm)), { NULL } });
	save("decode", "kind-mmsgs", b->data, b->len);
}

static void capture(const char *name, const struct kd_rb *b, const struct kd_dump_opts *o)
{
	KD_OPTS(kd_open_opts, ho, .engine = KD_ENGINE_BUFFER, .records = b->data,
		.records_len = b->len, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct kd_dump *d;
	char p[512];

	snprintf(p, sizeof(p), "%s/reader/%s", out, name);
	if (kd_open(&ho, &h) || kd_dump_open(p, o, &d)) {
		fprintf(stderr, "gen_corpus: %s%s\n", kd_last_error(NULL), kd_last_error(NULL));
		exit(1);
	}
	while (kd_next(h, &ev) == 0)
		kd_dump_event(d, ev);
	kd_close(h);
	if (kd_dump_close(d)) {
		fprintf(stderr, "gen_corpus: %s failed\n", p);
		exit(1);
	}
}

/* A real capture as it is (reader) and its records concatenated (decode). */
static void real_capture(const char *file)
{
	KD_OPTS(kd_open_opts, ho, .engine = KD_ENGINE_FILE, .file = file, .events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	struct kd_rb b;
	FILE *f;
	long n;
	char *d;
	int err;

	f = fopen(file, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(d = malloc((size_t)n)) || fread(d, 1, (size_t)n, f) != (size_t)n) {
		perror(file);
		exit(1);
	}
	fclose(f);
	save("reader", "demo.kd", d, (size_t)n);
	free(d);

	kd_rb_init(&b);
	if (kd_open(&ho, &h)) {
		fprintf(stderr, "gen_corpus: %s\n", kd_last_error(NULL));
		exit(1);
	}
	while ((err = kd_next(h, &ev)) == 0) {
		size_t len;
		const void *rec = kd_event_record(ev, &len);

		kd_rb__grow(&b.data, &b.cap, b.len + len);
		memcpy(b.data + b.len, rec, len);
		b.len += len;
	}
	if (err != KD_EOF) {
		fprintf(stderr, "gen_corpus: %s: %s\n", file, kd_last_error(h));
		exit(1);
	}
	kd_close(h);
	save("decode", "demo", b.data, b.len);
	kd_rb_free(&b);
}

int main(int argc, char **argv)
{
	struct kd_rb b;
	char name[32];

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: gen_corpus DIR [CAPTURE] (DIR holds reader/ and decode/)\n");
		return 2;
	}
	out = argv[1];
	if (argc == 3)
		real_capture(argv[2]);
	kd_rb_init(&b);
	for (unsigned i = 0; i < 7; i++) {
		kd_rb_reset(&b);
		records(&b, i, 1);
		snprintf(name, sizeof(name), "one-%u", i);
		save("decode", name, b.data, b.len);
	}
	walkers(&b);
	kd_rb_reset(&b);
	records(&b, 0, 14);
	save("decode", "mixed", b.data, b.len);

	{
		KD_OPTS(kd_dump_opts, fast, .block_records = 4);
		KD_OPTS(kd_dump_opts, store, .level = KD_DUMP_STORE, .block_records = 5);
		KD_OPTS(kd_dump_opts, best, .level = 9);

		capture("deflate-4", &b, &fast);
		capture("stored-5", &b, &store);
		capture("one-block", &b, &best);
		kd_rb_reset(&b);
		capture("empty", &b, NULL);
	}
	kd_rb_free(&b);
	return 0;
}
