// Names for the numbers the kernel records (errno, signals, address families, TCP states,
// open and mmap flags, DNS types), read from headers vendored in vendor/ at a named version,
// so decoding depends on this repository alone and never on a hand-kept list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export type Arch = 'x86_64' | 'arm64';
export const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];

const vendor = (path: string): string => join(packageRoot(), 'vendor', path);

/** One named bit set: `name` applies when all `bits` are set, unless all of `shadow` are (a wider name covering it). */
export interface FlagName { readonly bits: number; readonly name: string; readonly shadow: number }

/** Flags of one kind on one architecture: a mode field (`mask` ANDed, then looked up in `modes`) and named bits. */
export interface FlagSet { readonly mask: number; readonly modes: Readonly<Record<number, string>>; readonly flags: readonly FlagName[] }

// ---------------------------------------------------------------- a C constant-expression reader
function evaluate(expr: string, known: ReadonlyMap<string, number>): number | undefined {
  const tokens = expr.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|[()|&~+-]|\S/g) ?? [];
  let i = 0;
  const atom = (): number | undefined => {
    const t = tokens[i++];
    if (t === undefined) return undefined;
    if (t === '(') { const v = or(); return tokens[i++] === ')' ? v : undefined; }
    if (t === '-') { const v = atom(); return v === undefined ? undefined : -v; }
    if (t === '~') { const v = atom(); return v === undefined ? undefined : ~v; }
    const lit = t.replace(/[uUlL]+$/, '');
    if (/^0[xX]/.test(lit)) return parseInt(lit.slice(2), 16);
    if (/^0\d+$/.test(lit)) return parseInt(lit, 8);
    if (/^\d+$/.test(lit)) return parseInt(lit, 10);
    return known.get(t);
  };
  const shift = (): number | undefined => {
    let v = atom();
    while (tokens[i] === '<<') { i++; const r = atom(); v = v === undefined || r === undefined ? undefined : v * 2 ** r; }
    return v;
  };
  const and = (): number | undefined => {
    let v = shift();
    while (tokens[i] === '&') { i++; const r = shift(); v = v === undefined || r === undefined ? undefined : Number(BigInt(v) & BigInt(r)); }
    return v;
  };
  const or = (): number | undefined => {
    let v = and();
    while (tokens[i] === '|') { i++; const r = and(); v = v === undefined || r === undefined ? undefined : Number(BigInt(v) | BigInt(r)); }
    return v;
  };
  const v = or();
  return i === tokens.length ? v : undefined;
}

/**
 * `#define NAME value` of the files, in the order a C file including them in this order
 * would see them: the first definition of a name wins (the headers guard overrides with
 * `#ifndef`). Values that are not integer constant expressions are left out.
 */
