/* The file, net, dns and mem tables, from the same sys_enter/sys_exit programs as the syscall
 * table (one pair of programs on the syscall path, whatever is recorded).
 *
 * Paths are read at entry, when they are what the call was given: the record is built then in
 * per-thread task storage (a call may sleep and finish on another CPU) and completed at exit
 * with the result. Everything else is read at exit, from the registers saved at entry, the
 * user memory they point to, and the kernel objects behind the descriptors.
 *
 * Bytes read and written are summed per (process, fd) in a map, not written per call: a row
 * carries the totals when the fd is closed, or every second while it is busy (op io). */
#ifndef FLIGHTREC_CALLS_H
#define FLIGHTREC_CALLS_H

#include "common.h"
#include "fs_net.h"

#define FR_AT_FDCWD -100
#define FR_AT_REMOVEDIR 0x200
#define FR_PROT_WRITE 0x2
#define FR_PROT_EXEC 0x4
#define FR_MAP_ANONYMOUS 0x20
#define FR_IPPROTO_UDP 17
#define FR_DNS_PORT 53
#define FR_DNS_QUERY_MAX 512
/* A busy fd's byte totals are written at least this often. */
#define FR_IO_FLUSH_NS 1000000000ull

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fr_io_key);
	__type(value, struct fr_io);
} fr_ios SEC(".maps") __weak;

/* The protection a target last gave the mapping at an address (mmap or mprotect). */
struct fr_prot_key {
	__u32 tgid;
	__u32 _pad;
	__u64 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fr_prot_key);
	__type(value, __u32);
} fr_prots SEC(".maps") __weak;

/* Path components collected leaf first, written out root first. */
#define FR_PATH_DEPTH 32
struct fr_walk {
	const unsigned char *names[FR_PATH_DEPTH];
	__u64 dentry; /* where the walk is (struct dentry *) */
	__u64 mnt;    /* and in which mount (struct mount *) */
	__u32 n;      /* names collected */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_walk);
} fr_walks SEC(".maps");

/* Room for a path written at any offset below FR_PATH_MAX. */
struct fr_path_out {
	char s[2 * FR_PATH_MAX];
};

/* One step up from the dentry in the walk state: a component, or a mount crossed. Returns 1
 * at the root. (A bpf_loop callback: verified once, however long the walk.) */
static long fr_walk_step(__u32 i, void *ctx)
{
	__u32 zero = 0;
	struct fr_walk *w = bpf_map_lookup_elem(&fr_walks, &zero);

	if (!w || w->n >= FR_PATH_DEPTH)
		return 1;
	struct dentry *d = (struct dentry *)w->dentry;
	struct mount *mnt = (struct mount *)w->mnt;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt)
			return 1; /* the root of everything */
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)up;
		return 0;
	}
	if (d == parent)
		return 1;
	w->names[w->n & (FR_PATH_DEPTH - 1)] = BPF_CORE_READ(d, d_name.name);
	w->n++;
	w->dentry = (__u64)parent;
	return 0;
}

/* The absolute path of an open file (a struct file *), NUL-terminated in `out`; returns its
 * length without the NUL, at most FR_PATH_MAX - 1. Walks dentries up to each mount's root and
 * across mounts, at most FR_PATH_DEPTH components (a deeper path keeps its last ones).
 * A global function: the verifier checks it once, not at every caller. */
