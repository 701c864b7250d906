/* The dns table: DNS over UDP port 53, read from the bytes a target's calls move. A message
 * sent to port 53 is a query: its first question is a row. A message received from port 53
 * is a response: its question, and each A or AAAA record of its answer section, is a row
 * (one row with no address when it has none, so its response code is kept).
 *
 * The calls: write, send(to), sendmsg and sendmmsg (glibc sends the A and AAAA questions in
 * one sendmmsg), read, recv(from), recvmsg and recvmmsg (busybox reads, glibc and musl
 * recvfrom). Responses are written by whoever answers: a hostile server chooses every byte,
 * so every offset is checked against the bytes read, compression pointers may only point
 * back, and a message that does not parse to the end of what it claims gives no answer rows.
 *
 * The parse is split into global functions (calls.h explains why): each is verified once, so
 * the loops over records and over a record's name do not multiply in the verifier. Before
 * Linux 5.12 global functions take no pointers; they share the message in fr_dns_msgs. */
#ifndef FLIGHTREC_DNS_H
#define FLIGHTREC_DNS_H

#include "common.h"
#include "fs_net.h"

#define FR_DNS_PORT 53
#define FR_DNS_MMSG_MAX 8  /* messages of one sendmmsg/recvmmsg looked at */
#define FR_DNS_LABELS_MAX 128 /* a name of 255 bytes has at most 127 labels */
/* Offsets into the message are masked with this, so the verifier sees them in bounds; every
 * offset is also checked against the bytes read (at most FR_DNS_RESPONSE_MAX). */
#define FR_DNS_MASK (FR_DNS_RESPONSE_MAX * 2 - 1)
#define FR_DNS_TYPE_A 1
#define FR_DNS_TYPE_AAAA 28
#define FR_DNS_CLASS_IN 1
#define FR_MSG_PEEK 2

/* The message being read on this CPU, and what has been read from it. */
struct fr_dns_msg {
	__u8 pkt[FR_DNS_RESPONSE_MAX * 2];
	char qname[256];
	struct {
		__u8 addr[16];
		__u32 ttl;
		__u16 family;
	} answers[FR_DNS_ANSWERS_MAX];
	__u8 server[16];  /* the server's address, and first the socket's peer */
	__u32 len;        /* bytes of pkt read */
	__u32 pos;        /* where the next record starts */
	__u32 qname_len;
	__s32 fd;
	__u16 qtype;
	__u16 qid;
	__u16 family;     /* of server */
	__u16 port;
	__u16 ancount;
	__u8 whole;       /* pkt holds the whole message (it was not cut by a buffer or our bound) */
	__u8 bad;         /* the message does not parse: no answer rows */
	__u8 cut;         /* answers_cut */
	__u8 rcode;
	__u8 nanswers;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_dns_msg);
} fr_dns_msgs SEC(".maps") __weak;

static __always_inline struct fr_dns_msg *fr_dns_msg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fr_dns_msgs, &zero);
}

static __always_inline __u32 fr_dns_u8(struct fr_dns_msg *m, __u32 pos)
{
	return m->pkt[pos & FR_DNS_MASK];
}

static __always_inline __u32 fr_dns_u16(struct fr_dns_msg *m, __u32 pos)
{
	return fr_dns_u8(m, pos) << 8 | fr_dns_u8(m, pos + 1);
}

/* The message's question (one, at offset 12) into qname and qtype; m->pos after it. Returns 0,
 * or -1 if it is not a question we can read. The name is the bytes after the first length with
 * the other lengths made dots: copied whole, then the loop hops from length to length. (A loop
 * that wrote byte by byte kept the verifier following every way the name could go, over its
 * limit on older kernels.) Compression is not allowed here: nothing comes before it. */
