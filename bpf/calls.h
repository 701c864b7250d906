/* The file, net, dns and mem tables come from the same sys_enter/sys_exit programs as the
 * syscall table (one pair of programs on the syscall path, whatever is recorded): this is where
 * a target's call is handed to its family, at entry (to read what must be read before the call
 * runs: paths, an fd about to close) and at exit (everything else, from the registers saved at
 * entry, the user memory they point to, and the kernel objects behind the descriptors). */
#ifndef FLIGHTREC_CALLS_H
#define FLIGHTREC_CALLS_H

#include "common.h"
#include "dns.h"
#include "file.h"
#include "io.h"
#include "mem.h"
#include "net.h"

#define FR_AT_REMOVEDIR 0x200

/* At a target's call entry. Returns 1 if a row waits for the exit. */
static __always_inline int fr_calls_enter(struct task_struct *task, struct pt_regs *regs, long nr)
{
	const char *a0 = (const char *)regs->di, *a1 = (const char *)regs->si;
	const char *a2 = (const char *)regs->dx, *a3 = (const char *)regs->r10;
	struct fr_file_call *fc = fr_file_call();

	if (!fc)
		return 0;
	switch (nr) {
#ifdef FR_NR_open
	case FR_NR_open:
		fr_fc(fc, FR_FILE_OP_OPEN, FR_AT_FDCWD, a0, 0, -1, regs->si, regs->dx, 0, 0);
		break;
#endif
	case FR_NR_openat:
		fr_fc(fc, FR_FILE_OP_OPEN, regs->di, a1, 0, -1, regs->dx, regs->r10, 0, 0);
		break;
	case FR_NR_openat2: {
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), a2);
		fr_fc(fc, FR_FILE_OP_OPEN, regs->di, a1, 0, -1, how.flags, how.mode, 0, 0);
		break;
	}
#ifdef FR_NR_creat
	case FR_NR_creat:
		fr_fc(fc, FR_FILE_OP_CREAT, FR_AT_FDCWD, a0, 0, -1, 0, regs->si, 0, 0);
		break;
