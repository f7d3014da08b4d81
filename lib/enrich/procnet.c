/* lib/enrich/procnet.c: socket inodes to addresses, from the tables of
 * /proc/<pid>/net (one read per network namespace), for the /proc scan. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "enrich.h"

#define KD__TCP_LISTEN 0x0a
#define KD__SO_ACCEPTCON 0x10000 /* __SO_ACCEPTCON in /proc/net/unix flags */

/* "0100007F:1F90": the kernel prints each 32-bit word of the address in host
 * order, so storing the parsed words back gives the network bytes. */
static bool parse_hexaddr(const char *s, int family, struct kd__addr *a)
{
	unsigned words = family == AF_INET ? 1 : 4, i;
	char w[9];
	uint32_t v;
	unsigned port;

	for (i = 0; i < words; i++) {
		memcpy(w, s + 8 * i, 8);
		w[8] = '\0';
		v = (uint32_t)strtoul(w, NULL, 16);
		memcpy(a->ip + 4 * i, &v, 4);
	}
	if (s[8 * words] != ':' || sscanf(s + 8 * words + 1, "%x", &port) != 1)
		return false;
	a->port = (uint16_t)port;
	a->set = a->has_port = 1;
	return true;
}

/* Takes n->path: kept with the entry, freed when n is not added. */
static void add(struct kd__netmap *m, struct kd__netsock *n)
{
	struct kd__netsock *o, *c = NULL;

	HASH_FIND(hh, m->socks, &n->ino, sizeof(n->ino), o);
	if (!o && n->ino)
		c = malloc(sizeof(*c));
	if (!c) { /* a known inode (listed twice), none, or no memory */
		free(n->path);
		return;
	}
	*c = *n;
	HASH_ADD(hh, m->socks, ino, sizeof(c->ino), c);
}

static void load_inet(struct kd__netmap *m, uint32_t pid, const char *name, int family, int proto)
{
	char path[64], line[512], la[64], ra[64];
	unsigned st;
	unsigned long long ino;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) /* header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		struct kd__netsock n = { 0 };

		/* sl local rem st tx:rx tr:when retr uid timeout inode */
		if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %llu", la, ra, &st, &ino) != 4)
			continue;
		n.ino = ino;
		n.family = (uint16_t)family;
		n.proto = (uint16_t)proto;
		n.sotype = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
		if (!parse_hexaddr(la, family, &n.local) || !parse_hexaddr(ra, family, &n.remote))
			continue;
		if (!n.remote.port) /* not connected */
			memset(&n.remote, 0, sizeof(n.remote));
		n.listening = proto == IPPROTO_TCP && st == KD__TCP_LISTEN;
		if (n.listening)
			m->listen_ports[n.local.port / 8] |= (uint8_t)(1u << (n.local.port % 8));
		add(m, &n);
	}
out:
	fclose(f);
}

static void load_unix(struct kd__netmap *m, uint32_t pid)
{
	char path[64], line[4352], upath[4097];
	unsigned long flags;
	unsigned type, st;
	unsigned long long ino;
	FILE *f;
	int k;

	snprintf(path, sizeof(path), "/proc/%u/net/unix", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		goto out;
	while (fgets(line, sizeof(line), f)) {
		struct kd__netsock n = { 0 };

		upath[0] = '\0';
		/* Num RefCount Protocol Flags Type St Inode [Path] */
		k = sscanf(line, "%*s %*s %*s %lx %x %x %llu %4096s", &flags, &type, &st, &ino, upath);
		if (k < 4)
			continue;
		n.ino = ino;
		n.family = AF_UNIX;
		n.sotype = (uint8_t)type;
		n.listening = (flags & KD__SO_ACCEPTCON) != 0;
		n.path = k == 5 && upath[0] ? strdup(upath) : NULL;
		add(m, &n);
	}
out:
	fclose(f);
}

static void load_netlink(struct kd__netmap *m, uint32_t pid)
{
	char path[64], line[512];
	unsigned long long ino;
	int proto;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/net/netlink", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		goto out;
	while (fgets(line, sizeof(line), f)) {
		struct kd__netsock n = { 0 };

		/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
		if (sscanf(line, "%*s %d %*s %*s %*s %*s %*s %*s %*s %llu", &proto, &ino) != 2)
			continue;
		n.ino = ino;
		n.family = AF_NETLINK;
		n.proto = (uint16_t)proto;
		n.sotype = SOCK_RAW;
		add(m, &n);
	}
out:
	fclose(f);
}

void kd__netmap_load(struct kd__netmap *m, uint32_t pid)
{
	char path[64];
	struct stat st;
	uint64_t *v;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	if (stat(path, &st) < 0)
		return;
	for (i = 0; i < m->nnetns; i++)
		if (m->netns[i] == (uint64_t)st.st_ino)
			return;
	v = realloc(m->netns, (m->nnetns + 1) * sizeof(*v));
	if (!v)
		return;
	m->netns = v;
	m->netns[m->nnetns++] = st.st_ino;
	load_inet(m, pid, "tcp", AF_INET, IPPROTO_TCP);
	load_inet(m, pid, "tcp6", AF_INET6, IPPROTO_TCP);
	load_inet(m, pid, "udp", AF_INET, IPPROTO_UDP);
	load_inet(m, pid, "udp6", AF_INET6, IPPROTO_UDP);
	load_unix(m, pid);
	load_netlink(m, pid);
}

const struct kd__netsock *kd__netmap_find(const struct kd__netmap *m, uint64_t ino)
{
	struct kd__netsock *n;

	HASH_FIND(hh, m->socks, &ino, sizeof(ino), n);
	return n;
}

bool kd__netmap_apply(struct kd__enrich *e, const struct kd__netmap *m, uint64_t ino, struct kd_fd *f)
{
	const struct kd__netsock *n = kd__netmap_find(m, ino);

	if (!n)
		return false;
	kd__sock_set_proto(f, n->family, n->sotype, n->proto);
	if (n->family == AF_NETLINK)
		f->proto = n->proto; /* NETLINK_ROUTE...: not an IPPROTO */
	f->local = n->local;
	f->remote = n->remote;
	if (n->listening)
		f->role = KD_FD_ROLE_SERVER;
	else if (n->proto == IPPROTO_TCP && n->remote.set)
		f->role = (m->listen_ports[n->local.port / 8] & (1u << (n->local.port % 8)))
				  ? KD_FD_ROLE_SERVER : KD_FD_ROLE_CLIENT;
	if (n->path)
		kd__str_set(e, &f->path, n->path, strlen(n->path));
	return true;
}

void kd__netmap_free(struct kd__netmap *m)
{
	struct kd__netsock *n, *tmp;

	HASH_ITER(hh, m->socks, n, tmp) {
		HASH_DEL(m->socks, n);
		free(n->path);
		free(n);
	}
	free(m->netns);
	memset(m, 0, sizeof(*m));
}
