/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * kd_tcp.bpf.h: TCP probes. tcp_state (and tcp_connect_latency, from
 * SYN_SENT to ESTABLISHED) from sock:inet_sock_set_state; tcp_retransmit,
 * tcp_reset_send, tcp_reset_recv, tcp_destroy from tcp:*. tcp_reset_recv
 * also comes as fentry and kprobe on tcp_reset(), for kernels (or
 * configurations) without the tracepoint. Addresses are struct sockaddr_in
 * or sockaddr_in6 as syscalls carry them; ports also in host order.
 * These run in softirq context as often as not: the pid filters do not apply.
 */
#ifndef KD_TCP_BPF_H
#define KD_TCP_BPF_H

#define KD_EV_TCP_STATE           1010
#define KD_EV_TCP_RETRANSMIT      1011
#define KD_EV_TCP_RESET_SEND      1012
#define KD_EV_TCP_RESET_RECV      1013
#define KD_EV_TCP_DESTROY         1014
#define KD_EV_TCP_CONNECT_LATENCY 1015

#define KD_AF_INET      2
#define KD_AF_INET6     10
#define KD_IPPROTO_TCP  6
#define KD_TCP_ESTABLISHED 1
#define KD_TCP_SYN_SENT    2
#define KD_ETH_P_IP     0x0800
#define KD_ETH_P_IPV6   0x86dd

struct kd_tuple {
	__u16 family;
	__u16 sport; /* host order */
	__u16 dport;
	__u16 _pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* sockaddr_in (16 bytes) or sockaddr_in6 (28), built in place */
struct kd_sa {
	__u16 family;
	__u16 port; /* network order */
	__u32 flow;
	__u8 addr[16];
	__u32 scope;
	__u32 _pad;
};

static __always_inline bool kd_tuple_sk(const struct sock *sk, struct kd_tuple *t)
{
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	/* an aborted socket has given its port back (skc_num 0) before the reset
	 * goes out; inet_sport still has it */
	if (!t->sport)
		t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == KD_AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)t->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->daddr, sk, __sk_common.skc_daddr);
		return true;
	}
	if (t->family == KD_AF_INET6) {
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		return true;
	}
	return false;
}

/* The tuple of the connection a received skb belongs to, seen from this
 * host: local = the packet's destination. */
static __always_inline bool kd_tuple_skb(const struct sk_buff *skb, struct kd_tuple *t)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header), th = BPF_CORE_READ(skb, transport_header);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	__u16 ports[2];

	if (!head || bpf_probe_read_kernel(ports, sizeof(ports), head + th))
		return false;
	t->sport = bpf_ntohs(ports[1]);
	t->dport = bpf_ntohs(ports[0]);
	if (proto == KD_ETH_P_IP) {
		t->family = KD_AF_INET;
		return !bpf_probe_read_kernel(t->daddr, 4, head + nh + 12) &&
		       !bpf_probe_read_kernel(t->saddr, 4, head + nh + 16);
	}
	if (proto == KD_ETH_P_IPV6) {
		t->family = KD_AF_INET6;
		return !bpf_probe_read_kernel(t->daddr, 16, head + nh + 8) &&
		       !bpf_probe_read_kernel(t->saddr, 16, head + nh + 24);
	}
	return false;
}

static __always_inline void kd_sa_of(struct kd_sa *sa, const bool v6, const __u8 *addr, __u16 port)
{
	__builtin_memset(sa, 0, sizeof(*sa));
	sa->family = v6 ? KD_AF_INET6 : KD_AF_INET;
	sa->port = bpf_htons(port);
	if (v6)
		__builtin_memcpy(sa->addr, addr, 16);
	else
		__builtin_memcpy(&sa->flow, addr, 4); /* sin_addr sits where sin6_flowinfo does */
}

/* params: pre[0..npre-1], saddr, sport, daddr, dport, family, post[0..npost-1] */
static __always_inline void kd_tcp_emit_f(const bool v6, __u16 type, const struct kd_tuple *t,
					  const __u16 npre, const __u64 *pre, const __u16 npost,
					  const __u64 *post)
{
	const __u32 sal = v6 ? 28 : 16;
	const __u16 n = npre + 5 + npost;
	const __u32 len = KD_REC_HDR_SIZE + 2 * n + 8 * (npre + 3 + npost) + 2 * sal;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 cpu = bpf_get_smp_processor_id(), i;
	struct kd_sa sa;
	struct kd_pw w;

	w.r = kd_prb_reserve(len, n, type, (__u32)pid_tgid, pid_tgid >> 32, bpf_ktime_get_ns(), cpu);
	if (!w.r)
		return;
	w.off = KD_REC_HDR_SIZE + 2 * n;
	w.i = 0;
	for (i = 0; i < npre; i++)
		kd_pw_val(&w, pre[i]);
	kd_sa_of(&sa, v6, t->saddr, t->sport);
	kd_pw_bytes(&w, &sa, sal);
	kd_pw_val(&w, t->sport);
	kd_sa_of(&sa, v6, t->daddr, t->dport);
	kd_pw_bytes(&w, &sa, sal);
	kd_pw_val(&w, t->dport);
	kd_pw_val(&w, t->family);
	for (i = 0; i < npost; i++)
		kd_pw_val(&w, post[i]);
	kd_prb_submit(w.r, len, cpu);
}

