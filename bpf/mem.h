/* The mem table: mmap, mprotect and munmap with their protections, the file behind a mapping,
 * and exec-after-write (a mapping made executable at the address a target last made writable). */
#ifndef FLIGHTREC_MEM_H
#define FLIGHTREC_MEM_H

#include "common.h"
#include "fs_net.h"
#include "path.h"

#define FR_PROT_WRITE 0x2
#define FR_PROT_EXEC 0x4
#define FR_MAP_ANONYMOUS 0x20

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

static __always_inline void fr_mem_call(struct task_struct *task, const __u64 *arg, __u8 op, __s64 ret, __u64 now)
{
	if (!fr_table_on(FR_TABLE_MEM))
		return;
	struct fr_mem_event *e = fr_scratch_buf();
	if (!e)
		return;
	struct fr_prot_key k = { .tgid = fr_task_tgid(task), .addr = arg[0] };
	__u32 size = sizeof(*e);

	__builtin_memset(e, 0, sizeof(*e));
	fr_fill_task(&e->hdr, task);
	e->op = op;
	e->ret = ret;
	e->addr = arg[0];
	e->len = arg[1];
	e->fd = -1;
	if (op == FR_MEM_OP_MMAP) {
		e->prot = arg[2];
		e->flags = arg[3];
		e->fd = arg[4];
		e->offset = arg[5];
		if (ret >= 0)
			e->addr = k.addr = ret;
		if (e->fd >= 0 && !(e->flags & FR_MAP_ANONYMOUS)) {
			e->path.len = fr_file_path((void *)e + size, fr_fd_file(task, e->fd));
			e->hdr.flags |= FR_MEM_HAS_PATH;
		} else {
			e->fd = -1;
		}
	} else if (op == FR_MEM_OP_MPROTECT) {
		e->prot = arg[2];
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

/* The sys_exit side, verified once (common.h, struct fr_exiting). */
__noinline int fr_mem_exit(__u32 op)
{
	struct fr_exiting *x = fr_exiting();

	if (x)
		fr_mem_call(fr_current_task(), x->arg, op, x->ret, x->now);
	return 0;
}

#endif /* FLIGHTREC_MEM_H */
