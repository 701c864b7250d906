// SPDX-License-Identifier: GPL-2.0
/* The bio table: block requests from issue to completion. A request is a target's when a
 * target submitted its first bio (direct I/O, reads that miss the cache, a sync): the request
 * is often issued to the device later from another task (kblockd, or whichever task runs the
 * queue when the device is busy), and a target's task running the queue issues others'
 * requests, so the submitter is kept per bio from block_bio_queue.
 * Writeback the kernel submits later on its own behalf is not attributed to anyone and not
 * recorded. */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

#define FR_REQ_OP_MASK 0xff
/* Bios of one request looked at for the target's (a merged request rarely has more). */
#define FR_BIO_MERGED_MAX 32

/* struct request * -> the target's request it carries (struct fr_bio_issue, shared.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct fr_bio_issue);
} fr_bios SEC(".maps");

static __always_inline __u8 fr_bio_op(__u32 cmd_flags)
{
	switch (cmd_flags & FR_REQ_OP_MASK) {
	case 0: return FR_BIO_OP_READ;
	case 1: return FR_BIO_OP_WRITE;
	case 2: return FR_BIO_OP_FLUSH;
	case 3: return FR_BIO_OP_DISCARD;
	}
	return FR_BIO_OP_OTHER;
}

/* Who submitted each bio a target submitted and that is not issued yet (struct bio * -> subject). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct fr_subject);
} fr_bio_submitters SEC(".maps");

SEC("tp_btf/block_bio_queue")
int BPF_PROG(fr_bio_queue)
{
	struct task_struct *task = fr_current_task();
	__u64 key = (__u64)fr_queued_bio(ctx);

	if (!fr_is_target_tgid(fr_task_tgid(task))) {
		/* A bio freed unissued (merged into another request) leaves its entry; its address
		 * reused by someone else's bio must not be taken for the target's. */
		bpf_map_delete_elem(&fr_bio_submitters, &key);
		return 0;
	}
	struct fr_subject s = {};

	fr_take_subject(&s, task);
	bpf_map_update_elem(&fr_bio_submitters, &key, &s, BPF_ANY);
	return 0;
}

/* A bio row for a target's request: completed, or not reported complete by the kernel (ts is
 * then when that was found, and latency 0). */
static __always_inline void fr_bio_row(const struct fr_bio_issue *b, __u64 now, int completed)
{
	struct fr_bio_event *e = fr_reserve(FR_TABLE_BIO, sizeof(*e), now);

	if (!e)
		return;
	fr_fill_subject(&e->hdr, &b->issuer);
	e->dev = b->dev;
	e->sector = b->sector;
	e->bytes = b->bytes;
	e->op = b->op;
	e->latency_ns = completed ? now - b->ts : 0;
	e->completed = completed;
	e->hdr.flags |= FR_BIO_HAS_COMPLETED;
	fr_submit(&e->hdr);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(fr_bio_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	__u64 sector = BPF_CORE_READ(rq, __sector);
	struct fr_bio_issue *earlier = bpf_map_lookup_elem(&fr_bios, &key);

	/* The request of a target issued here before and never reported complete (it happens,
	 * rarely, under load): now reused for other I/O, it is written as not completed. The same
	 * I/O issued again after a requeue keeps its first issue. */
	if (earlier) {
		if (earlier->sector == sector)
			return 0;
		fr_bio_row(earlier, bpf_ktime_get_ns(), 0);
		bpf_map_delete_elem(&fr_bios, &key);
	}
	struct task_struct *task = fr_current_task();
	struct fr_bio_issue b = {
		.ts = bpf_ktime_get_ns(),
		.sector = sector,
		.op = fr_bio_op(BPF_CORE_READ(rq, cmd_flags)),
	};
	struct bio *bio = BPF_CORE_READ(rq, bio);
	int found = 0;

	/* A request carries the bios merged into it, not all of them the target's (the queue merges
	 * neighbours from anyone): the row counts the target's bytes, and is the first target
	 * bio's submitter's. */
	for (int i = 0; i < FR_BIO_MERGED_MAX && bio; i++) {
		__u64 at = (__u64)bio;
		struct fr_subject *s = bpf_map_lookup_elem(&fr_bio_submitters, &at);

		if (s) {
			if (!found)
				b.issuer = *s;
			bpf_map_delete_elem(&fr_bio_submitters, &at);
		} else {
			/* A bio split off one the target queued (too large for the device) is
			 * chained to it: its bi_private is the bio block_bio_queue saw, whose
			 * entry stays until that bio is issued itself. */
			__u64 parent = (__u64)BPF_CORE_READ(bio, bi_private);
			s = bpf_map_lookup_elem(&fr_bio_submitters, &parent);
			if (s && !found)
				b.issuer = *s;
		}
		if (s) {
			found = 1;
			b.bytes += BPF_CORE_READ(bio, bi_iter.bi_size);
		}
		bio = BPF_CORE_READ(bio, bi_next);
	}
	if (!found) {
		/* A request without a bio (the flush of a target's fsync) is the task's issuing
		 * it; one with bios none of which is the target's is someone else's I/O, even when
		 * the target's task is the one running the queue. */
		if (BPF_CORE_READ(rq, bio) || !fr_is_target_tgid(fr_task_tgid(task)))
			return 0;
		fr_take_subject(&b.issuer, task);
	}
	struct gendisk *disk = fr_request_disk(rq);

	if (disk)
		b.dev = (__u32)BPF_CORE_READ(disk, major) << 20 | (__u32)BPF_CORE_READ(disk, first_minor);
	bpf_map_update_elem(&fr_bios, &key, &b, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(fr_bio_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq;
	struct fr_bio_issue *b = bpf_map_lookup_elem(&fr_bios, &key);

	if (!b)
		return 0;
	fr_bio_row(b, bpf_ktime_get_ns(), 1);
	bpf_map_delete_elem(&fr_bios, &key);
	return 0;
}
