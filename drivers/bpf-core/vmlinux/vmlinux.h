/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/bpf-core/vmlinux.h: the few kernel types kd_core.bpf.c reads, for
 * build hosts without /sys/kernel/btf/vmlinux (the build then prefers a
 * header dumped from the running kernel's BTF). CO-RE relocates every field
 * by name against the target kernel's BTF at load time, so only the names
 * and rough types matter here, not the layout of any one kernel.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
enum { false = 0, true = 1 };

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_start;
	unsigned long env_end;
};

struct task_struct {
	int pid;
	int tgid;
	struct mm_struct *mm;
};

struct linux_binprm {
	const char *filename;
};

#pragma clang attribute pop

#endif
