/* Shared by every flightrec BPF program: configuration, target selection, the ring buffer,
 * sequence numbers and loss accounting. Records are the structs of the generated events.h. */
#ifndef FLIGHTREC_COMMON_H
#define FLIGHTREC_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.h"
#include "events.h"
#include "shared.h"

#ifndef __TARGET_ARCH_x86
#error "flightrec's committed vmlinux.h is x86_64"
#endif

/* Set by the loader before load; the verifier prunes the modes not taken. These are declared
 * __weak so every program object can see them and the linked object holds one of each. */
const volatile __u32 fr_mode __weak = FR_MODE_PIDS;
const volatile __u32 fr_self_tgid __weak = 0;
/* Tables to record: bit (1 << FR_TABLE_x). Programs of a table left out are not loaded, and
 * shared programs skip its records (the verifier prunes them). */
const volatile __u32 fr_tables __weak = ~0u;

/* Memory another CPU reads or writes concurrently, accessed once, as written. */
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

static __always_inline int fr_table_on(__u32 table)
{
	return (fr_tables >> table) & 1;
}

/* Bumped by user space whenever it adds tgids to fr_targets: a task's cached "not a target"
 * decision taken under an older generation is taken again. */
__u32 fr_targets_gen __weak = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* set by the loader */
} fr_events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);  /* tgid */
	__type(value, __u8);
} fr_targets SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fr_cgroup SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FR_LOSS_KEYS);
	__type(key, __u32); /* FR_LOSS_KEY(table) */
	__type(value, struct fr_loss);
} fr_losses SEC(".maps") __weak;
_Static_assert(FR_LOSS_KEY(FR_TABLE_SYSCALL) == FR_GAP_TABLE_SYSCALL && FR_LOSS_KEY(FR_TABLE_SAMPLE) == FR_GAP_TABLE_SAMPLE,
	"gap.table's labels are the kernel tables in id order from 1");

/* A system call in progress: its entry time and, for the calls that rewrite the argument
 * registers before they return (execve, execveat, rt_sigreturn), the arguments. The others'
 * arguments are read at exit from the registers the kernel saved at entry. */
struct fr_inflight {
	__u64 id;       /* bpf_get_current_pid_tgid() of the thread; 0: none */
	__u64 enter_ts;
	__u64 args[6];
	__u32 nr;
	__u8 saved_args;
	__u8 pending;   /* a file/net row waits for the exit (calls.h) */
};

/* Per CPU: the call in progress on this CPU (a thread that is switched out inside a call
 * takes it along into task storage), the last target decision, and how far this CPU's syscall
 * lane may be written before the consumer's position must be read again (syscall.bpf.c). */
struct fr_cpu {
	struct fr_inflight call;
	__u64 lane_end;
	__u32 tgid;     /* the decision below is about this tgid... */
	__u32 gen;      /* ...taken under this fr_targets_gen */
	__u8 decided;
	__u8 target;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_cpu);
} fr_cpus SEC(".maps") __weak;

FR_THREAD_MAP(fr_parked, struct fr_inflight, 65536);

/* The call a sys_exit program is finishing, for the families' functions (calls.h). Those are
 * global functions, each verified once instead of at every place the dispatch reaches it (which
 * kept the exit program under the verifier's limit on older kernels), and before Linux 5.12 a
 * global function takes no pointers: they find the call here, on this CPU. */
struct fr_exiting {
	__u64 arg[6];
	__s64 ret;
	__u64 now;
	__u32 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_exiting);
} fr_exitings SEC(".maps") __weak;

static __always_inline struct fr_exiting *fr_exiting(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fr_exitings, &zero);
}

/* Scratch space for records with a variable tail, built here and copied into the ring. */
#define FR_SCRATCH_SIZE 32768
struct fr_scratch {
	__u8 buf[FR_SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_scratch);
} fr_scratch SEC(".maps") __weak;

static __always_inline int fr_is_target_tgid(__u32 tgid)
{
	if (tgid == fr_self_tgid)
		return 0;
	if (fr_mode == FR_MODE_ALL)
		return 1;
	if (fr_mode == FR_MODE_CGROUP)
		return bpf_current_task_under_cgroup(&fr_cgroup, 0) == 1;
	return bpf_map_lookup_elem(&fr_targets, &tgid) != NULL;
}

static __always_inline struct fr_cpu *fr_this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fr_cpus, &zero);
}

/* Whether the current process is a target. In pid mode the answer is kept per CPU for the
 * last tgid asked about (a hash lookup per syscall is the cost avoided); cgroup membership can
 * change, so it is asked each time. */
static __always_inline int fr_current_is_target(struct fr_cpu *c, __u32 tgid)
{
	if (fr_mode != FR_MODE_PIDS)
		return fr_is_target_tgid(tgid);
	__u32 gen = fr_targets_gen;
	if (c->decided && c->tgid == tgid && c->gen == gen)
		return c->target;
	c->target = fr_is_target_tgid(tgid);
	c->tgid = tgid;
	c->gen = gen;
	c->decided = 1;
	return c->target;
}

static __always_inline void fr_fill_header(struct fr_header *h, __u8 table, __u16 size, __u64 ts)
{
	h->ts = ts;
	h->seq = 0; /* the consumer numbers records (native/consumer.cc) */
	h->cpu = bpf_get_smp_processor_id();
	h->size = size;
	h->table = table;
	h->_pad = 0;
}

/* `task` as the subject of a record. comm is read straight from the task: two
 * loads, where bpf_get_current_comm() costs more than the rest of a syscall record. */
