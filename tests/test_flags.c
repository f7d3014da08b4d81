/*
 * tests/test_flags.c: schema/flags.def values and syscall numbers against the
 * system headers. kd-schemagen writes header_checks.h: one _Static_assert per
 * KD_F row guarded by #ifdef NAME, so a wrong value does not compile; the
 * tests below check that enough of them were actually checked and that every
 * entry renders back to its own name.
 */
/* Every header that defines a name flags.def may use; the linux/ ones add
 * what glibc leaves out or declares as enum constants only (PTRACE_*). */
#include <asm/prctl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/close_range.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/landlock.h>
#include <linux/membarrier.h>
#include <linux/memfd.h>
#include <linux/mempolicy.h>
#include <linux/module.h>
#include <linux/openat2.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
/* after <sys/ptrace.h>: the other order clashes with glibc's enum */
#include <linux/ptrace.h>

#include <criterion/criterion.h>

#include "internal.h"

/* glibc defines O_LARGEFILE as 0 on 64-bit; the kernel ABI value is the
 * schema's (asm-generic/fcntl.h: 00100000). */
#undef O_LARGEFILE

#include "header_checks.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

TestSuite(flags, .timeout = 30);

/* Most names must come from the headers: a typo in a name would otherwise
 * silently skip its check. The unchecked ones are listed in the log. */
Test(flags, most_values_checked_against_headers)
{
	size_t n = ARRAY_SIZE(kd_flag_checks), checked = 0;

	for (size_t i = 0; i < n; i++) {
		if (kd_flag_checks[i].checked)
			checked++;
		else
			cr_log_info("not in the system headers: %s %s", kd_flag_checks[i].set,
				    kd_flag_checks[i].name);
	}
	cr_log_info("%zu of %zu flag values checked against the headers", checked, n);
	cr_expect_gt(n, 0);
	/* the rest are enum constants, kernel-internal or newer than the headers */
	cr_expect_geq(checked * 10, n * 7, "only %zu of %zu flag names are header macros", checked, n);
}

Test(flags, syscall_numbers_checked_against_headers)
{
	size_t n = ARRAY_SIZE(kd_nr_checks), checked = 0;

	for (size_t i = 0; i < n; i++) {
		if (kd_nr_checks[i].checked)
			checked++;
		else
			cr_log_info("no __NR_%s in <sys/syscall.h>", kd_nr_checks[i].name);
	}
	cr_expect_gt(n, 0);
	cr_expect_geq(checked * 10, n * 9, "only %zu of %zu syscalls have an __NR_ macro", checked, n);
}

/* Every entry shows its own name when formatted alone, unless an earlier
 * entry has the same value and mask (an alias: EWOULDBLOCK after EAGAIN). */
Test(flags, entries_format_to_their_name)
{
	char buf[1024];

	for (size_t s = 1; s < kd__set_count(); s++) {
		size_t n;
		const struct kd__flag *f = kd__set_entries((uint16_t)s, &n);
		const char *set = kd__set_name((uint16_t)s);

		cr_expect_gt(n, 0, "set %s has entries", set);
		for (size_t i = 0; i < n; i++) {
			bool alias = false;
			size_t len = strlen(f[i].name);
			const char *hit;

			cr_expect_eq(f[i].value & ~f[i].mask, 0, "%s %s: value outside its mask", set,
				     f[i].name);
			for (size_t j = 0; j < i; j++) {
				alias |= f[j].value == f[i].value && f[j].mask == f[i].mask;
				cr_expect_str_neq(f[j].name, f[i].name, "%s: %s twice", set, f[i].name);
			}
			if (alias)
				continue;
			cr_assert_geq(kd__set_format((uint16_t)s, f[i].value, buf, sizeof(buf)), 0);
			hit = strstr(buf, f[i].name);
			while (hit && ((hit != buf && hit[-1] != '|') || (hit[len] && hit[len] != '|')))
				hit = strstr(hit + 1, f[i].name);
			cr_expect_not_null(hit, "%s: %s (0x%llx) formats as \"%s\"", set, f[i].name,
					   (unsigned long long)f[i].value, buf);
			cr_expect_null(strstr(buf, "0x"), "%s: %s leaves bits: \"%s\"", set, f[i].name, buf);
		}
	}
}