__noinline int fr_file_path(__u64 file, struct fr_path_out *out)
{
	__u32 zero = 0;
	struct fr_walk *w = bpf_map_lookup_elem(&fr_walks, &zero);
	struct file *f = (struct file *)file;

	if (!out)
		return 0;
	char *buf = out->s;
	buf[0] = 0;
	if (!f || !w)
		return 0;
	struct vfsmount *vfs = BPF_CORE_READ(f, f_path.mnt);
	w->dentry = (__u64)BPF_CORE_READ(f, f_path.dentry);
	w->mnt = (__u64)container_of(vfs, struct mount, mnt);
	w->n = 0;
	bpf_loop(FR_PATH_DEPTH + 8, fr_walk_step, NULL, 0);
	__u32 n = w->n;
	__u32 off = 0;
	for (int i = FR_PATH_DEPTH - 1; i >= 0; i--) {
		if (i >= n)
			continue;
		if (off > FR_PATH_MAX - 2)
			break;
		/* The masks keep the verifier sure of the bounds; barrier_var() keeps the compiler
		 * from folding them away. */
		__u32 at = off;
		barrier_var(at);
		at &= FR_PATH_MAX - 1;
		buf[at] = '/';
		at++;
		barrier_var(at);
		at &= FR_PATH_MAX - 1;
		long len = bpf_probe_read_kernel_str(buf + at, FR_PATH_MAX - 1, w->names[i & (FR_PATH_DEPTH - 1)]);
		off = len > 1 ? at + (__u32)len - 1 : at;
	}
	if (off == 0) {
		buf[0] = '/';
		buf[1] = 0;
		return 1;
	}
	return off < FR_PATH_MAX ? off : FR_PATH_MAX - 1;
}

/* ---------------------------------------------------------------- file */

/* A file call's arguments: `path` and `path2` are user pointers (path2 may be NULL); a call
 * on an fd (path NULL) gets the fd's path. */
struct fr_file_call {
	const char *path;
	const char *path2;
	int dirfd;
	int fd;
	__u32 flags;
	__u32 mode;
	__u32 owner;
	__u32 group;
	__u8 op;
};

static __always_inline void fr_fc(struct fr_file_call *fc, __u8 op, int dirfd, const char *path,
	const char *path2, int fd, __u32 flags, __u32 mode, __u32 owner, __u32 group)
{
	fc->op = op;
	fc->dirfd = dirfd;
	fc->path = path;
	fc->path2 = path2;
	fc->fd = fd;
	fc->flags = flags;
	fc->mode = mode;
	fc->owner = owner;
	fc->group = group;
}

/* The record a thread's current call will complete at exit. */
#define FR_PENDING_SIZE (sizeof(struct fr_file_event) + 2 * FR_PATH_MAX + 64)
struct fr_pending {
	__u32 size;
	__u8 table;
	__u8 reread;  /* a path could not be read at entry: read it at exit */
	struct fr_file_call fc;
	__u8 buf[FR_PENDING_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fr_pending);
} fr_pendings SEC(".maps") __weak;

