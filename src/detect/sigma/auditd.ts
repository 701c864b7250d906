// auditd rules over flightrec's tables (the mapping: sources.ts). Which of the record types
// flightrec makes a rule can match, decided from its `type` tests, so a rule that can match
// only records flightrec never makes is refused rather than silently never firing, and each
// record is tested only against the rules that can match its type; and the records themselves,
// as the JavaScript matcher reads them (hunt.ts makes the same rows in SQL).
import type { Event } from '../api.js';
import type { CompiledRule, Condition, Detection, Item, Refusal } from './model.js';
import type { FieldValue, SigmaEvent } from './event.js';
import { quote } from './rule.js';
import { commandLine, type ProcessTable } from '../process-table.js';
import { auditArg } from './sources.js';
import { stringTest } from './values.js';
import { SYSCALL_NAMES } from '../../schema/syscalls.generated.js';
import { syscallNumbers } from '../predicate.js';

export const AUDIT_TYPES = ['SYSCALL', 'EXECVE', 'PATH'] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

/** true, false, or null: not known from the record's type alone. */
type Maybe = boolean | null;

const not = (a: Maybe): Maybe => (a === null ? null : !a);
function all(xs: readonly Maybe[]): Maybe {
  return xs.includes(false) ? false : xs.includes(null) ? null : true;
}
function any(xs: readonly Maybe[]): Maybe {
  return xs.includes(true) ? true : xs.includes(null) ? null : false;
}

/** What the analysis knows of a record: its type and, for a SYSCALL record, maybe the call's name. */
interface Known {
  readonly type: AuditType;
  readonly SYSCALL?: string;
}

/** An item on what is known of the record; any other field's item is not known. */
function itemOn(it: Item, k: Known): Maybe {
  const value = it.field === 'type' ? k.type : it.field === 'SYSCALL' ? k.SYSCALL : undefined;
  if (value === undefined) return null;
  const test = (variants: Item['values'][number]): Maybe => any(variants.map((v) => {
    switch (v.kind) {
      case 'string': return stringTest(v)(v.cased ? value : value.toLowerCase());
      case 'null': return false;
      case 'exists': return v.value;
      default: return null;
    }
  }));
  const r = (it.all ? all : any)(it.values.map(test));
  return it.negated ? not(r) : r;
}

function detectionOn(d: Detection, k: Known): Maybe {
  if (d.kind === 'item') return itemOn(d.item, k);
  const xs = d.children.map((c) => detectionOn(c, k));
  return d.kind === 'and' ? all(xs) : any(xs);
}

function conditionOn(c: Condition, rule: CompiledRule, k: Known): Maybe {
  switch (c.kind) {
    case 'ref': return detectionOn(rule.detections.get(c.name)!, k);
    case 'not': return not(conditionOn(c.child, rule, k));
    default: {
      const xs = c.children.map((x) => conditionOn(x, rule, k));
      return c.kind === 'and' ? all(xs) : any(xs);
    }
  }
}

/**
 * The calls (of `names`: every architecture's) whose SYSCALL records a rule can match, so a
 * detector reads only those rows; undefined when its tests of the call do not decide that (a
 * `syscall` number, a regular expression on `SYSCALL`).
 */
export function syscallsOf(rule: CompiledRule, names: Iterable<string>): string[] | undefined {
  if (rule.fields.includes('syscall')) return undefined;
  const items = (d: Detection): Item[] => (d.kind === 'item' ? [d.item] : d.children.flatMap(items));
  const calls = [...rule.detections.values()].flatMap(items).filter((it) => it.field === 'SYSCALL');
  if (!calls.every((it) => it.values.flat().every((v) => v.kind === 'string'))) return undefined;
  return [...names].filter((name) => conditionOn(rule.condition, rule, { type: 'SYSCALL', SYSCALL: name }) !== false);
}

const ALL_SYSCALLS: ReadonlySet<string> = new Set(Object.values(SYSCALL_NAMES).flatMap((t) => Object.values(t)));

