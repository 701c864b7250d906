// Numbers as names in SQL: DuckDB macros built from the tables of names in names.ts (vendored
// kernel and libc headers), and the view columns a column's `decode` asks for. Architecture-
// dependent flags take the recording's architecture from `recording_arch(recording)`, which
// the query session defines from the manifests (x86_64 until it does).
import {
  ARCHES, type Arch, type FlagSet, atFdcwd, creatingOpenBits, dnsRcodeNames, dnsTypeNames, errnoNames, familyNames, mapFlags,
  openFlags, protFlags, signalNames, tcpStateNames,
} from './names.js';
import type { Column, Decode } from './types.js';

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** `v` looked up in `names`: a constant list for small numbers, CASE for the few large ones. */
function lookup(names: ReadonlyMap<number, string>, v: string): string {
  const small = [...names].filter(([n]) => n >= 0 && n < 1024);
  const large = [...names].filter(([n]) => n >= 1024);
  const max = Math.max(...small.map(([n]) => n));
  const list = `[${Array.from({ length: max + 1 }, (_, i) => (names.has(i) ? lit(names.get(i)!) : 'NULL')).join(', ')}][(${v})::BIGINT + 1]`;
  return large.length === 0 ? list : `CASE ${large.map(([n, name]) => `WHEN (${v}) = ${n} THEN ${lit(name)}`).join(' ')} ELSE ${list} END`;
}

/** Flags as text, strace-style: `O_WRONLY|O_CREAT|O_TRUNC`; bits without a name as hex. */
function flagsText(set: FlagSet, v: string, zero: string | null): string {
  const flags = `[${set.flags.map((f) => `{'b': ${f.bits}, 'n': ${lit(f.name)}, 's': ${f.shadow}}`).join(', ')}]`;
  const matched = `list_filter(${flags}, x -> (${v}) & x.b = x.b AND (x.s = 0 OR (${v}) & x.s <> x.s))`;
  const mode = set.mask === 0 ? '[]::VARCHAR[]'
    : `[coalesce(${lookup(new Map(Object.entries(set.modes).map(([k, n]) => [Number(k), n])), `(${v}) & ${set.mask}`)}, '0x' || lower(hex((${v}) & ${set.mask})))]`;
  const rest = `(${v})::UBIGINT & ~(${set.mask}::UBIGINT | list_reduce(list_concat([0::UBIGINT], list_transform(${matched}, x -> x.b::UBIGINT)), (a, b) -> a | b))`;
  const parts = `list_concat(${mode}, list_transform(${matched}, x -> x.n), CASE WHEN ${rest} <> 0 THEN ['0x' || lower(hex(${rest}))] ELSE [] END)`;
  return `CASE WHEN (${v}) IS NULL THEN NULL${zero ? ` WHEN (${v}) = 0 THEN ${lit(zero)}` : ''} ELSE array_to_string(${parts}, '|') END`;
}

/** The number of an address family, by name. */
function af(name: string): number {
  const n = [...familyNames()].find(([, v]) => v === name)?.[0];
  if (n === undefined) throw new Error(`include/linux/socket.h does not define ${name}`);
  return n;
}

/** One macro over the flags of every architecture, chosen by `arch`. */
function archFlags(name: string, set: (a: Arch) => FlagSet, zero: string | null): string {
  const [first, ...rest] = ARCHES;
  const body = `CASE ${rest.map((a) => `WHEN arch = ${lit(a)} THEN ${flagsText(set(a), 'v', zero)}`).join(' ')} ELSE ${flagsText(set(first!), 'v', zero)} END`;
  return `CREATE OR REPLACE MACRO ${name}(arch, v) AS ${body}`;
}

