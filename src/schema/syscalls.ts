// Syscall number→name tables come from the kernel's own syscall tables, vendored in
// vendor/linux/ at a named kernel version: generated code must depend on this repository
// alone, never on which kernel headers the machine that runs `npm run generate` has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export interface SyscallSource {
  readonly arch: 'x86_64' | 'arm64';
  /** The table, relative to vendor/linux/ (its path in the kernel tree). */
  readonly table: string;
  /** The ABIs of the table this architecture's 64-bit entry uses (the kernel's Makefiles). */
  readonly abis: readonly string[];
}

export const SYSCALL_SOURCES: readonly SyscallSource[] = [
  { arch: 'x86_64', table: 'arch/x86/entry/syscalls/syscall_64.tbl', abis: ['common', '64'] },
  // arch/arm64/kernel/Makefile.syscalls: syscall_abis_64 += renameat rlimit memfd_secret
  { arch: 'arm64', table: 'arch/arm64/tools/syscall_64.tbl', abis: ['common', '64', 'renameat', 'rlimit', 'memfd_secret'] },
];

const VENDOR = (): string => join(packageRoot(), 'vendor', 'linux');

/** The kernel version the vendored tables are from (named in vendor/linux/README.md). */
export function syscallTablesVersion(): string {
  const m = /Linux \*\*([0-9.]+)\*\*/.exec(readFileSync(join(VENDOR(), 'README.md'), 'utf8'));
  if (!m) throw new Error('vendor/linux/README.md does not name the kernel version of its tables');
  return m[1]!;
}

export interface SyscallEntry {
  readonly name: string;
  /** The kernel function it calls (`sys_newfstat` for fstat); none for a number without one. */
  readonly entry: string | undefined;
}

/** Number→name and entry point for one architecture, in number order. Table lines are
 * `<number> <abi> <name> [<entry point> ...]`; `#` starts a comment. */
export function readSyscallTable(src: SyscallSource): Map<number, SyscallEntry> {
  const path = join(VENDOR(), src.table);
  const byNr = new Map<number, SyscallEntry>();
  for (const [i, raw] of readFileSync(path, 'utf8').split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [nrText, abi, name, entry] = line.split(/\s+/);
    if (!nrText || !abi || !name || !/^\d+$/.test(nrText)) throw new Error(`${path}:${i + 1}: not a syscall table line`);
    if (!src.abis.includes(abi)) continue;
    const nr = Number(nrText);
    const prev = byNr.get(nr);
    if (prev !== undefined && prev.name !== name) throw new Error(`${path}:${i + 1}: ${nr} is both ${prev.name} and ${name} for ${src.arch}`);
    byNr.set(nr, { name, entry });
  }
  return new Map([...byNr].sort((a, b) => a[0] - b[0]));
}

/**
 * How each argument of a syscall reads, one letter per argument in order, from its prototype
 * in the kernel's include/linux/syscalls.h (vendored): `f` a file descriptor, `d` a directory
 * fd of an *at call (AT_FDCWD), `p` a pointer (hex), `o` a file mode (octal), `i` a 32-bit
 * signed integer, `l` a 64-bit signed one, `w` a 32-bit unsigned one, `u` anything else (the
 * register as a 64-bit unsigned number). Argument names decide fds: the header names them
 * (`fd`, `epfd`, `fd_in`, `olddfd`...).
 */
export type ArgKinds = string;

const FD_NAME = /^(fd|fildes|ufd|pidfd|epfd|oldfd|newfd|fdin|fdout)$|^(fd_\w+|\w+_fd)$/;
const NOT_AN_FD = new Set(['max_fd']); // close_range's upper bound is a number, often ~0U
const DIRFD_NAME = /^(\w+_)?dfd$|^(old|new)dfd$|dirfd$/;
const SIGNED32 = /^(int|pid_t|clockid_t|timer_t|key_serial_t|mqd_t|rwf_t|__s32|s32)$/;
const SIGNED64 = /^(long|loff_t|off_t|ssize_t|__kernel_old_time_t|time_t)$/;
const UNSIGNED32 = /^(unsigned|unsigned int|u32|__u32|uid_t|gid_t|old_uid_t|old_gid_t|qid_t|__kernel_rwf_t)$/;

/** The kind letter of one parameter declaration, such as `const char __user *filename`. */
export function argKind(param: string): string {
  const words = param.replace(/\b(const|volatile|__user|struct|union|enum)\b/g, ' ').trim();
  if (words.includes('*') || words.includes('[')) return 'p';
  // The last word names the parameter when there are two or more (`unsigned int fd`);
  // an unnamed one (`int`) is all type.
  const m = /^(.*?)\s+(\w+)$/.exec(words);
  const [type, name] = m && !/^(int|long|char|short)$/.test(m[2]!) ? [m[1]!.trim(), m[2]!] : [words, ''];
  if (FD_NAME.test(name) && !NOT_AN_FD.has(name)) return 'f';
  if (DIRFD_NAME.test(name)) return 'd';
  if (/^(umode_t|mode_t)$/.test(type)) return 'o';
  if (SIGNED32.test(type)) return 'i';
  if (SIGNED64.test(type)) return 'l';
  if (UNSIGNED32.test(type)) return 'w';
  return 'u';
}

/**
 * The argument kinds of every `sys_*` prototype in the header, by entry point (`sys_read`).
 * A name declared twice with different arguments (alternatives under #ifdef, such as
 * clone's) is left out: which one a kernel was built with is not known here.
 */
export function readSyscallPrototypes(): Map<string, ArgKinds> {
  const path = join(VENDOR(), 'include/linux/syscalls.h');
  const text = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ');
  const kinds = new Map<string, ArgKinds>();
  const conflicting = new Set<string>();
  for (const m of text.matchAll(/^asmlinkage\s+long\s+(sys_\w+)\s*\(([^)]*)\)\s*;/gm)) {
    const params = m[2]!.replace(/\s+/g, ' ').trim();
    const k = params === 'void' ? '' : params.split(',').map(argKind).join('');
    const prev = kinds.get(m[1]!);
    if (prev !== undefined && prev !== k) conflicting.add(m[1]!);
    kinds.set(m[1]!, k);
  }
  for (const name of conflicting) kinds.delete(name);
  if (kinds.size < 300) throw new Error(`${path}: only ${kinds.size} syscall prototypes found`);
  return kinds;
}
