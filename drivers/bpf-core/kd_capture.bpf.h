/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_capture.bpf.h: copy one syscall argument into the record being built,
 * as its struct kd_kparam says. Included once, by kd_core.bpf.c.
 *
 * kd_cap_param() is a global function on purpose: the verifier checks it
 * once, on its own, instead of once per parameter and call site, which keeps
 * the exit program far below the complexity limit on old kernels too.
 */
#ifndef KD_CAPTURE_BPF_H
#define KD_CAPTURE_BPF_H

#define KD_IOV_MAX 8 /* iovec entries gathered */

struct kd_iov {
	__u64 base;
	__u64 len;
};

/* The clone3 flags kd_fork_seen() kept for this new thread, taken once. */
static __always_inline bool kd_clone3_child_flags(__u64 *fl)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *v = bpf_map_lookup_elem(&kd_clone3_flags, &tid);

	if (!v)
		return false;
	*fl = *v;
	bpf_map_delete_elem(&kd_clone3_flags, &tid);
	return true;
}

/* Length of a buffer argument from its aux column (drivers/record.h). */
static __always_inline __u64 kd_aux_len(struct kd_scratch *s, __u8 aux)
{
	__u32 j = KD_LEN_IDX(aux);
	__s64 ret = s->ret;
	__u32 v = 0;

	if (j >= 6)
		return 0;
	switch (KD_LEN_SRC(aux)) {
	case KD_LEN_ARG(0):
		return s->args[j];
	case KD_LEN_ARGPTR(0):
		/* a value-result length: the kernel writes it only on success */
		if (ret < 0 || bpf_probe_read_user(&v, sizeof(v), (void *)s->args[j]))
			return 0;
		return v;
	case KD_LEN_RET:
		return ret > 0 ? (__u64)ret : 0;
	case KD_LEN_ARG_MIN_RET(0):
		if (ret < 0)
			return 0;
		return s->args[j] < (__u64)ret ? s->args[j] : (__u64)ret;
	}
	return 0;
}

static __always_inline __u32 kd_cap_bytes(struct kd_scratch *s, __u32 off, __u64 ptr,
					  __u64 want, __u64 limit, __u32 room)
{
	if (want > limit) {
		want = limit;
		s->rflags |= KD_RF_TRUNCATED;
	}
	if (want > room) {
		want = room;
		s->rflags |= KD_RF_TRUNCATED;
	}
	if (!ptr || !want)
		return 0;
	want &= KD_BPF_REC_MASK;
	if (bpf_probe_read_user(&s->buf[off & KD_BPF_REC_MASK], want, (void *)ptr)) {
		s->rflags |= KD_RF_READ_FAULT;
		return 0;
	}
	return want;
}

/* ioctl's data (KD_CAP_IOCTL, drivers/record.h): KD_IOCTL_ARGS as data,
 * cmd then bytes | out << 8. In .data, not .rodata, on purpose: the
 * verifier then knows nothing of the sizes it reads and checks the copy
 * once, where a switch on the commands made it check the rest of the
 * in-place path once per size (~15-20 ms more per kd_open). */
__u32 kd_ioctl_tab[][2] = {
#define KD__IOCTL_ROW(c, b, o) { c, (b) | (o) << 8 },
	KD_IOCTL_ARGS(KD__IOCTL_ROW)
#undef KD__IOCTL_ROW
};

/* The bytes to read through ioctl's arg for command cmd: 0 for none (an
 * unknown command, or an answer of a call that failed). In the scratch
 * and in place alike. */
static __always_inline __u32 kd_ioctl_want(__u32 cmd, long ret)
{
	__u32 v = 0;

#pragma unroll
	for (__u32 i = 0; i < sizeof(kd_ioctl_tab) / sizeof(kd_ioctl_tab[0]); i++)
		if (kd_ioctl_tab[i][0] == cmd) {
			v = kd_ioctl_tab[i][1];
			break;
		}
	if ((v >> 8) && ret < 0)
		return 0;
	/* every size is below 64 (KD_IOCTL_MAX): the verifier sees the bound */
	return v & 63;
}

/* Bytes of epoll_wait's ready for result ret, in the scratch and in place
 * alike: 12 per event it returned, at most one past KD_EPOLLEV_MAX (which
 * says "cut"; the product cannot wrap). */
static __always_inline __u64 kd_epollev_want(long ret)
{
	if (ret <= 0)
		return 0;
	return ((__u64)ret > KD_EPOLLEV_MAX ? KD_EPOLLEV_MAX + 1 : (__u64)ret) * 12;
}

