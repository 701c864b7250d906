// SPDX-License-Identifier: GPL-2.0
/* The syscall table: every system call of a target, written at exit with all six arguments,
 * the return value and the latency. Entry and exit are paired per thread: the entry is kept
 * per CPU, and moved into task storage if the thread is switched out inside the call, so the
 * common case costs no map lookups beyond a per-CPU slot. A call the thread never returns from
 * (exit, exit_group) is written when the thread ends. Rows go through per-CPU lanes, not the
 * shared ring buffer (see fr_write_syscall). The same two programs feed the file, net, dns and
 * mem tables (calls.h). */
#include "calls.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void fr_read_args(__u64 *args, struct pt_regs *regs)
{
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(fr_sys_enter, struct pt_regs *regs, long id)
{
	struct fr_cpu *c = fr_this_cpu();
	struct task_struct *task = fr_current_task();
	__u64 pid_tgid = fr_pid_tgid(task);

	if (!c || !fr_current_is_target(c, pid_tgid >> 32))
		return 0;
	c->call.nr = id;
	/* These rewrite the argument registers before they return: save the arguments now. */
	c->call.saved_args = id == FR_NR_execve || id == FR_NR_execveat || id == FR_NR_rt_sigreturn;
	if (c->call.saved_args)
		fr_read_args(c->call.args, regs);
	c->call.pending = fr_calls_enter(task, regs, id);
	c->call.enter_ts = bpf_ktime_get_ns();
	c->call.id = pid_tgid;
	return 0;
}

/* A thread switched out inside a call takes the call's entry with it. */
SEC("tp_btf/sched_switch")
int BPF_PROG(fr_sys_park, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct fr_cpu *c = fr_this_cpu();

	if (!c || !c->call.id)
		return 0;
	if (c->call.id == fr_pid_tgid(prev)) {
		struct fr_inflight *p = fr_thread_get(&fr_parked, prev, 1, &c->call);
		if (p)
			*p = c->call;
	}
	c->call.id = 0;
	return 0;
}

/* The call `task` (the current thread) is inside, taken out of its slot; NULL if none. */
static __always_inline struct fr_inflight *fr_take_call(struct fr_cpu *c, struct task_struct *task)
{
	__u64 pid_tgid = fr_pid_tgid(task);

	if (c->call.id == pid_tgid) {
		c->call.id = 0;
		return &c->call;
	}
	struct fr_inflight *p = fr_thread_get(&fr_parked, task, 0, NULL);
	if (!p || p->id != pid_tgid)
		return NULL;
	p->id = 0;
	return p;
}

/* Syscall records do not go through the shared ring buffer. Each CPU has a lane of its own: a
 * ring of fixed-size slots in an mmap'ed array that the consumer reads in place. A record costs
 * its stores and a position update, where the shared ring's reservation (a lock with interrupts
 * off, and an atomic exchange to submit) cost as much as the rest of the record together. Only
 * programs in task context write a lane (sys_exit, sched_process_exit), and they run with
 * preemption off (the kernel's BPF probes on the faultable syscall tracepoints disable it, as
 * the per-CPU call slot above also needs), so a lane has one writer at a time. The loader sizes
 * the lanes. */
const volatile __u32 fr_lane_slots = 1;  /* per CPU, a power of two */
const volatile __u32 fr_lane_wake = 1;   /* wake the consumer every this many (a power of two) */

struct fr_lane_slot {
	struct fr_syscall_event rec;
	__u8 _pad[FR_LANE_SLOT - sizeof(struct fr_syscall_event)];
};
_Static_assert(sizeof(struct fr_lane_slot) == FR_LANE_SLOT, "a syscall record fits a lane slot");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* CPUs x fr_lane_slots, set by the loader */
	__type(key, __u32);
	__type(value, struct fr_lane_slot);
} fr_lanes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* CPUs, set by the loader */
	__type(key, __u32);
	__type(value, struct fr_lane_pos);
} fr_lane_pos SEC(".maps");

