/* lib/engines/engines.c: which engines this build has, and KD_ENGINE_AUTO. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "internal.h"

/* Referenced only when built: a weak reference would not pull core.o out of
 * the static library. */
static const struct kd_engine_ops *engine_ops(int id)
{
	switch (id) {
	case KD_ENGINE_BUFFER:
		return &kd__engine_buffer;
	case KD_ENGINE_FILE:
		return &kd__engine_file;
#ifdef KD_HAVE_CORE
	case KD_ENGINE_CORE:
		return &kd__engine_core;
#endif
	default:
		return NULL;
	}
}

static const char *not_built_hint(int id)
{
	switch (id) {
	case KD_ENGINE_CORE:
		return "this library was built without the CO-RE eBPF engine (needs clang and bpftool at build time)";
	case KD_ENGINE_CLASSIC:
	case KD_ENGINE_KMOD:
		return "this engine is not implemented in this version of kindling yet";
	default:
		return "no such engine";
	}
}

static int open_one(struct kd_handle *h, const struct kd_engine_ops *ops)
{
	void *state = NULL;
	int err;

	h->err[0] = '\0';
	/* an engine cleans up after itself when open() fails */
	err = ops->open(h, &state);
	if (err) {
		if (err > 0)
			err = KD_EENGINE;
		if (!h->err[0])
			kd__err(h, err, "%s engine failed to start: %s", ops->name, kd_strerror(err));
		return err;
	}
	h->ops = ops;
	h->engine = state;
	return 0;
}

static int open_auto(struct kd_handle *h)
{
	static const int order[] = { KD_ENGINE_CORE, KD_ENGINE_CLASSIC, KD_ENGINE_KMOD };
	char why[sizeof(h->err)] = "";
	size_t n = 0;
	int last = KD_ENOENGINE;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct kd_engine_ops *ops = engine_ops(order[i]);
		const char *name = kd_engine_name(order[i]);
		int err;

		if (!ops) {
			n += (size_t)snprintf(why + n, n < sizeof(why) ? sizeof(why) - n : 0, "%s%s: not built",
					      n ? "; " : "", name);
			n = n < sizeof(why) ? n : sizeof(why) - 1;
			continue;
		}
		err = open_one(h, ops);
		if (!err) {
			if (n)
				kd__err(h, 0, "engine %s; skipped: %s", name, why);
			else
				kd__err(h, 0, "engine %s", name);
			kd__log(h, KD_LOG_INFO, "%s", h->err);
			return 0;
		}
		last = err;
		n += (size_t)snprintf(why + n, sizeof(why) - n, "%s%s: %s", n ? "; " : "", name, h->err);
		n = n < sizeof(why) ? n : sizeof(why) - 1;
	}
	return kd__err(h, last, "no engine usable for KD_ENGINE_AUTO: %s", why);
}

int kd__engine_open(struct kd_handle *h)
{
	const struct kd_engine_ops *ops;
	int id = h->opts.engine;

	if (id == KD_ENGINE_AUTO)
		return open_auto(h);
	ops = engine_ops(id);
	if (!ops)
		return kd__err(h, KD_ENOENGINE, "engine %s (%d) is not available: %s", kd_engine_name(id), id,
			       not_built_hint(id));
	return open_one(h, ops);
}
