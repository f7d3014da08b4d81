// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * tests/bpf/kd_filter_test.bpf.c: runs the string helpers of
 * drivers/bpf-core/kd_filter.bpf.h on inputs userspace writes into the
 * globals, once per BPF_PROG_TEST_RUN (tests/test_core_filter_str.c). An
 * XDP program: test runs of it work on 5.10 too. The inputs live in map
 * values of the same slot sizes the driver compares, as in the driver.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define KD_FLT_HELPERS_ONLY
#include "kd_filter.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

__u64 in_comm[2], in_pat[2], in_mask[2];
__u8 in_s[KD_FLT_PATH_MAX], in_p[KD_FLT_PATH_MAX];
__u32 in_slen, in_plen;
__u32 out_str16, out_prefix, out_eq, runs;

SEC("xdp")
int kd_flt_test(struct xdp_md *ctx)
{
	out_str16 = kd_str16_match(in_comm, in_pat, in_mask);
	out_prefix = kd_str_prefix(in_s, in_slen, in_p, in_plen);
	out_eq = kd_str_eq(in_s, in_slen, in_p, in_plen);
	runs++;
	return XDP_PASS;
}
