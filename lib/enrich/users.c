/* lib/enrich/users.c: user and group names from /etc/passwd and /etc/group,
 * read on the first request and cached (getpwuid() may load NSS modules and
 * is not ours to call from a library). A name not found is cached as NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"

struct kd__user {
	uint32_t id;
	char *name; /* NULL: no such id */
	UT_hash_handle hh;
};

static void add(struct kd__enrich *e, struct kd__user **tab, uint32_t id, const char *name)
{
	struct kd__user *u;

	HASH_FIND(hh, *tab, &id, sizeof(id), u);
	if (u)
		return; /* the first line wins, as for getpwuid() */
	u = calloc(1, sizeof(*u));
	if (!u)
		return;
	u->id = id;
	u->name = name ? strdup(name) : NULL;
	HASH_ADD(hh, *tab, id, sizeof(u->id), u);
	e->bytes += sizeof(*u) + (name ? strlen(name) + 1 : 0);
}

/* "name:x:id:..." lines: field 0 and field 2. */
static void load(struct kd__enrich *e, struct kd__user **tab, const char *file)
{
	FILE *f = fopen(file, "re");
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2, *end;
		unsigned long id;

		if (!c1 || line[0] == '#' || line[0] == '+' || line[0] == '-')
			continue;
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		id = strtoul(c2 + 1, &end, 10);
		if (end == c2 + 1 || *end != ':' || id > UINT32_MAX)
			continue;
		*c1 = '\0';
		add(e, tab, (uint32_t)id, line);
	}
	fclose(f);
}

static const char *lookup(struct kd__enrich *e, struct kd__user **tab, bool *loaded,
			  const char *file, uint32_t id)
{
	struct kd__user *u;

	if (!*loaded) {
		*loaded = true;
		load(e, tab, file);
	}
	HASH_FIND(hh, *tab, &id, sizeof(id), u);
	if (!u) {
		add(e, tab, id, NULL);
		return NULL;
	}
	return u->name;
}

const char *kd__user_name(struct kd__enrich *e, uint32_t uid)
{
	return lookup(e, &e->users, &e->users_loaded, "/etc/passwd", uid);
}

const char *kd__group_name(struct kd__enrich *e, uint32_t gid)
{
	return lookup(e, &e->groups, &e->groups_loaded, "/etc/group", gid);
}

static void free_tab(struct kd__user **tab)
{
	struct kd__user *u, *tmp;

	HASH_ITER(hh, *tab, u, tmp) {
		HASH_DEL(*tab, u);
		free(u->name);
		free(u);
	}
}

void kd__users_free(struct kd__enrich *e)
{
	free_tab(&e->users);
	free_tab(&e->groups);
}