static __always_inline struct fr_pending *fr_pending_get(struct task_struct *task, int create)
{
	return bpf_task_storage_get(&fr_pendings, task, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* Reads a file row's paths into the pending record. A string not yet paged in cannot be
 * read here (no faults in tracing); the read is then tried again at exit, when the kernel
 * has faulted it in to copy it. */
static __always_inline void fr_file_paths(struct task_struct *task, struct fr_pending *p)
{
	struct fr_file_event *e = (void *)p->buf;
	struct fr_file_call *fc = &p->fc;
	__u32 off = sizeof(*e);
	long n;

	p->reread = 0;
	if (fc->path) {
		n = bpf_probe_read_user_str(p->buf + off, FR_PATH_MAX, fc->path);
		p->reread = n <= 0;
		n = n > 0 ? n - 1 : 0;
	} else {
		n = fr_file_path((__u64)fr_fd_file(task, fc->fd), (void *)(p->buf + off));
	}
	e->path.off = off;
	e->path.len = n;
	off += n & (FR_PATH_MAX - 1);
	e->path2.off = off;
	e->path2.len = 0;
	if (fc->path2) {
		n = bpf_probe_read_user_str(p->buf + off, FR_PATH_MAX, fc->path2);
		p->reread |= n <= 0;
		e->path2.len = n > 0 ? n - 1 : 0;
		off += e->path2.len & (FR_PATH_MAX - 1);
	}
	p->size = off;
}

/* Starts a file row. Returns 1 if the row waits for the call's exit. */
static __always_inline int fr_file_begin(struct task_struct *task, struct fr_file_call *fc)
{
	if (!fr_table_on(FR_TABLE_FILE))
		return 0;
	struct fr_pending *p = fr_pending_get(task, 1);
	if (!p)
		return 0;
	struct fr_file_event *e = (void *)p->buf;

	fr_fill_task(&e->hdr, task);
	e->hdr.flags = fc->path2 ? FR_FILE_HAS_PATH2 : 0;
	e->op = fc->op;
	e->dirfd = fc->dirfd;
	e->fd = fc->fd;
	e->flags = fc->flags;
	e->mode = fc->mode;
	e->owner = fc->owner;
	e->group = fc->group;
	e->bytes_read = 0;
	e->bytes_written = 0;
	e->ret = 0;
	p->fc = *fc;
	fr_file_paths(task, p);
	p->table = FR_TABLE_FILE;
	return 1;
}

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
	e->path.len = fr_file_path((__u64)f, buf + sizeof(*e));
	e->path2.off = sizeof(*e) + e->path.len;
	*size = sizeof(*e) + e->path.len;
	return FR_TABLE_FILE;
}

/* close(fd): the fd's totals, read before the fd goes. Returns 1 if the row waits for exit. */
static __always_inline int fr_close_begin(struct task_struct *task, int fd)
{
	struct fr_io_key k = { .tgid = task->tgid, .fd = fd };
	struct fr_io *io = bpf_map_lookup_elem(&fr_ios, &k);

	if (!io)
		return 0;
	struct fr_pending *p = fr_pending_get(task, 1);
	if (!p)
		return 0;
	p->table = fr_io_row(p->buf, &p->size, task, fd, io, 1);
	bpf_map_delete_elem(&fr_ios, &k);
	return 1;
}

/* Completes the row begun at entry. */
static __always_inline void fr_pending_finish(struct task_struct *task, __s64 ret, __u64 now)
{
	struct fr_pending *p = fr_pending_get(task, 0);

	if (!p)
		return;
	if (p->table == FR_TABLE_FILE) {
		struct fr_file_event *e = (void *)p->buf;
		if (p->reread)
			fr_file_paths(task, p);
		e->ret = ret;
		if (e->op == FR_FILE_OP_OPEN || e->op == FR_FILE_OP_CREAT)
			e->fd = ret >= 0 ? ret : -1;
	} else if (p->table == FR_TABLE_NET) {
		((struct fr_net_event *)p->buf)->ret = ret;
	} else {
		return;
	}
	fr_output_within((struct fr_header *)p->buf, p->table, p->size, now, FR_PENDING_SIZE);
	p->table = 0;
}

/* Bytes moved through an fd: added to its totals, written out once a second while busy.
 * Returns whether the fd is a socket (known from its totals after the first call, so the fd
 * is looked up once, not on every read and write). */
static __always_inline int fr_io_add(struct task_struct *task, int fd, __s64 ret, int written, __u64 now)
{
	struct fr_io_key k = { .tgid = task->tgid, .fd = fd };

	if (ret <= 0)
		return 0;
	struct fr_io *io = bpf_map_lookup_elem(&fr_ios, &k);
	if (!io) {
		struct file *f = fr_fd_file(task, fd);
		struct fr_io fresh = { .since = now };
		if (!f)
			return 0;
		fresh.sock = fr_file_sock(f) != NULL;
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

/* ---------------------------------------------------------------- net */

static __always_inline void fr_net_call(struct task_struct *task, struct pt_regs *regs, __u8 op, __s64 ret, __u64 now)
{
	if (!fr_table_on(FR_TABLE_NET))
		return;
	struct fr_net_event *e = fr_scratch_buf();
	if (!e)
		return;
	int fd = regs->di;
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
	}
	/* connect, and bind that failed: the address asked for, as given. */
	const void *uaddr = 0;
	__u32 ulen = regs->dx;
	if (op == FR_NET_OP_CONNECT || (op == FR_NET_OP_BIND && (ret != 0 || !sk)))
		uaddr = (const void *)regs->si; /* a bound socket says which port it got */
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

/* ---------------------------------------------------------------- dns */

/* A DNS question sent on a UDP socket to port 53: the name and type of its first question. */
static __always_inline void fr_dns_call(struct task_struct *task, struct pt_regs *regs, __u32 nr, __s64 ret, __u64 now)
{
	if (!fr_table_on(FR_TABLE_DNS) || ret < 17)
		return;
	int fd = regs->di;
	struct sock *sk = fr_fd_sock(task, fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != FR_IPPROTO_UDP)
		return;
	const void *data = (const void *)regs->si;
	__u64 len = ret;
	const void *dest = 0;
	__u32 dest_len = 0;
	if (nr == FR_NR_sendto) {
		dest = (const void *)regs->r8;
		dest_len = regs->r9;
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
	/* Header (12 bytes), then the question: length-prefixed labels up to a zero byte. */
	char *name = (char *)buf + sizeof(*e);
	__u32 pos = 12, out = 0, left = 0;
	int done = 0;
	for (int i = 0; i < 256; i++) {
		if (pos >= len)
			break;
		__u8 c = q[pos & (FR_DNS_QUERY_MAX - 1)];
		pos++;
		if (left) {
			name[out & 255] = c;
			out++;
			left--;
			continue;
		}
		if (c == 0) {
			done = 1;
			break;
		}
		if (c > 63)
			break; /* a compression pointer or garbage: not a question we can read */
		if (out)
			name[(out++) & 255] = '.';
		left = c;
	}
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

/* ---------------------------------------------------------------- mem */

static __always_inline void fr_mem_call(struct task_struct *task, struct pt_regs *regs, __u8 op, __s64 ret, __u64 now)
{
	if (!fr_table_on(FR_TABLE_MEM))
		return;
	struct fr_mem_event *e = fr_scratch_buf();
	if (!e)
		return;
	struct fr_prot_key k = { .tgid = task->tgid, .addr = regs->di };
	__u32 size = sizeof(*e);

	__builtin_memset(e, 0, sizeof(*e));
	fr_fill_task(&e->hdr, task);
	e->op = op;
	e->ret = ret;
	e->addr = regs->di;
	e->len = regs->si;
	e->fd = -1;
	if (op == FR_MEM_OP_MMAP) {
		e->prot = regs->dx;
		e->flags = regs->r10;
		e->fd = regs->r8;
		e->offset = regs->r9;
		if (ret >= 0)
			e->addr = k.addr = ret;
		if (e->fd >= 0 && !(e->flags & FR_MAP_ANONYMOUS)) {
			e->path.len = fr_file_path((__u64)fr_fd_file(task, e->fd), (void *)e + size);
			e->hdr.flags |= FR_MEM_HAS_PATH;
		} else {
			e->fd = -1;
		}
	} else if (op == FR_MEM_OP_MPROTECT) {
		e->prot = regs->dx;
		__u32 *before = bpf_map_lookup_elem(&fr_prots, &k);
		e->exec_after_write = before && (*before & FR_PROT_WRITE) && (e->prot & FR_PROT_EXEC);
	}
	e->wx = (e->prot & FR_PROT_WRITE) && (e->prot & FR_PROT_EXEC);
	if (op == FR_MEM_OP_MUNMAP)
		bpf_map_delete_elem(&fr_prots, &k);
	else if (ret >= 0)
		bpf_map_update_elem(&fr_prots, &k, &e->prot, BPF_ANY);
	e->path.off = size;
	size += e->path.len & (FR_PATH_MAX - 1);
	fr_output(&e->hdr, FR_TABLE_MEM, size, now);
}

/* ---------------------------------------------------------------- dispatch */

/* At a target's call entry. Returns 1 if a row waits for the exit. */
static __always_inline int fr_calls_enter(struct task_struct *task, struct pt_regs *regs, long nr)
{
	const char *a0 = (const char *)regs->di, *a1 = (const char *)regs->si;
	const char *a2 = (const char *)regs->dx, *a3 = (const char *)regs->r10;
	struct fr_file_call fc;

	switch (nr) {
#ifdef FR_NR_open
	case FR_NR_open:
		fr_fc(&fc, FR_FILE_OP_OPEN, FR_AT_FDCWD, a0, 0, -1, regs->si, regs->dx, 0, 0);
		break;
#endif
	case FR_NR_openat:
		fr_fc(&fc, FR_FILE_OP_OPEN, regs->di, a1, 0, -1, regs->dx, regs->r10, 0, 0);
		break;
	case FR_NR_openat2: {
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), a2);
		fr_fc(&fc, FR_FILE_OP_OPEN, regs->di, a1, 0, -1, how.flags, how.mode, 0, 0);
		break;
	}
#ifdef FR_NR_creat
	case FR_NR_creat:
		fr_fc(&fc, FR_FILE_OP_CREAT, FR_AT_FDCWD, a0, 0, -1, 0, regs->si, 0, 0);
		break;
#endif
#ifdef FR_NR_unlink
	case FR_NR_unlink:
		fr_fc(&fc, FR_FILE_OP_UNLINK, FR_AT_FDCWD, a0, 0, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_unlinkat:
		fr_fc(&fc, regs->dx & FR_AT_REMOVEDIR ? FR_FILE_OP_RMDIR : FR_FILE_OP_UNLINK,
			regs->di, a1, 0, -1, regs->dx, 0, 0, 0);
		break;
#ifdef FR_NR_rename
	case FR_NR_rename:
		fr_fc(&fc, FR_FILE_OP_RENAME, FR_AT_FDCWD, a0, a1, -1, 0, 0, 0, 0);
		break;
#endif
#ifdef FR_NR_renameat
	case FR_NR_renameat:
		fr_fc(&fc, FR_FILE_OP_RENAME, regs->di, a1, a3, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_renameat2:
		fr_fc(&fc, FR_FILE_OP_RENAME, regs->di, a1, a3, -1, regs->r8, 0, 0, 0);
		break;
#ifdef FR_NR_mkdir
	case FR_NR_mkdir:
		fr_fc(&fc, FR_FILE_OP_MKDIR, FR_AT_FDCWD, a0, 0, -1, 0, regs->si, 0, 0);
		break;
#endif
	case FR_NR_mkdirat:
		fr_fc(&fc, FR_FILE_OP_MKDIR, regs->di, a1, 0, -1, 0, regs->dx, 0, 0);
		break;
#ifdef FR_NR_rmdir
	case FR_NR_rmdir:
		fr_fc(&fc, FR_FILE_OP_RMDIR, FR_AT_FDCWD, a0, 0, -1, 0, 0, 0, 0);
		break;
#endif
#ifdef FR_NR_chmod
	case FR_NR_chmod:
		fr_fc(&fc, FR_FILE_OP_CHMOD, FR_AT_FDCWD, a0, 0, -1, 0, regs->si, 0, 0);
		break;
#endif
	case FR_NR_fchmod:
		fr_fc(&fc, FR_FILE_OP_CHMOD, FR_AT_FDCWD, 0, 0, regs->di, 0, regs->si, 0, 0);
		break;
	case FR_NR_fchmodat:
		fr_fc(&fc, FR_FILE_OP_CHMOD, regs->di, a1, 0, -1, 0, regs->dx, 0, 0);
		break;
#ifdef FR_NR_chown
	case FR_NR_chown:
		fr_fc(&fc, FR_FILE_OP_CHOWN, FR_AT_FDCWD, a0, 0, -1, 0, 0, regs->si, regs->dx);
		break;
#endif
#ifdef FR_NR_lchown
	case FR_NR_lchown:
		fr_fc(&fc, FR_FILE_OP_CHOWN, FR_AT_FDCWD, a0, 0, -1, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0, regs->si, regs->dx);
		break;
#endif
	case FR_NR_fchown:
		fr_fc(&fc, FR_FILE_OP_CHOWN, FR_AT_FDCWD, 0, 0, regs->di, 0, 0, regs->si, regs->dx);
		break;
	case FR_NR_fchownat:
		fr_fc(&fc, FR_FILE_OP_CHOWN, regs->di, a1, 0, -1, regs->r8, 0, regs->dx, regs->r10);
		break;
	case FR_NR_truncate:
		fr_fc(&fc, FR_FILE_OP_TRUNCATE, FR_AT_FDCWD, a0, 0, -1, 0, 0, 0, 0);
		break;
	case FR_NR_ftruncate:
		fr_fc(&fc, FR_FILE_OP_TRUNCATE, FR_AT_FDCWD, 0, 0, regs->di, 0, 0, 0, 0);
		break;
#ifdef FR_NR_link
	case FR_NR_link:
		fr_fc(&fc, FR_FILE_OP_LINK, FR_AT_FDCWD, a0, a1, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_linkat:
		fr_fc(&fc, FR_FILE_OP_LINK, regs->di, a1, a3, -1, regs->r8, 0, 0, 0);
		break;
#ifdef FR_NR_symlink
	case FR_NR_symlink:
		fr_fc(&fc, FR_FILE_OP_SYMLINK, FR_AT_FDCWD, a0, a1, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_symlinkat:
		fr_fc(&fc, FR_FILE_OP_SYMLINK, regs->si, a0, a2, -1, 0, 0, 0, 0);
		break;
	case FR_NR_close:
		return fr_close_begin(task, regs->di);
	case FR_NR_connect:
		/* Owned before the handshake, so its state changes are attributed from the first. */
		if (fr_table_on(FR_TABLE_NET))
			fr_own_sock(fr_fd_sock(task, regs->di), task);
		return 0;
	default:
		return 0;
	}
	return fr_file_begin(task, &fc);
}

/* At a target's call exit; `pending` is what fr_calls_enter returned. */
static __always_inline void fr_calls_exit(struct task_struct *task, struct pt_regs *regs, __u32 nr, __s64 ret,
	int pending, __u64 now)
{
	if (pending)
		fr_pending_finish(task, ret, now);
	switch (nr) {
	case FR_NR_read:
	case FR_NR_pread64:
	case FR_NR_readv:
	case FR_NR_preadv:
	case FR_NR_preadv2:
	case FR_NR_recvfrom:
	case FR_NR_recvmsg:
		fr_io_add(task, regs->di, ret, 0, now);
		break;
	case FR_NR_write:
	case FR_NR_sendto:
	case FR_NR_sendmsg:
		if (fr_io_add(task, regs->di, ret, 1, now))
			fr_dns_call(task, regs, nr, ret, now);
		break;
	case FR_NR_pwrite64:
	case FR_NR_writev:
	case FR_NR_pwritev:
	case FR_NR_pwritev2:
		fr_io_add(task, regs->di, ret, 1, now);
		break;
	case FR_NR_connect:
		fr_net_call(task, regs, FR_NET_OP_CONNECT, ret, now);
		break;
	case FR_NR_accept:
	case FR_NR_accept4:
		fr_net_call(task, regs, FR_NET_OP_ACCEPT, ret, now);
		break;
	case FR_NR_bind:
		fr_net_call(task, regs, FR_NET_OP_BIND, ret, now);
		break;
	case FR_NR_listen:
		fr_net_call(task, regs, FR_NET_OP_LISTEN, ret, now);
		break;
	case FR_NR_mmap:
		fr_mem_call(task, regs, FR_MEM_OP_MMAP, ret, now);
		break;
	case FR_NR_mprotect:
		fr_mem_call(task, regs, FR_MEM_OP_MPROTECT, ret, now);
		break;
	case FR_NR_munmap:
		fr_mem_call(task, regs, FR_MEM_OP_MUNMAP, ret, now);
		break;
	}
}

#endif /* FLIGHTREC_CALLS_H */
