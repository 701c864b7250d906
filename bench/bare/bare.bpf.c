// SPDX-License-Identifier: GPL-2.0
/* The "bare BPF" limit the recorder benchmark divides by: the least a BPF recorder of every
 * syscall must do. Empty sys_enter, and at sys_exit one 64-byte record per syscall of the
 * launched command and its descendants into one ring buffer, submitted without a wake-up
 * (bare.c drains it every millisecond and discards it). Same attach points and CO-RE build as
 * bpf/syscall.bpf.c; needs tp_btf (5.5) and ring buffers (5.8), so it loads on every kernel
 * flightrec targets. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* What a syscall row minimally is: when, who, which call, what it returned, its first args. */
struct bare_record {
	__u64 ts;
	__u64 pid_tgid;
	__u64 nr;
	__s64 ret;
	__u64 args[4];
};
_Static_assert(sizeof(struct bare_record) == 64, "the benchmark's record is 64 bytes");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 25); /* set by bare.c */
} bare_ring SEC(".maps");

/* The launched command's tgid (put here by bare.c) and its descendants'. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} bare_targets SEC(".maps");

/* Records the ring had no room for. */
__u64 bare_lost = 0;

SEC("tp_btf/sys_enter")
int BPF_PROG(bare_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(bare_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;

	if (!bpf_map_lookup_elem(&bare_targets, &tgid))
		return 0;
	struct bare_record *r = bpf_ringbuf_reserve(&bare_ring, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&bare_lost, 1);
		return 0;
	}
	r->ts = bpf_ktime_get_ns();
	r->pid_tgid = pid_tgid;
	r->nr = regs->orig_ax;
	r->ret = ret;
	r->args[0] = regs->di;
	r->args[1] = regs->si;
	r->args[2] = regs->dx;
	r->args[3] = regs->r10;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(bare_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = child->tgid;
	__u32 ptgid = parent->tgid;
	__u8 one = 1;

	if (child->pid == child->tgid && bpf_map_lookup_elem(&bare_targets, &ptgid))
		bpf_map_update_elem(&bare_targets, &tgid, &one, BPF_ANY);
	return 0;
}

/* A process's leader ending frees its tgid, which an unrelated process may get next. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(bare_sched_process_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid;

	if (task->pid == task->tgid)
		bpf_map_delete_elem(&bare_targets, &tgid);
	return 0;
}