static __always_inline __u32 kd_cap_str(struct kd_scratch *s, __u32 off, __u64 ptr, __u32 room)
{
	__u32 sz = room < KD_STR_MAX ? room : KD_STR_MAX;
	long n;

	if (!ptr)
		return 0;
	if (!sz) {
		s->rflags |= KD_RF_TRUNCATED;
		return 0;
	}
	n = bpf_probe_read_user_str(&s->buf[off & KD_BPF_REC_MASK], sz & (KD_STR_MAX * 2 - 1),
				    (void *)ptr);
	if (n < 0) {
		s->rflags |= KD_RF_READ_FAULT;
		return 0;
	}
	/* a full buffer may have cut the string: the helper always ends it with NUL */
	if ((__u32)n >= sz)
		s->rflags |= KD_RF_TRUNCATED;
	return n & KD_BPF_REC_MASK;
}

/* Data of an iovec array (count entries at ptr), in order, up to what the
 * syscall moved (ret, or a message's msg_len: moved), at off of this CPU's
 * scratch. Returns the bytes written. A global function: its loop ends
 * in as many ways as it has entries, so inlined, the verifier walked them
 * again at every caller and for every state a caller reached it in. */
__attribute__((noinline)) int kd_cap_iov(__u64 ptr, __u64 count, __s64 moved, __u64 off)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct kd_scratch *s = bpf_map_lookup_elem(&kd_scratch, &cpu);
	__u64 total = moved > 0 ? (__u64)moved : 0;
	struct kd_iov *iov;
	__u64 got = 0, room;
	int j;

	if (!s)
		return 0;
	iov = (struct kd_iov *)s->iov;
	off &= KD_BPF_REC_MASK;
	room = KD_BPF_REC_MASK - off;
	if (total > kd_snaplen) {
		total = kd_snaplen;
		s->rflags |= KD_RF_TRUNCATED;
	}
	if (total > room) {
		total = room;
		s->rflags |= KD_RF_TRUNCATED;
	}
	if (!ptr)
		return 0;
	for (j = 0; j < KD_IOV_MAX; j++) {
		__u64 chunk;

		if ((__u64)j >= count || got >= total)
			break;
		if (bpf_probe_read_user(iov, sizeof(*iov), (void *)(ptr + j * sizeof(*iov)))) {
			s->rflags |= KD_RF_READ_FAULT;
			break;
		}
		chunk = iov->len < total - got ? iov->len : total - got;
		if (!chunk)
			continue;
		if (bpf_probe_read_user(&s->buf[(off + got) & KD_BPF_REC_MASK],
					chunk & KD_BPF_REC_MASK, (void *)iov->base)) {
			s->rflags |= KD_RF_READ_FAULT;
			break;
		}
		got += chunk;
	}
	if (got < total && j == KD_IOV_MAX)
		s->rflags |= KD_RF_TRUNCATED;
	return got & KD_BPF_REC_MASK;
}

/* struct mmsghdr: struct user_msghdr, then msg_len (x86-64, the same on
 * every kernel); the head is all a msghdr param needs. */
struct kd_msghdr {
	__u64 name;
	__u32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
	__u64 control;
	__u64 controllen;
	__u32 flags;
	__u32 pad2;
	__u32 msg_len; /* mmsghdr only */
};

_Static_assert(sizeof(struct kd_msghdr) == 64, "an mmsghdr array's stride");
_Static_assert(sizeof(struct kd_msghdr) == sizeof(((struct kd_scratch *)0)->mmsg), "scratch room");
_Static_assert(sizeof(struct kd_iov) == sizeof(((struct kd_scratch *)0)->iov), "scratch room");

#define KD_MSGHDR_HEAD 32 /* name .. iovlen */

/* The msghdr a KD_LEN_MSG/MSG_OUT/MMSG param reads through, as the call left
 * it, and how many bytes it moved (ret, or the first mmsghdr's msg_len);
 * false when there is none to read (MSG_OUT: the call failed, MMSG: it
 * moved no message). */
static __always_inline bool kd_msghdr(struct kd_scratch *s, __u8 aux, struct kd_msghdr *m,
				      __s64 *moved)
{
	__u32 j = KD_LEN_IDX(aux);
	bool mm = KD_LEN_SRC(aux) == KD_LEN_MMSG(0);

	if (j >= 6 || (KD_LEN_SRC(aux) == KD_LEN_MSG_OUT(0) && s->ret < 0) || (mm && s->ret < 1) ||
	    !s->args[j])
		return false;
	if (bpf_probe_read_user(m, mm ? sizeof(*m) : KD_MSGHDR_HEAD, (void *)s->args[j])) {
		s->rflags |= KD_RF_READ_FAULT;
		return false;
	}
	*moved = mm ? (__s64)m->msg_len : s->ret;
	return true;
}

