/* The path of an open file or a directory, walked up its dentries and mounts in the kernel:
 * what the file, mem and proc tables name a descriptor, a mapping, an executable or a working
 * directory by. Like d_path(),
 * the path is the one the process sees: the walk ends at the process's root (a chroot's or
 * a container's), not at the root of everything. */
#ifndef FLIGHTREC_PATH_H
#define FLIGHTREC_PATH_H

#include "common.h"

/* Path components collected leaf first, written out root first. (The maps and the global
 * functions are __weak: every program object that includes this holds them, and the linked
 * object one of each.) */
#define FR_PATH_DEPTH 32
struct fr_walk {
	const unsigned char *names[FR_PATH_DEPTH];
	__u64 dentry; /* where the walk is (struct dentry *) */
	__u64 mnt;    /* and in which mount (struct mount *) */
	__u64 root_dentry; /* the process's root, where the walk ends */
	__u64 root_mnt;
	__u64 ino;    /* a pipe's or a socket's inode number */
	__u32 n;      /* names collected */
	__u8 special; /* FR_FS_*: a file of no directory (a pipe, a socket, an anonymous inode) */
};

/* Files that live on no mounted filesystem are named the way /proc/PID/fd names them:
 * pipe:[123], socket:[456], anon_inode:[eventfd]. Their filesystems' magic numbers
 * (include/uapi/linux/magic.h). */
#define FR_PIPEFS_MAGIC 0x50495045
#define FR_SOCKFS_MAGIC 0x534F434B
#define FR_ANON_INODE_FS_MAGIC 0x09041934
enum { FR_FS_NONE, FR_FS_PIPE, FR_FS_SOCKET, FR_FS_ANON };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_walk);
} fr_walks SEC(".maps") __weak;

/* Where fr_write_path() writes: room for a path written at any offset below FR_PATH_MAX. */
struct fr_path_out {
	char s[2 * FR_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_path_out);
} fr_paths SEC(".maps") __weak;

/* One step up from the dentry in the walk state: a component, or a mount crossed. Returns 1
 * at the root. */
