import { defineDetector, type DetectorContext, type Endpoint, type Event, type Severity } from '../api.js';
import { addressText, isRemote, numberOption, remoteOf } from './common.js';

/** Where a step keeps the endpoint of a connection: not in the evidence, in the alert's remote. */
const REMOTE = Symbol('remote');

type Any = Event<'syscall'> | Event<'file'> | Event<'net'> | Event<'proc'>;
type Table = 'syscall' | 'file' | 'net' | 'proc';

/** One step of a rule: the event table and a test that may read what earlier steps captured. */
interface Step {
  readonly table: Table;
  test(e: Any, got: Record<string, unknown>): Record<string, unknown> | undefined;
}

interface SequenceRule {
  readonly name: string;
  readonly severity: Severity;
  /** ATT&CK tags of its alerts. */
  readonly tags: readonly string[];
  readonly title: (got: Record<string, unknown>) => string;
  readonly steps: readonly Step[];
}

/** Paths every resolver and loader opens before connecting: not data. */
const ROUTINE = /^(\/proc\/|\/sys\/|\/dev\/|\/usr\/lib|\/lib|\/usr\/share\/|\/etc\/(hosts|resolv\.conf|nsswitch\.conf|host\.conf|gai\.conf|localtime|ld\.so|ssl\/|ca-certificates|services|protocols|passwd|group)\b)|\.so(\.\d+)*$/;
const SETUIDS = ['setuid', 'setreuid', 'setresuid'];
const SETGIDS = ['setgid', 'setregid', 'setresgid'];
const READS = ['read', 'pread64', 'readv', 'preadv', 'preadv2'];

/** The rules, with syscall names resolved for the recording's architecture. */
function rulesFor(ctx: DetectorContext): readonly SequenceRule[] {
  const numbers = (names: readonly string[]): Set<number> => new Set(names.map((n) => ctx.syscall(n)));
  const reads = numbers(READS);
  const setuids = numbers(SETUIDS);
  const setgids = numbers(SETGIDS);
  const setuid = ctx.syscall('setuid');
  return [
    {
      name: 'open-read-connect',
      severity: 'critical',
      tags: ['attack.exfiltration', 'attack.t1041'],
      title: (g) => `read ${String(g.path)} then connected to ${String(g.peer)}`,
      steps: [
        { table: 'file', test: (e) => { const f = e as Event<'file'>; return f.op === 'open' && f.ret >= 0n && !ROUTINE.test(f.path) ? { path: f.path, fd: f.fd } : undefined; } },
        { table: 'syscall', test: (e, g) => { const s = e as Event<'syscall'>; return reads.has(s.nr) && s.ret > 0n && Number(s.arg0) === g.fd ? { bytes: Number(s.ret) } : undefined; } },
        {
          table: 'net',
          test: (e) => {
            const n = e as Event<'net'>;
            if (n.op !== 'connect' || !isRemote(n.family, n.daddr)) return undefined;
            // The endpoint goes to the alert's remote (the runtime's key), its text to the evidence.
            return { peer: `${addressText(n.family, n.daddr)}:${n.dport}`, connect_ret: Number(n.ret), [REMOTE]: remoteOf(n) };
          },
        },
      ],
    },
    {
      name: 'setuid-setgid-execve',
      severity: 'critical',
      tags: ['attack.privilege_escalation', 'attack.t1548'],
      title: (g) => `set uid ${String(g.uid)} before its gid (${String(g.setgid)} returned ${String(g.setgid_ret)}), then executed ${String(g.filename)}: it may keep root's group`,
      steps: [
        {
          table: 'syscall',
          test: (e) => {
            const s = e as Event<'syscall'>;
            if (!setuids.has(s.nr) || s.ret !== 0n) return undefined;
            // The uid it switches to (real, else effective): a drop to a user, not a no-op or a return to root.
            const ids = s.nr === setuid ? [s.arg0] : [s.arg0, s.arg1];
            const uid = ids.map((x) => Number(x) >>> 0).find((x) => x !== 0xffffffff);
            return uid !== undefined && uid !== 0 ? { setuid: ctx.syscallName(s.nr), uid } : undefined;
          },
        },
        { table: 'syscall', test: (e) => { const s = e as Event<'syscall'>; return setgids.has(s.nr) ? { setgid: ctx.syscallName(s.nr), setgid_ret: Number(s.ret) } : undefined; } },
        { table: 'proc', test: (e) => { const p = e as Event<'proc'>; return p.kind === 'exec' ? { filename: p.filename } : undefined; } },
      ],
    },
  ];
}

const NOTHING: Record<string, unknown> = Object.freeze({});

interface Progress { step: number; startNs: number; got: Record<string, unknown>; seqs: bigint[] }

export default defineDetector({
  name: 'syscall-sequence',
  version: '3',
  description: 'Ordered event sequences within one process and a time window (option window_s, default 10): open→read→connect to a remote address (a file read and then a connection out), and setuid→setgid→execve (uid dropped to a user before the gid, so the gid change fails or keeps root\'s group, then a program run).',
  tables: {
    syscall: { columns: ['nr', 'arg0', 'arg1', 'ret'], where: { nr: [...READS, ...SETUIDS, ...SETGIDS] } },
    file: { columns: ['op', 'path', 'fd', 'ret'], where: { op: ['open'] } },
    net: { columns: ['op', 'family', 'daddr', 'dport', 'ret'], where: { op: ['connect'] } },
    proc: { columns: ['kind', 'filename'], where: { kind: ['exec', 'exit'] } },
  },
  create(ctx) {
    const windowNs = numberOption(ctx.options, 'window_s', 10) * 1e9;
    const rules = rulesFor(ctx);
    const state = rules.map(() => new Map<number, Progress>());
    const feed = (table: Table, e: Any): void => {
      const pid = e.pid;
      for (let r = 0; r < rules.length; r++) {
        const rule = rules[r]!;
        const byPid = state[r]!;
        // Nothing under way and the rule does not start on this table: nothing to do.
        if (byPid.size === 0 && rule.steps[0]!.table !== table) continue;
        let p = byPid.get(pid);
        if (p && e.ns - p.startNs > windowNs) {
          byPid.delete(pid);
          p = undefined;
        }
        let step = rule.steps[p?.step ?? 0]!;
        let got = step.table === table ? step.test(e, p?.got ?? NOTHING) : undefined;
        if (!got && p) {
          // A newer start replaces a sequence under way.
          step = rule.steps[0]!;
          got = step.table === table ? step.test(e, {}) : undefined;
          if (got) p = undefined;
        }
        if (!got) continue;
        if (!p) byPid.set(pid, (p = { step: 0, startNs: e.ns, got: {}, seqs: [] }));
        Object.assign(p.got, got);
        p.step++;
        if (p.step < rule.steps.length) {
          p.seqs.push(e.seq);
          continue;
        }
        byPid.delete(pid);
        const remote = (p.got as { [REMOTE]?: Endpoint })[REMOTE];
        ctx.alert({ severity: rule.severity, title: `${e.comm}: ${rule.title(p.got)}`, evidence: { rule: rule.name, ...p.got }, related: p.seqs, tags: rule.tags, ...(remote ? { remote } : {}) });
      }
    };
    return {
      syscall: (e) => feed('syscall', e),
      file: (e) => feed('file', e),
      net: (e) => feed('net', e),
      proc: (e) => {
        if (e.kind === 'exit') for (const m of state) m.delete(e.pid);
        else feed('proc', e);
      },
    };
  },
});
