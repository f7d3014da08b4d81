/* fuzz/fuzz_decode.c: arbitrary bytes as concatenated records ->
 * KD_ENGINE_BUFFER -> kd_next until KD_EOF, formatting every param, the
 * result and looking each param up by name. */
#include <stdint.h>
#include <stdlib.h>

#include <kindling/kindling.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = data, .records_len = size,
		.events = "all");
	const struct kd_event *ev;
	struct kd_handle *h;
	char buf[512];
	int err;

	if (!size || kd_open(&o, &h) != 0)
		return 0;
	for (unsigned guard = 0;; guard++) {
		if (guard > 10000000)
			abort(); /* the engine must make progress */
		err = kd_next(h, &ev);
		if (err == KD_EOF)
			break;
		if (err != 0)
			continue;
		for (unsigned i = 0; i < kd_event_nparams(ev); i++) {
			struct kd_value v;

			if (kd_event_param(ev, i, &v) != 0)
				abort();
			if (kd_event_param_by_name(ev, v.name, &v) != 0)
				abort();
			(void)kd_event_param_format(ev, i, buf, sizeof(buf));
			(void)kd_event_param_format(ev, i, buf, 7); /* truncation paths */
		}
		(void)kd_event_result_format(ev, buf, sizeof(buf));
		(void)kd_event_name(ev);
		(void)kd_event_latency(ev);
	}
	kd_close(h);
	return 0;
}