/** The decoding macros: `errno_name(e)`, `signal_name(s)`, `exit_code_of(status)`, ... (README, "Names for numbers"). */
export function decodeMacros(): string[] {
  const signals = signalNames();
  return [
    `CREATE OR REPLACE MACRO recording_arch(recording) AS ${lit(ARCHES[0]!)}`,
    `CREATE OR REPLACE MACRO errno_name(e) AS coalesce(${lookup(errnoNames(), 'abs(e)')}, 'E' || abs(e))`,
    // A return value that is an error: -4095..-1 (the kernel's MAX_ERRNO); NULL for success.
    `CREATE OR REPLACE MACRO ret_errno(ret) AS CASE WHEN ret < 0 AND ret >= -4095 THEN errno_name(-ret) END`,
    `CREATE OR REPLACE MACRO signal_name(s) AS CASE WHEN s BETWEEN 1 AND 31 THEN ${lookup(signals, 's')}
  WHEN s BETWEEN 32 AND 64 THEN 'SIGRTMIN+' || (s - 32) END`,
    // wait(2) status: exited (code in bits 8-15, low 7 bits 0) or killed (signal in the low 7 bits, 0x80: core dumped).
    `CREATE OR REPLACE MACRO exit_code_of(status) AS CASE WHEN status & 127 = 0 THEN (status >> 8) & 255 END`,
    `CREATE OR REPLACE MACRO exit_signal_of(status) AS CASE WHEN status & 127 <> 0 AND status & 127 <> 127 THEN signal_name(status & 127) END`,
    `CREATE OR REPLACE MACRO family_name(f) AS coalesce(${lookup(familyNames(), 'f')}, 'AF_' || f)`,
    `CREATE OR REPLACE MACRO tcp_state_name(s) AS ${lookup(tcpStateNames(), 's')}`,
    `CREATE OR REPLACE MACRO dns_type_name(t) AS coalesce(${lookup(dnsTypeNames(), 't')}, 'TYPE' || t)`,
    `CREATE OR REPLACE MACRO dns_rcode_name(r) AS coalesce(${lookup(dnsRcodeNames(), 'r')}, 'RCODE' || r)`,
    archFlags('open_flags_text', openFlags, null),
    archFlags('prot_text', protFlags, 'PROT_NONE'),
    archFlags('mmap_flags_text', mapFlags, null),
    `CREATE OR REPLACE MACRO dirfd_text(fd) AS CASE WHEN fd = ${atFdcwd()} THEN 'AT_FDCWD' ELSE fd::VARCHAR END`,
    // open(2) reads its mode argument only with O_CREAT or O_TMPFILE.
    `CREATE OR REPLACE MACRO open_takes_mode(arch, v) AS CASE ${ARCHES.slice(1).map((a) => `WHEN arch = ${lit(a)} THEN (v & ${creatingOpenBits(a)}) <> 0`).join(' ')} ELSE (v & ${creatingOpenBits(ARCHES[0]!)}) <> 0 END`,
    // Helpers for argument text: a register as a C int, a string as strace quotes it, a mode in octal.
    `CREATE OR REPLACE MACRO fr_i32(x) AS CASE WHEN (x & 4294967295) >= 2147483648 THEN (x & 4294967295)::BIGINT - 4294967296 ELSE (x & 4294967295)::BIGINT END`,
    `CREATE OR REPLACE MACRO fr_quoted(s) AS '"' || replace(replace(s, '\\', '\\\\'), '"', '\\"') || '"'`,
    `CREATE OR REPLACE MACRO fr_mode(m) AS '0' || format('{:o}', m::UBIGINT)`,
    `CREATE OR REPLACE MACRO fr_i64(x) AS CASE WHEN x >= 9223372036854775808 THEN -((18446744073709551615 - x)::BIGINT) - 1 ELSE x::BIGINT END`,
    // One syscall argument by its kind letter (ArgKinds in syscalls.ts), as strace writes it.
    `CREATE OR REPLACE MACRO fr_arg(kind, x) AS CASE kind
  WHEN 'f' THEN fr_i32(x)::VARCHAR WHEN 'd' THEN dirfd_text(fr_i32(x)) WHEN 'i' THEN fr_i32(x)::VARCHAR
  WHEN 'p' THEN CASE WHEN x = 0 THEN 'NULL' ELSE '0x' || lower(hex(x)) END
  WHEN 'o' THEN fr_mode(x & 4294967295) WHEN 'l' THEN fr_i64(x)::VARCHAR WHEN 'w' THEN (x & 4294967295)::VARCHAR
  ELSE x::VARCHAR END`,
    // The arguments a syscall has, by their kinds (syscall_arg_kinds: 'uuu' when not known, the
    // first three as numbers); the argument at fd_pos (its first fd) followed by the path it was
    // opened with, as strace -y writes it.
    `CREATE OR REPLACE MACRO fr_args(kinds, fd_pos, a0, a1, a2, a3, a4, a5, fd_path) AS concat_ws(', ',
  ${[0, 1, 2, 3, 4, 5].map((i) => `CASE WHEN length(kinds) > ${i} THEN fr_arg(substr(kinds, ${i + 1}, 1), a${i})
    || CASE WHEN fd_pos = ${i + 1} AND fd_path IS NOT NULL THEN '<' || fd_path || '>' ELSE '' END END`).join(',\n  ')})`,
    `CREATE OR REPLACE MACRO fr_nth_arg(n, a0, a1, a2, a3, a4, a5) AS CASE n ${[0, 1, 2, 3, 4, 5].map((i) => `WHEN ${i + 1} THEN a${i}`).join(' ')} END`,
    // A socket address as strace writes it (the net views give the address as text already).
    `CREATE OR REPLACE MACRO fr_sockaddr(family, addr, port, path) AS CASE
  WHEN family = ${af('AF_INET')} THEN '{sa_family=AF_INET, sin_port=htons(' || port || '), sin_addr=inet_addr("' || addr || '")}'
  WHEN family = ${af('AF_INET6')} THEN '{sa_family=AF_INET6, sin6_port=htons(' || port || '), sin6_addr="' || addr || '"}'
  WHEN family = ${af('AF_UNIX')} THEN '{sa_family=AF_UNIX, sun_path=' || fr_quoted(path) || '}' END`,
  ];
}

