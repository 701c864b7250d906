/* The kernel objects behind a descriptor, read for the file, net, dns and mem tables: a
 * task's open file, the socket behind it and its endpoints. Also the sockets
 * of targets, so TCP state changes (often in softirq, on behalf of no task in particular)
 * are attributed to the process that owns the socket. */
#ifndef FLIGHTREC_FS_NET_H
#define FLIGHTREC_FS_NET_H

#include "common.h"
#include <bpf/bpf_endian.h>

#define FR_AF_UNIX 1
#define FR_AF_INET 2
#define FR_AF_INET6 10
#define FR_S_IFMT 0170000
#define FR_S_IFSOCK 0140000

/* Targets' sockets and who owns each, for their state changes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock * */
	__type(value, struct fr_subject);
} fr_socks SEC(".maps") __weak;

/* `task`'s open file `fd`, or NULL. */
static __always_inline struct file *fr_fd_file(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The socket behind an open file, or NULL if it is not one. */
static __always_inline struct sock *fr_file_sock(struct file *f)
{
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & FR_S_IFMT) != FR_S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

static __always_inline struct sock *fr_fd_sock(struct task_struct *task, int fd)
{
	return fr_file_sock(fr_fd_file(task, fd));
}

/* Both endpoints of a socket. Addresses are in network byte order; ports in host order. */
static __always_inline void fr_sock_endpoints(struct sock *sk, __u16 *family, __u8 *proto,
	__u8 *saddr, __u16 *sport, __u8 *daddr, __u16 *dport)
{
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	*proto = BPF_CORE_READ(sk, sk_protocol);
	*sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	*dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(saddr, 0, 16);
	__builtin_memset(daddr, 0, 16);
	if (*family == FR_AF_INET) {
		bpf_probe_read_kernel(saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_probe_read_kernel(daddr, 4, &sk->__sk_common.skc_daddr);
	} else if (*family == FR_AF_INET6) {
		bpf_probe_read_kernel(saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/* A sockaddr in user memory: its family, and for IPv4/IPv6 its address and port. Returns the
 * family (0 if unreadable). */
static __always_inline __u16 fr_user_sockaddr(const void *uaddr, __u32 len, __u8 *addr, __u16 *port)
{
	__u16 family = 0;
	__u16 be_port = 0;

	if (!uaddr || len < 2 || bpf_probe_read_user(&family, 2, uaddr))
		return 0;
	if (family == FR_AF_INET && len >= 8) {
		bpf_probe_read_user(&be_port, 2, uaddr + 2);
		bpf_probe_read_user(addr, 4, uaddr + 4);
	} else if (family == FR_AF_INET6 && len >= 24) {
		bpf_probe_read_user(&be_port, 2, uaddr + 2);
		bpf_probe_read_user(addr, 16, uaddr + 8);
	}
	*port = bpf_ntohs(be_port);
	return family;
}

/* Targets' listening sockets by family and port, and who listens: the connections a listener
 * accepts are made in softirq, before accept() hands them over, on behalf of whatever task was
 * running then; they belong to the listener's owner. */
struct fr_listen_key {
	__u16 family;
	__u16 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fr_listen_key);
	__type(value, struct fr_subject);
} fr_listeners SEC(".maps") __weak;

static __always_inline void fr_own_sock(struct sock *sk, struct task_struct *task)
{
	struct fr_subject owner;
	__u64 key = (__u64)sk;

	if (!sk)
		return;
	fr_take_subject(&owner, task);
	bpf_map_update_elem(&fr_socks, &key, &owner, BPF_ANY);
}

#endif /* FLIGHTREC_FS_NET_H */
