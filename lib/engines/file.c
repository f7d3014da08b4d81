/* lib/engines/file.c: KD_ENGINE_FILE replays a capture file (opts.file).
 * The reader (lib/capture/reader.c) does the work; the engine hands the core
 * the capturing host's epoch offset so replayed events keep their epoch times,
 * and follows a rotated capture (path, path.1, path.2, ...) when opts.file
 * names its first file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "engine.h"
#include "internal.h"

struct file_state {
	struct kd_handle *h;
	struct kd__cr *r;
	uint32_t seq;      /* rotation number of the file being read */
	bool follow;       /* go on with opts.file.<seq+1> at the end of this one */
	struct kd__cr_info first; /* header of opts.file: later files must match it */
	uint64_t start_ns; /* header start_ns of the file being read */
	struct kd_stats cap; /* the capture's counters, from an earlier file of the set */
	bool have_cap;
};

static void log_info(struct kd_handle *h, const char *path, const struct kd__cr_info *info)
{
	if (info->schema > KD_SCHEMA_VERSION)
		kd__log(h, KD_LOG_WARN,
			"capture file %s was written with schema version %u, this library has %u: "
			"events it does not know come out as KD_EUNKNOWN/KD_ESCHEMA",
			path, info->schema, KD_SCHEMA_VERSION);
	kd__log(h, KD_LOG_INFO, "capture file %s: host %s, kernel %s, %u CPUs, file %u of its rotation",
		path, info->hostname, info->release, info->ncpus, info->seq);
}

/* File s->seq of the set must come from the same capture: the writer overwrites
 * path.N but leaves a longer earlier capture's path.N+1 behind. Those have
 * another boot offset or host, or started before the file they would follow. */
static bool same_capture(const struct file_state *s, const struct kd__cr_info *n, char *why,
			 size_t len)
{
	if (n->seq != s->seq)
		snprintf(why, len, "its header says it is file %u of its rotation, not %u", n->seq,
			 s->seq);
	else if (n->boot_ns != s->first.boot_ns || strcmp(n->hostname, s->first.hostname) != 0)
		snprintf(why, len, "it was written on another host or boot (host %.64s)", n->hostname);
	else if (n->start_ns < s->start_ns)
		snprintf(why, len, "it was started before the file it would follow: a leftover of an "
			 "earlier capture");
	else
		return true;
	return false;
}

/* At the end of file seq: open file seq+1 of the set. 0 when it is open,
 * KD_EOF when the set ends, an error (reported once) for a damaged file,
 * after which the next call tries the one after it. */
static int next_file(struct file_state *s)
{
	struct kd_handle *h = s->h;
	struct kd__cr *r;
	struct stat st;
	char *path, why[400];
	int err;

	if (asprintf(&path, "%s.%u", h->opts.file, s->seq + 1) < 0) {
		s->follow = false;
		return kd__err(h, -ENOMEM, "capture file %s: out of memory", h->opts.file);
	}
	/* the usual end of a set: no error, no message */
	if (stat(path, &st) != 0 && errno == ENOENT) {
		free(path);
		s->follow = false;
		return KD_EOF;
	}
	/* a STATS block of the files before stays in force until a later one */
	if (kd__cr_stats(s->r, &s->cap))
		s->have_cap = true;
	kd__cr_close(s->r);
	s->r = NULL;
	s->seq++;
	err = kd__cr_open(&r, h, path);
	if (err) {
		free(path);
		return err;
	}
	if (!same_capture(s, kd__cr_info(r), why, sizeof(why))) {
		kd__log(h, KD_LOG_WARN, "capture file %s is not replayed after %s: %s", path,
			h->opts.file, why);
		kd__cr_close(r);
		free(path);
		s->follow = false;
		return KD_EOF;
	}
	log_info(h, path, kd__cr_info(r));
	s->start_ns = kd__cr_info(r)->start_ns;
	s->r = r;
	free(path);
	return 0;
}

static int file_open(struct kd_handle *h, void **state)
{
	struct file_state *s;
	const struct kd__cr_info *info;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return kd__err(h, -ENOMEM, "capture file %s: out of memory", h->opts.file);
	s->h = h;
	err = kd__cr_open(&s->r, h, h->opts.file);
	if (err) {
		free(s);
		return err;
	}
	info = kd__cr_info(s->r);
	h->boot_ns = info->boot_ns;
	h->ev.boot_ns = info->boot_ns;
	log_info(h, h->opts.file, info);
	s->first = *info;
	s->seq = info->seq;
	s->start_ns = info->start_ns;
	/* a later file of a set (path.3) replays alone */
	s->follow = info->seq == 0;
	*state = s;
	return 0;
}

static int file_next(void *state, const void **rec, size_t *len, int timeout_ms)
{
	struct file_state *s = state;
	int err;

	(void)timeout_ms; /* a file never makes us wait */
	for (;;) {
		err = s->r ? kd__cr_next(s->r, rec, len) : KD_EOF;
		if (err != KD_EOF || !s->follow)
			return err;
		err = next_file(s);
		if (err)
			return err;
	}
}

/* What the capture lost and counted, as of the last STATS block read: a
 * replay reports the capture's drops, not only its own. */
static int file_stats(void *state, struct kd_stats *st)
{
	struct file_state *s = state;
	struct kd_stats c;

	if (!kd__cr_stats(s->r, &c)) {
		if (!s->have_cap)
			return 0;
		c = s->cap;
	}
	for (unsigned i = 0; i < KD_DROP__MAX; i++)
		st->drops_by_reason[i] += c.drops_by_reason[i];
	st->kernel_events += c.kernel_events;
	st->filtered += c.filtered;
	st->filtered_task += c.filtered_task;
	st->filtered_path += c.filtered_path;
	return 0;
}

static void file_close(void *state)
{
	struct file_state *s = state;

	if (!s)
		return;
	kd__cr_close(s->r);
	free(s);
}

bool kd__file_this_host(const struct kd_handle *h)
{
	const struct file_state *s = h && h->ops == &kd__engine_file ? h->engine : NULL;
	char host[256];

	if (!s || gethostname(host, sizeof(host)) != 0)
		return false;
	host[sizeof(host) - 1] = '\0';
	return strcmp(host, s->first.hostname) == 0;
}

const struct kd_engine_ops kd__engine_file = {
	.name = "file",
	.id = KD_ENGINE_FILE,
	.open = file_open,
	.next = file_next,
	.stats = file_stats,
	.close = file_close,
};
