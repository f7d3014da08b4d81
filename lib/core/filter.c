/*
 * lib/core/filter.c: struct kd_filter (kd_open_opts.filter, kd_filter_set)
 * checked and turned into the kernel's form, drivers/bpf-core/kd_filter.h:
 * comms as zero-padded 16-byte names with a byte mask, cgroups as (id,
 * level) pairs resolved under the cgroup2 mount, path prefixes in
 * fixed slots. The engine puts it in force (engine.h: filter).
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "internal.h"
#include "bpf-core/kd_filter.h"

_Static_assert(KD_FILTER_MAX_PIDS == KD_FLT_PIDS && KD_FILTER_MAX_COMMS == KD_FLT_COMMS &&
		       KD_FILTER_MAX_CGROUPS == KD_FLT_CGROUPS && KD_FILTER_MAX_PATHS == KD_FLT_PATHS &&
		       KD_FILTER_COMM_LEN + 1 == KD_FLT_COMM_LEN &&
		       KD_FILTER_PATH_LEN + 1 == KD_FLT_PATH_MAX,
	       "public filter limits match the kernel's slots");

#define CG_DEFAULT_MOUNT "/sys/fs/cgroup"

/* Where cgroup v2 is mounted (the unified hierarchy of a hybrid system). */
static void cg_mount(char *out, size_t len)
{
	char line[4096], dev[256], dir[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");

	snprintf(out, len, "%s", CG_DEFAULT_MOUNT);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) == 3 && strcmp(type, "cgroup2") == 0) {
			snprintf(out, len, "%s", dir);
			break;
		}
	fclose(f);
}

/* Depth of a cgroup below the mount: the number of path components. */
static uint32_t cg_depth(const char *rel)
{
	uint32_t n = 0;

	for (const char *p = rel; *p; p++)
		if (*p != '/' && (p == rel || p[-1] == '/'))
			n++;
	return n;
}

static int cg_from_path(struct kd_handle *h, const char *mnt, const char *path, uint64_t *id,
			uint32_t *level)
{
	char full[PATH_MAX], real[PATH_MAX], rmnt[PATH_MAX];
	size_t ml;
	struct stat st;

	if (strncmp(path, mnt, strlen(mnt)) == 0 &&
	    (path[strlen(mnt)] == '/' || path[strlen(mnt)] == '\0'))
		snprintf(full, sizeof(full), "%s", path);
	else if (path[0] == '/')
		snprintf(full, sizeof(full), "%s%s", mnt, path);
	else
		return kd__err(h, KD_EBADOPT,
			       "filter cgroup '%s' is not absolute: give /sys/fs/cgroup/... or a path "
			       "below the cgroup2 mount (%s) starting with '/'", path, mnt);
	if (!realpath(full, real) || !realpath(mnt, rmnt))
		return kd__err(h, KD_EBADOPT, "filter cgroup '%s': %s: %s", path, full, strerror(errno));
	ml = strlen(rmnt);
	if (stat(real, &st) || !S_ISDIR(st.st_mode) || strncmp(real, rmnt, ml) != 0 ||
	    (real[ml] != '/' && real[ml] != '\0'))
		return kd__err(h, KD_EBADOPT, "filter cgroup '%s' is not a cgroup v2 directory below %s",
			       path, rmnt);
	*id = (uint64_t)st.st_ino;
	*level = cg_depth(real + ml);
	return 0;
}

/* nftw has no context argument: the id looked for, per thread. */
static __thread uint64_t cg_want;
static __thread int cg_found_level;

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	if (type == FTW_D && (uint64_t)st->st_ino == cg_want) {
		cg_found_level = ftw->level;
		return 1;
	}
	return 0;
}

/* The level of cgroup id: found by walking the hierarchy once. */
static int cg_from_id(struct kd_handle *h, const char *mnt, uint64_t id, uint32_t *level)
{
	cg_want = id;
	cg_found_level = -1;
	if (id == 0 || nftw(mnt, cg_visit, 16, FTW_PHYS | FTW_MOUNT) != 1 || cg_found_level < 0)
		return kd__err(h, KD_EBADOPT,
			       "filter cgroup id %llu: no cgroup v2 directory with that inode below %s",
			       (unsigned long long)id, mnt);
	*level = (uint32_t)cg_found_level;
	return 0;
}