static __always_inline void fr_fill_task(struct fr_header *h, struct task_struct *task)
{
	h->pid = fr_task_tgid(task);
	h->tid = fr_task_tid(task);
	fr_task_comm(h->comm, task);
}

/* Who a record written later is about (a socket's state change, a block request's
 * completion), taken while the task is at hand. */
static __always_inline void fr_take_subject(struct fr_subject *s, struct task_struct *task)
{
	s->pid = fr_task_tgid(task);
	s->tid = fr_task_tid(task);
	fr_task_comm(s->comm, task);
}

static __always_inline void fr_fill_subject(struct fr_header *h, const struct fr_subject *s)
{
	h->pid = s->pid;
	h->tid = s->tid;
	__builtin_memcpy(h->comm, s->comm, sizeof(h->comm));
}

static __always_inline void fr_note_loss(struct fr_loss *l, __u64 now)
{
	if (!l->pending)
		l->first_ts = now;
	l->pending++;
	l->last_ts = now;
}

/* This CPU's loss state of `table` (an FR_TABLE_* id; NULL for one that has none). */
static __always_inline struct fr_loss *fr_loss_state(__u32 table)
{
	__u32 key = FR_LOSS_KEY(table);

	return bpf_map_lookup_elem(&fr_losses, &key);
}

/* The consumer drains on a timer; records wake it only in batches: one in every
 * FR_WAKEUP_EVERY records of a table a CPU puts in the ring, so a burst is drained before the
 * timer fires without costing each record a wake-up (an interrupt: in a VM, an exit to the
 * hypervisor) or a look at the ring's fill level. Counted per CPU and table (`l`), as records
 * carry no number of their own. */
static __always_inline __u64 fr_submit_flags(struct fr_loss *l)
{
	if (!l)
		return BPF_RB_NO_WAKEUP;
	return (++l->records & (FR_WAKEUP_EVERY - 1)) == 0 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Before a record of `table` goes in: if this CPU lost records of it since its last gap record
 * of it (`l`), write one now, so the gap sits in order just before the first record of the table
 * after it. Non-zero when the gap could not be written: the caller's record is then counted lost
 * too. */
static __always_inline int fr_flush_loss(struct fr_loss *l, __u32 table, __u64 now)
{
	if (!l->pending)
		return 0;
	struct fr_gap_event *g = bpf_ringbuf_reserve(&fr_events, sizeof(*g), 0);
	if (!g) {
		fr_note_loss(l, now);
		return -1;
	}
	fr_fill_header(&g->hdr, FR_TABLE_GAP, sizeof(*g), now);
	g->hdr.flags = FR_GAP_HAS_TABLE;
	g->hdr.pid = 0;
	g->hdr.tid = 0;
	__builtin_memset(g->hdr.comm, 0, sizeof(g->hdr.comm));
	g->lost = l->pending;
	g->first_ts = l->first_ts;
	g->last_ts = l->last_ts;
	g->table = FR_LOSS_KEY(table);
	l->pending = 0;
	bpf_ringbuf_submit(g, fr_submit_flags(l));
	return 0;
}

/* Reserves a fixed-size record of `table` in the ring with its framing filled (flags 0), or
 * counts it lost and returns NULL. */
static __always_inline void *fr_reserve(__u8 table, __u32 size, __u64 now)
{
	struct fr_loss *l = fr_loss_state(table);

	if (!l || fr_flush_loss(l, table, now))
		return NULL;
	struct fr_header *h = bpf_ringbuf_reserve(&fr_events, size, 0);
	if (!h) {
		fr_note_loss(l, now);
		return NULL;
	}
	fr_fill_header(h, table, size, now);
	h->flags = 0;
	return h;
}

static __always_inline void fr_submit(struct fr_header *rec)
{
	bpf_ringbuf_submit(rec, fr_submit_flags(fr_loss_state(rec->table)));
}

/* Copies a record built in scratch space into the ring, or counts it lost. The caller has
 * filled the task fields, flags and body; the framing is filled here, after any gap record.
 * A record whose copy fails leaves a hole in seq; the gap row accounts for it. */
#define fr_output(h, table, size, now) fr_output_within(h, table, size, now, FR_SCRATCH_SIZE)

/* fr_output() of a record in a buffer of `room` bytes (a constant), not the scratch space. */
static __always_inline void fr_output_within(struct fr_header *h, __u8 table, __u32 size, __u64 now, __u32 room)
{
	struct fr_loss *l = fr_loss_state(table);

	if (!l || fr_flush_loss(l, table, now))
		return;
	fr_fill_header(h, table, size, now);
	/* The flags first: a call between the size check and the output would make Linux 5.10's
	 * verifier spill the size and forget its bound. */
	__u64 flags = fr_submit_flags(l);
	if (size > room || bpf_ringbuf_output(&fr_events, h, size, flags) != 0) {
		l->records--; /* not put in the ring after all: it is counted lost */
		fr_note_loss(l, now);
	}
}

/* The thread id as bpf_get_current_pid_tgid() gives it, without the helper call. */
static __always_inline __u64 fr_pid_tgid(struct task_struct *task)
{
	return (__u64)fr_task_tgid(task) << 32 | fr_task_tid(task);
}

static __always_inline void *fr_scratch_buf(void)
{
	__u32 zero = 0;
	struct fr_scratch *s = bpf_map_lookup_elem(&fr_scratch, &zero);

	return s ? s->buf : NULL;
}

#endif /* FLIGHTREC_COMMON_H */