/* msg_name of the msghdr, msg_namelen bytes (up to 128). */
static __always_inline __u32 kd_cap_msg_name(struct kd_scratch *s, __u32 off, __u8 aux, __u32 room)
{
	struct kd_msghdr m;
	__s64 moved;

	if (!kd_msghdr(s, aux, &m, &moved))
		return 0;
	return kd_cap_bytes(s, off, m.name, m.namelen, KD_SOCKADDR_MAX, room);
}

/* The data of the msghdr's msg_iov, up to what the call moved. */
static __always_inline __u32 kd_cap_msg_iov(struct kd_scratch *s, __u32 off, __u8 aux)
{
	struct kd_msghdr m;
	__s64 moved;

	if (!kd_msghdr(s, aux, &m, &moved))
		return 0;
	return kd_cap_iov(m.iov, m.iovlen, moved, off);
}

/* A NULL-terminated char *[] as consecutive NUL-terminated strings. */
static __always_inline __u32 kd_cap_strarr(struct kd_scratch *s, __u32 off, __u64 ptr, __u32 room)
{
	__u32 limit = room < KD_STRARR_MAX ? room : KD_STRARR_MAX;
	__u32 got = 0;
	__u64 sp;
	long n;
	int j;

	if (!ptr)
		return 0;
	for (j = 0; j < KD_STRARR_COUNT; j++) {
		__u32 sz;

		if (bpf_probe_read_user(&sp, sizeof(sp), (void *)(ptr + j * sizeof(sp)))) {
			s->rflags |= KD_RF_READ_FAULT;
			break;
		}
		if (!sp)
			break;
		if (got >= limit) {
			s->rflags |= KD_RF_TRUNCATED;
			break;
		}
		sz = limit - got;
		n = bpf_probe_read_user_str(&s->buf[(off + got) & KD_BPF_REC_MASK],
					    sz & (KD_STRARR_MAX * 2 - 1), (void *)sp);
		if (n < 0) {
			s->rflags |= KD_RF_READ_FAULT;
			break;
		}
		got += n;
		if ((__u32)n >= sz) {
			s->rflags |= KD_RF_TRUNCATED;
			break;
		}
	}
	if (j == KD_STRARR_COUNT)
		s->rflags |= KD_RF_TRUNCATED;
	return got & KD_BPF_REC_MASK;
}

/* KD_MODE_EXEC: the filename sched_process_exec kept (kernel memory). */
static __always_inline __u32 kd_cap_exec_name(struct kd_scratch *s, __u32 off, __u32 room)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 sz = room < KD_STR_MAX ? room : KD_STR_MAX;
	struct kd_pending *p = bpf_map_lookup_elem(&kd_pending, &tid);
	long n;

	if (!p)
		return 0;
	if (!sz) {
		s->rflags |= KD_RF_TRUNCATED;
		return 0;
	}
	n = bpf_probe_read_kernel_str(&s->buf[off & KD_BPF_REC_MASK], sz & (KD_STR_MAX * 2 - 1),
				      p->fname);
	if (n <= 0)
		return 0;
	if ((__u32)n >= sz)
		s->rflags |= KD_RF_TRUNCATED;
	return n & KD_BPF_REC_MASK;
}

/* argv (or envp) of the current task's new image, laid out by exec on the
 * new stack as consecutive NUL-terminated strings, which is the STRARR wire
 * format already: at most limit (<= KD_STRARR_MAX) bytes at dst. The pages
 * were just written by exec, so they are present. Used by execve's record
 * (KD_MODE_EXEC) and by the proc_exec probe. */
static __always_inline __u32 kd_exec_strs(__u8 *dst, __u32 limit, bool env, __u32 *rflags)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u64 start, end, want;
	struct mm_struct *mm;

	mm = BPF_CORE_READ(t, mm);
	if (!mm)
		return 0;
	start = env ? BPF_CORE_READ(mm, env_start) : BPF_CORE_READ(mm, arg_start);
	end = env ? BPF_CORE_READ(mm, env_end) : BPF_CORE_READ(mm, arg_end);
	if (!start || end <= start)
		return 0;
	want = end - start;
	if (want > limit) {
		want = limit;
		*rflags |= KD_RF_TRUNCATED;
	}
	want &= KD_STRARR_MAX * 2 - 1;
	if (!want)
		return 0;
	if (bpf_probe_read_user(dst, want, (void *)start)) {
		*rflags |= KD_RF_READ_FAULT;
		return 0;
	}
	/* a cut string still ends with a NUL, as the decoder wants */
	dst[want - 1] = 0;
	return want;
}

