/* Kernel differences, each in one named shim. Which side a kernel takes is decided when the
 * programs load: by read-only configuration the loader sets from the running kernel's BTF and
 * libbpf's feature probes (native/kernel_features.cc), or by CO-RE relocations libbpf resolves against
 * that BTF. The verifier never sees the side a kernel does not take (it prunes branches on
 * read-only data), so each kernel is shown only code it accepts. No #ifdef on kernel versions.
 *
 * Every shim names the kernel that changed things; flightrec supports 5.10 and newer. */
#ifndef FLIGHTREC_COMPAT_H
#define FLIGHTREC_COMPAT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* Set by the loader (native/loader.cc) from native/kernel_features.cc; __weak so every program
 * object sees them and the linked object holds one of each. The defaults are the newest
 * kernel's. */
const volatile __u8 fr_has_task_btf __weak = 1;      /* bpf_get_current_task_btf() */
const volatile __u8 fr_has_task_storage __weak = 1;  /* task storage in tracing programs */
const volatile __u8 fr_has_task_pt_regs __weak = 1;  /* bpf_task_pt_regs() */
const volatile __u8 fr_exit_has_group_dead __weak = 1;
const volatile __u8 fr_bio_queue_has_queue __weak = 0;

/* ---------------------------------------------------------------- the current task
 * Linux 5.11 ("bpf: Add bpf_get_current_task_btf helper") gives the current task as a pointer
 * programs may read directly, two loads for a pid and comm. Before it, bpf_get_current_task()
 * gives an address that can only be read with probes, as fr_task_* do then. Tasks that come
 * as tracepoint arguments are readable directly on every kernel; the accessors serve both. */
static __always_inline struct task_struct *fr_current_task(void)
{
	if (fr_has_task_btf)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline __u32 fr_task_tgid(struct task_struct *t)
{
	return fr_has_task_btf ? t->tgid : BPF_CORE_READ(t, tgid);
}

static __always_inline __u32 fr_task_tid(struct task_struct *t)
{
	return fr_has_task_btf ? t->pid : BPF_CORE_READ(t, pid);
}

static __always_inline void fr_task_comm(char *dst, struct task_struct *t)
{
	if (fr_has_task_btf)
		__builtin_memcpy(dst, t->comm, 16);
	else
		bpf_core_read(dst, 16, &t->comm);
}

/* ---------------------------------------------------------------- a task's registers
 * bpf_task_pt_regs() (Linux 5.15) gives the user registers a task entered the kernel with.
 * Before it, they are read from where x86_64 keeps them: the top of the task's kernel stack
 * (THREAD_SIZE is 16 KiB without KASAN, and nothing is kept above them), into `copy`. */
#define FR_THREAD_SIZE 16384

static __always_inline struct pt_regs *fr_task_regs(struct task_struct *task, struct pt_regs *copy)
{
	if (fr_has_task_pt_regs)
		return (struct pt_regs *)bpf_task_pt_regs(task);
	void *top = (void *)BPF_CORE_READ(task, stack) + FR_THREAD_SIZE;
	if (bpf_probe_read_kernel(copy, sizeof(*copy), top - sizeof(*copy)))
		return NULL;
	return copy;
}

/* ---------------------------------------------------------------- per-thread state
 * Task storage reached tracing programs in Linux 5.13 ("bpf: Enable task local storage for
 * tracing programs"): state that lives and dies with the thread, without a lookup by key.
 * Before it, the same map is a hash keyed by thread id (the loader changes its type), and its
 * entries are deleted when the state is done with (fr_thread_done). A map used through these
 * is declared FR_THREAD_MAP. */
#define FR_THREAD_MAP(name, value_type, max)           \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_HASH);               \
		__uint(map_flags, BPF_F_NO_PREALLOC);          \
		__uint(max_entries, max);                      \
		__type(key, int);                              \
		__type(value, value_type);                     \
	} name SEC(".maps") __weak

/* `task`'s state in `map`, or NULL. With `create`, a missing one is made from `init` (at least
 * the map's value size; its contents do not matter to callers that fill what they read). */
static __always_inline void *fr_thread_get(void *map, struct task_struct *task, int create, void *init)
{
	if (fr_has_task_storage)
		return bpf_task_storage_get(map, task, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	int tid = fr_task_tid(task);
	void *v = bpf_map_lookup_elem(map, &tid);
	if (v || !create || !init)
		return v;
	bpf_map_update_elem(map, &tid, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, &tid);
}

/* `task` is done with its state in `map` for now: a hash entry is deleted, so the map holds
 * only threads with work in progress; task storage is kept for the thread's next use. */
static __always_inline void fr_thread_done(void *map, struct task_struct *task)
{
	if (fr_has_task_storage)
		return;
	int tid = fr_task_tid(task);
	bpf_map_delete_elem(map, &tid);
}

/* ---------------------------------------------------------------- process exit
 * sched_process_exit says whether the exiting thread is the last of its process (group_dead)
 * since Linux 6.16. Before it, the last thread is the one that finds no thread of its process
 * live (do_exit() decrements signal->live before the tracepoint); two threads exiting at once
 * can both find that, so the process's first claim of its identity (tgid and start time)
 * decides. */
struct fr_exit_key {
	__u32 tgid;
	__u32 _pad;
	__u64 start_time;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct fr_exit_key);
	__type(value, __u8);
} fr_exits SEC(".maps") __weak;

/* For a sched_process_exit program's context. */
static __always_inline int fr_exit_group_dead(unsigned long long *ctx, struct task_struct *task)
{
	if (fr_exit_has_group_dead)
		return (bool)ctx[1];
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	struct fr_exit_key k = { .tgid = task->tgid, .start_time = BPF_CORE_READ(task, group_leader, start_time) };
	__u8 one = 1;
	return bpf_map_update_elem(&fr_exits, &k, &one, BPF_NOEXIST) == 0;
}

/* ---------------------------------------------------------------- block requests
 * A request names its disk through its queue (request_queue.disk) since Linux 5.15, and no
 * longer itself: request.rq_disk was removed in 5.19. */
struct request___rq_disk {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *fr_request_disk(struct request *rq)
{
	struct request___rq_disk *old = (void *)rq;

	if (bpf_core_field_exists(old->rq_disk))
		return BPF_CORE_READ(old, rq_disk);
	return BPF_CORE_READ(rq, q, disk);
}

/* block_bio_queue gives the bio alone since Linux 5.11 ("block: remove the request_queue
 * argument to the block_bio_queue event"); before it, (struct request_queue *q, struct bio *bio).
 * For a block_bio_queue program's context. */
static __always_inline struct bio *fr_queued_bio(unsigned long long *ctx)
{
	if (fr_bio_queue_has_queue) {
		struct bio *bio = (struct bio *)ctx[1];

		/* Keeps the two loads apart: merged, they read ctx + (flag << 3), a modified
		 * context pointer 5.10's verifier refuses. */
		barrier_var(bio);
		return bio;
	}
	return (struct bio *)ctx[0];
}

#endif /* FLIGHTREC_COMPAT_H */