__noinline int fr_dns_question(void)
{
	struct fr_dns_msg *m = fr_dns_msg();

	if (!m)
		return -1;
	__u32 len = m->len;
	__u32 pos = 12;
	int done = 0;
	bpf_probe_read_kernel(m->qname, 255, m->pkt + 13);
	for (int i = 0; i < FR_DNS_LABELS_MAX; i++) {
		if (pos >= len)
			break;
		__u8 c = fr_dns_u8(m, pos);
		if (c == 0) {
			done = 1;
			break;
		}
		if (c > 63)
			break; /* a compression pointer or garbage */
		if (pos > 12)
			m->qname[(pos - 13) & 255] = '.';
		pos += c + 1;
	}
	__u32 out = pos > 12 ? pos - 13 : 0;
	pos++; /* past the zero length: the question's type and class follow */
	if (!done || pos + 4 > len || out > 255)
		return -1;
	m->qname_len = out;
	m->qtype = fr_dns_u16(m, pos);
	m->pos = pos + 4;
	return 0;
}

/* The record at m->pos has run past the bytes read: malformed if they are the whole message,
 * else the rest is beyond what was read. Returns 0 (stop). */
static __always_inline int fr_dns_short(struct fr_dns_msg *m)
{
	if (m->whole)
		m->bad = 1;
	else
		m->cut = 1;
	return 0;
}

/* One record of the answer section, at m->pos: an A or AAAA record of class IN is kept in
 * m->answers, others (CNAME, ...) are passed over. Its owner name is skipped, not read (the row
 * names the question). Returns 1 to go on to the next record, 0 to stop (m->bad: the message
 * is malformed; m->cut: there is more than is kept). */
__noinline int fr_dns_record(void)
{
	struct fr_dns_msg *m = fr_dns_msg();

	if (!m)
		return 0;
	__u32 len = m->len;
	__u32 start = m->pos;
	__u32 pos = start;
	int named = 0;
	for (int i = 0; i < FR_DNS_LABELS_MAX; i++) {
		if (pos >= len)
			return fr_dns_short(m);
		__u8 c = fr_dns_u8(m, pos);
		if (c == 0) {
			pos++;
			named = 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			if (pos + 2 > len)
				return fr_dns_short(m);
			/* A pointer ends the name. It must point back into the message, before this
			 * name: a pointer to itself or ahead is how a hostile server makes a loop. */
			__u32 to = (c & 0x3f) << 8 | fr_dns_u8(m, pos + 1);
			if (to < 12 || to >= start)
				break;
			pos += 2;
			named = 1;
			break;
		}
		if (c > 63)
			break; /* labels 0x40 and 0x80 are not in use */
		pos += c + 1;
	}
	if (!named) {
		m->bad = 1;
		return 0;
	}
	if (pos + 10 > len)
		return fr_dns_short(m);
	__u32 type = fr_dns_u16(m, pos);
	__u32 class = fr_dns_u16(m, pos + 2);
	__u32 ttl = fr_dns_u16(m, pos + 4) << 16 | fr_dns_u16(m, pos + 6);
	__u32 rdlen = fr_dns_u16(m, pos + 8);
	pos += 10;
	if (pos + rdlen > len)
		return fr_dns_short(m);
	m->pos = pos + rdlen;
	if (class != FR_DNS_CLASS_IN || (type != FR_DNS_TYPE_A && type != FR_DNS_TYPE_AAAA))
		return 1;
	if (rdlen != (type == FR_DNS_TYPE_A ? 4 : 16)) {
		m->bad = 1;
		return 0;
	}
	__u32 n = m->nanswers;
	if (n >= FR_DNS_ANSWERS_MAX) {
		m->cut = 1;
		return 0;
	}
	n &= FR_DNS_ANSWERS_MAX - 1;
	__builtin_memset(m->answers[n].addr, 0, 16);
	if (type == FR_DNS_TYPE_A)
		bpf_probe_read_kernel(m->answers[n].addr, 4, m->pkt + (pos & FR_DNS_MASK));
	else
		bpf_probe_read_kernel(m->answers[n].addr, 16, m->pkt + (pos & FR_DNS_MASK));
	m->answers[n].ttl = ttl;
	m->answers[n].family = type == FR_DNS_TYPE_A ? FR_AF_INET : FR_AF_INET6;
	m->nanswers = n + 1;
	return 1;
}

/* A row of the message in fr_dns_msgs: `answer` -2 the query, -1 the response without an
 * address, 0.. the response's answer of that index. */
