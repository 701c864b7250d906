// The processes of a recording as its proc table tells them, for detectors and for the alert
// context the runtime adds. One tracker serves all of them: Sigma's fields, the built-ins'
// bookkeeping and the alerts' evidence read a process alike.
import type { Event } from './api.js';

/** A process as its latest proc row says. */
export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** The program: exec and snapshot rows carry its own, fork rows its parent's, which it runs until it execs. */
  readonly exe: string | null;
  readonly argv: readonly string[] | null;
  readonly cwd: string | null;
  /** Real and effective uid; a detector that follows set*id calls may update its own table's. */
  uid: number;
  euid: number;
  /** The audit login uid (4294967295 unset); null where the recording has none. */
  readonly loginuid: number | null;
  readonly cgroupId: bigint;
  /** Forked in the recording and not executed since: it runs its parent's program. */
  readonly forkedOnly: boolean;
}

/**
 * Each process as its latest proc row says (a new object per row, so one kept from before
 * still says how it was then), forgotten at its exit. Sigma hunts read the same from SQL (an
 * ASOF join on the latest proc row: sigma/hunt.ts), so this must stay that simple.
 */
export class ProcessTable {
  private readonly byPid = new Map<number, Proc>();

  get(pid: number): Proc | undefined {
    return this.byPid.get(pid);
  }

  /** Applies a proc row; returns the process as it is now (an exited one is forgotten, and returned as it was). */
  update(e: Event<'proc'>): Proc {
    const kind = e.kind;
    // Recordings before schema 2 have fork rows without the parent's program: it is the parent's as known.
    const from = kind === 'fork' && e.filename === null ? this.byPid.get(e.ppid) : undefined;
    const p: Proc = {
      pid: e.pid, ppid: e.ppid, comm: e.comm, exe: from ? from.exe : e.filename, argv: from ? from.argv : e.argv, cwd: from ? from.cwd : e.cwd, uid: e.uid, euid: e.euid, loginuid: e.loginuid,
      cgroupId: e.cgroup_id, forkedOnly: kind === 'fork',
    };
    if (kind === 'exit') this.byPid.delete(e.pid);
    else this.byPid.set(e.pid, p);
    return p;
  }

  /** Pids of the known live processes running the program at `path`. */
  running(path: string): number[] {
    const out: number[] = [];
    for (const p of this.byPid.values()) if (p.exe === path) out.push(p.pid);
    return out;
  }
}

/** A command line as Sysmon for Linux writes it: the arguments joined by spaces. */
export const commandLine = (argv: readonly string[] | null | undefined): string | undefined => argv?.join(' ');
