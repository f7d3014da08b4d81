/*
 * tests/test_core_mem.c: memory syscalls through the CO-RE engine. Events
 * are matched by their unusual sizes: malloc (and a sanitizer's allocator)
 * call mmap and munmap on their own. Valgrind places and moves mappings
 * itself, so there only what it cannot change is checked.
 */
#include <sys/mman.h>

#include "core_test.h"

TestSuite(core_mem, .timeout = 30);

Test(core_mem, mmap_mprotect_madvise_mremap_munmap)
{
	struct kd_handle *h = core_open("mmap,mprotect,madvise,mremap,munmap");
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = 7 * pg, len2 = 11 * pg;
	bool vg = kd_test_under_valgrind();
	const struct kd_event *ev;
	char *p, *q;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	ev = core_expect_where(h, "mmap", "len", (int64_t)len, (int64_t)(uintptr_t)p);
	core_eq_u(ev, "prot", PROT_READ | PROT_WRITE);
	/* an int in an unsigned long argument: its low 32 bits */
	cr_assert_eq((int32_t)core_param(ev, "fd").u, -1);
	core_eq_u(ev, "off", 0);
	if (!vg) {
		core_eq_u(ev, "addr", 0);
		core_eq_u(ev, "flags", MAP_PRIVATE | MAP_ANONYMOUS);
	}
	cr_assert_eq(mmap(NULL, 13 * pg, PROT_READ, MAP_PRIVATE, -1, 0), MAP_FAILED);
	ev = core_expect_where(h, "mmap", "len", (int64_t)(13 * pg), -EBADF);
	cr_assert_eq((int32_t)core_param(ev, "fd").u, -1);

	cr_assert_eq(mprotect(p, pg, PROT_READ), 0);
	ev = core_expect_where(h, "mprotect", "start", (int64_t)(uintptr_t)p, 0);
	core_eq_u(ev, "len", pg);
	core_eq_u(ev, "prot", PROT_READ);
	cr_assert_eq(mprotect(p + 1, pg, PROT_READ), -1);
	core_expect_where(h, "mprotect", "start", (int64_t)(uintptr_t)(p + 1), -EINVAL);
	cr_assert_eq(mprotect(p, pg, PROT_READ | PROT_WRITE), 0); /* one mapping again, for mremap */

	cr_assert_eq(madvise(p + pg, pg, MADV_DONTNEED), 0);
	ev = core_expect_where(h, "madvise", "start", (int64_t)(uintptr_t)(p + pg), 0);
	core_eq_u(ev, "len_in", pg);
	core_eq_i(ev, "behavior", MADV_DONTNEED);
	cr_assert_eq(madvise(p + pg, pg, 12345), -1);
	core_eq_i(core_expect_where(h, "madvise", "behavior", 12345, -EINVAL), "len_in", pg);

	if (!vg) {
		q = mremap(p, len, len2, MREMAP_MAYMOVE);
		cr_assert_neq(q, MAP_FAILED);
		ev = core_expect_where(h, "mremap", "addr", (int64_t)(uintptr_t)p, (int64_t)(uintptr_t)q);
		core_eq_u(ev, "old_len", len);
		core_eq_u(ev, "new_len", len2);
		core_eq_u(ev, "flags", MREMAP_MAYMOVE);
		cr_assert_eq(mremap(q + 1, pg, pg, 0), MAP_FAILED);
		core_expect_where(h, "mremap", "addr", (int64_t)(uintptr_t)(q + 1), -EINVAL);
		p = q;
		len = len2;
	}

	cr_assert_eq(munmap(p, len), 0);
	ev = core_expect_where(h, "munmap", "addr", (int64_t)(uintptr_t)p, 0);
	core_eq_u(ev, "len", len);
	cr_assert_eq(munmap(p + 1, pg), -1);
	core_expect_where(h, "munmap", "addr", (int64_t)(uintptr_t)(p + 1), -EINVAL);
	kd_close(h);
}

Test(core_mem, brk)
{
	struct kd_handle *h;
	const struct kd_event *ev;
	long cur;

	if (kd_test_under_valgrind())
		cr_skip_test("valgrind emulates brk");
	h = core_open("brk");
	cur = syscall(SYS_brk, 0);
	cr_assert_gt(cur, 0);
	ev = core_expect_where(h, "brk", "brk", 0, cur);
	core_eq_u(ev, "brk", 0);
	/* a break below the data segment is refused: brk returns the old one */
	cr_assert_eq(syscall(SYS_brk, 4096), cur);
	core_expect_where(h, "brk", "brk", 4096, cur);
	kd_close(h);
}
