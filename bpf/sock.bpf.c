// SPDX-License-Identifier: GPL-2.0
/* TCP state changes of targets' sockets, for the net table. A change often happens in softirq,
 * on behalf of whatever task is current: the socket is a target's if a target owns it
 * (fr_socks, filled by connect, accept, bind and listen), if it is a connection to a target's
 * listener (fr_listeners), or, for a socket of no known owner, if the current task is a
 * target; the row names the owner. */
#include "fs_net.h"

char LICENSE[] SEC("license") = "GPL";

#define FR_TCP_CLOSE 7
#define FR_TCP_LISTEN 10

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(fr_net_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct fr_subject *owner = bpf_map_lookup_elem(&fr_socks, &key);
	struct task_struct *task = fr_current_task();
	struct fr_listen_key lk = {
		.family = BPF_CORE_READ(sk, __sk_common.skc_family),
		.port = BPF_CORE_READ(sk, __sk_common.skc_num),
	};

	if (!owner && !(oldstate == FR_TCP_LISTEN && newstate == FR_TCP_CLOSE)) {
		/* A connection to a target's listener, on its way to being accepted (made from the
		 * listener, its first change is from LISTEN): the listener's owner's, even when the
		 * softirq that makes it runs on behalf of the connecting target. A listener of no
		 * known owner closing is nobody's. */
		owner = bpf_map_lookup_elem(&fr_listeners, &lk);
		if (owner)
			bpf_map_update_elem(&fr_socks, &key, owner, BPF_ANY);
	}
	if (!owner && !fr_is_target_tgid(fr_task_tgid(task)))
		return 0;
	struct fr_net_event *e = fr_reserve(FR_TABLE_NET, sizeof(*e), bpf_ktime_get_ns());
	if (e) {
		if (owner)
			fr_fill_subject(&e->hdr, owner);
		else
			fr_fill_task(&e->hdr, task);
		fr_sock_endpoints(sk, &e->family, &e->proto, e->saddr, &e->sport, e->daddr, &e->dport);
		e->op = FR_NET_OP_STATE;
		e->old_state = oldstate;
		e->new_state = newstate;
		e->fd = -1;
		e->bytes_sent = 0;
		e->bytes_received = 0;
		e->ret = 0;
		e->unix_path.off = sizeof(*e);
		e->unix_path.len = 0;
		fr_submit(&e->hdr);
	}
	if (newstate == FR_TCP_CLOSE) {
		bpf_map_delete_elem(&fr_socks, &key);
		if (oldstate == FR_TCP_LISTEN)
			bpf_map_delete_elem(&fr_listeners, &lk);
	}
	return 0;
}
