/* lib/engines/buffer.c: KD_ENGINE_BUFFER replays records from memory (tests, tools). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "internal.h"

struct buf_state {
	struct kd_handle *h;
	const uint8_t *base;
	size_t len, off;
	bool dead; /* a length lied: where the next record starts is unknown */
};

static int buf_open(struct kd_handle *h, void **state)
{
	struct buf_state *s = calloc(1, sizeof(*s));

	if (!s)
		return kd__err(h, -ENOMEM, "buffer engine: out of memory");
	s->h = h;
	s->base = h->opts.records;
	s->len = h->opts.records_len;
	*state = s;
	return 0;
}

/* Frame records by hdr.len only; the core validates the rest. */
static int buf_next(void *state, const void **rec, size_t *len, int timeout_ms)
{
	struct buf_state *s = state;
	size_t left;
	uint32_t rl;

	(void)timeout_ms;
	if (s->dead || s->off >= s->len)
		return KD_EOF;
	left = s->len - s->off;
	if (left < KD_REC_HDR_SIZE) {
		s->dead = true;
		return kd__err(s->h, KD_ETRUNCATED,
			       "buffer engine: %zu bytes left at byte offset %zu, less than a %u-byte "
			       "record header; stopping the replay", left, s->off, KD_REC_HDR_SIZE);
	}
	memcpy(&rl, s->base + s->off + offsetof(struct kd_rec_hdr, len), sizeof(rl));
	if (rl < KD_REC_HDR_SIZE || rl > left) {
		s->dead = true;
		return kd__err(s->h, KD_EBADLEN,
			       "buffer engine: record at byte offset %zu says it is %u bytes but %zu "
			       "remain (header %u); the next record cannot be found, stopping the replay",
			       s->off, rl, left, KD_REC_HDR_SIZE);
	}
	*rec = s->base + s->off;
	*len = rl;
	s->off += rl;
	return 0;
}

static void buf_close(void *state)
{
	free(state);
}

const struct kd_engine_ops kd__engine_buffer = {
	.name = "buffer",
	.id = KD_ENGINE_BUFFER,
	.open = buf_open,
	.next = buf_next,
	.close = buf_close,
};
