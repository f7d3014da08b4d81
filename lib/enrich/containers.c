/* lib/enrich/containers.c: container id and runtime from a cgroup path. No
 * runtime needs to be running: the names runtimes give their cgroups say it. */
#include <ctype.h>
#include <string.h>

#include "enrich.h"

static const char *const runtime_names[] = {
	[KD__RT_NONE] = "",           [KD__RT_DOCKER] = "docker", [KD__RT_CONTAINERD] = "containerd",
	[KD__RT_CRIO] = "cri-o",      [KD__RT_PODMAN] = "podman", [KD__RT_KUBEPODS] = "kubepods",
};

const char *kd__runtime_name(int rt)
{
	if (rt < 0 || (size_t)rt >= sizeof(runtime_names) / sizeof(runtime_names[0]))
		return "";
	return runtime_names[rt];
}

static bool is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* Prefixes of systemd scope names ("<prefix><64 hex>.scope"), by runtime. */
static const struct {
	const char *prefix;
	int rt;
} scopes[] = {
	{ "docker-", KD__RT_DOCKER },
	{ "cri-containerd-", KD__RT_CONTAINERD },
	{ "crio-", KD__RT_CRIO },
	{ "libpod-", KD__RT_PODMAN },
};

/* One path component: a container's own cgroup? parent is the component
 * before it (cgroupfs layouts name the container by the bare id). */
static int component(const char *c, size_t n, const char *parent, size_t pn, char id[13])
{
	size_t i, pl;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		pl = strlen(scopes[i].prefix);
		if (n == pl + 64 + 6 && strncmp(c, scopes[i].prefix, pl) == 0 &&
		    strncmp(c + pl + 64, ".scope", 6) == 0 && is_hex64(c + pl, 64)) {
			memcpy(id, c + pl, 12);
			id[12] = '\0';
			return scopes[i].rt;
		}
	}
	if (!is_hex64(c, n))
		return KD__RT_NONE;
	memcpy(id, c, 12);
	id[12] = '\0';
	if (pn == 6 && strncmp(parent, "docker", 6) == 0)
		return KD__RT_DOCKER;
	if (pn == 6 && strncmp(parent, "libpod", 6) == 0)
		return KD__RT_PODMAN;
	if (pn > 3 && strncmp(parent, "pod", 3) == 0)
		return KD__RT_KUBEPODS; /* /kubepods/<qos>/pod<uid>/<id> (cgroupfs driver) */
	return KD__RT_NONE;
}

/* One cgroup path ("/system.slice/docker-<id>.scope"): the innermost match. */
static int path_parse(const char *s, size_t n, char id[13])
{
	const char *end = s + n, *c = s, *parent = "";
	size_t pn = 0;
	int rt = KD__RT_NONE, r;
	char tmp[13];

	while (c < end) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t cn = slash ? (size_t)(slash - c) : (size_t)(end - c);

		if (cn) {
			r = component(c, cn, parent, pn, tmp);
			if (r != KD__RT_NONE) {
				rt = r;
				memcpy(id, tmp, sizeof(tmp));
			}
			parent = c;
			pn = cn;
		}
		if (!slash)
			break;
		c = slash + 1;
	}
	return rt;
}

int kd__container_parse(const char *cgroup, char id[13])
{
	const char *line = cgroup;
	int rt;

	id[0] = '\0';
	if (!cgroup)
		return KD__RT_NONE;
	/* "hier:controllers:path" lines, or one bare path */
	if (cgroup[0] == '/')
		return path_parse(cgroup, strcspn(cgroup, "\n"), id);
	while (*line) {
		size_t n = strcspn(line, "\n");
		const char *c1 = memchr(line, ':', n), *c2 = NULL;

		if (c1)
			c2 = memchr(c1 + 1, ':', (size_t)(line + n - c1 - 1));
		if (c2) {
			rt = path_parse(c2 + 1, (size_t)(line + n - c2 - 1), id);
			if (rt != KD__RT_NONE)
				return rt;
		}
		line += n;
		if (*line)
			line++;
	}
	id[0] = '\0';
	return KD__RT_NONE;
}