static __always_inline __u32 kd_cap_exec_strs(struct kd_scratch *s, __u32 off, __u32 room, bool env)
{
	return kd_exec_strs(&s->buf[off & KD_BPF_REC_MASK], room < KD_STRARR_MAX ? room : KD_STRARR_MAX,
			    env, &s->rflags);
}

/* ---- KD_CAP_SOCKTUPLE: the socket behind an fd, from kernel memory ---- */

#define KD_S_IFMT   0170000
#define KD_S_IFSOCK 0140000
#define KD_AF_INET_ 2
#define KD_AF_INET6_ 10

static __always_inline __u16 kd_swab16(__u16 v)
{
	return (__u16)((v >> 8) | (v << 8));
}

#define KD_EINPROGRESS_ 115

/* The fd a tuple param describes: argument j or the result (accept); for
 * KD_LEN_ADDR(j), argument 0 when the sockaddr param j has bytes, else
 * none (-1). None when the call failed: a refused connect has reset the
 * socket (ports 0) and a failed bind left it unbound, so the tuple would
 * tell nothing true of the call; a connect in progress has its ports. */
static __always_inline __s64 kd_tuple_fd(struct kd_scratch *s, __u8 aux)
{
	__u32 j = KD_LEN_IDX(aux);

	if (s->ret < 0 && s->ret != -KD_EINPROGRESS_)
		return -1;
	if (KD_LEN_SRC(aux) == KD_LEN_RET)
		return s->ret;
	if (KD_LEN_SRC(aux) == KD_LEN_ADDR(0)) {
		if (j >= KD_KSC_MAX_PARAMS || !*(__u16 *)&s->buf[KD_REC_HDR_SIZE + 2 * j])
			return -1;
		return (__s32)s->args[0];
	}
	if (KD_LEN_SRC(aux) != KD_LEN_ARG(0) || j >= 6)
		return -1;
	return (__s32)s->args[j];
}

/* struct kd_socktuple of fd in this task's fd table, as the syscall leaves
 * it (accept's new fd is installed by then). A file is a socket when its
 * inode says S_IFSOCK; its private_data is then the struct socket. */
