// Sigma rules as one detector, `sigma`: each rule runs on the events of its log source
// (sources.ts), many rules per event at once (RuleSet), in the recording's order, live and in
// replay alike. An alert is the rule's title at a severity from its level, with the rule's
// id, level, file and tags and the fields that matched as evidence.
import type { Detector, Endpoint, Event, Handlers } from '../api.js';
import { remoteOf } from '../builtin/common.js';
import { ARCHES, creatingOpenBits, type Arch } from '../../schema/names.js';
import { addressText } from '../../text/address.js';
import type { CompiledRule } from './model.js';
import { RuleSet, type FieldValue, type RuleMatch, type SigmaEvent } from './ruleset.js';
import { DnsNames } from '../dns-names.js';
import { commandLine, ProcessTable } from '../process-table.js';
import { compileRules, severityOf, type RuleText, type SupportedRule } from './rules.js';
import { callsOf, EXEC_CALLS, ExecveRecord, filePaths, PathRecord, SyscallRecord } from './auditd.js';

const FILE_CREATES = new Set(['creat', 'open', 'rename', 'link', 'symlink']);
const FILE_DELETES = new Set(['unlink', 'rmdir']);
const EINPROGRESS = -115n;

/** Fields every source has: the process of the event. */
abstract class ProcessEvent implements SigmaEvent {
  pid = 0;
  constructor(protected readonly procs: ProcessTable, private readonly userName: (uid: number) => string | undefined) {}

  /** A uid as User: its name on the recorded host, else the number. */
  protected user(uid: number): string {
    return this.userName(uid) ?? String(uid);
  }

  protected process(field: string): FieldValue {
    const p = this.procs.get(this.pid);
    switch (field) {
      case 'Image': return p?.exe;
      case 'User': return p === undefined ? undefined : this.user(p.uid);
      case 'ProcessId': return this.pid;
      default: return undefined;
    }
  }

  abstract get(field: string): FieldValue;

  keywords(): readonly string[] {
    return [];
  }
}

/** An exec: the new program, and its parent as it was then. */
class ProcessCreation extends ProcessEvent {
  e!: Event<'proc'>;

  get(field: string): FieldValue {
    const e = this.e;
    switch (field) {
      case 'Image': return e.filename;
      case 'CommandLine': return commandLine(e.argv);
      case 'CurrentDirectory': return e.cwd;
      case 'LogonId': return e.loginuid ?? undefined;
      case 'User': return this.user(e.uid);
      case 'ProcessId': return e.pid;
      case 'ParentProcessId': return e.ppid;
      case 'ParentImage': return this.procs.get(e.ppid)?.exe;
      case 'ParentCommandLine': return commandLine(this.procs.get(e.ppid)?.argv);
      default: return undefined;
    }
  }
}

/** A file created or deleted: TargetFilename is the name made (or removed), absolute where the recording has it so. */
class FileEvent extends ProcessEvent {
  e!: Event<'file'>;

  get(field: string): FieldValue {
    if (field !== 'TargetFilename') return this.process(field);
    const e = this.e;
    const op = e.op;
    return op === 'rename' || op === 'link' || op === 'symlink' ? e.path2 : (e.abs_path ?? e.path);
  }
}

/** A connect or accept of an IP socket; the initiator is the source, as Sysmon has it. */
class NetworkConnection extends ProcessEvent {
  e!: Event<'net'>;
  readonly names = new DnsNames();

  get(field: string): FieldValue {
    const e = this.e;
    const out = e.op === 'connect';
    switch (field) {
      case 'Initiated': return out ? 'true' : 'false';
      case 'Protocol': return e.proto === 6 ? 'tcp' : e.proto === 17 ? 'udp' : String(e.proto);
      case 'SourceIp': return addressText(e.family, out ? e.saddr : e.daddr);
      case 'SourcePort': return out ? e.sport : e.dport;
      case 'DestinationIp': return addressText(e.family, out ? e.daddr : e.saddr);
      case 'DestinationPort': return out ? e.dport : e.sport;
      case 'SourceIsIpv6': case 'DestinationIsIpv6': return e.family === 10 ? 'true' : 'false';
      case 'DestinationHostname': return this.names.nameOf(addressText(e.family, out ? e.daddr : e.saddr));
      default: return this.process(field);
    }
  }
}

