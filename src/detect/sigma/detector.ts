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
import type { SourceName } from './sources.js';
import { compileRules, severityOf, type RuleText } from './rules.js';

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

/** The rules, compiled, per log source. */
function bySource(rules: readonly { rule: CompiledRule; source: SourceName }[]): Map<SourceName, RuleSet> {
  const out = new Map<SourceName, CompiledRule[]>();
  for (const r of rules) out.set(r.source, [...(out.get(r.source) ?? []), r.rule]);
  return new Map([...out].map(([s, list]) => [s, new RuleSet(list)]));
}

/**
 * The `sigma` detector over rule files (their text, read by the command: a detection thread
 * reads no files). Rules that cannot run are left out here; the command refuses or warns
 * about them before any event is read (rules.ts).
 */
export function sigmaDetector(texts: readonly RuleText[]): Detector {
  const { supported } = compileRules(texts);
  const sources = new Set(supported.map((r) => r.source));
  const fileOps = [...(sources.has('file_event') ? FILE_CREATES : []), ...(sources.has('file_delete') ? FILE_DELETES : [])];
  return {
    name: 'sigma',
    version: '1',
    description: `Sigma rules (--sigma): ${supported.length} rule${supported.length === 1 ? '' : 's'} over process_creation, file_event, file_delete and network_connection events; each alert is a rule's title, its severity from the rule's level (informational and low: info, medium: warning, high: critical, critical: emergency).`,
    tables: {
      proc: {},
      ...(fileOps.length > 0 ? { file: { where: { op: fileOps } } } : {}),
      ...(sources.has('network_connection') ? { net: { where: { op: ['connect', 'accept'] } }, dns: { where: { kind: ['answer'] } } } : {}),
    },
    create(ctx) {
      const sets = bySource(supported);
      const procs = new ProcessTable();
      const userName = (uid: number): string | undefined => ctx.userName(uid);
      const creation = new ProcessCreation(procs, userName);
      const file = new FileEvent(procs, userName);
      const net = new NetworkConnection(procs, userName);
      const arch = ((ARCHES as readonly string[]).includes(ctx.arch) ? ctx.arch : 'x86_64') as Arch;
      const creating = creatingOpenBits(arch);
      const raise = (matches: readonly RuleMatch[], remote?: Endpoint): void => {
        for (const m of matches) {
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
      };
      const execs = sets.get('process_creation');
      const creates = sets.get('file_event');
      const deletes = sets.get('file_delete');
      const connects = sets.get('network_connection');
      const handlers: { -readonly [T in keyof Handlers]: Handlers[T] } = {
        proc(e) {
          if (e.kind === 'exec' && execs) {
            creation.e = e;
            creation.pid = e.pid;
            raise(execs.match(creation));
          }
          procs.update(e);
        },
      };
      // Only the tables declared: a rule set without file or network rules reads neither.
      if (creates || deletes) {
        handlers.file = (e: Event<'file'>) => {
          if (e.ret < 0n) return;
          const op = e.op;
          const set = FILE_DELETES.has(op) ? deletes : op !== 'open' || (e.flags & creating) !== 0 ? creates : undefined;
          if (!set) return;
          file.e = e;
          file.pid = e.pid;
          raise(set.match(file));
        };
      }
      if (connects) {
        handlers.net = (e: Event<'net'>) => {
          if (e.family !== 2 && e.family !== 10) return;
          if (e.op === 'accept' ? e.ret < 0n : e.ret !== 0n && e.ret !== EINPROGRESS) return;
          net.e = e;
          net.pid = e.pid;
          raise(connects.match(net), remoteOf(e));
        };
        handlers.dns = (e: Event<'dns'>) => net.names.update(e);
      }
      return handlers;
    },
  };
}

/** A rule's file as the alert names it: relative to the --sigma argument it came from, so live and replay name it alike. */
function ruleFileOf(texts: readonly RuleText[], file: string): string {
  return texts.find((t) => t.file === file)?.name ?? file;
}