static __always_inline __u32 kd_cap_socktuple(struct kd_scratch *s, __u32 off, __s64 fd, __u32 room)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct kd_socktuple *st;
	struct file **fdarr, *f = NULL;
	struct fdtable *fdt;
	struct socket *sock;
	struct sock *sk;
	__u64 addrs;
	__u32 max, ports;
	__u16 mode;

	if (fd < 0 || room < KD_SOCKTUPLE_SIZE)
		return 0;
	/* every step is a helper call (~10 ns): read each pointer once */
	fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt)
		return 0;
	max = BPF_CORE_READ(fdt, max_fds);
	if ((__u64)fd >= max)
		return 0;
	fdarr = BPF_CORE_READ(fdt, fd);
	if (!fdarr || bpf_probe_read_kernel(&f, sizeof(f), &fdarr[fd & 0xffffffff]) || !f)
		return 0;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & KD_S_IFMT) != KD_S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(f, private_data);
	sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk)
		return 0;
	st = (void *)&s->buf[off & KD_BPF_REC_MASK];
	__builtin_memset(st, 0, sizeof(*st));
	st->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	st->type = (__u8)BPF_CORE_READ(sk, sk_type);
	st->proto = (__u8)BPF_CORE_READ(sk, sk_protocol);
	if (st->family != KD_AF_INET_ && st->family != KD_AF_INET6_)
		return KD_SOCKTUPLE_SIZE;
	/* skc_portpair: skc_dport (network order) low, skc_num (host) high */
	ports = BPF_CORE_READ(sk, __sk_common.skc_portpair);
	st->sport = ports >> 16;
	st->dport = kd_swab16((__u16)ports);
	if (st->family == KD_AF_INET_) {
		/* skc_addrpair: skc_daddr low, skc_rcv_saddr high */
		addrs = BPF_CORE_READ(sk, __sk_common.skc_addrpair);
		*(__u32 *)st->saddr = addrs >> 32;
		*(__u32 *)st->daddr = (__u32)addrs;
	} else {
		BPF_CORE_READ_INTO(&st->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&st->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	return KD_SOCKTUPLE_SIZE;
}

/* ---- in place: straight into a ring reservation (KD_KSC_DIRECT1) ---- */

/* Register i of a[] (a stack array): constant indexes only, because 5.10
 * verifiers refuse a variable-offset stack read. */
static __always_inline __u64 kd_arg(const __u64 *a, __u32 i)
{
	switch (i) {
	case 0:
		return a[0];
	case 1:
		return a[1];
	case 2:
		return a[2];
	case 3:
		return a[3];
	case 4:
		return a[4];
	}
	return a[5];
}

/* kd_aux_len() with the registers at hand instead of in the scratch. */
static __always_inline __u64 kd_aux_len_a(const __u64 *a, long ret, __u8 aux)
{
	__u32 j = KD_LEN_IDX(aux), v = 0;
	__u64 x;

	if (j >= 6)
		return 0;
	switch (KD_LEN_SRC(aux)) {
	case KD_LEN_ARG(0):
		return kd_arg(a, j);
	case KD_LEN_ARGPTR(0):
		if (ret < 0 || bpf_probe_read_user(&v, sizeof(v), (void *)kd_arg(a, j)))
			return 0;
		return v;
	case KD_LEN_RET:
		return ret > 0 ? (__u64)ret : 0;
	case KD_LEN_ARG_MIN_RET(0):
		if (ret < 0)
			return 0;
		x = kd_arg(a, j);
		return x < (__u64)ret ? x : (__u64)ret;
	}
	return 0;
}

/* Up to want bytes of user memory at ptr into dst, which has room bytes, cut
 * to limit and room (KD_RF_TRUNCATED). Returns the length copied: 0 for a
 * NULL pointer, nothing wanted, or a fault (KD_RF_READ_FAULT). What every
 * in-place buffer, sockaddr or struct param does. */
static __always_inline __u32 kd_user_into(__u8 *dst, const __u32 room, __u64 ptr, __u64 want,
					  __u64 limit, __u32 *rflags)
{
	if (want > limit) {
		want = limit;
		*rflags |= KD_RF_TRUNCATED;
	}
	/* never for the sizes userspace picks; the verifier wants to see it */
	if (want > room) {
		want = room;
		*rflags |= KD_RF_TRUNCATED;
	}
	if (!ptr || !want)
		return 0;
	/* a no-op (want <= room) that keeps the bound where 5.10's verifier
	 * loses it across the compiler's spills */
	asm volatile("" : "+r"(want));
	want &= KD_BPF_REC_MASK;
	if (bpf_probe_read_user(dst, want, (void *)ptr)) {
		*rflags |= KD_RF_READ_FAULT;
		return 0;
	}
	return want;
}

/* x through the 8 bytes at p (map memory, about to be overwritten): the
 * verifier then sees a plain 64-bit value, not the register of kd_arg()'s
 * switch arm it came from, and explores what follows once instead of once
 * per argument index. Two instructions at run time. */
static __always_inline __u64 kd_launder(__u8 *p, __u64 x)
{
	*(volatile __u64 *)p = x;
	return *(volatile __u64 *)p;
}

/* Param v (kind cap) into dst, which has room bytes. Returns its length, or
 * room + 1 when a string may not have fit (the caller falls back). */
static __always_inline __u32 kd_cap_inplace(const __u8 cap, __u8 *dst, const __u32 room,
					    const struct kd_kparam *kp, const __u64 *a, __u32 v,
					    long ret, __u32 *rflags)
{
	__u64 ptr = kd_launder(dst, kd_arg(a, v)), want, limit;
	long n;

	if (cap == KD_CAP_STR) {
		if (!ptr)
			return 0;
		n = bpf_probe_read_user_str(dst, room, (void *)ptr);
		if (n < 0) {
			*rflags |= KD_RF_READ_FAULT;
			return 0;
		}
		if (n >= room)
			return room + 1;
		return n;
	}
	if (cap == KD_CAP_EPOLLEV) {
		/* at the events argument, as many as the call returned */
		ptr = kd_arg(a, KD_LEN_IDX(kp->aux));
		return kd_user_into(dst, room, ptr, kd_epollev_want(ret), KD_EPOLLEV_MAX * 12, rflags);
	}
	if (cap == KD_CAP_FIXED) {
		/* ioctl's data shares the struct reservation: arg, sized by cmd */
		if (kp->cap == KD_CAP_IOCTL) {
			__u32 j = KD_LEN_IDX(kp->aux);

			if (j == 0 || j >= 6)
				return 0;
			return kd_user_into(dst, room, kd_arg(a, j),
					    kd_ioctl_want((__u32)kd_arg(a, j - 1), ret), KD_IOCTL_MAX,
					    rflags);
		}
		if (KD_LEN_RAW(kp->aux, kd_arg(a, KD_LEN_IDX(kp->aux)))) {
			if (room < 8)
				return 0;
			*(__u64 *)dst = ptr;
			return 8;
		}
		if (KD_LEN_OUT_UNSET(kp->aux, ret))
			return 0;
		want = kp->size;
		limit = KD_PARAM_MAX_LEN;
	} else {
		want = kd_launder(dst, kd_aux_len_a(a, ret, kp->aux));
		limit = cap == KD_CAP_BUF ? kd_snaplen : KD_SOCKADDR_MAX;
	}
	return kd_user_into(dst, room, ptr, want, limit, rflags);
}

/* select's ready fds (KD_CAP_FDSETS, drivers/record.h): n from argument
 * aux names, the in, out and ex sets from arguments 1-3, when the call
 * returned > 0 (none ready, or a failure: nothing worth reading). */
static __always_inline __u32 kd_cap_fdsets(struct kd_scratch *s, __u32 off, __u8 aux, __u32 room)
{
	const __u32 most = KD_FDSETS_HDR + 3 * KD_FDSET_BYTES(KD_FDSET_MAX_FDS);
	__u32 got = KD_FDSETS_HDR, l, mask = 0, j = KD_LEN_IDX(aux);
	__u64 n;

	if (s->ret <= 0 || j >= 6 || room < most)
		return 0;
	n = (__u32)s->args[j];
	if (n > KD_FDSET_MAX_FDS) {
		n = KD_FDSET_MAX_FDS;
		s->rflags |= KD_RF_TRUNCATED;
	}
	l = KD_FDSET_BYTES(n);
	for (__u32 k = 0; k < 3; k++) {
		__u64 p = s->args[1 + k];

		/* a set that faults is left out (KD_RF_READ_FAULT) */
		if (p && kd_cap_bytes(s, off + got, p, l, KD_FDSET_BYTES(KD_FDSET_MAX_FDS),
				      room - got) == l) {
			got += l;
			mask |= 1u << k;
		}
	}
	off &= KD_BPF_REC_MASK;
	*(__u32 *)&s->buf[off] = (__u32)n;
	*(__u32 *)&s->buf[(off + 4) & KD_BPF_REC_MASK] = mask;
	return got;
}

/* The head of one message of sendmmsg's or recvmmsg's msgs (KD_CAP_MMSGS,
 * drivers/record.h) at off of this CPU's scratch: its msg_len and
 * msg_name, from the struct mmsghdr at ptr as the call left it, which stays
 * in the scratch's mmsg for the caller to gather its data. Returns the
 * bytes written, 0 when no other message fits, < 0 when the mmsghdr
 * faults. A global function, as kd_cap_param(): the verifier checks it
 * once, not once per message. */
__attribute__((noinline)) int kd_cap_mmsg(__u64 ptr, __u64 off)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct kd_scratch *s = bpf_map_lookup_elem(&kd_scratch, &cpu);
	struct kd_msghdr *m;
	__u32 room, name;

	if (!s)
		return -1;
	m = (struct kd_msghdr *)s->mmsg;
	off &= KD_BPF_REC_MASK;
	room = KD_BPF_REC_MASK - off;
	if (room < KD_MMSG_HDR) {
		s->rflags |= KD_RF_TRUNCATED;
		return 0;
	}
	if (bpf_probe_read_user(m, sizeof(*m), (void *)ptr)) {
		s->rflags |= KD_RF_READ_FAULT;
		return -1;
	}
	room -= KD_MMSG_HDR;
	name = kd_cap_bytes(s, off + KD_MMSG_HDR, m->name, m->namelen, KD_SOCKADDR_MAX, room);
	*(__u32 *)&s->buf[off] = m->msg_len;
	*(__u16 *)&s->buf[(off + 4) & KD_BPF_REC_MASK] = (__u16)name;
	*(__u16 *)&s->buf[(off + 6) & KD_BPF_REC_MASK] = 0;
	return KD_MMSG_HDR + name;
}