const q = (s: string): string => `"${s}"`;

/** The view columns of a column with `decode`: itself (or its replacement) and the names. */
export function decodedColumns(c: Column & { decode: Decode }, opCode: (label: string) => number): string[] {
  const v = q(c.name);
  const when = (e: string): string => (c.decode.when ? `CASE WHEN "op" IN (${c.decode.when.map(opCode).join(', ')}) THEN ${e} END` : e);
  const arch = 'recording_arch("recording")';
  switch (c.decode.as) {
    case 'errno': return [v, `${when(`ret_errno(${v})`)} AS "errno"`];
    case 'wait_status': return [`exit_code_of(${v}) AS ${v}`, `exit_signal_of(${v}) AS "exit_signal"`, `${v} AS "exit_status"`];
    case 'signal': return [v, `${when(`signal_name(${v})`)} AS ${q(`${c.name}_name`)}`];
    case 'family': return [v, `${when(`family_name(${v})`)} AS ${q(`${c.name}_name`)}`];
    case 'tcp_state': return [v, `${when(`tcp_state_name(${v})`)} AS ${q(`${c.name}_name`)}`];
    case 'dns_type': return [v, `${when(`dns_type_name(${v})`)} AS ${q(`${c.name}_name`)}`];
    case 'dns_rcode': return [v, `${when(`dns_rcode_name(${v})`)} AS ${q(`${c.name}_name`)}`];
    case 'open_flags': return [v, `${when(`open_flags_text(${arch}, ${v})`)} AS ${q(`${c.name}_text`)}`];
    case 'prot': return [v, `${when(`prot_text(${arch}, ${v})`)} AS ${q(`${c.name}_text`)}`];
    case 'mmap_flags': return [v, `${when(`mmap_flags_text(${arch}, ${v})`)} AS ${q(`${c.name}_text`)}`];
  }
}
