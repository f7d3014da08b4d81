/*
 * tests/test_schema_kernel.c: schema/syscalls.def against the running kernel.
 * Every syscall tracepoint (tracefs events/syscalls/sys_enter_<name>/format)
 * must have a row whose params have the kernel's names, in the kernel's order.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "internal.h"
#include "kd_test.h"

TestSuite(schema_kernel, .timeout = 30);

#define MAX_FIELDS 16

/* Tracepoint names that differ from the x86_64 table names the schema uses
 * (the kernel's function is sys_newstat for the syscall "stat"). */
static const char *const renames[][2] = {
	{ "newstat", "stat" },   { "newfstat", "fstat" },       { "newlstat", "lstat" },
	{ "newuname", "uname" }, { "sendfile64", "sendfile" }, { "umount", "umount2" },
};

static const char *schema_name(const char *tp)
{
	for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
		if (strcmp(renames[i][0], tp) == 0)
			return renames[i][1];
	return tp;
}

static const char *syscalls_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing/events/syscalls",
					    "/sys/kernel/debug/tracing/events/syscalls" };
	struct stat st;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
				return dirs[i];
		/* tracefs not mounted: root can mount it */
		if (pass == 0 && kd_test_is_root())
			mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	}
	return NULL;
}

/* Argument names of one sys_enter format file, after __syscall_nr. */
static int read_fields(const char *path, char names[][64], int max)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0, args = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *decl = strstr(line, "field:"), *end, *p;

		if (!decl || !(end = strchr(decl, ';')))
			continue;
		/* the name is the last identifier before ';' (arrays: before '[') */
		*end = '\0';
		if ((p = strchr(decl, '[')))
			*p = '\0', end = p;
		for (p = end; p > decl && (p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
					   (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z'));
		     p--)
			;
		if (strcmp(p, "__syscall_nr") == 0) {
			args = 1;
			continue;
		}
		if (!args)
			continue;
		if (n == max) {
			n = -E2BIG;
			break;
		}
		snprintf(names[n++], 64, "%s", p);
	}
	fclose(f);
	return n;
}

/* Params that are syscall arguments: a row's synthetic params (kinds
 * SOCKTUPLE, PFLAGS, WSTATUS, POLLFDS, EPOLLEVENTS, FDSETS, IOCTLDATA, MMSGS, and those read through a
 * msghdr or another pointer argument: what the driver
 * reads at exit) come after them and have no tracefs field. */
static bool synthetic(int id, unsigned i)
{
	const struct kd__event_info *e = kd__event_info(id);
	int kind = kd_event_type_param_kind(id, i);
	unsigned len = e && i < e->nparams ? e->params[i].len : 0;

	return kind == KD_PK_SOCKTUPLE || kind == KD_PK_PFLAGS || kind == KD_PK_WSTATUS ||
	       kind == KD_PK_POLLFDS || kind == KD_PK_EPOLLEVENTS || kind == KD_PK_FDSETS ||
	       kind == KD_PK_IOCTLDATA || kind == KD_PK_MMSGS || KD_LEN_IS_MSG(len) ||
	       KD_LEN_IS_PTR(len);
}

static int kernel_args(int id)
{
	int n = kd_event_type_nparams(id);

	while (n > 0 && synthetic(id, (unsigned)n - 1))
		n--;
	return n;
}

Test(schema_kernel, rows_match_tracefs)
{
	const char *dir = syscalls_dir();
	char path[512], names[MAX_FIELDS][64];
	size_t seen = 0, bad = 0;
	struct dirent *de;
	DIR *d;

	if (!dir)
		KD_SKIP_OR_FAIL("needs tracefs: /sys/kernel/tracing/events/syscalls missing or not readable (root?)");
	d = opendir(dir);
	if (!d)
		KD_SKIP_OR_FAIL("needs tracefs: cannot open %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		const char *tp, *name;
		int n, id;

		if (strncmp(de->d_name, "sys_enter_", 10) != 0)
			continue;
		tp = de->d_name + 10;
		name = schema_name(tp);
		snprintf(path, sizeof(path), "%s/%s/format", dir, de->d_name);
		n = read_fields(path, names, MAX_FIELDS);
		if (n == -EACCES || n == -EPERM) {
			closedir(d);
			KD_SKIP_OR_FAIL("needs root: cannot read %s", path);
		}
		cr_expect_geq(n, 0, "%s: %s", path, strerror(-n));
		if (n < 0)
			continue;
		seen++;
		id = kd_event_type_by_name(name);
		if (id <= 0 || !(kd_event_type_flags(id) & KD_EF_SYSCALL)) {
			cr_expect_fail("syscall %s (tracepoint sys_enter_%s) has no row in schema/syscalls.def",
				       name, tp);
			bad++;
			continue;
		}
		if (kernel_args(id) != n) {
			cr_expect_fail("%s: the kernel has %d args, the schema %d", name, n,
				       kernel_args(id));
			bad++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			const char *mine = kd_event_type_param_name(id, (unsigned)i);

			if (!mine || strcmp(mine, names[i]) != 0) {
				cr_expect_fail("%s: arg %d is \"%s\" in the kernel, \"%s\" in the schema", name,
					       i, names[i], mine ? mine : "(null)");
				bad++;
			}
		}
	}
	closedir(d);
	cr_log_info("%zu syscall tracepoints compared, %zu mismatches", seen, bad);
	if (seen == 0)
		KD_SKIP_OR_FAIL("needs tracefs: no sys_enter_* events in %s", dir);
}

/* The other way round is informational: a kernel may lack syscalls the
 * schema knows (config options, older kernels). */
Test(schema_kernel, schema_rows_in_this_kernel)
{
	const char *dir = syscalls_dir();
	char path[512];
	size_t missing = 0, n = 0;
	struct stat st;

	if (!dir)
		KD_SKIP_OR_FAIL("needs tracefs: /sys/kernel/tracing/events/syscalls missing or not readable (root?)");
	for (size_t i = 0; i < kd_event_type_count(); i++) {
		int id = kd_event_type_at(i);
		const char *name = kd_event_type_name(id), *tp = name;

		if (!(kd_event_type_flags(id) & KD_EF_SYSCALL))
			continue;
		n++;
		for (size_t r = 0; r < sizeof(renames) / sizeof(renames[0]); r++)
			if (strcmp(renames[r][1], name) == 0)
				tp = renames[r][0];
		snprintf(path, sizeof(path), "%s/sys_enter_%s", dir, tp);
		if (stat(path, &st) != 0) {
			missing++;
			cr_log_info("no tracepoint in this kernel for %s", name);
		}
	}
	cr_log_info("%zu of %zu schema syscalls have no tracepoint here", missing, n);
	cr_expect_lt(missing, n, "tracefs has none of the schema's syscalls");
}
