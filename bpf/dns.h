/* The dns table: the first question of each query a target sends on a UDP socket to port
 * 53, read from the bytes the call sent. */
#ifndef FLIGHTREC_DNS_H
#define FLIGHTREC_DNS_H

#include "common.h"
#include "fs_net.h"

#define FR_IPPROTO_UDP 17
#define FR_DNS_PORT 53
#define FR_DNS_QUERY_MAX 512

/* A DNS question sent on a UDP socket to port 53: the name and type of its first question. */
static __always_inline void fr_dns_call(struct task_struct *task, const __u64 *arg, __u32 nr, __s64 ret, __u64 now)
{
	if (!fr_table_on(FR_TABLE_DNS) || ret < 17)
		return;
	int fd = arg[0];
	struct sock *sk = fr_fd_sock(task, fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != FR_IPPROTO_UDP)
		return;
	const void *data = (const void *)arg[1];
	__u64 len = ret;
	const void *dest = 0;
	__u32 dest_len = 0;
	if (nr == FR_NR_sendto) {
		dest = (const void *)arg[4];
		dest_len = arg[5];
	} else if (nr == FR_NR_sendmsg) {
		struct user_msghdr m;
		struct iovec iov;
		if (bpf_probe_read_user(&m, sizeof(m), data) || bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov))
			return;
		dest = m.msg_name;
		dest_len = m.msg_namelen;
		data = iov.iov_base;
		if (iov.iov_len < len)
			len = iov.iov_len;
	}
	__u8 *buf = fr_scratch_buf();
	if (!buf)
		return;
	struct fr_dns_event *e = (void *)buf;
	__u8 *q = buf + 4096; /* the query's bytes */
	__u16 port = 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->family = dest ? fr_user_sockaddr(dest, dest_len, e->server, &port) : 0;
	if (!e->family) {
		__u8 proto;
		__u8 saddr[16];
		__u16 sport;
		fr_sock_endpoints(sk, &e->family, &proto, saddr, &sport, e->server, &port);
	}
	if (port != FR_DNS_PORT)
		return;
	if (len > FR_DNS_QUERY_MAX)
		len = FR_DNS_QUERY_MAX;
	if (bpf_probe_read_user(q, len & (FR_DNS_QUERY_MAX * 2 - 1), data))
		return;
	/* Header (12 bytes), then the question: length-prefixed labels up to a zero length. The
	 * name is the bytes after the first length with the other lengths made dots: copied whole,
	 * then the loop hops from length to length. (A loop that wrote byte by byte kept the
	 * verifier following every way the name could go, over its limit on older kernels.) */
	char *name = (char *)buf + sizeof(*e);
	__u32 pos = 12;
	int done = 0;
	bpf_probe_read_kernel(name, 255, q + 13);
	for (int i = 0; i < 128; i++) {
		if (pos >= len)
			break;
		__u8 c = q[pos & (FR_DNS_QUERY_MAX - 1)];
		if (c == 0) {
			done = 1;
			break;
		}
		if (c > 63)
			break; /* a compression pointer or garbage: not a question we can read */
		if (pos > 12)
			name[(pos - 13) & 255] = '.';
		pos += c + 1;
	}
	__u32 out = pos > 12 ? pos - 13 : 0;
	pos++; /* past the zero length: the question's type and class follow */
	if (!done || pos + 2 > len || out > 255)
		return;
	e->qid = (__u16)q[0] << 8 | q[1];
	e->qtype = (__u16)q[pos & (FR_DNS_QUERY_MAX - 1)] << 8 | q[(pos + 1) & (FR_DNS_QUERY_MAX - 1)];
	e->server_port = port;
	e->fd = fd;
	fr_fill_task(&e->hdr, task);
	e->qname.off = sizeof(*e);
	e->qname.len = out;
	fr_output(&e->hdr, FR_TABLE_DNS, sizeof(*e) + (out & 255), now);
}

/* The sys_exit side, verified once (common.h, struct fr_exiting). */
__noinline int fr_dns_exit(void)
{
	struct fr_exiting *x = fr_exiting();

	if (x)
		fr_dns_call(fr_current_task(), x->arg, x->nr, x->ret, x->now);
	return 0;
}

#endif /* FLIGHTREC_DNS_H */
