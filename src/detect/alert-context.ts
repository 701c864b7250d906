// What the runtime adds to every alert: the process it is about as the proc table tells it
// (program, arguments, working directory, user, parent, container) and the remote end of the
// connection it concerns with the name DNS answers gave it. Read from the recording's own
// ordered events (and its account and cgroup tables), so live and replay add the same.
import type { Endpoint, Event } from './api.js';
import { DnsNames } from './dns-names.js';
import { ProcessTable } from './process-table.js';

/** The alert's process; null where the recording does not say (a process it never saw start or run). */
export interface ProcessContext {
  readonly pid: number;
  readonly exe: string | null;
  readonly argv: readonly string[] | null;
  readonly cwd: string | null;
  readonly uid: number | null;
  readonly user: string | null;
  readonly ppid: number | null;
  readonly container_id: string | null;
  readonly parent: { readonly pid: number; readonly exe: string | null; readonly argv: readonly string[] | null } | null;
}

export interface RemoteContext {
  readonly address: string;
  readonly port: number;
  /** The name the latest DNS answer before the alert gave the address, if any. */
  readonly name: string | null;
  /** It connected to the process (an accept); false: the process connected to it. */
  readonly inbound: boolean;
}

export class AlertContext {
  readonly procs = new ProcessTable();
  private readonly names = new DnsNames();

  constructor(
    private readonly userName: (uid: number) => string | undefined,
    private readonly containerOf: (cgroupId: bigint) => string | undefined,
  ) {}

  /** A proc row, applied before the detectors see it; an exit after them, so an alert on it still knows the process. */
  procBefore(e: Event<'proc'>): void {
    if (e.kind !== 'exit') this.procs.update(e);
  }

  procAfter(e: Event<'proc'>): void {
    if (e.kind === 'exit') this.procs.update(e);
  }

  dns(e: Event<'dns'>): void {
    this.names.update(e);
  }

  /** The ancestry step grouping walks: a known process's parent. */
  parentOf(pid: number): number | undefined {
    return this.procs.get(pid)?.ppid;
  }

  process(pid: number): ProcessContext {
    const p = this.procs.get(pid);
    if (!p) return { pid, exe: null, argv: null, cwd: null, uid: null, user: null, ppid: null, container_id: null, parent: null };
    const parent = this.procs.get(p.ppid);
    return {
      pid, exe: p.exe, argv: p.argv, cwd: p.cwd, uid: p.uid, user: this.userName(p.uid) ?? null, ppid: p.ppid,
      container_id: this.containerOf(p.cgroupId) ?? null,
      parent: p.ppid === 0 ? null : { pid: p.ppid, exe: parent?.exe ?? null, argv: parent?.argv ?? null },
    };
  }

  remote(r: Endpoint): RemoteContext {
    return { address: String(r.address), port: Number(r.port), name: this.names.nameOf(String(r.address)) ?? null, inbound: r.inbound === true };
  }
}
