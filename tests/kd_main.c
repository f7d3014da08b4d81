/* tests/kd_main.c: the main of every test binary. It is criterion's own,
 * except under memcheck (scripts/test sets KD_VALGRIND): there every test's
 * timeout is KD_VALGRIND_SLOWER times longer. The timeouts catch hangs; a
 * live kdump's kd_open alone takes ~11 s of CPU under memcheck, so the
 * margin that is ample natively is not on a loaded CI machine. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>
#include <criterion/internal/ordered-set.h>

#define KD_VALGRIND_SLOWER 4

static void stretch(struct criterion_test_extra_data *d)
{
	if (d && d->timeout > 0)
		d->timeout *= KD_VALGRIND_SLOWER;
}

static void stretch_suite(struct criterion_suite_set *s)
{
	stretch(s->suite.data);
	FOREACH_SET(struct criterion_test *t, s->tests)
		stretch(t->data);
}

/*
 * Under memcheck, a child a test forks while a handle is open spent ~6 s in
 * valgrind's leak check at its exit: the kernel does not give a child the
 * rings and regions (MADV_DONTFORK), but valgrind still counts them mapped
 * and its scan faults on every page of them. So the child unmaps what the
 * parent had marked so (VmFlags "dc" in smaps) as soon as it starts: the
 * kernel has nothing there, valgrind forgets them.
 */
#define DC_MAX 64
static struct {
	uintptr_t start;
	size_t len;
} dc[DC_MAX];
static int ndc;

static void dc_prepare(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long long s = 0, e = 0;
	char line[512];

	ndc = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		if (sscanf(line, "%llx-%llx ", &a, &b) == 2) {
			s = a, e = b;
		} else if (strncmp(line, "VmFlags:", 8) == 0 && strstr(line, " dc") && ndc < DC_MAX &&
			   e > s) {
			dc[ndc].start = (uintptr_t)s;
			dc[ndc].len = (size_t)(e - s);
			ndc++;
		}
	}
	fclose(f);
}

static void dc_child(void)
{
	for (int i = 0; i < ndc; i++)
		munmap((void *)dc[i].start, dc[i].len);
}

/* a constructor: criterion's workers run the tests without this main */
__attribute__((constructor)) static void dc_init(void)
{
	if (getenv("KD_VALGRIND"))
		pthread_atfork(dc_prepare, NULL, dc_child);
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *set = criterion_initialize();
	int rc = 0;

	/* the runner reads the timeouts when it starts each worker */
	if (getenv("KD_VALGRIND"))
		FOREACH_SET(struct criterion_suite_set *s, set->suites)
			stretch_suite(s);
	if (criterion_handle_args(argc, argv, true))
		rc = !criterion_run_all_tests(set);
	criterion_finalize(set);
	return rc;
}
