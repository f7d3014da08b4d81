/*
 * tests/test_core_file.c: file syscalls through the CO-RE engine, each with
 * its exact params and result, successful and failing. Raw syscall() where
 * glibc would pick another syscall (open -> openat, mkdir -> mkdirat, ...).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "core_test.h"

TestSuite(core_file, .timeout = 30);

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kd-file-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/* path of name inside the test's directory */
static const char *in_dir(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

Test(core_file, open_read_write_seek_close, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("open,openat,creat,read,write,pread64,pwrite64,readv,writev,lseek,close");
	const char msg[] = "hello kindling\n";
	char p1[128], p2[128], p3[128], buf[64];
	struct iovec wv[2] = { { "ab", 2 }, { "cde", 3 } }, rv[2];
	char r1[2], r2[8];
	const struct kd_event *ev;
	long fd, fd2, fd3;

	in_dir("a", p1, sizeof(p1));
	in_dir("b", p2, sizeof(p2));
	in_dir("missing/x", p3, sizeof(p3));

	fd = syscall(SYS_open, p1, O_RDWR | O_CREAT | O_EXCL, 0640);
	cr_assert_geq(fd, 0);
	ev = core_expect(h, "open", fd);
	core_eq_str(ev, "filename", p1);
	core_eq_i(ev, "flags", O_RDWR | O_CREAT | O_EXCL);
	core_eq_u(ev, "mode", 0640);

	cr_assert_eq(syscall(SYS_open, p1, O_RDWR | O_CREAT | O_EXCL, 0640), -1);
	ev = core_expect(h, "open", -EEXIST);
	core_eq_str(ev, "filename", p1);

	cr_assert_eq(write((int)fd, msg, 15), 15);
	ev = core_expect(h, "write", 15);
	core_eq_i(ev, "fd", fd);
	core_eq_bytes(ev, "buf", msg, 15);
	core_eq_u(ev, "count", 15);

	cr_assert_eq(pwrite((int)fd, "XY", 2, 3), 2);
	ev = core_expect(h, "pwrite64", 2);
	core_eq_i(ev, "fd", fd);
	core_eq_bytes(ev, "buf", "XY", 2);
	core_eq_u(ev, "count", 2);
	core_eq_i(ev, "pos", 3);

	cr_assert_eq(lseek((int)fd, 0, SEEK_SET), 0);
	ev = core_expect(h, "lseek", 0);
	core_eq_i(ev, "fd", fd);
	core_eq_i(ev, "offset", 0);
	core_eq_u(ev, "whence", SEEK_SET);

	cr_assert_eq(lseek((int)fd, -1, SEEK_SET), -1);
	ev = core_expect(h, "lseek", -EINVAL);
	core_eq_i(ev, "offset", -1);

	cr_assert_eq(read((int)fd, buf, sizeof(buf)), 15);
	ev = core_expect(h, "read", 15);
	core_eq_i(ev, "fd", fd);
	core_eq_bytes(ev, "buf", "helXY kindling\n", 15);
	core_eq_u(ev, "count", sizeof(buf));

	cr_assert_eq(pread((int)fd, buf, 4, 6), 4);
	ev = core_expect(h, "pread64", 4);
	core_eq_bytes(ev, "buf", "kind", 4);
	core_eq_u(ev, "count", 4);
	core_eq_i(ev, "pos", 6);

	cr_assert_eq(pread((int)fd, buf, 4, -2), -1);
	ev = core_expect(h, "pread64", -EINVAL);
	core_eq_null(ev, "buf");
	core_eq_i(ev, "pos", -2);

	cr_assert_eq(writev((int)fd, wv, 2), 5);
	ev = core_expect(h, "writev", 5);
	core_eq_i(ev, "fd", fd);
	core_eq_bytes(ev, "vec", "abcde", 5);
	core_eq_u(ev, "vlen", 2);

	cr_assert_eq(lseek((int)fd, 15, SEEK_SET), 15);
	core_expect(h, "lseek", 15);
	rv[0] = (struct iovec){ r1, sizeof(r1) };
	rv[1] = (struct iovec){ r2, sizeof(r2) };
	cr_assert_eq(readv((int)fd, rv, 2), 5);
	ev = core_expect(h, "readv", 5);
	core_eq_bytes(ev, "vec", "abcde", 5);
	core_eq_u(ev, "vlen", 2);

	cr_assert_eq(read(CORE_BAD_FD, buf, 1), -1);
	ev = core_expect(h, "read", -EBADF);
	core_eq_null(ev, "buf");

	cr_assert_eq(write(CORE_BAD_FD, "z", 1), -1);
	ev = core_expect(h, "write", -EBADF);
	core_eq_bytes(ev, "buf", "z", 1); /* the request, captured whatever the outcome */

	fd2 = syscall(SYS_creat, p2, 0600);
	cr_assert_geq(fd2, 0);
	ev = core_expect(h, "creat", fd2);
	core_eq_str(ev, "pathname", p2);
	core_eq_u(ev, "mode", 0600);

	cr_assert_eq(syscall(SYS_creat, p3, 0600), -1);
	ev = core_expect(h, "creat", -ENOENT);
	core_eq_str(ev, "pathname", p3);

	fd3 = openat(AT_FDCWD, p1, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd3, 0);
	ev = core_expect(h, "openat", fd3);
	core_eq_i(ev, "dfd", AT_FDCWD);
	core_eq_str(ev, "filename", p1);
	core_eq_i(ev, "flags", O_RDONLY | O_CLOEXEC);

	cr_assert_eq(openat((int)fd3, "x", O_RDONLY), -1);
	ev = core_expect(h, "openat", -ENOTDIR);
	core_eq_i(ev, "dfd", fd3);
	core_eq_str(ev, "filename", "x");

	cr_assert_eq(close((int)fd3), 0);
	ev = core_expect(h, "close", 0);
	core_eq_i(ev, "fd", fd3);
	cr_assert_eq(close((int)fd3), -1);
	ev = core_expect(h, "close", -EBADF);
	core_eq_i(ev, "fd", fd3);
	close((int)fd);
	close((int)fd2);
	kd_close(h);
}

Test(core_file, dup_fcntl, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("dup,dup2,dup3,fcntl");
	const struct kd_event *ev;
	int fd = open("/dev/null", O_RDONLY), d;
	char buf[64];

	cr_assert_geq(fd, 0);
	d = dup(fd);
	cr_assert_geq(d, 0);
	ev = core_expect(h, "dup", d);
	core_eq_i(ev, "fildes", fd);
	close(d);

	cr_assert_eq(dup(CORE_BAD_FD), -1);
	ev = core_expect(h, "dup", -EBADF);
	core_eq_i(ev, "fildes", CORE_BAD_FD);

	cr_assert_eq(syscall(SYS_dup2, fd, 100), 100);
	ev = core_expect(h, "dup2", 100);
	core_eq_i(ev, "oldfd", fd);
	core_eq_i(ev, "newfd", 100);

	cr_assert_eq(syscall(SYS_dup3, fd, 101, O_CLOEXEC), 101);
	ev = core_expect(h, "dup3", 101);
	core_eq_i(ev, "oldfd", fd);
	core_eq_i(ev, "newfd", 101);
	core_eq_i(ev, "flags", O_CLOEXEC);

	cr_assert_eq(syscall(SYS_dup3, fd, fd, 0), -1);
	ev = core_expect(h, "dup3", -EINVAL);
	core_eq_i(ev, "newfd", fd);

	cr_assert_eq(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	ev = core_expect(h, "fcntl", 0);
	core_eq_i(ev, "fd", fd);
	core_eq_u(ev, "cmd", F_SETFD);
	core_eq_u(ev, "arg", FD_CLOEXEC);
	cr_assert_geq(kd_event_param_format(ev, 2, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "FD_CLOEXEC", "the arg as F_SETFD reads it");

	cr_assert_eq(fcntl(fd, F_SETFL, O_RDONLY | O_NONBLOCK), 0);
	ev = core_expect(h, "fcntl", 0);
	cr_assert_geq(kd_event_param_format(ev, 2, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "O_RDONLY|O_NONBLOCK");
	cr_assert_str_eq(kd_event_param_set(ev, 2), "open_flags");

	int fl = fcntl(fd, F_GETFL);
	char want[64], name[48];

	cr_assert(fl & O_NONBLOCK);
	ev = core_expect(h, "fcntl", fl);
	core_eq_u(ev, "cmd", F_GETFL);
	cr_assert_gt(kd_flags_format("open_flags", (uint64_t)fl, name, sizeof(name)), 0);
	snprintf(want, sizeof(want), "%d (%s)", fl, name);
	cr_assert_geq(kd_event_result_format(ev, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, want, "the flags it returned, by name");
	cr_assert(strstr(buf, "O_NONBLOCK"));

	cr_assert_eq(fcntl(fd, F_DUPFD_CLOEXEC, 200), 200);
	ev = core_expect(h, "fcntl", 200);
	core_eq_u(ev, "cmd", F_DUPFD_CLOEXEC);
	core_eq_u(ev, "arg", 200);
	cr_assert_geq(kd_event_param_format(ev, 2, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "200", "a number");

	cr_assert_eq(fcntl(CORE_BAD_FD, F_GETFL), -1);
	ev = core_expect(h, "fcntl", -EBADF);
	core_eq_u(ev, "cmd", F_GETFL);
	close(100);
	close(101);
	close(200);
	close(fd);
	kd_close(h);
}

/* The stat param's fields against what the call gave userspace. */
static void stat_fields_eq(const struct kd_event *ev, const struct stat *st)
{
	struct kd_value v = core_param(ev, "stat");
	struct kd_stat ks;

	cr_assert_eq(kd_value_stat(&v, &ks), 0, "%s: no stat", kd_event_name(ev));
	cr_assert_eq(ks.dev, (uint64_t)st->st_dev);
	cr_assert_eq(ks.ino, (uint64_t)st->st_ino);
	cr_assert_eq(ks.nlink, (uint64_t)st->st_nlink);
	cr_assert_eq(ks.mode, (uint32_t)st->st_mode, "mode %o, want %o", ks.mode, st->st_mode);
	cr_assert_eq(ks.uid, (uint32_t)st->st_uid);
	cr_assert_eq(ks.gid, (uint32_t)st->st_gid);
	cr_assert_eq(ks.rdev, (uint64_t)st->st_rdev);
	cr_assert_eq(ks.size, (int64_t)st->st_size);
	cr_assert_eq(ks.blocks, (int64_t)st->st_blocks);
	cr_assert_eq(ks.blksize, (uint32_t)st->st_blksize);
	cr_assert_eq(ks.mtime_sec, (int64_t)st->st_mtim.tv_sec);
	cr_assert_eq(ks.mtime_nsec, (uint32_t)st->st_mtim.tv_nsec);
	cr_assert_eq(ks.atime_sec, (int64_t)st->st_atim.tv_sec);
	cr_assert_eq(ks.ctime_nsec, (uint32_t)st->st_ctim.tv_nsec);
	cr_assert_eq(ks.mask, 0x7ffu);
}

/* Schema 6: the struct the stat family and statx wrote, read at exit: the
 * kernel's bytes, the same fields through kd_value_stat() for both layouts,
 * a symlink's own mode for lstat, a device's rdev, none when the call failed. */
Test(core_file, stat_structs, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("stat,lstat,fstat,newfstatat,statx");
	char p[128], link[128], miss[128], buf[512], want[512];
	const struct kd_event *ev;
	struct kd_value v;
	struct kd_stat ks;
	struct statx stx;
	struct stat st, lst, dst;
	int fd;

	in_dir("f", p, sizeof(p));
	in_dir("l", link, sizeof(link));
	in_dir("nope", miss, sizeof(miss));
	fd = open(p, O_RDWR | O_CREAT, 04751);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "12345", 5), 5);
	cr_assert_eq(symlink(p, link), 0);

	cr_assert_eq(syscall(SYS_stat, link, &st), 0);
	ev = core_expect(h, "stat", 0);
	core_eq_str(ev, "filename", link);
	core_eq_ptr(ev, "statbuf", &st);
	core_eq_bytes(ev, "stat", &st, 120);
	stat_fields_eq(ev, &st);
	cr_assert(S_ISREG(st.st_mode) && st.st_size == 5);
	cr_assert_geq(kd_event_param_format(ev, 2, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want),
		 "{dev=%u:%u, ino=%llu, mode=S_IFREG|04751, nlink=1, uid=%u, gid=%u, size=5, "
		 "blocks=%lld, mtime=%lld.%09ld}",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino, st.st_uid,
		 st.st_gid, (long long)st.st_blocks, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	cr_assert_str_eq(buf, want);

	cr_assert_eq(syscall(SYS_lstat, link, &lst), 0);
	ev = core_expect(h, "lstat", 0);
	core_eq_bytes(ev, "stat", &lst, 120);
	stat_fields_eq(ev, &lst);
	cr_assert(S_ISLNK(lst.st_mode));
	cr_assert_neq(lst.st_ino, st.st_ino);

	cr_assert_eq(syscall(SYS_fstat, fd, &st), 0);
	ev = core_expect(h, "fstat", 0);
	core_eq_bytes(ev, "stat", &st, 120);
	stat_fields_eq(ev, &st);

	cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, "/dev/null", &dst, 0), 0);
	ev = core_expect(h, "newfstatat", 0);
	stat_fields_eq(ev, &dst);
	cr_assert(S_ISCHR(dst.st_mode) && dst.st_rdev == makedev(1, 3));
	cr_assert_geq(kd_event_param_format(ev, 4, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, "mode=S_IFCHR|0666, "), "%s", buf);
	cr_assert_not_null(strstr(buf, ", rdev=1:3, size=0, "), "%s", buf);

	/* failed: the buffer was not written, nothing read */
	memset(&st, 0x5a, sizeof(st));
	cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, miss, &st, 0), -1);
	core_eq_null(core_expect(h, "newfstatat", -ENOENT), "stat");
	cr_assert_eq(syscall(SYS_stat, miss, &st), -1);
	core_eq_null(core_expect(h, "stat", -ENOENT), "stat");
	cr_assert_eq(syscall(SYS_fstat, CORE_BAD_FD, &st), -1);
	core_eq_null(core_expect(h, "fstat", -EBADF), "stat");

	/* statx: another layout, the same fields */
	cr_assert_eq(syscall(SYS_fstat, fd, &st), 0);
	core_expect(h, "fstat", 0);
	memset(&stx, 0, sizeof(stx));
	cr_assert_eq(syscall(SYS_statx, AT_FDCWD, p, 0, STATX_BASIC_STATS, &stx), 0);
	ev = core_expect(h, "statx", 0);
	core_eq_bytes(ev, "stat", &stx, 144);
	v = core_param(ev, "stat");
	cr_assert_eq(v.kind, KD_PK_STATX);
	cr_assert_eq(kd_value_stat(&v, &ks), 0);
	cr_assert_eq(ks.mask, stx.stx_mask);
	cr_assert_eq(ks.dev, (uint64_t)st.st_dev);
	cr_assert_eq(ks.ino, (uint64_t)st.st_ino);
	cr_assert_eq(ks.mode, (uint32_t)st.st_mode);
	cr_assert_eq(ks.size, 5);
	cr_assert_eq(ks.nlink, 1);
	cr_assert_eq(ks.uid, st.st_uid);
	cr_assert_eq(ks.blocks, (int64_t)st.st_blocks);
	cr_assert_eq(ks.mtime_sec, (int64_t)st.st_mtim.tv_sec);
	cr_assert_eq(ks.mtime_nsec, (uint32_t)st.st_mtim.tv_nsec);
	cr_assert_eq(ks.ctime_sec, (int64_t)st.st_ctim.tv_sec);
	cr_assert_geq(kd_event_param_format(ev, 5, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, "mode=S_IFREG|04751, nlink=1, "), "%s", buf);

	cr_assert_eq(syscall(SYS_statx, AT_FDCWD, miss, 0, STATX_BASIC_STATS, &stx), -1);
	core_eq_null(core_expect(h, "statx", -ENOENT), "stat");

	/* anything but a stat value is refused */
	v = core_param(ev, "filename");
	cr_assert_eq(kd_value_stat(&v, &ks), -EINVAL);
	cr_assert_eq(kd_value_stat(NULL, &ks), -EINVAL);
	close(fd);
	kd_close(h);
}

/* Schema 6: openat2's open_how, the struct the call was given: flags, mode
 * and resolve by name, also for a call the resolve rules refuse. */
Test(core_file, openat2_how, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("openat2");
	struct open_how how = { .flags = O_RDWR | O_CREAT | O_CLOEXEC, .mode = 0640,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	const struct kd_event *ev;
	char buf[256];
	long fd, dfd;

	dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	cr_assert_geq(dfd, 0);
	fd = syscall(SYS_openat2, dfd, "f2", &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		cr_skip_test("no openat2 on this kernel");
	cr_assert_geq(fd, 0, "openat2: %s", strerror(errno));
	ev = core_expect(h, "openat2", fd);
	core_eq_i(ev, "dfd", dfd);
	core_eq_str(ev, "filename", "f2");
	core_eq_ptr(ev, "how", &how);
	core_eq_u(ev, "usize", sizeof(how));
	core_eq_bytes(ev, "open_how", &how, 24);
	cr_assert_geq(kd_event_param_format(ev, 4, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{flags=O_RDWR|O_CREAT|O_CLOEXEC, mode=0640, "
			      "resolve=RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH}");
	close((int)fd);

	/* out of the directory: refused, the struct still shown */
	how = (struct open_how){ .flags = O_RDONLY, .resolve = RESOLVE_BENEATH };
	cr_assert_eq(syscall(SYS_openat2, dfd, "../etc", &how, sizeof(how)), -1);
	ev = core_expect(h, "openat2", -EXDEV);
	core_eq_bytes(ev, "open_how", &how, 24);
	cr_assert_geq(kd_event_param_format(ev, 4, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{flags=O_RDONLY, mode=000, resolve=RESOLVE_BENEATH}");
	close((int)dfd);
	kd_close(h);
}

/* a whole struct flock, padding zeroed: the test compares its bytes */
static void lock_set(struct flock *lk, short type, short whence, off_t start, off_t len, pid_t pid)
{
	memset(lk, 0, sizeof(*lk));
	lk->l_type = type;
	lk->l_whence = whence;
	lk->l_start = start;
	lk->l_len = len;
	lk->l_pid = pid;
}

/* fcntl's record locks: the struct flock a lock command passes (lock, read
 * at exit), the kernel's answer for F_GETLK with the holder's pid, nothing
 * for other commands even when their arg points somewhere. */
Test(core_file, fcntl_locks, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("fcntl");
	struct flock lk, want;
	const struct kd_event *ev;
	int fd, fd2, ready[2], done[2];
	char p[128], buf[128], exp[128], c = 0;
	pid_t child;
	int st;

	fd = open(in_dir("locked", p, sizeof(p)), O_RDWR | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	lock_set(&lk, F_WRLCK, SEEK_SET, 5, 10, 0);
	cr_assert_eq(syscall(SYS_fcntl, fd, F_SETLK, &lk), 0);
	ev = core_expect(h, "fcntl", 0);
	core_eq_u(ev, "cmd", F_SETLK);
	core_eq_ptr(ev, "arg", &lk);
	core_eq_bytes(ev, "lock", &lk, sizeof(lk));
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{type=F_WRLCK, whence=SEEK_SET, start=5, len=10}",
			 "a request's l_pid is not shown");

	/* another command's arg is no struct flock, even a valid pointer */
	cr_assert_eq(syscall(SYS_fcntl, fd, F_GETFD, &lk), 0);
	ev = core_expect(h, "fcntl", 0);
	core_eq_u(ev, "cmd", F_GETFD);
	core_eq_null(ev, "lock");

	/* a child holds [0, 4): F_GETLK answers with it and its pid */
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(done), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct flock held;
		int cfd = open(p, O_RDWR);

		lock_set(&held, F_WRLCK, SEEK_SET, 0, 4, 0);
		close(done[1]); /* the parent gone (a failed assert) ends the wait */
		if (cfd < 0 || fcntl(cfd, F_SETLK, &held) || write(ready[1], &c, 1) != 1)
			_exit(1);
		_exit(read(done[0], &c, 1) == 1 ? 0 : 2);
	}
	cr_assert_eq(read(ready[0], &c, 1), 1);
	fd2 = open(p, O_RDWR);
	cr_assert_geq(fd2, 0);
	lock_set(&lk, F_RDLCK, SEEK_SET, 2, 1, 0);
	cr_assert_eq(syscall(SYS_fcntl, fd2, F_GETLK, &lk), 0);
	cr_assert_eq(lk.l_type, F_WRLCK);
	cr_assert_eq(lk.l_pid, child);
	ev = core_expect(h, "fcntl", 0);
	core_eq_u(ev, "cmd", F_GETLK);
	core_eq_bytes(ev, "lock", &lk, sizeof(lk));
	snprintf(exp, sizeof(exp), "{type=F_WRLCK, whence=SEEK_SET, start=0, len=4, pid=%d}", child);
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, exp, "the kernel's answer, with the holder: %s", buf);

	/* nothing in the way: F_UNLCK, the rest as passed */
	lock_set(&lk, F_WRLCK, SEEK_SET, 100, 1, 12345);
	cr_assert_eq(syscall(SYS_fcntl, fd2, F_GETLK, &lk), 0);
	cr_assert_eq(lk.l_type, F_UNLCK);
	ev = core_expect(h, "fcntl", 0);
	core_eq_bytes(ev, "lock", &lk, sizeof(lk));
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{type=F_UNLCK, whence=SEEK_SET, start=100, len=1}");

	/* refused: the request is still shown */
	lock_set(&lk, F_WRLCK, SEEK_CUR, 0, 3, 0);
	want = lk;
	cr_assert_eq(syscall(SYS_fcntl, fd2, F_SETLK, &lk), -1);
	cr_assert_eq(errno, EAGAIN);
	ev = core_expect(h, "fcntl", -EAGAIN);
	core_eq_bytes(ev, "lock", &want, sizeof(want));
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{type=F_WRLCK, whence=SEEK_CUR, start=0, len=3}");

	/* an open file description's lock (l_pid must be 0) */
	lock_set(&lk, F_RDLCK, SEEK_SET, 50, 0, 0);
	cr_assert_eq(syscall(SYS_fcntl, fd2, F_OFD_SETLK, &lk), 0, "F_OFD_SETLK: %s", strerror(errno));
	ev = core_expect(h, "fcntl", 0);
	core_eq_u(ev, "cmd", F_OFD_SETLK);
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{type=F_RDLCK, whence=SEEK_SET, start=50, len=0}");

	cr_assert_eq(write(done[1], &c, 1), 1);
	cr_assert_eq(waitpid(child, &st, 0), child);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
	close(fd2);
	close(fd);
	kd_close(h);
}

Test(core_file, stat_access, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("fstat,newfstatat,statx,access,faccessat");
	char p[128], miss[128];
	const struct kd_event *ev;
	struct statx stx;
	struct stat st;
	int fd;

	in_dir("f", p, sizeof(p));
	in_dir("nope", miss, sizeof(miss));
	fd = open(p, O_RDWR | O_CREAT, 0600);
	cr_assert_geq(fd, 0);

	cr_assert_eq(syscall(SYS_fstat, fd, &st), 0);
	ev = core_expect(h, "fstat", 0);
	core_eq_i(ev, "fd", fd);
	core_eq_ptr(ev, "statbuf", &st);

	cr_assert_eq(syscall(SYS_fstat, CORE_BAD_FD, &st), -1);
	core_eq_i(core_expect(h, "fstat", -EBADF), "fd", CORE_BAD_FD);

	cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW), 0);
	ev = core_expect(h, "newfstatat", 0);
	core_eq_i(ev, "dfd", AT_FDCWD);
	core_eq_str(ev, "filename", p);
	core_eq_ptr(ev, "statbuf", &st);
	core_eq_i(ev, "flag", AT_SYMLINK_NOFOLLOW);

	cr_assert_eq(syscall(SYS_newfstatat, AT_FDCWD, miss, &st, 0), -1);
	ev = core_expect(h, "newfstatat", -ENOENT);
	core_eq_str(ev, "filename", miss);

	cr_assert_eq(syscall(SYS_statx, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_SIZE, &stx), 0);
	ev = core_expect(h, "statx", 0);
	core_eq_i(ev, "dfd", AT_FDCWD);
	core_eq_str(ev, "filename", p);
	core_eq_u(ev, "flags", AT_SYMLINK_NOFOLLOW);
	core_eq_u(ev, "mask", STATX_SIZE);
	core_eq_ptr(ev, "buffer", &stx);

	cr_assert_eq(syscall(SYS_statx, AT_FDCWD, p, 0x7fff0000, STATX_SIZE, &stx), -1);
	core_expect(h, "statx", -EINVAL);

	cr_assert_eq(syscall(SYS_access, p, R_OK | W_OK), 0);
	ev = core_expect(h, "access", 0);
	core_eq_str(ev, "filename", p);
	core_eq_i(ev, "mode", R_OK | W_OK);

	cr_assert_eq(syscall(SYS_access, miss, F_OK), -1);
	ev = core_expect(h, "access", -ENOENT);
	core_eq_str(ev, "filename", miss);
	core_eq_i(ev, "mode", F_OK);

	cr_assert_eq(syscall(SYS_faccessat, AT_FDCWD, p, X_OK), -1);
	ev = core_expect(h, "faccessat", -EACCES);
	core_eq_i(ev, "dfd", AT_FDCWD);
	core_eq_str(ev, "filename", p);
	core_eq_i(ev, "mode", X_OK);
	close(fd);
	kd_close(h);
}

Test(core_file, names_and_dirs, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("mkdir,mkdirat,symlink,readlink,rename,renameat2,unlink,unlinkat,getdents64");
	char d1[128], f1[128], f2[128], f3[128], ln[128], buf[256];
	const struct kd_event *ev;
	struct kd_value v;
	long n;
	int dfd, fd;

	in_dir("d1", d1, sizeof(d1));
	in_dir("f1", f1, sizeof(f1));
	in_dir("f2", f2, sizeof(f2));
	in_dir("f3", f3, sizeof(f3));
	in_dir("ln", ln, sizeof(ln));
	fd = open(f1, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(dfd, 0);

	cr_assert_eq(syscall(SYS_mkdir, d1, 0750), 0);
	ev = core_expect(h, "mkdir", 0);
	core_eq_str(ev, "pathname", d1);
	core_eq_u(ev, "mode", 0750);

	cr_assert_eq(syscall(SYS_mkdir, d1, 0750), -1);
	core_eq_str(core_expect(h, "mkdir", -EEXIST), "pathname", d1);

	cr_assert_eq(syscall(SYS_mkdirat, dfd, "sub", 0700), 0);
	ev = core_expect(h, "mkdirat", 0);
	core_eq_i(ev, "dfd", dfd);
	core_eq_str(ev, "pathname", "sub");
	core_eq_u(ev, "mode", 0700);

	cr_assert_eq(syscall(SYS_symlink, "f1", ln), 0);
	ev = core_expect(h, "symlink", 0);
	core_eq_str(ev, "oldname", "f1");
	core_eq_str(ev, "newname", ln);

	cr_assert_eq(syscall(SYS_readlink, ln, buf, sizeof(buf)), 2);
	ev = core_expect(h, "readlink", 2);
	core_eq_str(ev, "path", ln);
	core_eq_bytes(ev, "buf", "f1", 2);
	core_eq_i(ev, "bufsiz", sizeof(buf));

	cr_assert_eq(syscall(SYS_readlink, f1, buf, sizeof(buf)), -1);
	ev = core_expect(h, "readlink", -EINVAL);
	core_eq_null(ev, "buf");

	cr_assert_eq(syscall(SYS_rename, f1, f2), 0);
	ev = core_expect(h, "rename", 0);
	core_eq_str(ev, "oldname", f1);
	core_eq_str(ev, "newname", f2);

	cr_assert_eq(syscall(SYS_rename, f1, f2), -1);
	core_expect(h, "rename", -ENOENT);

	cr_assert_eq(syscall(SYS_renameat2, AT_FDCWD, f2, dfd, "f3", RENAME_NOREPLACE), 0);
	ev = core_expect(h, "renameat2", 0);
	core_eq_i(ev, "olddfd", AT_FDCWD);
	core_eq_str(ev, "oldname", f2);
	core_eq_i(ev, "newdfd", dfd);
	core_eq_str(ev, "newname", "f3");
	core_eq_u(ev, "flags", RENAME_NOREPLACE);

	cr_assert_eq(syscall(SYS_renameat2, AT_FDCWD, f3, AT_FDCWD, ln, RENAME_NOREPLACE), -1);
	core_expect(h, "renameat2", -EEXIST);

	n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
	cr_assert_gt(n, 80);
	ev = core_expect(h, "getdents64", n);
	core_eq_i(ev, "fd", dfd);
	core_eq_u(ev, "count", sizeof(buf));
	v = core_param(ev, "dirent");
	cr_assert_eq(v.len, 80, "snaplen 80: got %zu", v.len);
	cr_assert_eq(memcmp(v.ptr, buf, 80), 0);
	cr_assert(kd_event_record_flags(ev) & KD_RF_TRUNCATED);
	{
		/* the whole entries of those 80 bytes by name, then "..." */
		char text[1024], one[300];
		size_t off = 0, whole = 0;
		const char *at = text;

		cr_assert_geq(kd_event_param_format(ev, 1, text, sizeof(text)), 0);
		while (off + 19 <= 80) {
			uint16_t reclen;
			uint64_t ino;

			memcpy(&reclen, buf + off + 16, 2);
			memcpy(&ino, buf + off, 8);
			if (off + reclen > 80)
				break;
			snprintf(one, sizeof(one), "{ino=%llu, type=%s, name=\"%s\"}",
				 (unsigned long long)ino,
				 buf[off + 18] == DT_DIR ? "DT_DIR" : buf[off + 18] == DT_REG ? "DT_REG" :
				 buf[off + 18] == DT_LNK ? "DT_LNK" : "?", buf + off + 19);
			at = strstr(at, one);
			cr_assert_not_null(at, "%s not in %s", one, text);
			whole++;
			off += reclen;
		}
		cr_assert_geq(whole, 1, "%s", text);
		cr_assert(strlen(text) > 6 && strcmp(text + strlen(text) - 6, ", ...]") == 0, "%s", text);
	}

	cr_assert_eq(syscall(SYS_getdents64, CORE_BAD_FD, buf, sizeof(buf)), -1);
	core_expect(h, "getdents64", -EBADF);

	cr_assert_eq(syscall(SYS_unlink, f3), 0);
	core_eq_str(core_expect(h, "unlink", 0), "pathname", f3);
	cr_assert_eq(syscall(SYS_unlink, f3), -1);
	core_eq_str(core_expect(h, "unlink", -ENOENT), "pathname", f3);

	cr_assert_eq(syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR), 0);
	ev = core_expect(h, "unlinkat", 0);
	core_eq_i(ev, "dfd", dfd);
	core_eq_str(ev, "pathname", "sub");
	core_eq_i(ev, "flag", AT_REMOVEDIR);

	cr_assert_eq(syscall(SYS_unlinkat, dfd, "d1", 0), -1);
	ev = core_expect(h, "unlinkat", -EISDIR);
	core_eq_i(ev, "flag", 0);
	close(dfd);
	kd_close(h);
}

Test(core_file, attrs_sync_lock_cwd, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct kd_handle *h = core_open("chmod,fchmod,truncate,ftruncate,fsync,flock,chdir,getcwd");
	char p[128], miss[128], cwd[PATH_MAX];
	const struct kd_event *ev;
	long n;
	int fd;

	in_dir("f", p, sizeof(p));
	in_dir("nope", miss, sizeof(miss));
	fd = open(p, O_RDWR | O_CREAT, 0600);
	cr_assert_geq(fd, 0);

	cr_assert_eq(syscall(SYS_chmod, p, 0604), 0);
	ev = core_expect(h, "chmod", 0);
	core_eq_str(ev, "filename", p);
	core_eq_u(ev, "mode", 0604);
	cr_assert_eq(syscall(SYS_chmod, miss, 0604), -1);
	core_eq_str(core_expect(h, "chmod", -ENOENT), "filename", miss);

	cr_assert_eq(fchmod(fd, 0640), 0);
	ev = core_expect(h, "fchmod", 0);
	core_eq_i(ev, "fd", fd);
	core_eq_u(ev, "mode", 0640);
	cr_assert_eq(fchmod(CORE_BAD_FD, 0640), -1);
	core_expect(h, "fchmod", -EBADF);

	cr_assert_eq(truncate(p, 10), 0);
	ev = core_expect(h, "truncate", 0);
	core_eq_str(ev, "path", p);
	core_eq_i(ev, "length", 10);
	cr_assert_eq(truncate(p, -1), -1);
	core_eq_i(core_expect(h, "truncate", -EINVAL), "length", -1);

	cr_assert_eq(ftruncate(fd, 3), 0);
	ev = core_expect(h, "ftruncate", 0);
	core_eq_i(ev, "fd", fd);
	core_eq_i(ev, "length", 3);
	cr_assert_eq(ftruncate(CORE_BAD_FD, 3), -1);
	core_expect(h, "ftruncate", -EBADF);

	cr_assert_eq(fsync(fd), 0);
	core_eq_i(core_expect(h, "fsync", 0), "fd", fd);
	cr_assert_eq(fsync(CORE_BAD_FD), -1);
	core_expect(h, "fsync", -EBADF);

	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	ev = core_expect(h, "flock", 0);
	core_eq_i(ev, "fd", fd);
	core_eq_u(ev, "cmd", LOCK_EX | LOCK_NB);
	cr_assert_eq(flock(fd, 0), -1);
	core_eq_u(core_expect(h, "flock", -EINVAL), "cmd", 0);

	cr_assert_eq(chdir(dir), 0);
	core_eq_str(core_expect(h, "chdir", 0), "filename", dir);
	cr_assert_eq(chdir(miss), -1);
	core_eq_str(core_expect(h, "chdir", -ENOENT), "filename", miss);

	n = syscall(SYS_getcwd, cwd, sizeof(cwd));
	cr_assert_eq(n, (long)strlen(dir) + 1);
	ev = core_expect(h, "getcwd", n);
	core_eq_str(ev, "buf", dir);
	core_eq_u(ev, "size", sizeof(cwd));
	cr_assert_eq(syscall(SYS_getcwd, cwd, 1), -1);
	core_eq_u(core_expect(h, "getcwd", -ERANGE), "size", 1);
	cr_assert_eq(chdir("/"), 0);
	close(fd);
	kd_close(h);
}

/* ioctl's cmd by name when the schema knows the request, else in hex. */
Test(core_file, ioctl_cmd_names)
{
	struct kd_handle *h = core_open("ioctl");
	const struct kd_event *ev;
	char buf[64];
	int p[2], n = -1, fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], "abc", 3), 3);
	cr_assert_eq(ioctl(p[0], FIONREAD, &n), 0);
	cr_assert_eq(n, 3);
	ev = core_expect(h, "ioctl", 0);
	core_eq_i(ev, "fd", p[0]);
	core_eq_u(ev, "cmd", FIONREAD);
	core_eq_ptr(ev, "arg", &n);
	cr_assert_geq(kd_event_param_format(ev, 1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "FIONREAD");

	/* one the set does not know, with a size and direction valgrind can
	 * check (an _IOR of 4 bytes) */
	cr_assert_eq(ioctl(fd, 0x80047899, &n), -1);
	ev = core_expect(h, "ioctl", -ENOTTY);
	cr_assert_geq(kd_event_param_format(ev, 1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "0x80047899");
	core_eq_null(ev, "data");
	close(p[0]);
	close(p[1]);
	close(fd);
	kd_close(h);
}

/* ioctl's data (schema 8): what arg points to for the commands kindling
 * knows, the kernel's answer only when the call succeeded. On a pty. */
Test(core_file, ioctl_data)
{
	struct kd_handle *h = core_open("ioctl");
	struct winsize ws = { .ws_row = 33, .ws_col = 101 }, got;
	struct termios tio;
	const struct kd_event *ev;
	struct kd_value v;
	char buf[256];
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s, n = -1, one = 1, p[2];
	uint32_t lflag;

	cr_assert_geq(m, 0);
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(s, 0);
	core_drain(h);

	/* TCGETS answers with the kernel's struct termios (36 bytes) */
	cr_assert_eq(tcgetattr(s, &tio), 0);
	ev = core_expect(h, "ioctl", 0);
	core_eq_u(ev, "cmd", TCGETS);
	v = core_param(ev, "data");
	cr_assert(v.flags & KD_VAL_BYTES);
	cr_assert_eq(v.len, 36);
	memcpy(&lflag, (const uint8_t *)v.ptr + 12, sizeof(lflag));
	cr_assert_eq(lflag, tio.c_lflag);
	cr_assert_eq(((const uint8_t *)v.ptr)[17], tio.c_cc[0], "c_cc follows c_line");
	/* shown with its flag words by name */
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "c_lflag=") && strstr(buf, "c_cflag=B"), "%s", buf);
	cr_assert_eq(!!strstr(buf, "ICANON"), !!(tio.c_lflag & ICANON), "%s", buf);
	/* TIOCSWINSZ hands one over, TIOCGWINSZ answers with it */
	cr_assert_eq(ioctl(s, TIOCSWINSZ, &ws), 0);
	core_eq_bytes(core_expect(h, "ioctl", 0), "data", &ws, sizeof(ws));
	cr_assert_eq(ioctl(s, TIOCGWINSZ, &got), 0);
	ev = core_expect(h, "ioctl", 0);
	core_eq_bytes(ev, "data", &ws, sizeof(ws));
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{ws_row=33, ws_col=101, ws_xpixel=0, ws_ypixel=0}");
	/* an int either way: FIONBIO's flag, FIONREAD's count */
	cr_assert_eq(ioctl(s, FIONBIO, &one), 0);
	core_eq_bytes(core_expect(h, "ioctl", 0), "data", &one, sizeof(one));
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], "abcde", 5), 5);
	cr_assert_eq(ioctl(p[0], FIONREAD, &n), 0);
	ev = core_expect(h, "ioctl", 0);
	cr_assert_geq(kd_event_param_format(ev, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "[5]");
	/* an answer that failed is not read: whatever lay there is not shown */
	cr_assert_eq(ioctl(p[0], TCGETS, &tio), -1);
	core_eq_null(core_expect(h, "ioctl", -ENOTTY), "data");
	close(p[0]);
	close(p[1]);
	close(s);
	close(m);
	kd_close(h);
}
