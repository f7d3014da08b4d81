/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_drop.bpf.h: packet_drop from skb:kfree_skb. The drop reason is the
 * tracepoint's third argument since 5.17 (enum skb_drop_reason); before,
 * there is none and reason is 0. The check is a CO-RE constant, so older
 * verifiers never see the access past the two arguments they know.
 */
#ifndef KD_DROP_BPF_H
#define KD_DROP_BPF_H

#define KD_EV_PACKET_DROP 1016

static __always_inline void kd_on_drop(__u64 *ctx)
{
	struct sk_buff *skb = (void *)ctx[0];
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 v[3];

	if (!kd_ev_enabled(KD_EV_PACKET_DROP))
		return;
	v[0] = 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
		v[0] = (__u32)ctx[2];
	v[1] = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	v[2] = ctx[1];
	kd_prb_vals(KD_EV_PACKET_DROP, 3, v, (__u32)pid_tgid, pid_tgid >> 32);
}

SEC("tp_btf/kfree_skb")
int kd_p_drop_btf(__u64 *ctx)
{
	kd_on_drop(ctx);
	return 0;
}

SEC("raw_tp/kfree_skb")
int kd_p_drop_raw(__u64 *ctx)
{
	kd_on_drop(ctx);
	return 0;
}

#endif
