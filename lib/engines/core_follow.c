/*
 * lib/engines/core_follow.c: opts.pids for the CO-RE engine. The listed
 * processes go into kd_follow; their children join in the kernel at fork
 * (and leave when they end: kd_core.bpf.c), the ones they had before
 * kd_open from a walk of /proc. The programs see the initial PID
 * namespace's numbers: said at open when we are in another one.
 */
#ifdef KD_HAVE_CORE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core_int.h"
#include "enrich.h" /* kd__proc_read_ppid() */

/* The programs see pids as the initial PID namespace numbers them; a
 * process in another one (a container without the host's PID namespace)
 * knows itself and its children by other numbers, so the self filter and
 * opts.pids would miss. Said once at kd_open rather than left to surprise. */
#define KD__INIT_PID_NS_INO 0xEFFFFFFCu /* PROC_PID_INIT_INO */

void kd__core_warn_pidns(struct kd_handle *h)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != KD__INIT_PID_NS_INO)
		kd__log(h, KD_LOG_WARN,
			"core engine: this process is not in the initial PID namespace: events carry the host's "
			"pids, so %s; run in the host's PID namespace (docker --pid=host)",
			h->opts.npids ? "opts.pids (kdump -p, -- COMMAND) name other processes than meant"
				      : "this process's own syscalls are not filtered out");
}

int kd__core_follow_pids(struct core *c)
{
	int fd = bpf_map__fd(c->skel->maps.kd_follow);
	uint64_t any = 0; /* not tied to one life of the pid (kd_follow_exit()) */

	for (size_t i = 0; i < c->h->opts.npids; i++) {
		uint32_t pid = (uint32_t)c->h->opts.pids[i];

		if (bpf_map_update_elem(fd, &pid, &any, BPF_ANY))
			return kd__err(c->h, KD_EENGINE, "core engine: following pid %u: %s", pid,
				       strerror(errno));
	}
	return 0;
}

/* opts.pids means those processes and their children: the ones they had
 * before kd_open too. Run after the fork program is attached, so a child
 * forked during the walk joins either way; walked again until a walk adds
 * none (/proc lists by pid, and a child may have the lower one). A process
 * the map has no room for is counted as a kd_open warning. */
void kd__core_follow_descendants(struct core *c)
{
	int fd = bpf_map__fd(c->skel->maps.kd_follow);
	uint64_t any = 0, v;
	unsigned added = 1, full = 0;

	for (int walk = 0; added && walk < 8; walk++) {
		DIR *d = opendir("/proc");
		struct dirent *de;

		if (!d)
			return;
		added = full = 0; /* the last walk says what is left out */
		while ((de = readdir(d))) {
			uint32_t pid, pp;

			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			pid = (uint32_t)strtoul(de->d_name, NULL, 10);
			if (bpf_map_lookup_elem(fd, &pid, &v) == 0)
				continue;
			if (!kd__proc_read_ppid(pid, &pp) || !pp || bpf_map_lookup_elem(fd, &pp, &v))
				continue;
			if (bpf_map_update_elem(fd, &pid, &any, BPF_NOEXIST) == 0)
				added++;
			else if (errno != EEXIST)
				full++;
		}
		closedir(d);
	}
	if (full)
		kd__log(c->h, KD_LOG_WARN, "core engine: %u children of the followed processes not followed: "
			"more than %u processes", full, bpf_map__max_entries(c->skel->maps.kd_follow));
}

#endif /* KD_HAVE_CORE */
