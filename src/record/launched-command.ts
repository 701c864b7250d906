// The command `flightrec record -- cmd` launches: held until its pid is a target, released once
// the programs are attached, reaped when it ends.
import type { Addon } from './native.js';

export class LaunchedCommand {
  /** Its wait status, once reaped. */
  private status: number | null = null;

  private constructor(private readonly addon: Addon, readonly pid: number, private readonly gate: number) {}

  /** Forks it with this process's environment; it waits for release() before it execs. */
  static spawnHeld(addon: Addon, file: string, argv: readonly string[]): LaunchedCommand {
    const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
    const { pid, gate } = addon.spawnHeld(file, argv, env);
    return new LaunchedCommand(addon, pid, gate);
  }

  release(): void {
    this.addon.release(this.gate);
  }

  /** Reaps it if it has ended; true once it has. */
  reap(): boolean {
    if (this.status === null) this.status = this.addon.reap(this.pid);
    return this.status !== null;
  }

  get ended(): boolean {
    return this.status !== null;
  }

  signal(sig: NodeJS.Signals): void {
    try { process.kill(this.pid, sig); } catch { /* already gone */ }
  }

  /** Kills it before it ever ran (the recording could not start). */
  kill(): void {
    this.signal('SIGKILL');
    this.addon.reap(this.pid);
  }

  /** How it ended, once reaped: its exit code, or the signal that ended it. */
  exit(): { code: number | null; signal: number | null } | undefined {
    if (this.status === null) return undefined;
    const signal = this.status & 0x7f;
    return signal === 0 ? { code: (this.status >> 8) & 0xff, signal: null } : { code: null, signal };
  }
}
