/* tools/kdump/comm.c: thread names for the output. The library's enrichment
 * (kd_event_thread) knows them, in replays too; when it has no name (a thread
 * it first met in an event) a live capture falls back to /proc, cached. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdump.h"

#define COMM_SLOTS 1024
#define COMM_TTL_NS 1000000000ull /* names change (exec, prctl): look again after 1 s */

struct comm_slot {
	uint32_t tid;
	bool known;
	uint64_t at; /* event ts_mono of the lookup */
	char name[17];
};

struct kdump_comm {
	bool live;
	int ev_execve, ev_execveat;
	struct comm_slot slot[COMM_SLOTS];
};

struct kdump_comm *kdump_comm_new(bool live)
{
	struct kdump_comm *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->live = live;
	c->ev_execve = kd_event_type_by_name("execve");
	c->ev_execveat = kd_event_type_by_name("execveat");
	return c;
}

static bool read_comm(uint32_t id, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u/comm", id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	if (out[n - 1] == '\n')
		n--;
	out[n] = '\0';
	return true;
}

const char *kdump_comm_get(struct kdump_comm *c, const struct kd_event *ev)
{
	const struct kd_thread *t = kd_event_thread(ev);
	const char *name = t ? kd_thread_comm(t) : NULL;

	if (name && *name)
		return name;
	if (!c || !c->live)
		return NULL;
	uint32_t tid = kd_event_tid(ev);
	uint64_t now = kd_event_ts_mono(ev);
	struct comm_slot *s = &c->slot[tid % COMM_SLOTS];
	int type = kd_event_type(ev);
	bool stale = s->tid != tid || !s->at || now - s->at > COMM_TTL_NS ||
		     type == c->ev_execve || type == c->ev_execveat;

	if (stale) {
		s->tid = tid;
		s->at = now ? now : 1;
		s->known = read_comm(tid, s->name, sizeof(s->name)) ||
			   read_comm(kd_event_pid(ev), s->name, sizeof(s->name));
	}
	return s->known ? s->name : NULL;
}

void kdump_comm_free(struct kdump_comm *c)
{
	free(c);
}
