/* The file table's calls: open, unlink, rename, chmod and the rest. Paths are read at entry,
 * when they are what the call was given: the row is built then in per-thread state (a
 * call may sleep and finish on another CPU) and completed at exit with the result. The same
 * pending record carries the totals row of an fd being closed (io.h). */
#ifndef FLIGHTREC_FILE_H
#define FLIGHTREC_FILE_H

#include "common.h"
#include "fs_net.h"
#include "path.h"

#define FR_AT_FDCWD -100

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

/* The file call sys_enter is starting, for fr_file_enter() (a global function takes no
 * pointers before Linux 5.12). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_file_call);
} fr_file_calls SEC(".maps");

static __always_inline struct fr_file_call *fr_file_call(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fr_file_calls, &zero);
}

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

/* The record a thread's current call will complete at exit: room for its two paths and the
 * absolute path, each written at any offset the ones before it can end at. */
#define FR_PENDING_SIZE (sizeof(struct fr_file_event) + 4 * FR_PATH_MAX + 64)
struct fr_pending {
	__u32 size;
	__u8 table;
	__u8 reread;  /* a path could not be read at entry: read it at exit */
	struct fr_file_call fc;
	__u8 buf[FR_PENDING_SIZE];
};

FR_THREAD_MAP(fr_pendings, struct fr_pending, 65536);

/* The thread's pending record; a new one starts as a copy of scratch space (fr_file_begin and
 * fr_close_begin fill what is read later). */
static __always_inline struct fr_pending *fr_pending_get(struct task_struct *task, int create)
{
	return fr_thread_get(&fr_pendings, task, create, create ? fr_scratch_buf() : NULL);
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
		n = fr_file_path(p->buf + off, fr_fd_file(task, fc->fd));
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
	e->abs_path.off = off;
	e->abs_path.len = 0;
	e->hdr.flags &= ~FR_FILE_HAS_ABS_PATH;
	__u32 plen = e->path.len & (FR_PATH_MAX - 1);
	if (fc->path && plen > 0 && p->buf[sizeof(*e)] != '/') {
		/* A relative path: joined to the working directory, or to the dirfd's path. */
		__u32 base = fc->dirfd == FR_AT_FDCWD ? fr_cwd_path(p->buf + off) : fr_file_path(p->buf + off, fr_fd_file(task, fc->dirfd));
		base &= FR_PATH_MAX - 1;
		if (base > 0) {
			__u32 at = off + base;
			if (base > 1) /* not the root itself */
				p->buf[at++ & (4 * FR_PATH_MAX - 1)] = '/';
			__u32 used = at - off;
			__u32 copy = used < FR_PATH_MAX - 1 ? FR_PATH_MAX - 1 - used : 0;
			if (copy > plen)
				copy = plen;
			/* The compiler knows copy < FR_PATH_MAX and drops the mask; 5.10's verifier
			 * does not know it (it tracks the subtraction as signed) and needs the mask. */
			barrier_var(copy);
			copy &= FR_PATH_MAX - 1;
			if (!bpf_probe_read_kernel(p->buf + (at & (4 * FR_PATH_MAX - 1)), copy, p->buf + sizeof(*e))) {
				e->abs_path.len = used + copy;
				e->hdr.flags |= FR_FILE_HAS_ABS_PATH;
				off += e->abs_path.len & (FR_PATH_MAX - 1);
			}
		}
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
	fr_thread_done(&fr_pendings, task);
}

/* The global functions of both sides: start the row of the file call in fr_file_calls at
 * entry (returns 1 if it waits for the exit), complete a pending row at exit (common.h,
 * struct fr_exiting). */
__noinline int fr_file_enter(void)
{
	struct fr_file_call *fc = fr_file_call();

	return fc ? fr_file_begin(fr_current_task(), fc) : 0;
}

__noinline int fr_pending_exit(void)
{
	struct fr_exiting *x = fr_exiting();

	if (x)
		fr_pending_finish(fr_current_task(), x->ret, x->now);
	return 0;
}

#endif /* FLIGHTREC_FILE_H */
