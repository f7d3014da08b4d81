/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/bpf-core/vmlinux/vmlinux.h: the kernel types the CO-RE programs
 * read, for build hosts without /sys/kernel/btf/vmlinux (the build prefers a
 * header dumped from the running kernel's BTF). Each struct holds only the
 * fields the programs use, with the kernel's own types (from Linux 6.18's
 * BTF): CO-RE finds every field by name in the target kernel's BTF at load
 * time, through its anonymous unions too, so neither the layout nor the
 * other fields matter. A field the programs start to read must be added
 * here: the build with -DKD_BPF_VMLINUX_FROM_BTF=OFF fails until it is
 * (scripts/test's asan stage builds that way and runs every test on it). A
 * size must come from the target too: bpf_core_type_size(), not sizeof().
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef int pid_t;
typedef short unsigned int umode_t;
typedef __u32 __portpair;
typedef __u64 __addrpair;
typedef void __signalfn_t(int);
typedef __signalfn_t *__sighandler_t;
typedef struct {
	int counter;
} atomic_t;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* kd_drop.bpf.h asks whether the target kernel has it (5.17+) */
enum skb_drop_reason {
	SKB_DROP_REASON_NOT_SPECIFIED = 2,
};

struct files_struct;
struct inode;
struct signal_struct;
struct sock;

struct pt_regs {
	long unsigned int di;
	long unsigned int si;
	long unsigned int dx;
	long unsigned int r10;
	long unsigned int r8;
	long unsigned int r9;
	u16 cs;
	long unsigned int orig_ax;
	long unsigned int ax;
	long unsigned int ip;
};

struct mm_struct {
	long unsigned int env_start;
	long unsigned int arg_start;
	long unsigned int env_end;
	long unsigned int arg_end;
};

struct task_struct {
	struct mm_struct *mm;
	struct files_struct *files;
	pid_t tgid;
	pid_t pid;
	void *stack;
	struct signal_struct *signal;
	struct task_struct *group_leader;
	int exit_code;
	unsigned int __state;
	unsigned int flags;
	u64 start_time;
};

struct linux_binprm {
	const char *filename;
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	short unsigned int skc_family;
	__portpair skc_portpair;
	__addrpair skc_addrpair;
	struct in6_addr skc_v6_rcv_saddr;
	struct in6_addr skc_v6_daddr;
	__u16 skc_num;
	__be16 skc_dport;
	__be32 skc_rcv_saddr;
	__be32 skc_daddr;
	volatile unsigned char skc_state;
};

struct sock {
	struct sock_common __sk_common;
	u16 sk_type;
	u16 sk_protocol;
};

struct sk_buff {
	unsigned char *head;
	__u16 network_header;
	__u16 transport_header;
	__be16 protocol;
};

struct kernel_siginfo {
	int si_code;
};

struct sigaction {
	__sighandler_t sa_handler;
	long unsigned int sa_flags;
};

struct k_sigaction {
	struct sigaction sa;
};

struct signal_struct {
	atomic_t live;
	unsigned int flags;
	int group_exit_code;
};

struct inet_sock {
	__be16 inet_sport;
};

struct tcp_sock {
	u64 bytes_acked;
	u64 bytes_received;
	u32 srtt_us;
};

struct file {
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct socket {
	struct sock *sk;
};

struct files_struct {
	struct fdtable *fdt;
};

struct inode {
	umode_t i_mode;
};

#pragma clang attribute pop

#endif
