import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';

export const ROOT = packageRoot();
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export function tempDir(prefix = 'flightrec-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI; a hang fails the test through the timeout. */
export function cli(...args: string[]): CliResult {
  return cliWith({}, ...args);
}

/** cli() with variables added to the environment. */
export function cliWith(env: Readonly<Record<string, string>>, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface TimedResult extends CliResult {
  /** Killed for running past the limit. */
  timedOut: boolean;
}

/** Run the built CLI, killed after `ms`: a hostile recording must not make a command hang. */
export function cliWithin(ms: number, ...args: string[]): TimedResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: ms, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
}

/** What is under `root`, links not followed and FIFOs not opened: kind, size, mtime and content hash of each entry. */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.isDirectory()) {
      out.set(p, `dir ${st.mode & 0o7777}`);
      for (const e of readdirSync(p)) walk(join(p, e));
    } else if (st.isSymbolicLink()) out.set(p, `link ${readlinkSync(p)}`);
    else if (st.isFile()) out.set(p, `file ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    else out.set(p, `special ${st.mode} ${st.mtimeMs}`);
  };
  walk(root);
  return out;
}

/**
 * Runs a shell script as root in a private mount namespace, where it may mount a tmpfs
 * (a full disk, a read-only mount) without touching the host's mounts. Undefined, with the
 * reason printed, where that is not possible (not root, no unshare).
 */
export function inMountNamespace(script: string): { code: number | null; stdout: string; stderr: string } | undefined {
  if (process.getuid?.() !== 0) {
    console.log('skipped: needs root to mount a tmpfs in a private mount namespace');
    return undefined;
  }
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `set -e\n${script}`], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE: process.execPath, FLIGHTREC: CLI },
  });
  if (r.error) {
    console.log(`skipped: unshare -m failed (${r.error.message})`);
    return undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The events alerts were raised on, as `seq title` lines: a group's summary
 * stands for every alert folded into it (its related_seqs, the first's too), which hunts list
 * one by one.
 */
export function alertEvents(alerts: ReadonlyArray<{ seq: bigint | number; title: string; evidence: string | object; related_seqs: ReadonlyArray<bigint | number> }>): string[] {
  const out = new Set<string>();
  for (const a of alerts) {
    const evidence = (typeof a.evidence === 'string' ? JSON.parse(a.evidence) : a.evidence) as { group?: unknown };
    if (evidence.group === undefined) out.add(`${a.seq} ${a.title}`);
    else for (const s of a.related_seqs) out.add(`${s} ${a.title.replace(/ \(\d+ alerts from this process tree\)$/, '')}`);
  }
  return [...out];
}
