/* Bytes read and written, summed per (process, fd) in a map, not written per call: a row
 * carries the totals when the fd is closed, or every second while it is busy (op io); a file
 * row for a file, a net row for a socket. */
#ifndef FLIGHTREC_IO_H
#define FLIGHTREC_IO_H

#include "common.h"
#include "file.h"

/* A busy fd's byte totals are written at least this often. */
#define FR_IO_FLUSH_NS 1000000000ull

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fr_io_key);
	__type(value, struct fr_io);
} fr_ios SEC(".maps") __weak;

/* The totals row of an fd: a file row with its path, or a net row with its endpoints, into
 * `buf` (room for a file row with two paths). Returns the table. */
static __always_inline __u8 fr_io_row(void *buf, __u32 *size, struct task_struct *task, int fd,
	struct fr_io *io, int closing)
{
	struct file *f = fr_fd_file(task, fd);

	if (io->sock) {
		struct fr_net_event *e = buf;
		struct sock *sk = fr_file_sock(f);
		__builtin_memset(e, 0, sizeof(*e));
		fr_fill_task(&e->hdr, task);
		e->op = closing ? FR_NET_OP_CLOSE : FR_NET_OP_IO;
		e->fd = fd;
		e->bytes_sent = io->written;
		e->bytes_received = io->read;
		if (sk)
			fr_sock_endpoints(sk, &e->family, &e->proto, e->saddr, &e->sport, e->daddr, &e->dport);
		e->unix_path.off = sizeof(*e);
		*size = sizeof(*e);
		return FR_TABLE_NET;
	}
	struct fr_file_event *e = buf;
	__builtin_memset(e, 0, sizeof(*e));
	fr_fill_task(&e->hdr, task);
	e->op = closing ? FR_FILE_OP_CLOSE : FR_FILE_OP_IO;
	e->fd = fd;
	e->dirfd = FR_AT_FDCWD;
	e->bytes_read = io->read;
	e->bytes_written = io->written;
	e->path.off = sizeof(*e);
	e->path.len = fr_file_path(buf + sizeof(*e), f);
	e->path2.off = sizeof(*e) + e->path.len;
	*size = sizeof(*e) + e->path.len;
	return FR_TABLE_FILE;
}

/* close(fd): the fd's totals, read before the fd goes. Returns 1 if the row waits for exit. */
static __always_inline int fr_close_begin(struct task_struct *task, int fd)
{
	struct fr_io_key k = { .tgid = fr_task_tgid(task), .fd = fd };
	struct fr_io *io = bpf_map_lookup_elem(&fr_ios, &k);

	if (!io)
		return 0;
	struct fr_pending *p = fr_pending_get(task, 1);
	if (!p)
		return 0;
	p->table = fr_io_row(p->buf, &p->size, task, fd, io, 1);
	p->reread = 0; /* its path is read now, while the fd is open */
	bpf_map_delete_elem(&fr_ios, &k);
	return 1;
}

/* What an fd is, as fr_io.sock keeps it: a socket, and which (the dns table reads UDP ones). */
#define FR_IO_FILE 0
#define FR_IO_SOCK 1
#define FR_IO_UDP 2

static __always_inline __u8 fr_io_kind(struct file *f)
{
	struct sock *sk = fr_file_sock(f);

	if (!sk)
		return FR_IO_FILE;
	return BPF_CORE_READ(sk, sk_protocol) == IPPROTO_UDP ? FR_IO_UDP : FR_IO_SOCK;
}

/* Bytes moved through an fd: added to its totals, written out once a second while busy.
 * Returns what the fd is, FR_IO_* (known from its totals after the first call, so the fd is
 * looked up once, not on every read and write). */
static __always_inline int fr_io_add(struct task_struct *task, int fd, __s64 ret, int written, __u64 now)
{
	struct fr_io_key k = { .tgid = fr_task_tgid(task), .fd = fd };

	if (ret <= 0)
		return 0;
	struct fr_io *io = bpf_map_lookup_elem(&fr_ios, &k);
	if (!io) {
		struct file *f = fr_fd_file(task, fd);
		struct fr_io fresh = { .since = now };
		if (!f)
			return 0;
		fresh.sock = fr_io_kind(f);
		if (!fr_table_on(fresh.sock ? FR_TABLE_NET : FR_TABLE_FILE))
			return fresh.sock;
		bpf_map_update_elem(&fr_ios, &k, &fresh, BPF_NOEXIST);
		io = bpf_map_lookup_elem(&fr_ios, &k);
		if (!io)
			return fresh.sock;
	}
	if (written)
		__sync_fetch_and_add(&io->written, ret);
	else
		__sync_fetch_and_add(&io->read, ret);
	int sock = io->sock;
	if (now - io->since < FR_IO_FLUSH_NS)
		return sock;
	void *buf = fr_scratch_buf();
	__u32 size = 0;
	if (!buf)
		return sock;
	__u8 table = fr_io_row(buf, &size, task, fd, io, 0);
	io->read = 0;
	io->written = 0;
	io->since = now;
	fr_output(buf, table, size, now);
	return sock;
}

/* The global functions of both sides (common.h, struct fr_exiting): close(fd) at entry, and
 * the bytes a call moved through `fd` at exit (returns what the fd is, FR_IO_*). */
__noinline int fr_close_enter(int fd)
{
	return fr_close_begin(fr_current_task(), fd);
}

__noinline int fr_io_exit(int fd, int written)
{
	struct fr_exiting *x = fr_exiting();

	return x ? fr_io_add(fr_current_task(), fd, x->ret, written, x->now) : 0;
}

#endif /* FLIGHTREC_IO_H */
