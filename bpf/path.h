/* The path of an open file, walked up its dentries and mounts in the kernel: what the file,
 * net (unix sockets aside) and mem tables name a descriptor or a mapping by. */
#ifndef FLIGHTREC_PATH_H
#define FLIGHTREC_PATH_H

#include "common.h"

/* Path components collected leaf first, written out root first. */
#define FR_PATH_DEPTH 32
struct fr_walk {
	const unsigned char *names[FR_PATH_DEPTH];
	__u64 dentry; /* where the walk is (struct dentry *) */
	__u64 mnt;    /* and in which mount (struct mount *) */
	__u32 n;      /* names collected */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_walk);
} fr_walks SEC(".maps");

/* Where fr_walk_path() writes: room for a path written at any offset below FR_PATH_MAX. */
struct fr_path_out {
	char s[2 * FR_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_path_out);
} fr_paths SEC(".maps");

/* One step up from the dentry in the walk state: a component, or a mount crossed. Returns 1
 * at the root. */
static __always_inline int fr_walk_step(struct fr_walk *w)
{
	if (w->n >= FR_PATH_DEPTH)
		return 1;
	struct dentry *d = (struct dentry *)w->dentry;
	struct mount *mnt = (struct mount *)w->mnt;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt)
			return 1; /* the root of everything */
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)up;
		return 0;
	}
	if (d == parent)
		return 1;
	w->names[w->n & (FR_PATH_DEPTH - 1)] = BPF_CORE_READ(d, d_name.name);
	w->n++;
	w->dentry = (__u64)parent;
	return 0;
}

/* The absolute path of an open file (a struct file *) into this CPU's fr_paths; returns its
 * length, at most FR_PATH_MAX - 1. Walks dentries up to each mount's root and across mounts, at
 * most FR_PATH_DEPTH components (a deeper path keeps its last ones).
 * A global function, so the verifier checks it once, not at every caller; its arguments are
 * scalars because a global function may take pointers to memory only since Linux 5.12. Its
 * loops are bounded loops, not bpf_loop() (Linux 5.17). */
__noinline int fr_walk_path(__u64 file)
{
	__u32 zero = 0;
	struct fr_walk *w = bpf_map_lookup_elem(&fr_walks, &zero);
	struct fr_path_out *out = bpf_map_lookup_elem(&fr_paths, &zero);
	struct file *f = (struct file *)file;

	if (!out || !w || !f)
		return 0;
	char *buf = out->s;
	struct vfsmount *vfs = BPF_CORE_READ(f, f_path.mnt);
	w->dentry = (__u64)BPF_CORE_READ(f, f_path.dentry);
	w->mnt = (__u64)container_of(vfs, struct mount, mnt);
	w->n = 0;
	for (int i = 0; i < FR_PATH_DEPTH + 8; i++)
		if (fr_walk_step(w))
			break;
	__u32 n = w->n;
	__u32 off = 0;
	for (int i = FR_PATH_DEPTH - 1; i >= 0; i--) {
		if (i >= n)
			continue;
		if (off > FR_PATH_MAX - 2)
			break;
		/* The masks keep the verifier sure of the bounds; barrier_var() keeps the compiler
		 * from folding them away. */
		__u32 at = off;
		barrier_var(at);
		at &= FR_PATH_MAX - 1;
		buf[at] = '/';
		at++;
		barrier_var(at);
		at &= FR_PATH_MAX - 1;
		long len = bpf_probe_read_kernel_str(buf + at, FR_PATH_MAX - 1, w->names[i & (FR_PATH_DEPTH - 1)]);
		off = len > 1 ? at + (__u32)len - 1 : at;
	}
	if (off == 0) {
		buf[0] = '/';
		return 1;
	}
	return off < FR_PATH_MAX ? off : FR_PATH_MAX - 1;
}

/* The path of open file `f` copied to `dst`, which has room for FR_PATH_MAX bytes; returns its
 * length (no NUL is written). */
static __always_inline __u32 fr_file_path(void *dst, struct file *f)
{
	__u32 zero = 0;
	__u32 n = fr_walk_path((__u64)f) & (FR_PATH_MAX - 1);
	struct fr_path_out *out = bpf_map_lookup_elem(&fr_paths, &zero);

	if (!out || bpf_probe_read_kernel(dst, n, out->s))
		return 0;
	return n;
}

#endif /* FLIGHTREC_PATH_H */
