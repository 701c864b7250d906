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

/** Number→name for one architecture, in number order. Table lines are
 * `<number> <abi> <name> [<entry point> ...]`; `#` starts a comment. */
export function readSyscallTable(src: SyscallSource): Map<number, string> {
  const path = join(VENDOR(), src.table);
  const byNr = new Map<number, string>();
  for (const [i, raw] of readFileSync(path, 'utf8').split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [nrText, abi, name] = line.split(/\s+/);
    if (!nrText || !abi || !name || !/^\d+$/.test(nrText)) throw new Error(`${path}:${i + 1}: not a syscall table line`);
    if (!src.abis.includes(abi)) continue;
    const nr = Number(nrText);
    const prev = byNr.get(nr);
    if (prev !== undefined && prev !== name) throw new Error(`${path}:${i + 1}: ${nr} is both ${prev} and ${name} for ${src.arch}`);
    byNr.set(nr, name);
  }
  return new Map([...byNr].sort((a, b) => a[0] - b[0]));
}
