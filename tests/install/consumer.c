/* tests/install/consumer.c: a program built against an installed kindling,
 * with nothing but its public headers. Replays one hand-made record
 * (close(3) = 0, layout of drivers/record.h) through KD_ENGINE_BUFFER. */
#include <stdio.h>
#include <string.h>

#include <kindling/kindling.h>

int main(void)
{
	unsigned char rec[48 + 2 + 8] = {0};
	uint32_t len = sizeof(rec), fd = 3;
	uint16_t type = KD_EV_CLOSE, nparams = 1, schema = 1, plen = 8;
	struct kd_handle *h = NULL;
	const struct kd_event *ev;
	char buf[64];
	int n = 0, err;

	/* header: ts res latency tid pid len type cpu nparams schema flags */
	memcpy(rec + 32, &len, 4);
	memcpy(rec + 36, &type, 2);
	memcpy(rec + 40, &nparams, 2);
	memcpy(rec + 42, &schema, 2);
	memcpy(rec + 48, &plen, 2);
	memcpy(rec + 50, &fd, 4);

	printf("kindling %s, %zu event types\n", kd_version_string(), kd_event_type_count());
	KD_OPTS(kd_open_opts, o, .engine = KD_ENGINE_BUFFER, .records = rec, .records_len = len);
	err = kd_open(&o, &h);
	if (err < 0) {
		fprintf(stderr, "kd_open: %s: %s\n", kd_strerror(err), kd_last_error(NULL));
		return 1;
	}
	while ((err = kd_next(h, &ev)) == 0) {
		kd_event_param_format(ev, 0, buf, sizeof(buf));
		printf("%s fd=%s\n", kd_event_name(ev), buf);
		n++;
	}
	kd_close(h);
	if (err != KD_EOF || n != 1) {
		fprintf(stderr, "expected one event then KD_EOF, got %d events, %s\n", n,
			kd_err_name(err));
		return 1;
	}
	return 0;
}