static int build_comm(struct kd_handle *h, const char *c, struct kd_flt *out)
{
	uint32_t i = out->ncomm;
	size_t n;
	bool prefix;
	const char *star;

	if (!c)
		return kd__err(h, KD_EBADOPT, "filter comms[%u] is NULL", i);
	n = strlen(c);
	star = strchr(c, '*');
	prefix = n && c[n - 1] == '*';
	if (star && star != c + n - 1)
		return kd__err(h, KD_EBADOPT,
			       "filter comm '%s': '*' only ends a prefix (\"name*\"); other wildcards "
			       "are not supported", c);
	if (prefix)
		n--;
	if (n == 0)
		return kd__err(h, KD_EBADOPT, "filter comms[%u] is %s: leave comms out to match every name",
			       i, prefix ? "\"*\"" : "empty");
	if (n > KD_FILTER_COMM_LEN)
		return kd__err(h, KD_EBADOPT,
			       "filter comm '%s' is %zu bytes; the kernel keeps %d (TASK_COMM_LEN - 1): "
			       "use the first %d, or a prefix", c, n, KD_FILTER_COMM_LEN, KD_FILTER_COMM_LEN);
	memcpy(out->comm[i], c, n);
	/* exact: the NUL and the padding must match too */
	memset(out->comm_mask[i], 0xff, prefix ? n : KD_FLT_COMM_LEN);
	out->ncomm++;
	return 0;
}

static int build_path(struct kd_handle *h, const char *p, struct kd_flt *out)
{
	uint32_t i = out->npath;
	size_t n;

	if (!p)
		return kd__err(h, KD_EBADOPT, "filter paths[%u] is NULL", i);
	n = strlen(p);
	if (n == 0)
		return kd__err(h, KD_EBADOPT, "filter paths[%u] is empty: leave paths out to match every path", i);
	if (n > KD_FILTER_PATH_LEN)
		return kd__err(h, KD_EBADOPT, "filter path prefix '%.40s...' is %zu bytes; at most %d", p, n,
			       KD_FILTER_PATH_LEN);
	memcpy(out->path[i], p, n);
	out->path_len[i] = (uint32_t)n;
	out->npath++;
	return 0;
}

static int count_ok(struct kd_handle *h, const void *arr, size_t n, size_t max, const char *what)
{
	if (n && !arr)
		return kd__err(h, KD_EBADOPT, "filter n%s is %zu but %s is NULL", what, n, what);
	if (n > max)
		return kd__err(h, KD_EBADOPT, "filter has %zu %s; at most %zu", n, what, max);
	return 0;
}

int kd__filter_build(struct kd_handle *h, const struct kd_filter *f, struct kd_flt *out, bool *any)
{
	struct kd_filter k;
	char mnt[PATH_MAX];
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	*any = false;
	if (!f)
		return 0;
	if (f->sz < offsetof(struct kd_filter, npids) + sizeof(size_t))
		return kd__err(h, KD_EBADOPT,
			       "kd_filter.sz is %zu, less than the %zu bytes every version has: declare "
			       "it with KD_OPTS()", f->sz, offsetof(struct kd_filter, npids) + sizeof(size_t));
	for (i = sizeof(k); i < f->sz; i++)
		if (((const uint8_t *)f)[i])
			return kd__err(h, KD_EBADOPT,
				       "kd_filter.sz is %zu and byte %zu is set, past the %zu bytes this "
				       "library knows: leave newer fields zero or upgrade kindling",
				       f->sz, i, sizeof(k));
	memset(&k, 0, sizeof(k));
	memcpy(&k, f, f->sz < sizeof(k) ? f->sz : sizeof(k));

	if ((err = count_ok(h, k.pids, k.npids, KD_FLT_PIDS, "pids")) ||
	    (err = count_ok(h, k.comms, k.ncomms, KD_FLT_COMMS, "comms")) ||
	    (err = count_ok(h, k.cgroup_ids, k.ncgroup_ids, KD_FLT_CGROUPS, "cgroup_ids")) ||
	    (err = count_ok(h, k.cgroups, k.ncgroups, KD_FLT_CGROUPS, "cgroups")) ||
	    (err = count_ok(h, k.paths, k.npaths, KD_FLT_PATHS, "paths")))
		return err;
	if (k.ncgroup_ids + k.ncgroups > KD_FLT_CGROUPS)
		return kd__err(h, KD_EBADOPT, "filter has %zu cgroup ids and paths together; at most %u",
			       k.ncgroup_ids + k.ncgroups, KD_FLT_CGROUPS);
	for (i = 0; i < k.npids; i++) {
		if (k.pids[i] <= 0)
			return kd__err(h, KD_EBADOPT, "filter pids[%zu] is %d: pids are positive", i,
				       (int)k.pids[i]);
		out->pid[out->npid++] = (uint32_t)k.pids[i];
	}
	for (i = 0; i < k.ncomms; i++)
		if ((err = build_comm(h, k.comms[i], out)))
			return err;
	for (i = 0; i < k.npaths; i++)
		if ((err = build_path(h, k.paths[i], out)))
			return err;
	if (k.ncgroup_ids || k.ncgroups)
		cg_mount(mnt, sizeof(mnt));
	for (i = 0; i < k.ncgroup_ids; i++) {
		uint32_t lv = 0;

		if ((err = cg_from_id(h, mnt, k.cgroup_ids[i], &lv)))
			return err;
		out->cg_id[out->ncg] = k.cgroup_ids[i];
		out->cg_level[out->ncg++] = lv;
	}
	for (i = 0; i < k.ncgroups; i++) {
		if (!k.cgroups[i] || !k.cgroups[i][0])
			return kd__err(h, KD_EBADOPT, "filter cgroups[%zu] is %s", i,
				       k.cgroups[i] ? "empty" : "NULL");
		uint64_t id = 0;
		uint32_t lv = 0;

		if ((err = cg_from_path(h, mnt, k.cgroups[i], &id, &lv)))
			return err;
		out->cg_id[out->ncg] = id;
		out->cg_level[out->ncg++] = lv;
	}
	out->kinds = (out->npid ? KD_FLT_K_PID : 0) | (out->ncomm ? KD_FLT_K_COMM : 0) |
		     (out->ncg ? KD_FLT_K_CGROUP : 0) | (out->npath ? KD_FLT_K_PATH : 0);
	*any = out->kinds != 0;
	return 0;
}