static __always_inline int fr_walk_step(struct fr_walk *w)
{
	if (w->n >= FR_PATH_DEPTH)
		return 1;
	struct dentry *d = (struct dentry *)w->dentry;
	struct mount *mnt = (struct mount *)w->mnt;
	if ((__u64)d == w->root_dentry && (__u64)mnt == w->root_mnt)
		return 1; /* the process's root */
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

/* Walks from a dentry in a mount (a struct path: struct dentry *, struct vfsmount *) up to the
 * current process's root: the path's components, leaf first, into this CPU's fr_walks.
 * Crosses mounts; stops after FR_PATH_DEPTH components (a deeper path keeps its last ones). A
 * pipe, a socket or an anonymous inode is noted instead (special). */
__noinline __weak int fr_walk_up(__u64 dentry, __u64 vfsmount)
{
	__u32 zero = 0;
	struct fr_walk *w = bpf_map_lookup_elem(&fr_walks, &zero);
	struct dentry *d = (struct dentry *)dentry;

	if (!w)
		return 0;
	w->n = 0;
	w->special = FR_FS_NONE;
	if (!d)
		return 0;
	unsigned long magic = BPF_CORE_READ(d, d_sb, s_magic);
	if (magic == FR_PIPEFS_MAGIC || magic == FR_SOCKFS_MAGIC || magic == FR_ANON_INODE_FS_MAGIC) {
		w->special = magic == FR_PIPEFS_MAGIC ? FR_FS_PIPE : magic == FR_SOCKFS_MAGIC ? FR_FS_SOCKET : FR_FS_ANON;
		w->ino = BPF_CORE_READ(d, d_inode, i_ino);
		w->names[0] = BPF_CORE_READ(d, d_name.name); /* anon_inode's "[eventfd]" */
		return 0;
	}
	w->dentry = dentry;
	w->mnt = (__u64)container_of((struct vfsmount *)vfsmount, struct mount, mnt);
	struct task_struct *task = fr_current_task();
	w->root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = (__u64)container_of(BPF_CORE_READ(task, fs, root.mnt), struct mount, mnt);
	for (int i = 0; i < FR_PATH_DEPTH + 8; i++)
		if (fr_walk_step(w))
			break;
	return 0;
}

/* Writes "<prefix>[<n>]" at buf (room for 64 bytes); returns its length. */
static __always_inline __u32 fr_write_numbered(char *buf, const char *prefix, __u32 plen, __u64 n)
{
	char digits[20];
	int k = 0;

	bpf_probe_read_kernel(buf, plen & 15, prefix);
	for (int i = 0; i < 20; i++) {
		digits[i] = '0' + n % 10;
		n /= 10;
		k = i + 1;
		if (!n)
			break;
	}
	__u32 off = plen & 15;
	buf[off++ & 63] = '[';
	for (int i = 19; i >= 0; i--)
		if (i < k)
			buf[off++ & 63] = digits[i];
	buf[off++ & 63] = ']';
	return off & 63;
}

/* Writes the components fr_walk_up() collected, root first, into this CPU's fr_paths; returns
 * the path's length, at most FR_PATH_MAX - 1. */
__noinline __weak int fr_write_path(void)
{
	__u32 zero = 0;
	struct fr_walk *w = bpf_map_lookup_elem(&fr_walks, &zero);
	struct fr_path_out *out = bpf_map_lookup_elem(&fr_paths, &zero);

	if (!out || !w)
		return 0;
	char *buf = out->s;
	if (w->special == FR_FS_PIPE)
		return fr_write_numbered(buf, "pipe:", 5, w->ino);
	if (w->special == FR_FS_SOCKET)
		return fr_write_numbered(buf, "socket:", 7, w->ino);
	if (w->special == FR_FS_ANON) {
		__builtin_memcpy(buf, "anon_inode:", 11);
		long len = bpf_probe_read_kernel_str(buf + 11, 64, w->names[0]);
		return len > 1 ? 11 + len - 1 : 11;
	}
	__u32 n = w->n;
	__u32 off = 0;
	for (int i = 0; i < FR_PATH_DEPTH; i++) {
		if (i >= n || off > FR_PATH_MAX - 2)
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
		long len = bpf_probe_read_kernel_str(buf + at, FR_PATH_MAX - 1, w->names[(n - 1 - i) & (FR_PATH_DEPTH - 1)]);
		/* The component's length without its NUL, or nothing on a failed read, without a
		 * branch: two ways on in every turn would double what the verifier follows. */
		__s64 add = len - 1;
		add &= ~(add >> 63);
		off = at + (__u32)add;
	}
	if (off == 0) {
		buf[0] = '/';
		return 1;
	}
	return off < FR_PATH_MAX ? off : FR_PATH_MAX - 1;
}

/* The path of a dentry in a mount copied to `dst`, which has room for FR_PATH_MAX bytes; returns
 * its length (no NUL is written). The walk and the writing are global functions: each is
 * verified once, not at every caller, and apart, so the verifier does not follow every way the
 * writing can go for every length the walk can end at. Their arguments are scalars: a global
 * function may take pointers only since Linux 5.12. The loops are bounded loops, not
 * bpf_loop() (Linux 5.17). */
static __always_inline __u32 fr_dentry_path(void *dst, __u64 dentry, __u64 vfsmount)
{
	__u32 zero = 0;

	fr_walk_up(dentry, vfsmount);
	__u32 n = fr_write_path() & (FR_PATH_MAX - 1);
	struct fr_path_out *out = bpf_map_lookup_elem(&fr_paths, &zero);

	if (!out || bpf_probe_read_kernel(dst, n, out->s))
		return 0;
	return n;
}

/* The path of open file `f` (as /proc/PID/fd would name it). */
static __always_inline __u32 fr_file_path(void *dst, struct file *f)
{
	if (!f)
		return 0;
	return fr_dentry_path(dst, (__u64)BPF_CORE_READ(f, f_path.dentry), (__u64)BPF_CORE_READ(f, f_path.mnt));
}

/* The current process's working directory. */
static __always_inline __u32 fr_cwd_path(void *dst)
{
	struct task_struct *task = fr_current_task();

	return fr_dentry_path(dst, (__u64)BPF_CORE_READ(task, fs, pwd.dentry), (__u64)BPF_CORE_READ(task, fs, pwd.mnt));
}

#endif /* FLIGHTREC_PATH_H */