/* Writes the syscall row of `call` to this CPU's lane, or counts it lost when the lane is full
 * (or a gap row owed from earlier losses cannot be written first). While the lane stays full,
 * losses add up into one gap row, written before the first row that fits. Counted apart from
 * the other tables' losses: a full lane costs syscall rows only, never the ring's. */
static __always_inline void fr_write_syscall(struct fr_cpu *c, struct task_struct *task, struct fr_inflight *call,
	struct pt_regs *regs, __s64 ret, __u8 returned, __u64 now)
{
	if (!fr_table_on(FR_TABLE_SYSCALL))
		return;
	struct fr_loss *l = fr_loss_state(FR_TABLE_SYSCALL);
	__u32 cpu = bpf_get_smp_processor_id();
	struct fr_lane_pos *pos = bpf_map_lookup_elem(&fr_lane_pos, &cpu);

	if (!l || !pos)
		return;
	__u64 head = pos->head;
	if (head >= c->lane_end) { /* the consumer's position is read only when it may matter */
		c->lane_end = READ_ONCE(pos->tail) + fr_lane_slots;
		if (head >= c->lane_end) {
			fr_note_loss(l, now);
			return;
		}
	}
	if (fr_flush_loss(l, FR_TABLE_SYSCALL, now))
		return;
	__u32 index = cpu * fr_lane_slots + (head & (fr_lane_slots - 1));
	struct fr_lane_slot *slot = bpf_map_lookup_elem(&fr_lanes, &index);
	if (!slot)
		return;
	struct fr_syscall_event *e = &slot->rec;

	fr_fill_header(&e->hdr, FR_TABLE_SYSCALL, sizeof(*e), now);
	e->hdr.flags = 0;
	fr_fill_task(&e->hdr, task);
	e->nr = call->nr;
	if (call->saved_args) { /* the registers no longer hold them */
		e->arg0 = call->args[0];
		e->arg1 = call->args[1];
		e->arg2 = call->args[2];
		e->arg3 = call->args[3];
		e->arg4 = call->args[4];
		e->arg5 = call->args[5];
	} else if (regs) {
		fr_read_args(&e->arg0, regs);
	} else {
		e->arg0 = e->arg1 = e->arg2 = e->arg3 = e->arg4 = e->arg5 = 0;
	}
	e->ret = ret;
	e->latency_ns = now - call->enter_ts;
	e->returned = returned;
	/* The record before the position that publishes it (x86 keeps stores in order). */
	barrier();
	WRITE_ONCE(pos->head, head + 1);
	/* A burst is drained before the consumer's timer fires: an empty record, discarded, wakes it. */
	if (((head + 1) & (fr_lane_wake - 1)) == 0) {
		void *poke = bpf_ringbuf_reserve(&fr_events, 8, 0);
		if (poke)
			bpf_ringbuf_discard(poke, BPF_RB_FORCE_WAKEUP);
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fr_sys_exit, struct pt_regs *regs, long ret)
{
	struct fr_cpu *c = fr_this_cpu();

	if (!c)
		return 0;
	struct task_struct *task = fr_current_task();
	struct fr_inflight *call = fr_take_call(c, task);
	if (!call)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	fr_write_syscall(c, task, call, regs, ret, 1, now);
	fr_calls_exit(regs, call->nr, ret, call->pending, now);
	if (call != &c->call)
		fr_thread_done(&fr_parked, task);
	return 0;
}

/* A thread is ending: the call it is inside (exit, exit_group) did not return. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(fr_sys_unfinished, struct task_struct *task)
{
	struct fr_cpu *c = fr_this_cpu();

	if (!c)
		return 0;
	struct fr_inflight *call = fr_take_call(c, task);
	if (!call)
		return 0;
	struct pt_regs copy;
	fr_write_syscall(c, task, call, fr_task_regs(task, &copy), 0, 0, bpf_ktime_get_ns());
	if (call != &c->call)
		fr_thread_done(&fr_parked, task);
	if (call->pending) /* a row begun at entry will not be completed */
		fr_thread_done(&fr_pendings, task);
	return 0;
}