int kd_filter_set(struct kd_handle *h, const struct kd_filter *f)
{
	struct kd_flt flt;
	bool any;
	int err;

	if (!h)
		return -EINVAL;
	err = kd__filter_build(h, f, &flt, &any);
	if (err)
		return err;
	if (!h->ops->filter) {
		if (!any)
			return 0;
		return kd__err(h, KD_ENOTSUP,
			       "the %s engine cannot filter in the kernel: filters need the core engine "
			       "(a replay can be filtered by the caller on the delivered events)",
			       h->ops->name);
	}
	if (any && !h->filter && !(h->filter = malloc(sizeof(*h->filter))))
		return kd__err(h, -ENOMEM, "kd_filter_set: out of memory");
	err = h->ops->filter(h->engine, &flt);
	if (err)
		return err;
	/* kept for the events the kernel passes on to us (kd__filter_pass) */
	if (any) {
		*h->filter = flt;
	} else {
		free(h->filter);
		h->filter = NULL;
	}
	return 0;
}

/* ------------------------------------------------------------ in userspace */

bool kd__filter_bypass(const struct kd_handle *h, int id)
{
	if (h->opts.flags & KD_OPEN_NO_ENRICH)
		return false;
	switch (id) {
	case KD_EV_CLONE:
	case KD_EV_FORK:
	case KD_EV_VFORK:
	case KD_EV_CLONE3:
	case KD_EV_EXECVE:
	case KD_EV_EXECVEAT:
	case KD_EV_EXIT:
	case KD_EV_EXIT_GROUP:
	case KD_EV_PRCTL:
		return true;
	default:
		return false;
	}
}

static bool comm_pass(const struct kd_flt *f, const char *comm)
{
	uint64_t c[2] = { 0, 0 };

	memcpy(c, comm, strnlen(comm, KD_FLT_COMM_LEN - 1));
	for (uint32_t i = 0; i < f->ncomm; i++)
		if (((c[0] ^ f->comm[i][0]) & f->comm_mask[i][0]) == 0 &&
		    ((c[1] ^ f->comm[i][1]) & f->comm_mask[i][1]) == 0)
			return true;
	return false;
}

static bool path_pass(const struct kd_flt *f, const struct kd_event *ev)
{
	int type = kd_event_type(ev);
	bool has_path = false;
	struct kd_value v;

	for (unsigned i = 0; i < kd_event_nparams(ev); i++) {
		if (kd_event_type_param_kind(type, i) != KD_PK_PATH)
			continue;
		has_path = true;
		if (kd_event_param(ev, i, &v) || !v.ptr || (v.flags & KD_VAL_NULL))
			continue;
		for (uint32_t k = 0; k < f->npath; k++)
			if (v.len >= f->path_len[k] && memcmp(v.ptr, f->path[k], f->path_len[k]) == 0)
				return true;
	}
	return !has_path;
}

/* The kinds the kernel left to us for an event it let through because of
 * kd__filter_bypass() (it checked pid and cgroup, which an exec does not
 * change): comm on the enriched thread, after the event, and paths.
 * Filtered events count as the kernel's would. */
bool kd__filter_pass(struct kd_handle *h, const struct kd_event *ev)
{
	const struct kd_flt *f = h->filter;
	const struct kd_thread *t;

	if (!f || !f->kinds || !kd__filter_bypass(h, kd_event_type(ev)))
		return true;
	t = kd_event_thread(ev);
	if ((f->kinds & KD_FLT_K_COMM) && !(t && comm_pass(f, kd_thread_comm(t)))) {
		h->flt_task++;
		return false;
	}
	if ((f->kinds & KD_FLT_K_PATH) && !path_pass(f, ev)) {
		h->flt_path++;
		return false;
	}
	return true;
}