#endif
#ifdef FR_NR_unlink
	case FR_NR_unlink:
		fr_fc(fc, FR_FILE_OP_UNLINK, FR_AT_FDCWD, a0, 0, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_unlinkat:
		fr_fc(fc, regs->dx & FR_AT_REMOVEDIR ? FR_FILE_OP_RMDIR : FR_FILE_OP_UNLINK,
			regs->di, a1, 0, -1, regs->dx, 0, 0, 0);
		break;
#ifdef FR_NR_rename
	case FR_NR_rename:
		fr_fc(fc, FR_FILE_OP_RENAME, FR_AT_FDCWD, a0, a1, -1, 0, 0, 0, 0);
		break;
#endif
#ifdef FR_NR_renameat
	case FR_NR_renameat:
		fr_fc(fc, FR_FILE_OP_RENAME, regs->di, a1, a3, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_renameat2:
		fr_fc(fc, FR_FILE_OP_RENAME, regs->di, a1, a3, -1, regs->r8, 0, 0, 0);
		break;
#ifdef FR_NR_mkdir
	case FR_NR_mkdir:
		fr_fc(fc, FR_FILE_OP_MKDIR, FR_AT_FDCWD, a0, 0, -1, 0, regs->si, 0, 0);
		break;
#endif
	case FR_NR_mkdirat:
		fr_fc(fc, FR_FILE_OP_MKDIR, regs->di, a1, 0, -1, 0, regs->dx, 0, 0);
		break;
#ifdef FR_NR_rmdir
	case FR_NR_rmdir:
		fr_fc(fc, FR_FILE_OP_RMDIR, FR_AT_FDCWD, a0, 0, -1, 0, 0, 0, 0);
		break;
#endif
#ifdef FR_NR_chmod
	case FR_NR_chmod:
		fr_fc(fc, FR_FILE_OP_CHMOD, FR_AT_FDCWD, a0, 0, -1, 0, regs->si, 0, 0);
		break;
#endif
	case FR_NR_fchmod:
		fr_fc(fc, FR_FILE_OP_CHMOD, FR_AT_FDCWD, 0, 0, regs->di, 0, regs->si, 0, 0);
		break;
	case FR_NR_fchmodat:
		fr_fc(fc, FR_FILE_OP_CHMOD, regs->di, a1, 0, -1, 0, regs->dx, 0, 0);
		break;
#ifdef FR_NR_chown
	case FR_NR_chown:
		fr_fc(fc, FR_FILE_OP_CHOWN, FR_AT_FDCWD, a0, 0, -1, 0, 0, regs->si, regs->dx);
		break;
#endif
#ifdef FR_NR_lchown
	case FR_NR_lchown:
		fr_fc(fc, FR_FILE_OP_CHOWN, FR_AT_FDCWD, a0, 0, -1, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0, regs->si, regs->dx);
		break;
#endif
	case FR_NR_fchown:
		fr_fc(fc, FR_FILE_OP_CHOWN, FR_AT_FDCWD, 0, 0, regs->di, 0, 0, regs->si, regs->dx);
		break;
	case FR_NR_fchownat:
		fr_fc(fc, FR_FILE_OP_CHOWN, regs->di, a1, 0, -1, regs->r8, 0, regs->dx, regs->r10);
		break;
	case FR_NR_truncate:
		fr_fc(fc, FR_FILE_OP_TRUNCATE, FR_AT_FDCWD, a0, 0, -1, 0, 0, 0, 0);
		break;
	case FR_NR_ftruncate:
		fr_fc(fc, FR_FILE_OP_TRUNCATE, FR_AT_FDCWD, 0, 0, regs->di, 0, 0, 0, 0);
		break;
#ifdef FR_NR_link
	case FR_NR_link:
		fr_fc(fc, FR_FILE_OP_LINK, FR_AT_FDCWD, a0, a1, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_linkat:
		fr_fc(fc, FR_FILE_OP_LINK, regs->di, a1, a3, -1, regs->r8, 0, 0, 0);
		break;
#ifdef FR_NR_symlink
	case FR_NR_symlink:
		fr_fc(fc, FR_FILE_OP_SYMLINK, FR_AT_FDCWD, a0, a1, -1, 0, 0, 0, 0);
		break;
#endif
	case FR_NR_symlinkat:
		fr_fc(fc, FR_FILE_OP_SYMLINK, regs->si, a0, a2, -1, 0, 0, 0, 0);
		break;
	case FR_NR_chdir:
		fr_fc(fc, FR_FILE_OP_CHDIR, FR_AT_FDCWD, a0, 0, -1, 0, 0, 0, 0);
		break;
	case FR_NR_fchdir:
		fr_fc(fc, FR_FILE_OP_CHDIR, FR_AT_FDCWD, 0, 0, regs->di, 0, 0, 0, 0);
		break;
	case FR_NR_close:
		return fr_close_enter(regs->di);
	case FR_NR_connect:
		/* Owned before the handshake, so its state changes are attributed from the first. */
		if (fr_table_on(FR_TABLE_NET))
			fr_own_sock(fr_fd_sock(task, regs->di), task);
		return 0;
	default:
		return 0;
	}
	return fr_file_enter();
}

/* What a target's call does at exit, besides its syscall row: which family's function, and
 * with which operation. */
enum fr_exit_kind {
	FR_EXIT_NONE, FR_EXIT_READ, FR_EXIT_WRITE,
	FR_EXIT_RECV, FR_EXIT_SEND, /* read and write, and DNS on a UDP socket */
	FR_EXIT_MMSG,     /* sendmmsg, recvmmsg: DNS (their result is a count of messages, not bytes) */
	FR_EXIT_SPLICE,   /* (fd_in, off_in, fd_out, ...): copy_file_range, splice */
	FR_EXIT_TEE,      /* (fd_in, fd_out, ...) */
	FR_EXIT_SENDFILE, /* (out_fd, in_fd, ...) */
	FR_EXIT_NET, FR_EXIT_MEM,
};

static __always_inline enum fr_exit_kind fr_exit_kind(__u32 nr, __u32 *op)
{
	switch (nr) {
	case FR_NR_pread64:
	case FR_NR_readv:
	case FR_NR_preadv:
	case FR_NR_preadv2:
		return FR_EXIT_READ;
	case FR_NR_read: /* may be a DNS response on a connected socket */
	case FR_NR_recvfrom:
	case FR_NR_recvmsg:
		return FR_EXIT_RECV;
	case FR_NR_write: /* may be a DNS question on a connected socket */
	case FR_NR_sendto:
	case FR_NR_sendmsg:
		return FR_EXIT_SEND;
	case FR_NR_sendmmsg:
	case FR_NR_recvmmsg:
		return FR_EXIT_MMSG;
	case FR_NR_pwrite64:
	case FR_NR_writev:
	case FR_NR_pwritev:
	case FR_NR_pwritev2:
		return FR_EXIT_WRITE;
	case FR_NR_copy_file_range:
	case FR_NR_splice:
		return FR_EXIT_SPLICE;
	case FR_NR_tee:
		return FR_EXIT_TEE;
	case FR_NR_sendfile:
		return FR_EXIT_SENDFILE;
	case FR_NR_connect:
		*op = FR_NET_OP_CONNECT;
		return FR_EXIT_NET;
	case FR_NR_accept:
	case FR_NR_accept4:
		*op = FR_NET_OP_ACCEPT;
		return FR_EXIT_NET;
	case FR_NR_bind:
		*op = FR_NET_OP_BIND;
		return FR_EXIT_NET;
	case FR_NR_listen:
		*op = FR_NET_OP_LISTEN;
		return FR_EXIT_NET;
	case FR_NR_mmap:
		*op = FR_MEM_OP_MMAP;
		return FR_EXIT_MEM;
	case FR_NR_mprotect:
		*op = FR_MEM_OP_MPROTECT;
		return FR_EXIT_MEM;
	case FR_NR_munmap:
		*op = FR_MEM_OP_MUNMAP;
		return FR_EXIT_MEM;
	}
	return FR_EXIT_NONE;
}

/* At a target's call exit; `pending` is what fr_calls_enter returned. The families' functions
 * are global functions that find the call in fr_exitings. */
static __always_inline void fr_calls_exit(struct pt_regs *regs, __u32 nr, __s64 ret, int pending, __u64 now)
{
	__u32 op = 0;
	enum fr_exit_kind kind = fr_exit_kind(nr, &op);

	if (!pending && kind == FR_EXIT_NONE)
		return;
	struct fr_exiting *x = fr_exiting();
	if (!x)
		return;
	x->arg[0] = regs->di;
	x->arg[1] = regs->si;
	x->arg[2] = regs->dx;
	x->arg[3] = regs->r10;
	x->arg[4] = regs->r8;
	x->arg[5] = regs->r9;
	x->ret = ret;
	x->now = now;
	x->nr = nr;
	if (pending)
		fr_pending_exit();
	switch (kind) {
	case FR_EXIT_READ:
		fr_io_exit(regs->di, 0);
		break;
	case FR_EXIT_RECV:
		if (fr_io_exit(regs->di, 0) == FR_IO_UDP)
			fr_dns_exit();
		break;
	case FR_EXIT_SEND:
		if (fr_io_exit(regs->di, 1) == FR_IO_UDP)
			fr_dns_exit();
		break;
	case FR_EXIT_MMSG:
		fr_dns_exit();
		break;
	case FR_EXIT_WRITE:
		fr_io_exit(regs->di, 1);
		break;
	/* Bytes moved from one fd to another count for both. */
	case FR_EXIT_SPLICE:
		fr_io_exit(regs->di, 0);
		fr_io_exit(regs->dx, 1);
		break;
	case FR_EXIT_TEE:
		fr_io_exit(regs->di, 0);
		fr_io_exit(regs->si, 1);
		break;
	case FR_EXIT_SENDFILE:
		fr_io_exit(regs->si, 0);
		fr_io_exit(regs->di, 1);
		break;
	case FR_EXIT_NET:
		fr_net_exit(op);
		break;
	case FR_EXIT_MEM:
		fr_mem_exit(op);
		break;
	default:
		break;
	}
}

#endif /* FLIGHTREC_CALLS_H */
