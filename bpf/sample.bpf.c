// SPDX-License-Identifier: GPL-2.0
/* The sample table: a perf_event program on a sampling event per CPU (hardware cycles where
 * the host has a PMU, the software cpu-clock otherwise; user space opens the events and says
 * which in fr_sample_event). Each sample of a target records the instruction pointer and its
 * user and kernel stacks, as ids into fr_stacks. */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u8 fr_sample_event = FR_SAMPLE_EVENT_CPU_CLOCK;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192); /* set by the loader (1 when not sampling) */
	__type(key, __u32);
	__uint(value_size, 127 * sizeof(__u64));
} fr_stacks SEC(".maps");

SEC("perf_event")
int fr_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = fr_current_task();

	if (fr_task_tid(task) == 0 || !fr_is_target_tgid(fr_task_tgid(task)))
		return 0;
	struct fr_sample_event *e = fr_reserve(FR_TABLE_SAMPLE, sizeof(*e), bpf_ktime_get_ns());
	if (!e)
		return 0;
	fr_fill_task(&e->hdr, task);
	e->event = fr_sample_event;
	e->ip = PT_REGS_IP(&ctx->regs);
	e->kernel_stack_id = bpf_get_stackid(ctx, &fr_stacks, 0);
	e->user_stack_id = bpf_get_stackid(ctx, &fr_stacks, BPF_F_USER_STACK);
	e->value = ctx->sample_period;
	fr_submit(&e->hdr);
	return 0;
}