/** Rules run together on one kind of event; `order` is each one's place among all the rules. */
interface Rules {
  readonly set: RuleSet;
  readonly order: readonly number[];
}

/** The rules, compiled, per log source, and the auditd rules per record type they can match. */
function rulesBy<K>(rules: readonly SupportedRule[], keys: (r: SupportedRule) => readonly K[]): Map<K, Rules> {
  const out = new Map<K, { rules: CompiledRule[]; order: number[] }>();
  rules.forEach((r, i) => {
    for (const k of keys(r)) {
      const x = out.get(k) ?? { rules: [], order: [] };
      out.set(k, x);
      x.rules.push(r.rule);
      x.order.push(i);
    }
  });
  return new Map([...out].map(([k, x]) => [k, { set: new RuleSet(x.rules), order: x.order }]));
}

/** A match and where it falls among an event's matches: by rule, then by record (an event can make several). */
interface Placed {
  readonly order: number;
  readonly record: number;
  readonly match: RuleMatch;
}

/**
 * The `sigma` detector over rule files (their text, read by the command: a detection thread
 * reads no files). Rules that cannot run are left out here; the command refuses or warns
 * about them before any event is read (rules.ts).
 */
export function sigmaDetector(texts: readonly RuleText[]): Detector {
  const { supported } = compileRules(texts);
  const sources = new Set(supported.map((r) => r.source));
  const auditTypes = new Set(supported.flatMap((r) => r.auditTypes ?? []));
  const fileOps = [...(sources.has('file_event') ? FILE_CREATES : []), ...(sources.has('file_delete') ? FILE_DELETES : [])];
  const syscallCalls = callsOf(supported);
  // No call of any architecture can make a SYSCALL record its rules match (SYSCALL: 'nosuchcall').
  const readsSyscalls = auditTypes.has('SYSCALL') && syscallCalls?.length !== 0;
  const fileTable = auditTypes.has('PATH') ? {} : fileOps.length > 0 ? { where: { op: fileOps } } : undefined;
  return {
    name: 'sigma',
    version: '1',
    description: `Sigma rules (--sigma): ${supported.length} rule${supported.length === 1 ? '' : 's'} over process_creation, file_event, file_delete and network_connection events and auditd's SYSCALL, EXECVE and PATH records; each alert is a rule's title, its severity from the rule's level (informational and low: info, medium: warning, high: critical, critical: emergency).`,
    tables: {
      proc: {},
      ...(fileTable !== undefined ? { file: fileTable } : {}),
      ...(sources.has('network_connection') ? { net: { where: { op: ['connect', 'accept'] } }, dns: { where: { kind: ['answer'] } } } : {}),
      ...(readsSyscalls ? { syscall: syscallCalls === undefined ? {} : { where: { nr: syscallCalls } } } : {}),
    },
    create(ctx) {
      const sets = rulesBy(supported, (r) => (r.source === 'auditd' ? [] : [r.source]));
      // SYSCALL rules that name no call run on the exec calls' records only (auditd.ts).
      const audit = rulesBy(supported, (r) => (r.auditTypes ?? []).map((t) => (t === 'SYSCALL' && r.execOnly ? 'SYSCALL of exec' : t)));
      const execCalls = new Set(EXEC_CALLS.map((n) => ctx.syscall(n)).filter((nr) => nr >= 0));
      const procs = new ProcessTable();
      const userName = (uid: number): string | undefined => ctx.userName(uid);
      const creation = new ProcessCreation(procs, userName);
      const file = new FileEvent(procs, userName);
      const net = new NetworkConnection(procs, userName);
      const syscallRecord = new SyscallRecord(procs, (nr) => ctx.syscallName(nr));
      const execveRecord = new ExecveRecord();
      const pathRecord = new PathRecord();
      const arch = ((ARCHES as readonly string[]).includes(ctx.arch) ? ctx.arch : 'x86_64') as Arch;
      const creating = creatingOpenBits(arch);
      // An event's matches, raised in one order whatever made them: the rules' order, then the records'.
      const placed: Placed[] = [];
      const test = (rules: Rules | undefined, event: SigmaEvent, record = 0): void => {
        if (rules) for (const m of rules.set.match(event)) placed.push({ order: rules.order[m.index]!, record, match: m });
      };
      const raise = (remote?: Endpoint): void => {
        if (placed.length === 0) return;
        if (placed.length > 1) placed.sort((a, b) => a.order - b.order || a.record - b.record);
        for (const { match: m } of placed) {
          const r = m.rule.rule;
          const matched: Record<string, FieldValue> = {};
          for (const f of m.fields) matched[f.field ?? 'keywords'] = f.value;
          ctx.alert({
            severity: severityOf(r.level),
            title: r.title,
            evidence: { rule_id: r.id ?? null, level: r.level ?? null, file: ruleFileOf(texts, r.file), matched },
            tags: r.tags,
            ...(remote ? { remote } : {}),
          });
        }
        placed.length = 0;
      };
      const execs = sets.get('process_creation');
      const creates = sets.get('file_event');
      const deletes = sets.get('file_delete');
      const connects = sets.get('network_connection');
      const syscalls = audit.get('SYSCALL');
      const execSyscalls = audit.get('SYSCALL of exec');
      const execves = audit.get('EXECVE');
      const paths = audit.get('PATH');
      const handlers: { -readonly [T in keyof Handlers]: Handlers[T] } = {
        proc(e) {
          if (e.kind === 'exec') {
            if (execs) {
              creation.e = e;
              creation.pid = e.pid;
              test(execs, creation);
            }
            if (execves) {
              execveRecord.e = e;
              test(execves, execveRecord);
            }
            // auditd writes the program's PATH record after the EXECVE record.
            if (paths) {
              pathRecord.name = e.filename;
              pathRecord.nametype = 'NORMAL';
              test(paths, pathRecord, 1);
            }
            raise();
          }
          procs.update(e);
        },
      };
      // Only the tables declared: a rule set without file or network rules reads neither.
      if (creates || deletes || paths) {
        handlers.file = (e: Event<'file'>) => {
          if (paths) {
            filePaths(e, creating).forEach(([name, nametype], i) => {
              pathRecord.name = name;
              pathRecord.nametype = nametype;
              test(paths, pathRecord, i);
            });
          }
          const op = e.op;
          const set = e.ret < 0n ? undefined : FILE_DELETES.has(op) ? deletes : FILE_CREATES.has(op) && (op !== 'open' || (e.flags & creating) !== 0) ? creates : undefined;
          if (set) {
            file.e = e;
            file.pid = e.pid;
            test(set, file);
          }
          raise();
        };
      }
      if (connects) {
        handlers.net = (e: Event<'net'>) => {
          if (e.family !== 2 && e.family !== 10) return;
          if (e.op === 'accept' ? e.ret < 0n : e.ret !== 0n && e.ret !== EINPROGRESS) return;
          net.e = e;
          net.pid = e.pid;
          test(connects, net);
          raise(remoteOf(e));
        };
        handlers.dns = (e: Event<'dns'>) => net.names.update(e);
      }
      if (readsSyscalls) {
        handlers.syscall = (e: Event<'syscall'>) => {
          syscallRecord.e = e;
          test(syscalls, syscallRecord);
          if (execCalls.has(e.nr)) test(execSyscalls, syscallRecord);
          raise();
        };
      }
      return handlers;
    },
  };
}

/** A rule's file as the alert names it: relative to the --sigma argument it came from, so live and replay name it alike. */
function ruleFileOf(texts: readonly RuleText[], file: string): string {
  return texts.find((t) => t.file === file)?.name ?? file;
}
