// SPDX-License-Identifier: GPL-2.0
/* The proc table: fork, exec and exit of target processes, each with who runs what where
 * (program, arguments, working directory, ids, start time). Fork is also where target
 * selection follows a process tree: a child of a target becomes a target in the kernel,
 * before it runs, so nothing it does is missed. */
#include "common.h"
#include "path.h"

char LICENSE[] SEC("license") = "GPL";

/* Identity of `task` as seen in a proc record (ids, login uid, cgroup, start time); the tail (filename, argv, cwd) empty. */
static __always_inline void fr_fill_identity(struct fr_proc_event *e, struct task_struct *task)
{
	const struct cred *cred = task->real_cred;

	e->ppid = task->real_parent->tgid;
	e->uid = cred->uid.val;
	e->gid = cred->gid.val;
	e->euid = cred->euid.val;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->start_ts = task->start_time; /* CLOCK_MONOTONIC, the clock of ts */
	e->hdr.flags = FR_PROC_HAS_START_TS;
	e->loginuid = 0;
	if (bpf_core_field_exists(task->loginuid)) { /* CONFIG_AUDIT */
		e->loginuid = BPF_CORE_READ(task, loginuid.val);
		e->hdr.flags |= FR_PROC_HAS_LOGINUID;
	}
	e->filename.off = e->filename.len = 0;
	e->argv.off = e->argv.len = 0;
	e->cwd.off = e->cwd.len = 0;
	e->argv_truncated = 0;
	e->kthread = 0;
	e->exit_code = 0;
}

/* The arguments of the current process (NUL-separated strings on its stack, bounded to
 * FR_ARGV_MAX with argv_truncated), then its working directory, into the tail from `off`;
 * returns where the tail ends. */
static __always_inline __u32 fr_fill_argv_cwd(struct fr_proc_event *e, __u32 off, struct mm_struct *mm)
{
	__u64 start = BPF_CORE_READ(mm, arg_start);
	__u64 len = BPF_CORE_READ(mm, arg_end) - start;
	if (len > FR_ARGV_MAX) {
		len = FR_ARGV_MAX;
		e->argv_truncated = 1;
	}
	/* (a truncated argv ends inside an argument: the decoder keeps that part as the last) */
	if (bpf_probe_read_user((__u8 *)e + off, len, (const void *)start) != 0)
		len = 0;
	e->argv.off = off;
	e->argv.len = len;
	off += len;
	e->cwd.off = off;
	e->cwd.len = fr_cwd_path((__u8 *)e + off);
	e->hdr.flags |= FR_PROC_HAS_ARGV | FR_PROC_HAS_CWD;
	return off + (e->cwd.len & (FR_PATH_MAX - 1));
}

/* A fork: the child runs its parent's program, with its arguments and working directory,
 * until it execs (a subshell, a pre-forked server's worker), so its row carries them. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(fr_proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = child->tgid;
	__u8 one = 1;

	if (child->pid != child->tgid)
		return 0; /* a new thread: its process is already selected or not */
	if (!fr_is_target_tgid(parent->tgid))
		return 0;
	if (fr_mode == FR_MODE_PIDS)
		bpf_map_update_elem(&fr_targets, &tgid, &one, BPF_ANY);
	if (!fr_table_on(FR_TABLE_PROC))
		return 0;
	struct fr_proc_event *e = fr_scratch_buf();
	if (!e)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u32 off = sizeof(*e);

	fr_fill_task(&e->hdr, child);
	fr_fill_identity(e, child);
	e->ppid = parent->tgid;
	e->kind = FR_PROC_KIND_FORK;
	struct mm_struct *mm = parent->mm; /* the parent is the current task */
	if (mm) {
		e->filename.off = off;
		e->filename.len = fr_file_path((__u8 *)e + off, BPF_CORE_READ(mm, exe_file));
		e->hdr.flags |= FR_PROC_HAS_FILENAME;
		off += e->filename.len & (FR_PATH_MAX - 1);
		off = fr_fill_argv_cwd(e, off, mm);
	}
	fr_output(&e->hdr, FR_TABLE_PROC, off, now);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(fr_proc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!fr_table_on(FR_TABLE_PROC) || !fr_is_target_tgid(task->tgid))
		return 0;
	struct fr_proc_event *e = fr_scratch_buf();
	if (!e)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u32 off = sizeof(*e);

	fr_fill_task(&e->hdr, task);
	fr_fill_identity(e, task);
	e->kind = FR_PROC_KIND_EXEC;
	e->hdr.flags |= FR_PROC_HAS_FILENAME;

	long n = bpf_probe_read_kernel_str((__u8 *)e + off, FR_PATH_MAX, bprm->filename);
	if (n < 1)
		n = 1;
	e->filename.off = off;
	e->filename.len = n - 1; /* without the NUL */
	off += (n - 1) & (FR_PATH_MAX - 1);
	/* argv as the new program sees it, on its new stack */
	off = fr_fill_argv_cwd(e, off, task->mm);
	fr_output(&e->hdr, FR_TABLE_PROC, off, now);
	return 0;
}

/* Not BPF_PROG: the tracepoint's second argument exists on some kernels only (compat.h). */
SEC("tp_btf/sched_process_exit")
int fr_proc_exit(unsigned long long *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	__u32 tgid = task->tgid;

	if (!fr_is_target_tgid(tgid) || !fr_exit_group_dead(ctx, task))
		return 0;
	struct fr_proc_event *e = fr_table_on(FR_TABLE_PROC) ? fr_reserve(FR_TABLE_PROC, sizeof(*e), bpf_ktime_get_ns()) : NULL;
	if (e) {
		fr_fill_task(&e->hdr, task);
		fr_fill_identity(e, task);
		e->hdr.flags |= FR_PROC_HAS_EXIT_CODE;
		e->kind = FR_PROC_KIND_EXIT;
		e->exit_code = task->exit_code;
		fr_submit(&e->hdr);
	}
	if (fr_mode == FR_MODE_PIDS)
		bpf_map_delete_elem(&fr_targets, &tgid);
	return 0;
}
