/*
 * tools/kdump/stacks.c: --stacks. The stacks behind the stack ids of a
 * sched_offcpu event (kd_stack()), kernel frames named from /proc/kallsyms,
 * which is read once, on the first stack, and kept sorted by address.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdump.h"

struct ksym {
	uint64_t addr;
	char *name;
};

struct kdump_stacks {
	struct kd_handle *h;
	struct ksym *syms;
	size_t n;
	bool loaded;
};

struct kdump_stacks *kdump_stacks_new(struct kd_handle *h)
{
	struct kdump_stacks *s = calloc(1, sizeof(*s));

	if (s)
		s->h = h;
	return s;
}

void kdump_stacks_free(struct kdump_stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->syms[i].name);
	free(s->syms);
	free(s);
}

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Text symbols only; without kallsyms (or with its addresses hidden, all 0)
 * frames stay hexadecimal. */
static void load_kallsyms(struct kdump_stacks *s)
{
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	FILE *f;

	s->loaded = true;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr ||
		    (type != 't' && type != 'T'))
			continue;
		if (s->n == cap) {
			size_t ncap = cap ? 2 * cap : 65536;
			struct ksym *p = realloc(s->syms, ncap * sizeof(*p));

			if (!p)
				break;
			s->syms = p;
			cap = ncap;
		}
		s->syms[s->n].addr = addr;
		s->syms[s->n].name = strdup(name);
		if (!s->syms[s->n].name)
			break;
		s->n++;
	}
	fclose(f);
	qsort(s->syms, s->n, sizeof(*s->syms), by_addr);
}

/* The symbol at or below ip, or NULL. */
static const struct ksym *ksym_at(const struct kdump_stacks *s, uint64_t ip)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &s->syms[lo - 1] : NULL;
}

static void put_frame(struct kdump_stacks *s, struct kdump_buf *b, uint64_t ip, bool kernel)
{
	const struct ksym *k = kernel ? ksym_at(s, ip) : NULL;

	if (k)
		kdump_buf_printf(b, "%s+0x%" PRIx64, k->name, ip - k->addr);
	else
		kdump_buf_printf(b, "0x%" PRIx64, ip);
}

/* One stack: a JSON array of frame strings, or one indented line per frame.
 * A negative id (the kernel could not take it) is a JSON number. */
static void put_stack(struct kdump_stacks *s, struct kdump_buf *b, const char *key, int32_t id,
		      bool kernel, bool json)
{
	uint64_t ips[KD_STACK_MAX_DEPTH];
	int n = id >= 0 ? kd_stack(s->h, id, ips, KD_STACK_MAX_DEPTH) : id;

	if (kernel && n > 0 && !s->loaded)
		load_kallsyms(s);
	if (json) {
		kdump_buf_printf(b, ",\"%s\":", key);
		if (n < 0) {
			kdump_buf_printf(b, "%d", n);
			return;
		}
		kdump_buf_putc(b, '[');
		for (int i = 0; i < n; i++) {
			if (i)
				kdump_buf_putc(b, ',');
			kdump_buf_putc(b, '"');
			put_frame(s, b, ips[i], kernel); /* symbol names need no escaping */
			kdump_buf_putc(b, '"');
		}
		kdump_buf_putc(b, ']');
		return;
	}
	if (n < 0) {
		kdump_buf_printf(b, "    %s: %s\n", key, kd_err_name(n));
		return;
	}
	for (int i = 0; i < n; i++) {
		kdump_buf_printf(b, "    %s ", key);
		put_frame(s, b, ips[i], kernel);
		kdump_buf_putc(b, '\n');
	}
}

void kdump_stacks_put(struct kdump_stacks *s, struct kdump_buf *b, const struct kd_event *ev, bool json)
{
	struct kd_value k, u;

	if (!s || kd_event_param_by_name(ev, "kstack_id", &k) != 0 ||
	    kd_event_param_by_name(ev, "ustack_id", &u) != 0)
		return;
	/* both renderers end the line with "\n", JSON's object with "}\n" */
	if (b->len < (json ? 2u : 1u))
		return;
	b->len -= json ? 2 : 0;
	put_stack(s, b, json ? "kstack" : "kernel", (int32_t)k.i, true, json);
	put_stack(s, b, json ? "ustack" : "user", (int32_t)u.i, false, json);
	if (json)
		kdump_buf_lit(b, "}\n");
}
