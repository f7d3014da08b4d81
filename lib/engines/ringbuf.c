/*
 * lib/engines/ringbuf.c: our own BPF ring buffer consumer, so records are
 * read in place (zero copy) and handed out one at a time in timestamp order
 * across CPUs, which libbpf's callback-per-record ring_buffer cannot do.
 * Mapping and publishing here; the per-record steps (peek, advance) are
 * inline in ringbuf.h.
 *
 * The kernel's layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos
 * (writable by us), page 1 producer_pos, then the data pages mapped twice so
 * a record that wraps is still contiguous. Each record starts with an 8-byte
 * header: u32 len with BUSY (being written) and DISCARD bits, u32 page offset;
 * records are 8-byte aligned.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf.h"

int kd__ring_map(struct kd__ring *r, int fd, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->size = size;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->cons = p;
	r->prod_map_len = (size_t)page + 2 * (size_t)size;
	p = mmap(NULL, r->prod_map_len, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (p == MAP_FAILED) {
		int err = -errno;

		munmap(r->cons, (size_t)page);
		r->cons = NULL;
		return err;
	}
	r->prod = p;
	r->data = (const uint8_t *)p + page;
	/* the kernel maps ring pages one by one (a mixed map), and fork copies
	 * the page tables of such maps: with two 8 MiB rings every fork of the
	 * host process cost ~0.3 ms more (kd-bench-probes, proc_fork). A child
	 * cannot use the rings anyway. */
	madvise(r->cons, (size_t)page, MADV_DONTFORK);
	madvise(p, r->prod_map_len, MADV_DONTFORK);
	r->pos = r->published = r->prod_seen = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
	return 0;
}

void kd__ring_region(struct kd__ring *r, const uint8_t *data, uint64_t size, uint64_t chunk,
		     const void *head, void *tail)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->region = true;
	r->size = size;
	r->chunk = chunk;
	r->cons = (unsigned long *)tail;
	r->prod = (const unsigned long *)head;
	r->data = data;
	r->pos = r->published = r->prod_seen = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
}

void kd__ring_unmap(struct kd__ring *r)
{
	long page = sysconf(_SC_PAGESIZE);

	if (r->region) {
		r->cons = NULL;
		r->prod = NULL;
		return;
	}
	if (r->cons)
		munmap(r->cons, (size_t)page);
	if (r->prod)
		munmap((void *)r->prod, r->prod_map_len);
	r->cons = NULL;
	r->prod = NULL;
}

void kd__ring_publish(struct kd__ring *r)
{
	if (r->pos == r->published)
		return;
	__atomic_store_n(r->cons, r->pos, __ATOMIC_RELEASE);
	r->published = r->pos;
}
