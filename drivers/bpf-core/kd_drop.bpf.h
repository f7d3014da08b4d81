/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_drop.bpf.h: packet_drop from skb:kfree_skb. The drop reason is the
 * tracepoint's third argument since 5.17 (enum skb_drop_reason); before,
 * there is none and reason is 0. The check is a CO-RE constant, so older
 * verifiers never see the access past the two arguments they know.
 * reason_name is the reason's name in this kernel (userspace fills the
 * table from its BTF): the record says what the number meant where it was
 * taken, which a replay elsewhere cannot know.
 */
#ifndef KD_DROP_BPF_H
#define KD_DROP_BPF_H

#define KD_EV_PACKET_DROP 1016

/* written by userspace before load (lib/engines/core_probes.c); a length of
 * 0: no name (a reason past the table, or no reasons in this kernel) */
char kd_drop_names[KD_DROP_NAMES][KD_DROP_NAME_LEN];
__u8 kd_drop_name_len[KD_DROP_NAMES]; /* with the NUL */

static __always_inline void kd_on_drop(__u64 *ctx)
{
	/* reason, protocol, location, reason_name (reserved at its longest) */
	const __u32 len = KD_REC_HDR_SIZE + 4 * 2 + 3 * 8 + KD_DROP_NAME_LEN;
	struct sk_buff *skb = (void *)ctx[0];
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 cpu, reason = 0, nlen = 0;
	struct kd_pw w;

	if (!kd_ev_enabled(KD_EV_PACKET_DROP))
		return;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
		reason = (__u32)ctx[2];
	cpu = bpf_get_smp_processor_id();
	w.r = kd_prb_reserve(len, 4, KD_EV_PACKET_DROP, (__u32)pid_tgid, pid_tgid >> 32,
			     bpf_ktime_get_ns(), cpu);
	if (!w.r)
		return;
	w.off = KD_REC_HDR_SIZE + 2 * 4;
	w.i = 0;
	kd_pw_val(&w, reason);
	kd_pw_val(&w, bpf_ntohs(BPF_CORE_READ(skb, protocol)));
	kd_pw_val(&w, ctx[1]);
	if (reason < KD_DROP_NAMES)
		nlen = kd_drop_name_len[reason];
	if (nlen > KD_DROP_NAME_LEN)
		nlen = 0;
	/* the whole slot (its tail is NULs), then the record ends after the
	 * name: the consumer reads a ring record up to hdr.len */
	kd_pw_bytes(&w, kd_drop_names[reason & (KD_DROP_NAMES - 1)], KD_DROP_NAME_LEN);
	*(__u16 *)(w.r + KD_REC_HDR_SIZE + 2 * 3) = nlen;
	((struct kd_rec_hdr *)w.r)->len = len - KD_DROP_NAME_LEN + nlen;
	kd_prb_submit(w.r, len, cpu);
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
