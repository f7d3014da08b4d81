/* lib/core/event.c: typed access to a decoded event (struct kd_event). */
#include <errno.h>
#include <string.h>

#include "internal.h"

int kd_event_type(const struct kd_event *ev)
{
	return ev ? ev->hdr->type : -EINVAL;
}

const char *kd_event_name(const struct kd_event *ev)
{
	return ev ? ev->info->name : NULL;
}

int kd_event_category(const struct kd_event *ev)
{
	return ev ? ev->info->category : KD_CAT_UNKNOWN;
}

uint64_t kd_event_ts(const struct kd_event *ev)
{
	return ev ? ev->boot_ns + ev->hdr->ts : 0;
}

uint64_t kd_event_ts_mono(const struct kd_event *ev)
{
	return ev ? ev->hdr->ts : 0;
}

uint32_t kd_event_cpu(const struct kd_event *ev)
{
	return ev ? ev->hdr->cpu : 0;
}

uint32_t kd_event_tid(const struct kd_event *ev)
{
	return ev ? ev->hdr->tid : 0;
}

uint32_t kd_event_pid(const struct kd_event *ev)
{
	return ev ? ev->hdr->pid : 0;
}

int64_t kd_event_result(const struct kd_event *ev)
{
	return ev ? ev->hdr->res : -EINVAL;
}

bool kd_event_has_latency(const struct kd_event *ev)
{
	return ev && (ev->hdr->flags & KD_RF_LATENCY);
}

uint64_t kd_event_latency(const struct kd_event *ev)
{
	return kd_event_has_latency(ev) ? ev->hdr->latency : 0;
}

uint32_t kd_event_record_flags(const struct kd_event *ev)
{
	return ev ? ev->hdr->flags : 0;
}

unsigned kd_event_nparams(const struct kd_event *ev)
{
	return ev ? ev->hdr->nparams : 0;
}

const void *kd_event_record(const struct kd_event *ev, size_t *len)
{
	if (len)
		*len = ev ? ev->hdr->len : 0;
	return ev ? ev->rec : NULL;
}

static uint64_t raw_val(const struct kd_event *ev, unsigned i)
{
	uint64_t v;

	memcpy(&v, ev->params + ev->poff[i], sizeof(v));
	return v;
}

/* Integer value of param i when it is a register value, for length sources. */
static bool arg_val(const struct kd_event *ev, unsigned i, uint64_t *v)
{
	if (i >= ev->hdr->nparams || ev->info->params[i].wire != KD_WIRE_VAL)
		return false;
	*v = raw_val(ev, i);
	return true;
}

/*
 * Was byte param i cut? Only when the producer says something was (the record
 * flag), and then by comparing with the length the syscall had, when the
 * record tells it; otherwise by hitting the capture limit.
 */