/* kd_flags_name(): the entry whose value is v, by the public set name. */
Test(flags, name_of_one_value)
{
	for (size_t s = 1; s < kd__set_count(); s++) {
		size_t n;
		const struct kd__flag *f = kd__set_entries((uint16_t)s, &n);
		const char *set = kd__set_name((uint16_t)s), *name;

		for (size_t i = 0; i < n; i++) {
			name = kd_flags_name(set, f[i].value);
			cr_assert_not_null(name, "%s: %s", set, f[i].name);
			/* the first entry of that value (aliases share it) */
			for (size_t j = 0; j < n; j++)
				if (f[j].value == f[i].value) {
					cr_expect_str_eq(name, f[j].name, "%s: %s", set, f[i].name);
					break;
				}
		}
	}
	cr_assert_str_eq(kd_flags_name("cld_code", CLD_KILLED), "CLD_KILLED");
	cr_assert_str_eq(kd_flags_name("open_flags", O_CREAT), "O_CREAT");
	cr_assert_null(kd_flags_name("open_flags", O_CREAT | O_EXCL)); /* two entries */
	cr_assert_null(kd_flags_name("cld_code", 99));
	cr_assert_null(kd_flags_name("no_such_set", 1));
	cr_assert_null(kd_flags_name(NULL, 1));
}

/* kd_sockopt_name(): the option's name at its level, NULL elsewhere. */
Test(flags, sockopt_names_by_level)
{
	cr_assert_str_eq(kd_sockopt_name(SOL_SOCKET, SO_ERROR), "SO_ERROR");
	cr_assert_str_eq(kd_sockopt_name(SOL_SOCKET, SO_KEEPALIVE), "SO_KEEPALIVE");
	cr_assert_str_eq(kd_sockopt_name(IPPROTO_TCP, TCP_NODELAY), "TCP_NODELAY");
	cr_assert_str_eq(kd_sockopt_name(IPPROTO_TCP, TCP_KEEPIDLE), "TCP_KEEPIDLE");
	cr_assert_str_eq(kd_sockopt_name(IPPROTO_IP, IP_TTL), "IP_TTL");
	cr_assert_str_eq(kd_sockopt_name(IPPROTO_IPV6, IPV6_V6ONLY), "IPV6_V6ONLY");
	/* 1 is SO_DEBUG, TCP_NODELAY, IP_TOS or IPV6_ADDRFORM: the level decides */
	cr_assert_str_eq(kd_sockopt_name(IPPROTO_IP, 1), "IP_TOS");
	cr_assert_null(kd_sockopt_name(SOL_SOCKET, 9999));
	cr_assert_null(kd_sockopt_name(IPPROTO_UDP, 1));
	cr_assert_null(kd_sockopt_name(SOL_SOCKET, -1));
}

/* The kernel side's ioctl commands (KD_IOCTL_ARGS, drivers/record.h): the
 * values and argument sizes of this system's headers, each once. */
Test(flags, ioctl_args_checked_against_headers)
{
	static const struct {
		uint32_t cmd, bytes, out;
	} tab[] = {
#define KD__ROW(c, b, o) { c, b, o },
		KD_IOCTL_ARGS(KD__ROW)
#undef KD__ROW
	};
	static const struct {
		uint32_t cmd, bytes, out;
		const char *name;
	} want[] = {
		/* the kernel's struct termios (4 flag words, the line, 19 control
		 * chars), not glibc's larger one */
		{ TCGETS, 36, 1, "TCGETS" },          { TCSETS, 36, 0, "TCSETS" },
		{ TCSETSW, 36, 0, "TCSETSW" },        { TCSETSF, 36, 0, "TCSETSF" },
		{ TIOCGPGRP, sizeof(pid_t), 1, "TIOCGPGRP" },
		{ TIOCSPGRP, sizeof(pid_t), 0, "TIOCSPGRP" },
		{ TIOCOUTQ, sizeof(int), 1, "TIOCOUTQ" },
		{ TIOCGWINSZ, sizeof(struct winsize), 1, "TIOCGWINSZ" },
		{ TIOCSWINSZ, sizeof(struct winsize), 0, "TIOCSWINSZ" },
		{ TIOCMGET, sizeof(int), 1, "TIOCMGET" }, { FIONREAD, sizeof(int), 1, "FIONREAD" },
		{ FIONBIO, sizeof(int), 0, "FIONBIO" },   { TIOCGSID, sizeof(pid_t), 1, "TIOCGSID" },
		{ FIOASYNC, sizeof(int), 0, "FIOASYNC" }, { TIOCGPTN, sizeof(unsigned), 1, "TIOCGPTN" },
		{ TIOCSPTLCK, sizeof(int), 0, "TIOCSPTLCK" },
	};

	cr_assert_eq(ARRAY_SIZE(tab), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		size_t n = 0;

		for (size_t j = 0; j < ARRAY_SIZE(tab); j++)
			if (tab[j].cmd == want[i].cmd) {
				n++;
				cr_expect(tab[j].bytes == want[i].bytes && tab[j].out == want[i].out,
					  "%s: %u bytes, out %u", want[i].name, tab[j].bytes, tab[j].out);
				cr_expect_leq(tab[j].bytes, KD_IOCTL_MAX);
			}
		cr_expect_eq(n, 1, "%s (%#x) is in KD_IOCTL_ARGS %zu times", want[i].name, want[i].cmd, n);
	}
}