/** An auditd rule as compileRules supports it: what callsOf reads. */
interface AuditSupported {
  readonly rule: CompiledRule;
  readonly auditTypes?: readonly AuditType[];
  readonly execOnly?: boolean;
}

/**
 * The calls (names of every architecture's table) whose syscall rows the rules' SYSCALL
 * records can match, or undefined when they need every row: the detector and hunts read only
 * those rows.
 */
export function callsOf(rules: readonly AuditSupported[]): string[] | undefined {
  const names = new Set<string>();
  for (const r of rules) {
    if (!r.auditTypes?.includes('SYSCALL')) continue;
    const calls = r.execOnly ? EXEC_CALLS : syscallsOf(r.rule, ALL_SYSCALLS);
    if (calls === undefined) return undefined;
    for (const c of calls) names.add(c);
  }
  return [...names].sort();
}

/** The numbers the calls named have on any architecture flightrec knows, ascending. */
export function callNumbers(calls: readonly string[]): number[] {
  const nrs = new Set(Object.keys(SYSCALL_NAMES).flatMap((arch) => calls.flatMap((c) => syscallNumbers(arch).get(c) ?? [])));
  return [...nrs].sort((a, b) => a - b);
}

/** The literal `type` values a detection names (for saying which records a selection wants). */
function typesNamed(d: Detection, out: Set<string>): Set<string> {
  if (d.kind !== 'item') {
    for (const c of d.children) typesNamed(c, out);
  } else if (d.item.field === 'type' && !d.item.negated) {
    for (const v of d.item.values.flat()) if (v.kind === 'string' && v.parts.every((p) => typeof p === 'string')) out.add((v.parts as string[]).join('').toUpperCase());
  }
  return out;
}

/** The calls whose SYSCALL records a rule that names no syscall runs on. */
export const EXEC_CALLS = ['execve', 'execveat'] as const;

export interface AuditRule {
  /** The record types the rule can match. */
  readonly types: readonly AuditType[];
  /** It can match SYSCALL records but names no syscall: it runs on those of EXEC_CALLS only. */
  readonly execOnly: boolean;
  /** The selections that match no record flightrec makes, said for `sigma check`; undefined when none. */
  readonly note?: string;
}

/**
 * The record types an auditd rule can match, or a refusal when it can match none of them. A
 * selection that only matches other types (ADD_USER, TTY, ...) then never holds, as it never
 * holds on a SYSCALL, EXECVE or PATH record under auditd either: the rule means on flightrec's
 * records what it means on auditd's, and only its matches on records flightrec does not make are
 * lost (said in the note).
 */