static bool was_cut(const struct kd_event *ev, const struct kd__param *sp, const uint8_t *b, size_t n)
{
	int64_t res = ev->hdr->res;
	uint64_t src, limit;

	if (!(ev->hdr->flags & KD_RF_TRUNCATED))
		return false;
	/* arrays: len names their pointer; poll's count is the next argument,
	 * epoll_wait's the result; 8 and 12 bytes an entry */
	if (sp->kind == KD_PK_POLLFDS)
		return arg_val(ev, KD_LEN_IDX(sp->len) + 1, &src) && n < (uint64_t)(uint32_t)src * 8;
	if (sp->kind == KD_PK_EPOLLEVENTS)
		return res > 0 && n < (uint64_t)res * 12;
	/* ioctl's data: a struct of its command's size, never cut */
	if (sp->kind == KD_PK_IOCTLDATA)
		return false;
	/* sendmmsg's and recvmmsg's messages: fewer kept than moved (a
	 * message's own data says it was cut by its msg_len: kd_value_mmsg()) */
	if (sp->kind == KD_PK_MMSGS) {
		uint32_t kept = 0;

		if (n >= sizeof(kept))
			memcpy(&kept, b, sizeof(kept));
		return res > 0 && (uint64_t)kept < (uint64_t)res;
	}
	/* select's sets: cut at KD_FDSET_MAX_FDS fds, whatever their bytes */
	if (sp->kind == KD_PK_FDSETS)
		return arg_val(ev, KD_LEN_IDX(sp->len), &src) && (uint32_t)src > KD_FDSET_MAX_FDS;
	switch (KD_LEN_SRC(sp->len)) {
	case KD_LEN_SRC(KD_LEN_ARG(0)):
		if (sp->kind != KD_PK_IOVEC && arg_val(ev, KD_LEN_IDX(sp->len), &src))
			return n < src;
		break;
	case KD_LEN_RET:
		if (res >= 0)
			return n < (uint64_t)res;
		break;
	case KD_LEN_SRC(KD_LEN_ARG_MIN_RET(0)):
		if (res >= 0 && arg_val(ev, KD_LEN_IDX(sp->len), &src))
			return n < (src < (uint64_t)res ? src : (uint64_t)res);
		break;
	default:
		break;
	}
	/* readv/writev and friends return the bytes moved. */
	if (sp->kind == KD_PK_IOVEC && res >= 0 && (ev->info->flags & KD_EF_SYSCALL))
		return n < (uint64_t)res;

	switch (sp->kind) {
	case KD_PK_PATH:
	case KD_PK_STR:
		limit = KD_STR_MAX;
		break;
	case KD_PK_ARGV:
		limit = KD_STRARR_MAX;
		break;
	case KD_PK_SOCKADDR:
		limit = KD_SOCKADDR_MAX;
		break;
	default:
		limit = ev->h && ev->h->opts.snaplen ? ev->h->opts.snaplen : KD_PARAM_MAX_LEN;
		break;
	}
	return n >= limit;
}

int kd_event_param(const struct kd_event *ev, unsigned i, struct kd_value *out)
{
	const struct kd__param *sp;
	const uint8_t *b;
	uint64_t raw;
	size_t n;

	if (!ev || !out)
		return -EINVAL;
	if (i >= ev->hdr->nparams)
		return KD_ENOPARAM;
	sp = &ev->info->params[i];
	b = ev->params + ev->poff[i];
	n = ev->plen[i];
	memset(out, 0, sizeof(*out));
	out->kind = sp->kind;
	out->name = sp->name;

	switch (sp->wire) {
	case KD_WIRE_VAL:
		memcpy(&raw, b, sizeof(raw));
		out->i = kd__param_sval(sp, raw);
		out->u = kd__param_read_as(sp) == KD__CT_I32 || kd__param_read_as(sp) == KD__CT_U32 ?
				 (uint32_t)raw : raw;
		return 0;
	case KD_WIRE_STR:
		if (n == 0) {
			out->flags = KD_VAL_NULL;
			return 0;
		}
		out->flags = KD_VAL_BYTES;
		out->ptr = b;
		out->len = n - 1;
		break;
	default:
		if (n == 8 && KD_LEN_SRC(sp->len) == KD_LEN_FUTEX(0)) {
			/* a futex command without a timeout: the register (val2) */
			memcpy(&raw, b, sizeof(raw));
			out->kind = KD_PK_UINT;
			out->u = raw;
			out->i = (int64_t)raw;
			return 0;
		}
		out->flags = kd__param_bytes_null(sp, n) ? KD_VAL_NULL : KD_VAL_BYTES;
		out->ptr = b;
		out->len = n;
		break;
	}
	if (was_cut(ev, sp, b, n))
		out->flags |= KD_VAL_TRUNCATED;
	return 0;
}

int kd_event_param_by_name(const struct kd_event *ev, const char *name, struct kd_value *out)
{
	unsigned i;

	if (!ev || !name || !out)
		return -EINVAL;
	for (i = 0; i < ev->hdr->nparams; i++)
		if (strcmp(ev->info->params[i].name, name) == 0)
			return kd_event_param(ev, i, out);
	return KD_ENOPARAM;
}
