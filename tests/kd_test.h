/* tests/kd_test.h: helpers shared by the criterion tests. */
#ifndef KD_TEST_H
#define KD_TEST_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <criterion/criterion.h>

/* CI=true: the environment promises root, tracefs and BPF, so a kernel test
 * that cannot run is a failure there, not a skip. */
static inline bool kd_test_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && strcmp(ci, "true") == 0;
}

static inline bool kd_test_is_root(void)
{
	return geteuid() == 0;
}

/* Under valgrind some syscalls never reach the kernel as the program made
 * them (brk is emulated, signal handlers are valgrind's own), it does not
 * know every ioctl, and every fork is a slow copy of the tool. */
static inline bool kd_test_under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/* Skip the current test with a reason ("needs root: ..."), or fail it in CI.
 * Both leave the test function. */
#define KD_SKIP_OR_FAIL(...)                                                  \
	do {                                                                  \
		if (kd_test_in_ci())                                          \
			cr_assert_fail("CI=true, cannot skip: " __VA_ARGS__); \
		cr_skip_test(__VA_ARGS__);                                    \
	} while (0)

/* fork() with the child held until the parent writes a byte to *go_w (and
 * then closes it): the child returns 0 once released (or _exits 1), the
 * parent the child's pid. So a test opens its handle on a known pid before
 * the child does anything. */
static inline pid_t fork_held(int *go_w)
{
	int go[2];
	pid_t pid;

	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		close(go[0]);
		return 0;
	}
	close(go[0]);
	*go_w = go[1];
	return pid;
}

static inline void release_held(int go_w)
{
	cr_assert_eq(write(go_w, "g", 1), 1);
	close(go_w);
}

#endif