export function auditRule(rule: CompiledRule): AuditRule | Refusal {
  const types = AUDIT_TYPES.filter((type) => conditionOn(rule.condition, rule, { type }) !== false);
  const never = [...rule.detections].filter(([, d]) => AUDIT_TYPES.every((type) => detectionOn(d, { type }) === false));
  /** The other types the detections name, quoted; undefined when they name none. */
  const named = (ds: readonly Detection[]): string | undefined => {
    const names = new Set<string>();
    for (const d of ds) typesNamed(d, names);
    for (const t of AUDIT_TYPES) names.delete(t);
    return names.size > 0 ? [...names].map(quote).join(', ') : undefined;
  };
  const makes = `it makes ${AUDIT_TYPES.join(', ')} from the syscall, proc and file tables`;
  if (types.length === 0) {
    const others = named([...rule.detections.values()]);
    return { reason: others !== undefined ? `it matches only audit records of type ${others}, which flightrec does not make (${makes})` : `it can match no audit record flightrec makes (${makes})` };
  }
  // A SYSCALL rule that names no call (exe, comm) is written for the program watches of audit
  // rule sets (-w /usr/sbin/useradd -p x), which log the exec: on every call it would raise an
  // alert per syscall of the program (a thousand for one useradd).
  const execOnly = types.includes('SYSCALL') && !rule.fields.some((f) => f === 'SYSCALL' || f === 'syscall');
  const notes = [
    ...(never.length > 0 ? [`${never.map(([n]) => quote(n)).join(', ')} never ${never.length === 1 ? 'matches' : 'match'}${(() => { const o = named(never.map(([, d]) => d)); return o !== undefined ? `: type ${o}, which flightrec does not make` : ''; })()}`] : []),
    ...(execOnly ? [`it names no syscall, so its SYSCALL records are those of ${EXEC_CALLS.join(' and ')} (as the program watches, -w PROG -p x, of the audit rules it is written for log them)`] : []),
  ];
  return { types, execOnly, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
}

/** `success` as audit has it: a return of -4095..-1 is an error, anything else succeeded. */
export const auditSuccess = (ret: bigint): string => (ret < 0n && ret >= -4095n ? 'no' : 'yes');

/** A SYSCALL record: a syscall row, with its process's program and parent from the process table. */
export class SyscallRecord implements SigmaEvent {
  e!: Event<'syscall'>;
  constructor(private readonly procs: ProcessTable, private readonly name: (nr: number) => string) {}

  get(field: string): FieldValue {
    const e = this.e;
    switch (field) {
      case 'type': return 'SYSCALL';
      case 'syscall': return e.nr;
      case 'SYSCALL': return this.name(e.nr);
      case 'a0': return e.arg0.toString(16);
      case 'a1': return e.arg1.toString(16);
      case 'a2': return e.arg2.toString(16);
      case 'a3': return e.arg3.toString(16);
      case 'success': return auditSuccess(e.ret);
      case 'exit': return Number(e.ret);
      case 'pid': return e.pid;
      case 'ppid': return this.procs.get(e.pid)?.ppid;
      case 'auid': return this.procs.get(e.pid)?.loginuid ?? undefined;
      case 'comm': return e.comm;
      case 'exe': return this.procs.get(e.pid)?.exe;
      default: return undefined;
    }
  }

  keywords(): readonly string[] {
    const exe = this.procs.get(this.e.pid)?.exe;
    return exe === null || exe === undefined ? [this.e.comm] : [this.e.comm, exe];
  }
}

/** An EXECVE record: an exec's arguments. */
export class ExecveRecord implements SigmaEvent {
  e!: Event<'proc'>;

  get(field: string): FieldValue {
    const argv = this.e.argv;
    if (field === 'type') return 'EXECVE';
    if (field === 'argc') return argv?.length;
    const n = auditArg(field);
    return n === undefined ? undefined : argv?.[n];
  }

  keywords(): readonly string[] {
    const line = commandLine(this.e.argv);
    return line === undefined ? [] : [line];
  }
}

/** A PATH record: a name a call resolved, and what the call did to it. */
export class PathRecord implements SigmaEvent {
  name: string | null = null;
  nametype = 'NORMAL';

  get(field: string): FieldValue {
    switch (field) {
      case 'type': return 'PATH';
      case 'name': return this.name;
      case 'nametype': return this.nametype;
      default: return undefined;
    }
  }

  keywords(): readonly string[] {
    return this.name === null ? [] : [this.name];
  }
}

/** The PATH records of a file row, as [name, nametype] in audit's order (none for close and io). */
export function filePaths(e: Event<'file'>, creating: number): readonly (readonly [string | null, string])[] {
  const op = e.op;
  if (op === 'close' || op === 'io') return [];
  const failed = e.ret < 0n;
  const type = (t: string): string => (failed ? 'UNKNOWN' : t);
  const name = e.abs_path ?? e.path;
  switch (op) {
    case 'rename': return [[name, type('DELETE')], [e.path2, type('CREATE')]];
    case 'link': return [[name, type('NORMAL')], [e.path2, type('CREATE')]];
    case 'symlink': return [[e.path2, type('CREATE')]];
    case 'unlink': case 'rmdir': return [[name, type('DELETE')]];
    case 'creat': case 'mkdir': return [[name, type('CREATE')]];
    case 'open': return [[name, type((e.flags & creating) !== 0 ? 'CREATE' : 'NORMAL')]];
    default: return [[name, type('NORMAL')]];
  }
}
