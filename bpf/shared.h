/* What the BPF programs and the native addon both need to agree on and that is not an event
 * table (those are in the generated events.h): the syscall lanes and how often records wake the
 * consumer, the target-selection modes, and the per-CPU, per-table loss counters, per-fd byte totals and
 * unfinished block requests user space reads at stop. Plain C, no kernel headers beyond the __u types. */
#ifndef FLIGHTREC_SHARED_H
#define FLIGHTREC_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Each CPU's syscall lane (syscall.bpf.c): a ring of FR_LANE_SLOT-byte slots in the mmap'ed
 * array fr_lanes, slot i of CPU c at index c * slots + (i & (slots - 1)), and its positions in
 * fr_lane_pos[c]: the kernel writes head, the consumer tail, each on a cache line of its own. */
#define FR_LANE_SLOT 128
struct fr_lane_pos {
	__u64 head;
	__u64 _pad1[7];
	__u64 tail;
	__u64 _pad2[7];
};

/* Records wake the consumer in batches, one in this many of a table on a CPU (common.h, syscall.bpf.c). */
#define FR_WAKEUP_EVERY 16384

/* Target selection modes (fr_mode). */
#define FR_MODE_ALL 0    /* every process but the recorder */
#define FR_MODE_PIDS 1   /* the tgids in fr_targets, and their descendants */
#define FR_MODE_CGROUP 2 /* tasks in the cgroup in fr_cgroup (or below it) */

/* Losses are counted per CPU and per table, so that a gap record names the table that lost
 * rows: fr_losses holds an fr_loss per table at its key, the table's code in gap.table (the
 * kernel tables in id order from 1: a table's id less one; events.h's FR_GAP_TABLE_*). */
#define FR_LOSS_KEY(table) ((__u32)(table) - 1)
#define FR_LOSS_KEYS (FR_GAP_TABLE_SAMPLE + 1)

/* A table's failed reservations on a CPU since its last gap record there (a value of fr_losses). */
struct fr_loss {
	__u64 pending;
	__u64 first_ts;
	__u64 last_ts;
	__u64 records; /* records of the table this CPU put in the ring, its gap records too: one in FR_WAKEUP_EVERY wakes the consumer */
};

/* Bytes moved through a target's fd since its last row (fr_ios); what is left at stop is
 * written by user space. */
struct fr_io_key {
	__u32 tgid;
	__s32 fd;
};

struct fr_io {
	__u64 read;
	__u64 written;
	__u64 since; /* first I/O after the last row */
	__u8 sock; /* 0: not a socket; 1: a socket; 2: a UDP socket (io.h, FR_IO_*) */
	__u8 _pad[7];
};

/* Who a record is about, kept while it waits for a later event. */
struct fr_subject {
	__u32 pid;
	__u32 tid;
	char comm[16];
};

/* A target's block request from issue to completion (fr_bios, keyed by struct request *);
 * what is left at stop never completed as far as the kernel told, and is written by user space. */
struct fr_bio_issue {
	__u64 ts;
	struct fr_subject issuer;
	__u64 sector;
	__u32 dev;
	__u32 bytes;
	__u8 op;
	__u8 _pad[7];
};

#endif /* FLIGHTREC_SHARED_H */