static __always_inline void kd_tcp_emit(__u16 type, const struct kd_tuple *t, const __u16 npre,
					const __u64 *pre, const __u16 npost, const __u64 *post)
{
	if (t->family == KD_AF_INET6)
		kd_tcp_emit_f(true, type, t, npre, pre, npost, post);
	else
		kd_tcp_emit_f(false, type, t, npre, pre, npost, post);
}

/* SYN_SENT since, by socket */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KD_PRB_CONNECT_ENTRIES);
	__type(key, __u64);
	__type(value, __u64);
} kd_connect_ts SEC(".maps");

static __always_inline void kd_on_set_state(const struct sock *sk, int oldstate, int newstate)
{
	bool st = kd_ev_enabled(KD_EV_TCP_STATE), lat = kd_ev_enabled(KD_EV_TCP_CONNECT_LATENCY);
	__u64 key = (__u64)sk, now, *ts, v[2];
	struct kd_tuple t = {};

	if (!st && !lat)
		return;
	if (BPF_CORE_READ(sk, sk_protocol) != KD_IPPROTO_TCP || !kd_tuple_sk(sk, &t))
		return;
	if (st) {
		v[0] = oldstate;
		v[1] = newstate;
		kd_tcp_emit(KD_EV_TCP_STATE, &t, 2, v, 0, v);
	}
	if (!lat)
		return;
	if (newstate == KD_TCP_SYN_SENT) {
		now = bpf_ktime_get_ns();
		bpf_map_update_elem(&kd_connect_ts, &key, &now, BPF_ANY);
	} else if (oldstate == KD_TCP_SYN_SENT) {
		ts = bpf_map_lookup_elem(&kd_connect_ts, &key);
		if (ts && newstate == KD_TCP_ESTABLISHED) {
			v[0] = bpf_ktime_get_ns() - *ts;
			kd_tcp_emit(KD_EV_TCP_CONNECT_LATENCY, &t, 0, v, 1, v);
		}
		bpf_map_delete_elem(&kd_connect_ts, &key);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(kd_p_tcpstate_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	kd_on_set_state(sk, oldstate, newstate);
	return 0;
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(kd_p_tcpstate_raw, const struct sock *sk, const int oldstate, const int newstate)
{
	kd_on_set_state(sk, oldstate, newstate);
	return 0;
}

/* tuple and state of sk, or (no socket) the tuple from skb */
static __always_inline void kd_tcp_sk_event(const __u16 type, const struct sock *sk,
					    const struct sk_buff *skb)
{
	struct kd_tuple t = {};
	__u64 v[1] = { 0 };

	if (!kd_ev_enabled(type))
		return;
	if (sk) {
		if (!kd_tuple_sk(sk, &t))
			return;
		v[0] = BPF_CORE_READ(sk, __sk_common.skc_state);
	} else if (!skb || !kd_tuple_skb(skb, &t)) {
		return;
	}
	kd_tcp_emit(type, &t, 0, v, 1, v);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(kd_p_retrans_btf, const struct sock *sk, const struct sk_buff *skb)
{
	kd_tcp_sk_event(KD_EV_TCP_RETRANSMIT, sk, NULL);
	return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(kd_p_retrans_raw, const struct sock *sk, const struct sk_buff *skb)
{
	kd_tcp_sk_event(KD_EV_TCP_RETRANSMIT, sk, NULL);
	return 0;
}

/* sk is NULL for a reset answering a packet no socket wanted (6.10+ trace it) */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(kd_p_rstsend_btf, const struct sock *sk, const struct sk_buff *skb)
{
	kd_tcp_sk_event(KD_EV_TCP_RESET_SEND, sk, skb);
	return 0;
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(kd_p_rstsend_raw, const struct sock *sk, const struct sk_buff *skb)
{
	kd_tcp_sk_event(KD_EV_TCP_RESET_SEND, sk, skb);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(kd_p_rstrecv_btf, struct sock *sk)
{
	kd_tcp_sk_event(KD_EV_TCP_RESET_RECV, sk, NULL);
	return 0;
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(kd_p_rstrecv_raw, struct sock *sk)
{
	kd_tcp_sk_event(KD_EV_TCP_RESET_RECV, sk, NULL);
	return 0;
}

/* tcp_reset(sk) before 5.12, tcp_reset(sk, skb) since: sk comes first in both */
SEC("fentry/tcp_reset")
int BPF_PROG(kd_p_rstrecv_fentry, struct sock *sk)
{
	kd_tcp_sk_event(KD_EV_TCP_RESET_RECV, sk, NULL);
	return 0;
}

SEC("kprobe/tcp_reset")
int BPF_KPROBE(kd_p_rstrecv_kprobe, struct sock *sk)
{
	kd_tcp_sk_event(KD_EV_TCP_RESET_RECV, sk, NULL);
	return 0;
}

static __always_inline void kd_on_destroy(struct sock *sk)
{
	struct tcp_sock *tp = (void *)sk;
	struct kd_tuple t = {};
	__u64 v[3];

	if (!kd_ev_enabled(KD_EV_TCP_DESTROY) || !kd_tuple_sk(sk, &t))
		return;
	v[0] = BPF_CORE_READ(tp, bytes_acked);
	v[1] = BPF_CORE_READ(tp, bytes_received);
	v[2] = BPF_CORE_READ(tp, srtt_us) >> 3; /* stored << 3 */
	kd_tcp_emit(KD_EV_TCP_DESTROY, &t, 0, v, 3, v);
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(kd_p_destroy_btf, struct sock *sk)
{
	kd_on_destroy(sk);
	return 0;
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(kd_p_destroy_raw, struct sock *sk)
{
	kd_on_destroy(sk);
	return 0;
}

#endif
