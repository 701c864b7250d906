// What to record: a command launched by the recorder, running processes, a cgroup, or the
// whole host. Checked before anything is loaded, so a wrong target is a one-line error.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../format/errors.js';

export type Target =
  | { readonly kind: 'command'; readonly file: string; readonly argv: readonly string[] }
  | { readonly kind: 'pids'; readonly pids: readonly number[] }
  | { readonly kind: 'cgroup'; readonly path: string }
  | { readonly kind: 'all' };

/** Where cgroup v2 is mounted: /sys/fs/cgroup on unified hosts, .../unified on hybrid ones. */
export function cgroup2Root(): string | undefined {
  try {
    const line = readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[2] === 'cgroup2');
    return line?.split(' ')[1];
  } catch {
    return undefined;
  }
}

/** The executable `name` runs as, searched in PATH like a shell does. */
export function resolveCommand(name: string, path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const candidates = name.includes('/') ? [resolve(name)] : path.split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch { /* try the next */ }
  }
  throw new UsageError(name.includes('/') ? `${name}: not an executable file` : `${name}: command not found in PATH`);
}

export function commandTarget(argv: readonly string[]): Target {
  if (argv.length === 0) throw new UsageError('no command after --');
  return { kind: 'command', file: resolveCommand(argv[0]!), argv };
}

export function pidTarget(values: readonly string[]): Target {
  const pids = values.map((v) => {
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`--pid ${v}: not a process id`);
    const pid = Number(v);
    if (pid === process.pid) throw new UsageError(`--pid ${v}: that is the recorder itself, which never records itself`);
    if (!existsSync(`/proc/${pid}`)) throw new UsageError(`--pid ${v}: no such process`);
    return pid;
  });
  return { kind: 'pids', pids };
}

export function cgroupTarget(path: string): Target {
  const root = cgroup2Root();
  if (!root) throw new UsageError('--cgroup: this host has no cgroup v2 hierarchy mounted');
  const full = isAbsolute(path) ? path : join(root, path);
  if (!full.startsWith(`${root}/`) && full !== root || !existsSync(join(full, 'cgroup.procs'))) {
    throw new UsageError(`--cgroup ${path}: not a cgroup v2 directory (give a path under ${root})`);
  }
  return { kind: 'cgroup', path: full };
}

/** Whether any of the target pids is still alive (zombies count as gone). */
export function anyAlive(pids: readonly number[]): boolean {
  return pids.some((pid) => {
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** The target as written into the manifest. */
/** The target in a few words, for a person. */
export function targetText(t: Target): string {
  switch (t.kind) {
    case 'command': return `command ${t.argv.join(' ')}`;
    case 'pids': return `pid${t.pids.length === 1 ? '' : 's'} ${t.pids.join(', ')} and their children`;
    case 'cgroup': return `cgroup ${t.path}`;
    case 'all': return 'the whole host';
  }
}

export function describeTarget(t: Target): Record<string, unknown> {
  switch (t.kind) {
    case 'command': return { kind: 'command', file: t.file, argv: [...t.argv] };
    case 'pids': return { kind: 'pids', pids: [...t.pids] };
    case 'cgroup': return { kind: 'cgroup', path: t.path };
    case 'all': return { kind: 'all' };
  }
}
