// Helpers for the tests that record on the real kernel. They need root and BTF; where those
// are missing they skip with the reason printed, except under CI, where a skip is a failure.
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Recording } from '../../src/format/recording.js';
import { SYSCALL_NAMES } from '../../src/schema/syscalls.generated.js';
import type { TableName } from '../../src/schema/tables.js';
import { CLI, ROOT } from '../helpers.js';

export const WORKLOADS = join(ROOT, 'native', 'build', 'workloads');

function missing(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'no kernel BTF';
  if (!existsSync(join(ROOT, 'native', 'build', 'flightrec.node'))) return 'native addon not built';
  return undefined;
}

/** Whether the kernel tests run here; throws under CI when they cannot. */
export function kernelAvailable(): boolean {
  const why = missing();
  if (why === undefined) return true;
  if (process.env.CI) throw new Error(`kernel tests cannot run in CI: ${why}`);
  console.warn(`skipping kernel tests: ${why}`);
  return false;
}

export interface Recorded {
  code: number | null;
  stderr: string;
  dir: string;
}

/** `flightrec record -q -o dir [flags] -- command...` */
export function record(dir: string, flags: readonly string[], command: readonly string[], timeoutMs = 60_000): Recorded {
  const r = spawnSync(process.execPath, [CLI, 'record', '-q', '-o', dir, ...flags, '--', ...command], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stderr: r.stderr, dir };
}

export type Row = Record<string, unknown>;

/** Every row of a table, as plain objects (bigints kept). */
export function rows(dir: string, table: TableName): Row[] {
  const rec = Recording.open(dir);
  const out: Row[] = [];
  if (!rec.tables().includes(table)) return out;
  for (const b of rec.batches(table)) for (const r of b) out.push(r.toJSON() as Row);
  return out;
}

const X86_64 = Object.entries(SYSCALL_NAMES.x86_64);
/** The x86_64 number of a syscall. */
export function nr(name: string): number {
  const e = X86_64.find(([, n]) => n === name);
  if (!e) throw new Error(`no syscall ${name}`);
  return Number(e[0]);
}
export const NR = { execve: nr('execve'), read: nr('read'), openat: nr('openat'), getppid: nr('getppid'), exit_group: nr('exit_group') } as const;

export interface Program {
  readonly id: number;
  readonly name: string;
}

/** The BPF programs loaded now (bpftool). */
export function loadedPrograms(): Program[] {
  return (JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' })) as Array<{ id: number; name?: string }>)
    .map((p) => ({ id: p.id, name: p.name ?? '' }));
}

/** The BPF programs attached through links that process `pid` holds: "some recorder attached"
 * is not "this recorder attached", whatever else runs on the machine. */
export function attachedPrograms(pid: number): Program[] {
  const names = new Map(loadedPrograms().map((p) => [p.id, p.name]));
  const out: Program[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out; // gone
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf_link') continue;
      const id = /^prog_id:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (id) out.push({ id: Number(id[1]), name: names.get(Number(id[1])) ?? '' });
    } catch { /* closed meanwhile */ }
  }
  return out;
}

/** Waits until the recorder `pid` has attached the syscall and proc programs (it loads, then
 * attaches), and returns what it attached; on a loaded or emulated machine that can take a while. */
export async function recorderAttached(pid: number): Promise<Program[]> {
  const want = ['fr_sys_enter', 'fr_sys_exit', 'fr_proc_fork', 'fr_proc_exec'];
  for (let i = 0; i < 1200; i++) {
    const attached = attachedPrograms(pid);
    if (want.every((p) => attached.some((a) => a.name === p))) return attached;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the recorder did not attach its programs in 60 s');
}

/** Processes a test started (recorders, workloads): killed after each test (killStarted), so
 * one that a failing test left running does not go on recording the host. */
const started = new Map<ChildProcess, boolean>();

/** `child`, killed after the test if it still runs; `group`: its whole process group (spawned detached). */
export function track<T extends ChildProcess>(child: T, group = false): T {
  started.set(child, group);
  child.once('exit', () => started.delete(child));
  return child;
}

export function killStarted(): void {
  for (const [child, group] of started) {
    try {
      if (group) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch { /* gone */ }
  }
  started.clear();
}
