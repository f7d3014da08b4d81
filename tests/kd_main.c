/* tests/kd_main.c: the main of every test binary. It is criterion's own,
 * except under memcheck (scripts/test sets KD_VALGRIND): there every test's
 * timeout is KD_VALGRIND_SLOWER times longer. The timeouts catch hangs; a
 * live kdump's kd_open alone takes ~11 s of CPU under memcheck, so the
 * margin that is ample natively is not on a loaded CI machine. */
#include <stdlib.h>

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
