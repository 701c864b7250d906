import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