/* Param i, the messages sendmmsg or recvmmsg moved (KD_CAP_MMSGS): as many
 * as it returned, up to KD_MMSG_MAX, from the mmsghdr array argument aux
 * names. Called by the scratch loop, not through kd_cap_param(): three
 * frames deep (exit program, kd_cap_param, kd_cap_mmsg) the stack passes
 * the 512 bytes 5.10 allows the whole chain. Returns the next offset. */
__attribute__((noinline)) int kd_cap_mmsgs(__u64 i, __u64 off)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct kd_scratch *s = bpf_map_lookup_elem(&kd_scratch, &cpu);
	__u32 j, got = 0, n = 0;
	struct kd_msghdr *m;
	__u64 p, want;

	if (!s || i >= KD_KSC_MAX_PARAMS)
		return -1;
	/* each message's mmsghdr, as kd_cap_mmsg() read it */
	m = (struct kd_msghdr *)s->mmsg;
	off &= KD_BPF_REC_MASK;
	j = KD_LEN_IDX(s->k.p[i].aux);
	if (s->ret >= 1 && j < 6 && s->args[j] && KD_BPF_REC_MASK - off >= KD_MMSGS_HDR) {
		p = s->args[j];
		want = (__u64)s->ret;
		if (want > KD_MMSG_MAX) {
			want = KD_MMSG_MAX;
			s->rflags |= KD_RF_TRUNCATED;
		}
		got = KD_MMSGS_HDR;
		for (__u32 k = 0; k < KD_MMSG_MAX; k++) {
			__u32 at = (off + got) & KD_BPF_REC_MASK;
			int l, d;

			if (k >= want)
				break;
			l = kd_cap_mmsg(p + k * sizeof(struct kd_msghdr), at);
			if (l <= 0)
				break;
			/* its data, gathered here: one more frame under kd_cap_mmsg()
			 * would pass 5.10's 512 bytes of stack for the chain */
			d = kd_cap_iov(m->iov, m->iovlen, m->msg_len, at + l);
			*(__u16 *)&s->buf[(at + 6) & KD_BPF_REC_MASK] = (__u16)d;
			got += ((__u32)l + (__u32)d) & KD_BPF_REC_MASK;
			n++;
		}
		if (n) {
			*(__u32 *)&s->buf[off] = n;
			*(__u32 *)&s->buf[(off + 4) & KD_BPF_REC_MASK] = 0;
		} else {
			got = 0;
		}
	}
	got &= KD_BPF_REC_MASK;
	*(__u16 *)&s->buf[KD_REC_HDR_SIZE + 2 * i] = got;
	return off + got;
}

