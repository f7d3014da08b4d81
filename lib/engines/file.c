/* lib/engines/file.c: KD_ENGINE_FILE replays a capture file (opts.file).
 * The reader (lib/capture/reader.c) does the work; the engine hands the core
 * the capturing host's epoch offset so replayed events keep their epoch times. */
#include <errno.h>

#include "capture.h"
#include "engine.h"
#include "internal.h"

static int file_open(struct kd_handle *h, void **state)
{
	struct kd__cr *r;
	const struct kd__cr_info *info;
	int err;

	err = kd__cr_open(&r, h, h->opts.file);
	if (err)
		return err;
	info = kd__cr_info(r);
	h->boot_ns = info->boot_ns;
	h->ev.boot_ns = info->boot_ns;
	if (info->schema > KD_SCHEMA_VERSION)
		kd__log(h, KD_LOG_WARN,
			"capture file %s was written with schema version %u, this library has %u: "
			"events it does not know come out as KD_EUNKNOWN/KD_ESCHEMA",
			h->opts.file, info->schema, KD_SCHEMA_VERSION);
	kd__log(h, KD_LOG_INFO, "capture file %s: host %s, kernel %s, %u CPUs, file %u of its rotation",
		h->opts.file, info->hostname, info->release, info->ncpus, info->seq);
	*state = r;
	return 0;
}

static int file_next(void *state, const void **rec, size_t *len, int timeout_ms)
{
	(void)timeout_ms; /* a file never makes us wait */
	return kd__cr_next(state, rec, len);
}

static void file_close(void *state)
{
	kd__cr_close(state);
}

const struct kd_engine_ops kd__engine_file = {
	.name = "file",
	.id = KD_ENGINE_FILE,
	.open = file_open,
	.next = file_next,
	.close = file_close,
};
