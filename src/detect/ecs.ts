// Alerts as Elastic Common Schema 8.x documents, one JSON object per alert, so a SIEM ingests
// them without a pipeline of its own. The mapping is documented in docs/alerts.md; what ECS
// has no field for stays under `flightrec.*` (a custom field set, as ECS allows).
import { wallOffset } from '../format/host.js';
import type { ClockMapping } from '../format/manifest.js';
import { isoTime } from '../text/time.js';
import type { AlertOrigin } from './alert.js';
import type { ProcessContext, RemoteContext } from './alert-context.js';
import type { Alert } from './runtime.js';

export const ECS_VERSION = '8.11.0';

/** event.severity: Elastic's risk scores for its rule severities low, medium, high and critical. */
const ECS_SEVERITY: Record<Alert['severity'], number> = { info: 21, warning: 47, critical: 73, emergency: 99 };

/** What the runtime adds to evidence (api.ts RUNTIME_EVIDENCE); a stored recording may hold anything there. */
interface Evidence {
  process?: ProcessContext;
  remote?: RemoteContext;
  group?: { count: number; first_ts: string; last_ts: string; pids: number[] };
  tags?: string[];
  [key: string]: unknown;
}

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);

/** A stored ts (a string of digits) as wall time; anything else a hostile recording holds is left out. */
const timeOf = (v: unknown, off: bigint): string | undefined => (typeof v === 'string' && /^\d{1,20}$/.test(v) ? isoTime(BigInt(v) + off) : undefined);

/** A program and its arguments as ECS's process and process.parent have them. */
function program(exe: unknown, argv: unknown): Record<string, unknown> {
  const file = text(exe);
  const args = strings(argv);
  return {
    ...(file !== undefined ? { executable: file, name: basename(file) } : {}),
    ...(args ? { args, args_count: args.length, command_line: args.join(' ') } : {}),
  };
}

/** ATT&CK tactic names as MITRE writes them, from Sigma's tags (attack.command_and_control). */
const tacticName = (tag: string): string => tag.split('_').map((w) => (w === 'and' ? w : w[0]!.toUpperCase() + w.slice(1))).join(' ');

/** threat.* from the alert's ATT&CK tags: attack.t1059.004 is technique T1059, subtechnique T1059.004. */
function threatOf(tags: readonly string[]): Record<string, unknown> | undefined {
  const techniques = new Set<string>();
  const subs = new Set<string>();
  const tactics = new Set<string>();
  for (const t of tags) {
    const m = /^attack\.(t\d{4})(\.\d{3})?$/.exec(t);
    if (m) {
      techniques.add(m[1]!.toUpperCase());
      if (m[2]) subs.add(`${m[1]!.toUpperCase()}${m[2]}`);
    } else if (/^attack\.[a-z_]+$/.test(t)) {
      tactics.add(tacticName(t.slice(7)));
    }
  }
  if (techniques.size === 0 && tactics.size === 0) return undefined;
  return {
    framework: 'MITRE ATT&CK',
    ...(tactics.size > 0 ? { tactic: { name: [...tactics] } } : {}),
    ...(techniques.size > 0 ? { technique: { id: [...techniques], ...(subs.size > 0 ? { subtechnique: { id: [...subs] } } : {}) } } : {}),
  };
}

function processOf(p: ProcessContext, pid: number): Record<string, unknown> {
  const cwd = text(p.cwd);
  const parent = typeof p.parent === 'object' && p.parent !== null ? p.parent : undefined;
  return {
    pid,
    ...program(p.exe, p.argv),
    ...(cwd !== undefined ? { working_directory: cwd } : {}),
    ...(parent ? { parent: { pid: parent.pid, ...program(parent.exe, parent.argv) } } : {}),
  };
}

/** The remote end as ECS names the two ends: the initiator is the source. */
function endpointOf(r: RemoteContext): Record<string, unknown> {
  const end = { ip: r.address, port: r.port, ...(r.name !== null ? { domain: r.name } : {}) };
  return r.inbound ? { source: end, network: { direction: 'ingress' } } : { destination: end, network: { direction: 'egress' } };
}

/** An alert as an ECS document (JSON text, keys in a fixed order: the same alert renders to the same bytes). */
export function alertEcs(a: Alert, clock: ClockMapping, origin: AlertOrigin): string {
  let evidence: Evidence;
  try {
    const v: unknown = JSON.parse(a.evidence);
    evidence = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Evidence) : { value: v };
  } catch {
    evidence = { value: a.evidence };
  }
  const { process: p, remote, group, tags, ...facts } = evidence;
  const proc = typeof p === 'object' && p !== null ? p : undefined;
  const off = wallOffset(clock);
  const sigma = a.detector === 'sigma' && typeof facts.rule_id === 'string';
  const threat = threatOf(Array.isArray(tags) ? tags.filter((t) => typeof t === 'string') : []);
  const doc = {
    '@timestamp': isoTime(a.ts + off),
    ecs: { version: ECS_VERSION },
    message: a.title,
    event: {
      kind: 'alert', module: 'flightrec', dataset: 'flightrec.alert', severity: ECS_SEVERITY[a.severity],
      // A JSON number only where every reader reads it exactly; flightrec.seq always is.
      ...(a.seq <= BigInt(Number.MAX_SAFE_INTEGER) ? { sequence: Number(a.seq) } : {}),
      ...(group ? { start: timeOf(group.first_ts, off), end: timeOf(group.last_ts, off) } : {}),
    },
    log: { level: a.severity },
    rule: sigma
      ? { id: facts.rule_id, name: a.title, ruleset: 'sigma', ...(typeof facts.file === 'string' ? { reference: facts.file } : {}) }
      : { id: a.detector, name: a.detector, version: a.version, ruleset: 'flightrec' },
    ...(threat ? { threat } : {}),
    host: { name: origin.host },
    process: proc ? processOf(proc, a.pid) : { pid: a.pid },
    ...(proc && typeof proc.uid === 'number' ? { user: { id: String(proc.uid), ...(text(proc.user) !== undefined ? { name: proc.user } : {}) } } : {}),
    ...(proc && text(proc.container_id) !== undefined ? { container: { id: proc.container_id } } : {}),
    ...(remote && typeof remote === 'object' ? endpointOf(remote) : {}),
    labels: { flightrec_recording: origin.recording },
    ...(tags ? { tags } : {}),
    flightrec: {
      recording: origin.recording, detector: a.detector, version: a.version, ts: a.ts.toString(), seq: a.seq.toString(),
      evidence: facts, related_seqs: a.related_seqs.map(String), ...(group ? { group } : {}),
    },
  };
  return JSON.stringify(doc);
}
