/* The net table's calls: connect, accept, bind and listen, with both endpoints from the
 * socket and, for connect (and a bind that failed), the address as given. */
#ifndef FLIGHTREC_NET_H
#define FLIGHTREC_NET_H

#include "common.h"
#include "fs_net.h"

static __always_inline void fr_net_call(struct task_struct *task, const __u64 *arg, __u8 op, __s64 ret, __u64 now)
{
	if (!fr_table_on(FR_TABLE_NET))
		return;
	struct fr_net_event *e = fr_scratch_buf();
	if (!e)
		return;
	int fd = arg[0];
	int sock_fd = op == FR_NET_OP_ACCEPT && ret >= 0 ? ret : fd;
	struct sock *sk = fr_fd_sock(task, sock_fd);
	__u32 size = sizeof(*e);

	__builtin_memset(e, 0, sizeof(*e));
	fr_fill_task(&e->hdr, task);
	e->op = op;
	e->fd = sock_fd;
	e->ret = ret;
	if (sk) {
		fr_sock_endpoints(sk, &e->family, &e->proto, e->saddr, &e->sport, e->daddr, &e->dport);
		fr_own_sock(sk, task);
		if (op == FR_NET_OP_LISTEN && ret == 0) {
			struct fr_listen_key lk = { .family = e->family, .port = e->sport };
			struct fr_subject owner;
			fr_take_subject(&owner, task);
			bpf_map_update_elem(&fr_listeners, &lk, &owner, BPF_ANY);
		}
	}
	/* connect, and bind that failed: the address asked for, as given. */
	const void *uaddr = 0;
	__u32 ulen = arg[2];
	if (op == FR_NET_OP_CONNECT || (op == FR_NET_OP_BIND && (ret != 0 || !sk)))
		uaddr = (const void *)arg[1]; /* a bound socket says which port it got */
	if (uaddr) {
		__u8 addr[16] = {};
		__u16 port = 0;
		__u16 family = fr_user_sockaddr(uaddr, ulen, addr, &port);
		if (family == FR_AF_INET || family == FR_AF_INET6) {
			e->family = family;
			if (op == FR_NET_OP_CONNECT) {
				__builtin_memcpy(e->daddr, addr, 16);
				e->dport = port;
			} else {
				__builtin_memcpy(e->saddr, addr, 16);
				e->sport = port;
			}
		} else if (family == FR_AF_UNIX) {
			e->family = family;
			long n = bpf_probe_read_user_str((__u8 *)e + size, 108, uaddr + 2);
			e->unix_path.len = n > 0 ? n - 1 : 0;
			e->hdr.flags |= FR_NET_HAS_UNIX_PATH;
		}
	}
	e->unix_path.off = size;
	size += e->unix_path.len & 127;
	fr_output(&e->hdr, FR_TABLE_NET, size, now);
}

/* The sys_exit side, verified once (common.h, struct fr_exiting). */
__noinline int fr_net_exit(__u32 op)
{
	struct fr_exiting *x = fr_exiting();

	if (x)
		fr_net_call(fr_current_task(), x->arg, op, x->ret, x->now);
	return 0;
}

#endif /* FLIGHTREC_NET_H */
