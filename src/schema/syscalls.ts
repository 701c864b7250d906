// Syscall number→name tables come from the kernel's own syscall tables as installed in the
// uapi headers (linux-libc-dev): x86_64 from asm/unistd_64.h, arm64 from the generic table
// asm-generic/unistd.h preprocessed with arm64's __ARCH_WANT_* set.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface SyscallSource {
  readonly arch: 'x86_64' | 'arm64';
  readonly header: string;
  readonly defines: readonly string[];
}

const ARM64_WANTS = ['__ARCH_WANT_RENAMEAT', '__ARCH_WANT_NEW_STAT', '__ARCH_WANT_SET_GET_RLIMIT',
  '__ARCH_WANT_TIME32_SYSCALLS', '__ARCH_WANT_SYS_CLONE3', '__ARCH_WANT_MEMFD_SECRET'];

export const SYSCALL_SOURCES: readonly SyscallSource[] = [
  { arch: 'x86_64', header: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h', defines: [] },
  { arch: 'arm64', header: '/usr/include/asm-generic/unistd.h', defines: ['__BITS_PER_LONG=64', ...ARM64_WANTS] },
];

/** Macro names that are table bookkeeping, not syscalls. */
const NOT_SYSCALLS = new Set(['syscalls', 'arch_specific_syscall']);

/** Run the preprocessor and resolve `__NR_x` / `__NR3264_x` definitions to numbers. */
export function readSyscallTable(src: SyscallSource): Map<number, string> {
  if (!existsSync(src.header)) throw new Error(`${src.header} not found: install linux-libc-dev`);
  const out = execFileSync('cc', ['-E', '-dM', ...src.defines.map((d) => `-D${d}`), src.header], { encoding: 'utf8' });
  const defs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^#define (__NR(?:3264)?_\w+) (\S+)$/.exec(line);
    if (m) defs.set(m[1]!, m[2]!);
  }
  const resolve = (v: string, depth = 0): number | undefined => {
    if (/^\d+$/.test(v)) return Number(v);
    const next = defs.get(v);
    return next !== undefined && depth < 8 ? resolve(next, depth + 1) : undefined;
  };
  const byNr = new Map<number, string>();
  for (const [macro, value] of defs) {
    if (!macro.startsWith('__NR_')) continue;
    const name = macro.slice('__NR_'.length);
    const nr = resolve(value);
    if (nr === undefined || NOT_SYSCALLS.has(name)) continue;
    // Prefer the plain name when a number has aliases (fcntl over fcntl64 is not at stake on 64-bit).
    const prev = byNr.get(nr);
    if (prev === undefined || name.length < prev.length) byNr.set(nr, name);
  }
  return new Map([...byNr].sort((a, b) => a[0] - b[0]));
}

/** Version of the headers the tables came from, recorded in the generated file. */
export function syscallHeadersVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'linux-libc-dev'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