__noinline int fr_dns_output(int answer)
{
	struct fr_dns_msg *m = fr_dns_msg();
	struct fr_exiting *x = fr_exiting();
	__u8 *buf = fr_scratch_buf();

	if (!m || !x || !buf)
		return 0;
	struct fr_dns_event *e = (void *)buf;
	__builtin_memset(e, 0, sizeof(*e));
	fr_fill_task(&e->hdr, fr_current_task());
	e->qid = m->qid;
	e->qtype = m->qtype;
	e->family = m->family;
	__builtin_memcpy(e->server, m->server, 16);
	e->server_port = m->port;
	e->fd = m->fd;
	e->hdr.flags = FR_DNS_HAS_KIND;
	e->kind = FR_DNS_KIND_QUERY;
	if (answer >= -1) {
		e->kind = FR_DNS_KIND_ANSWER;
		e->hdr.flags |= FR_DNS_HAS_RCODE | FR_DNS_HAS_ANSWERS_CUT;
		e->rcode = m->rcode;
		e->answers_cut = m->cut;
	}
	if (answer >= 0) {
		__u32 i = answer & (FR_DNS_ANSWERS_MAX - 1);
		e->hdr.flags |= FR_DNS_HAS_ANSWER | FR_DNS_HAS_ANSWER_FAMILY | FR_DNS_HAS_TTL;
		__builtin_memcpy(e->answer, m->answers[i].addr, 16);
		e->answer_family = m->answers[i].family;
		e->ttl = m->answers[i].ttl;
	}
	__u32 len = m->qname_len & 255;
	bpf_probe_read_kernel(buf + sizeof(*e), 256, m->qname);
	e->qname.off = sizeof(*e);
	e->qname.len = len;
	fr_output(&e->hdr, FR_TABLE_DNS, sizeof(*e) + len, x->now);
	return 0;
}

/* The response in fr_dns_msgs: its answers, then its rows. */
static __always_inline void fr_dns_response(struct fr_dns_msg *m)
{
	__u32 flags = fr_dns_u16(m, 2);

	/* A response (QR) to a standard query (opcode 0) with the one question resolvers ask. */
	if (!(flags & 0x8000) || (flags & 0x7800) || fr_dns_u16(m, 4) != 1 || fr_dns_question())
		return;
	m->ancount = fr_dns_u16(m, 6);
	m->rcode = flags & 0xf;
	m->cut = (flags & 0x0200) != 0; /* TC: the server left answers out */
	m->bad = 0;
	m->nanswers = 0;
	int i;
	for (i = 0; i < FR_DNS_RECORDS_MAX; i++) {
		if (i >= m->ancount || !fr_dns_record())
			break;
	}
	if (i == FR_DNS_RECORDS_MAX && m->ancount > FR_DNS_RECORDS_MAX)
		m->cut = 1;
	if (m->bad)
		return;
	__u32 n = m->nanswers;
	if (n == 0) {
		fr_dns_output(-1);
		return;
	}
	for (int j = 0; j < FR_DNS_ANSWERS_MAX; j++) {
		if (j >= n)
			break;
		fr_dns_output(j);
	}
}

/* Message `i` of the exiting call (the call's only message, or one of sendmmsg/recvmmsg's):
 * found, read into fr_dns_msgs and recorded if it went to or came from port 53. The socket's
 * peer is in the msg already (fr_dns_exit), for a message without an address. */