export function readDefines(files: readonly string[], name: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of files) {
    const text = readFileSync(vendor(file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\\n/g, ' ');
    for (const m of text.matchAll(/^\s*#\s*define\s+(\w+)[ \t]+(.+)$/gm)) {
      if (out.has(m[1]!)) continue;
      const v = evaluate(m[2]!.trim(), out);
      if (v !== undefined) out.set(m[1]!, v);
    }
  }
  return new Map([...out].filter(([n]) => name.test(n)));
}

/** `NAME [= value],` members of the first enum in `file` that has a member matching `first`. */
export function readEnum(file: string, first: RegExp): Map<string, number> {
  const text = readFileSync(vendor(file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ');
  for (const m of text.matchAll(/enum\b[^{]*\{([^}]*)\}/g)) {
    const out = new Map<string, number>();
    let next = 0;
    for (const raw of m[1]!.split(',')) {
      const [k, v] = raw.split('=').map((s) => s.trim());
      if (!k) continue;
      const value = v === undefined ? next : evaluate(v, out);
      if (value === undefined) throw new Error(`vendor/${file}: cannot read the value of ${k}`);
      out.set(k, value);
      next = value + 1;
    }
    if ([...out.keys()].some((k) => first.test(k))) return out;
  }
  throw new Error(`vendor/${file}: no enum with a member like ${first}`);
}

/** Number→name, the first name of each number (aliases such as EWOULDBLOCK come after). */
function byNumber(names: ReadonlyMap<string, number>, rename = (n: string): string => n): Map<number, string> {
  const out = new Map<number, string>();
  for (const [n, v] of names) if (!out.has(v)) out.set(v, rename(n));
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

const popcount = (v: number): number => v.toString(2).replace(/0/g, '').length;

/** Named bits of `names` (zero-valued names left out), wider names first; a bit inside a wider name is shadowed by it. */
function flagNames(names: ReadonlyMap<string, number>): FlagName[] {
  const seen = new Set<number>();
  const bits = [...names].filter(([, v]) => v > 0 && !seen.has(v) && seen.add(v));
  bits.sort((a, b) => popcount(b[1]) - popcount(a[1]) || a[1] - b[1]);
  return bits.map(([name, v]) => {
    const wider = bits.filter(([, w]) => w !== v && popcount(w) > popcount(v) && (w & v) === v);
    if (wider.length > 1) throw new Error(`${name} lies inside several wider flags (${wider.map(([n]) => n).join(', ')}): cannot shadow it`);
    return { bits: v, name, shadow: wider[0]?.[1] ?? 0 };
  });
}

// ---------------------------------------------------------------- the tables

export const ERRNO_FILES = ['linux/include/uapi/asm-generic/errno-base.h', 'linux/include/uapi/asm-generic/errno.h'];

/** errno values; x86_64 and arm64 both use asm-generic's. */
export function errnoNames(): Map<number, string> {
  return byNumber(readDefines(ERRNO_FILES, /^E[A-Z0-9]+$/));
}

const SIGNAL_FILES: Readonly<Record<Arch, string>> = {
  x86_64: 'linux/arch/x86/include/uapi/asm/signal.h',
  arm64: 'linux/include/uapi/asm-generic/signal.h', // arch/arm64/include/uapi/asm/signal.h includes it
};

/** Signal numbers 1..31 (real-time signals, 32 and up, are named SIGRTMIN+n by the macro). */
export function signalNames(): Map<number, string> {
  const tables = ARCHES.map((a) => byNumber(new Map([...readDefines([SIGNAL_FILES[a]], /^SIG[A-Z0-9]+$/)].filter(([n, v]) => !/^SIGRT|STKSZ$/.test(n) && v >= 1 && v < 32))));
  const [first, ...rest] = tables;
  for (const t of rest) {
    if (JSON.stringify([...t]) !== JSON.stringify([...first!])) throw new Error('signal numbers differ between architectures: give the signal macro an architecture');
  }
  return first!;
}

/** AF_* address families. */
export function familyNames(): Map<number, string> {
  return byNumber(new Map([...readDefines(['linux/include/linux/socket.h'], /^AF_/)].filter(([n]) => n !== 'AF_MAX')));
}

/** TCP states as `inet_sock_set_state` reports them, without the TCP_ prefix (as `ss` shows them). */
export function tcpStateNames(): Map<number, string> {
  const states = readEnum('linux/include/net/tcp_states.h', /^TCP_ESTABLISHED$/);
  states.delete('TCP_MAX_STATES');
  return byNumber(states, (n) => n.replace(/^TCP_/, ''));
}

/** DNS RR types (glibc's ns_type, from the IANA registry), upper case without the ns_t_ prefix: A, AAAA, ... */
export function dnsTypeNames(): Map<number, string> {
  const types = readEnum('glibc/resolv/arpa/nameser.h', /^ns_t_a$/);
  types.delete('ns_t_invalid');
  types.delete('ns_t_max');
  return byNumber(types, (n) => n.replace(/^ns_t_/, '').toUpperCase());
}

/** DNS response codes (glibc's ns_rcode), upper case without the ns_r_ prefix: NOERROR, NXDOMAIN, ... */
export function dnsRcodeNames(): Map<number, string> {
  const codes = readEnum('glibc/resolv/arpa/nameser.h', /^ns_r_noerror$/);
  codes.delete('ns_r_max');
  return byNumber(codes, (n) => n.replace(/^ns_r_/, '').toUpperCase());
}

const FCNTL_FILES: Readonly<Record<Arch, readonly string[]>> = {
  x86_64: ['linux/include/uapi/asm-generic/fcntl.h'],
  arm64: ['linux/arch/arm64/include/uapi/asm/fcntl.h', 'linux/include/uapi/asm-generic/fcntl.h'],
};

/** open(2) flags: the access mode (O_ACCMODE), then O_* bits. */
export function openFlags(arch: Arch): FlagSet {
  const all = readDefines(FCNTL_FILES[arch], /^O_/);
  const access = ['O_RDONLY', 'O_WRONLY', 'O_RDWR'];
  const modes = Object.fromEntries(access.map((n) => [all.get(n)!, n]));
  const bits = new Map([...all].filter(([n]) => !access.includes(n) && n !== 'O_ACCMODE'));
  return { mask: all.get('O_ACCMODE')!, modes, flags: flagNames(bits) };
}

/** The open(2) bits that create a file, and make it take a mode: O_CREAT and O_TMPFILE's own bit (O_TMPFILE includes O_DIRECTORY). */
export function creatingOpenBits(arch: Arch): number {
  const bits = (n: string): number => openFlags(arch).flags.find((f) => f.name === n)?.bits ?? 0;
  return bits('O_CREAT') | (bits('O_TMPFILE') & ~bits('O_DIRECTORY'));
}

const MMAN_FILES: Readonly<Record<Arch, readonly string[]>> = {
  x86_64: ['linux/arch/x86/include/uapi/asm/mman.h', 'linux/include/uapi/asm-generic/mman.h', 'linux/include/uapi/asm-generic/mman-common.h', 'linux/include/uapi/linux/mman.h'],
  arm64: ['linux/arch/arm64/include/uapi/asm/mman.h', 'linux/include/uapi/asm-generic/mman.h', 'linux/include/uapi/asm-generic/mman-common.h', 'linux/include/uapi/linux/mman.h'],
};

/** mmap/mprotect `prot`: PROT_NONE when no bit is set. */
export function protFlags(arch: Arch): FlagSet {
  const all = readDefines(MMAN_FILES[arch], /^PROT_/);
  return { mask: 0, modes: {}, flags: flagNames(new Map([...all].filter(([n]) => n !== 'PROT_NONE'))) };
}

/** mmap `flags`: the mapping type (MAP_TYPE: shared, private, ...), then MAP_* bits (the MAP_HUGE_* size field is left as a number). */
export function mapFlags(arch: Arch): FlagSet {
  const all = readDefines(MMAN_FILES[arch], /^MAP_/);
  const mask = all.get('MAP_TYPE')!;
  const typed = [...all].filter(([n, v]) => !/^MAP_(TYPE|FILE|HUGE_)/.test(n) && v > 0);
  return {
    mask,
    modes: Object.fromEntries(byNumber(new Map(typed.filter(([, v]) => (v & mask) === v)))),
    flags: flagNames(new Map(typed.filter(([, v]) => (v & mask) === 0))),
  };
}

/** The dirfd meaning "the working directory" (AT_FDCWD). */
export function atFdcwd(): number {
  return readDefines(['linux/include/uapi/linux/fcntl.h'], /^AT_FDCWD$/).get('AT_FDCWD')!;
}