/*
 * Capture argument i of the record in this CPU's scratch at offset off
 * (past the header and plen[]). Returns the next offset, or < 0.
 */
__attribute__((noinline)) int kd_cap_param(__u64 i, __u64 off)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct kd_scratch *s = bpf_map_lookup_elem(&kd_scratch, &cpu);
	__u32 room, len = 0;
	__u8 cap, aux;
	__u64 a;

	if (!s || i >= KD_KSC_MAX_PARAMS)
		return -1;
	off &= KD_BPF_REC_MASK;
	room = KD_BPF_REC_MASK - off;
	cap = s->k.p[i].cap;
	aux = s->k.p[i].aux;
	/* a synthetic 7th param has no register */
	a = i < 6 ? s->args[i] : 0;

	switch (cap) {
	case KD_CAP_VAL:
		if (room < 8) {
			s->rflags |= KD_RF_TRUNCATED;
			break;
		}
		*(__u64 *)&s->buf[off] = a;
		len = 8;
		break;
	case KD_CAP_STR:
		if (s->mode == KD_MODE_EXEC)
			len = kd_cap_exec_name(s, off, room);
		else
			len = kd_cap_str(s, off, a, room);
		break;
	case KD_CAP_BUF:
		len = kd_cap_bytes(s, off, a, kd_aux_len(s, aux), kd_snaplen, room);
		break;
	case KD_CAP_SOCKADDR:
		if (KD_LEN_IS_MSG(aux))
			len = kd_cap_msg_name(s, off, aux, room);
		else
			len = kd_cap_bytes(s, off, a, kd_aux_len(s, aux), KD_SOCKADDR_MAX, room);
		break;
	case KD_CAP_FIXED:
		/* a synthetic struct: through the pointer argument aux names */
		if (KD_LEN_IS_PTR(aux)) {
			__u32 j = KD_LEN_IDX(aux);

			if (j >= 6 || (KD_LEN_SRC(aux) == KD_LEN_PTR_OUT(0) && s->ret < 0))
				break;
			if (KD_LEN_SRC(aux) == KD_LEN_LOCK(0)) {
				/* the cmd before it (j - 1; j == 0 wraps out of range) */
				__u32 c = j - 1;

				if (c >= 6 || !KD_FCNTL_IS_LOCK((__u32)s->args[c]))
					break;
			}
			if (KD_LEN_SRC(aux) == KD_LEN_EPOLL(0) &&
			    (__u32)s->args[1] == KD_EPOLL_CTL_DEL)
				break;
			a = s->args[j];
		} else if (KD_LEN_RAW(aux, kd_arg(s->args, KD_LEN_IDX(aux)))) {
			if (room < 8) {
				s->rflags |= KD_RF_TRUNCATED;
				break;
			}
			*(__u64 *)&s->buf[off] = a;
			len = 8;
			break;
		} else if (KD_LEN_OUT_UNSET(aux, s->ret)) {
			break;
		}
		len = kd_cap_bytes(s, off, a, s->k.p[i].size, KD_PARAM_MAX_LEN, room);
		break;
	case KD_CAP_IOVEC:
		if (KD_LEN_IS_MSG(aux))
			len = kd_cap_msg_iov(s, off, aux);
		else
			len = kd_cap_iov(a, kd_aux_len(s, aux), s->ret, off);
		break;
	case KD_CAP_SOCKTUPLE:
		len = kd_cap_socktuple(s, off, kd_tuple_fd(s, aux), room);
		break;
	case KD_CAP_UVAL64:
		if (room < 8 || KD_LEN_IDX(aux) >= 6) {
			s->rflags |= KD_RF_TRUNCATED;
			break;
		}
		/* clone3 returning 0 in a thread: the flags its parent's fork kept */
		if (!(s->ret == 0 && kd_clone3_child_flags(&a)) &&
		    bpf_probe_read_user(&a, sizeof(a), (void *)s->args[KD_LEN_IDX(aux)])) {
			a = 0;
			s->rflags |= KD_RF_READ_FAULT;
		}
		*(__u64 *)&s->buf[off] = a;
		len = 8;
		break;
	case KD_CAP_WSTATUS:
		/* written only when a child was reported (wait4 returned its pid) */
		if (s->ret > 0 && KD_LEN_IDX(aux) < 6)
			len = kd_cap_bytes(s, off, s->args[KD_LEN_IDX(aux)], 4, 4, room);
		break;
	case KD_CAP_POLLFD:
		/* the array as the call left it: its revents are the answer */
		if (KD_LEN_IDX(aux) < 5) {
			__u64 n = (__u32)s->args[KD_LEN_IDX(aux) + 1]; /* unsigned int nfds */

			/* n * 8 must not wrap: one entry past the limit says "cut" */
			if (n > KD_POLLFD_MAX)
				n = KD_POLLFD_MAX + 1;
			len = kd_cap_bytes(s, off, s->args[KD_LEN_IDX(aux)], n * 8,
					   KD_POLLFD_MAX * 8, room);
		}
		break;
	case KD_CAP_EPOLLEV:
		/* the events the call reported: as many as it returned */
		if (KD_LEN_IDX(aux) < 6)
			len = kd_cap_bytes(s, off, s->args[KD_LEN_IDX(aux)], kd_epollev_want(s->ret),
					   KD_EPOLLEV_MAX * 12, room);
		break;
	case KD_CAP_FDSETS:
		len = kd_cap_fdsets(s, off, aux, room);
		break;
	/* KD_CAP_MMSGS: kd_cap_mmsgs(), called by the scratch loop */
	case KD_CAP_IOCTL:
		/* through arg (aux), sized by the cmd before it */
		/* kd_arg(): 5.10's verifier loses a variable index's bounds */
		if (KD_LEN_IDX(aux) > 0)
			len = kd_cap_bytes(s, off, kd_arg(s->args, KD_LEN_IDX(aux)),
					   kd_ioctl_want((__u32)kd_arg(s->args, KD_LEN_IDX(aux) - 1), s->ret),
					   KD_IOCTL_MAX, room);
		break;
	case KD_CAP_STRARR:
		/* execve's argv comes before envp: the second array is the env */
		if (s->mode == KD_MODE_EXEC)
			len = kd_cap_exec_strs(s, off, room, i > 0 && s->k.p[i - 1].cap == KD_CAP_STRARR);
		else
			len = kd_cap_strarr(s, off, a, room);
		break;
	}
	*(__u16 *)&s->buf[KD_REC_HDR_SIZE + 2 * i] = len;
	return off + len;
}

#endif