__noinline int fr_dns_message(int i)
{
	struct fr_exiting *x = fr_exiting();
	struct fr_dns_msg *m = fr_dns_msg();

	if (!x || !m)
		return 0;
	__u32 nr = x->nr;
	int response = 0;
	const void *data = (const void *)x->arg[1];
	__u64 len = x->ret;  /* the message's length */
	__u64 room = x->arg[2]; /* what the buffer holds */
	const void *name = 0;
	__u32 name_len = 0;
	struct user_msghdr h;
	struct iovec iov;
	if (nr == FR_NR_sendto || nr == FR_NR_recvfrom) {
		name = (const void *)x->arg[4];
		if (nr == FR_NR_sendto)
			name_len = x->arg[5];
		else if (!x->arg[5] || bpf_probe_read_user(&name_len, sizeof(name_len), (const void *)x->arg[5]))
			name = 0;
		response = nr == FR_NR_recvfrom;
		if (response && (x->arg[3] & FR_MSG_PEEK))
			return 0; /* the same message is read again */
	} else if (nr == FR_NR_sendmsg || nr == FR_NR_recvmsg || nr == FR_NR_sendmmsg || nr == FR_NR_recvmmsg) {
		int mmsg = nr == FR_NR_sendmmsg || nr == FR_NR_recvmmsg;
		const void *at = data;
		response = nr == FR_NR_recvmsg || nr == FR_NR_recvmmsg;
		if ((nr == FR_NR_recvmsg && (x->arg[2] & FR_MSG_PEEK)) || (nr == FR_NR_recvmmsg && (x->arg[3] & FR_MSG_PEEK)))
			return 0;
		if (mmsg)
			at += (i & (FR_DNS_MMSG_MAX - 1)) * sizeof(struct mmsghdr);
		if (bpf_probe_read_user(&h, sizeof(h), at) || !h.msg_iovlen || bpf_probe_read_user(&iov, sizeof(iov), h.msg_iov))
			return 0;
		if (mmsg) {
			__u32 sent = 0;
			if (bpf_probe_read_user(&sent, sizeof(sent), at + __builtin_offsetof(struct mmsghdr, msg_len)))
				return 0;
			len = sent;
		}
		name = h.msg_name;
		name_len = h.msg_namelen;
		data = iov.iov_base;
		room = iov.iov_len; /* the first buffer: a message spread over more is read in part */
	} else {
		response = nr == FR_NR_read;
	}
	__u16 port = 0;
	__u8 addr[16] = {};
	__u16 family = name ? fr_user_sockaddr(name, name_len, addr, &port) : 0;
	if (family == 0) {
		family = m->family; /* the socket's peer (a connected socket) */
		port = m->port;
	} else {
		m->family = family;
		m->port = port;
		__builtin_memcpy(m->server, addr, 16);
	}
	if (port != FR_DNS_PORT || (family != FR_AF_INET && family != FR_AF_INET6))
		return 0;
	__u64 avail = len < room ? len : room;
	/* A datagram that filled the buffer may have been cut to fit: only one that left room is
	 * known to be whole (and a malformed one, not one whose rest was not read). */
	m->whole = len < room && len <= FR_DNS_RESPONSE_MAX;
	if (avail > FR_DNS_RESPONSE_MAX)
		avail = FR_DNS_RESPONSE_MAX;
	if (avail < 17 || bpf_probe_read_user(m->pkt, avail & FR_DNS_MASK, data))
		return 0;
	m->len = avail;
	m->qid = fr_dns_u16(m, 0);
	if (response) {
		fr_dns_response(m);
		return 0;
	}
	if (fr_dns_u8(m, 2) & 0x80)
		return 0; /* QR set: not a question */
	if (fr_dns_question() == 0)
		fr_dns_output(-2);
	return 0;
}

/* The sys_exit side, verified once (common.h, struct fr_exiting): a call that moved data
 * through a UDP socket. */
__noinline int fr_dns_exit(void)
{
	struct fr_exiting *x = fr_exiting();
	struct fr_dns_msg *m = fr_dns_msg();

	if (!x || !m || !fr_table_on(FR_TABLE_DNS) || x->ret <= 0)
		return 0;
	int fd = x->arg[0];
	struct sock *sk = fr_fd_sock(fr_current_task(), fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return 0;
	__u8 proto;
	__u8 saddr[16];
	__u16 sport;
	fr_sock_endpoints(sk, &m->family, &proto, saddr, &sport, m->server, &m->port);
	m->fd = fd;
	if (x->nr != FR_NR_sendmmsg && x->nr != FR_NR_recvmmsg) {
		fr_dns_message(0);
		return 0;
	}
	/* Each message of a sendmmsg/recvmmsg that went; the socket's peer again for each, as
	 * fr_dns_message replaces it with a message's own address. */
	__u16 family = m->family, port = m->port;
	__u8 peer[16];
	__builtin_memcpy(peer, m->server, 16);
	for (int i = 0; i < FR_DNS_MMSG_MAX; i++) {
		if (i >= x->ret)
			break;
		m->family = family;
		m->port = port;
		__builtin_memcpy(m->server, peer, 16);
		fr_dns_message(i);
	}
	return 0;
}

#endif /* FLIGHTREC_DNS_H */
