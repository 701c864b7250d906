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
