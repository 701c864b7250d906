// How the CLI ends: one line for the user's mistakes and bad recordings, the stack only
// with --debug.
import { RecordingError, UsageError } from '../format/errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, unsealed: 3 } as const;

export function debugEnabled(): boolean {
  return process.argv.includes('--debug') || process.env.FLIGHTREC_DEBUG === '1';
}

export function fail(err: unknown): never {
  if (debugEnabled()) console.error(err);
  if (err instanceof UsageError) {
    if (!debugEnabled()) console.error(`flightrec: ${err.message}`);
    process.exit(EXIT.usage);
  }
  if (!debugEnabled()) {
    const message = err instanceof RecordingError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)} (run with --debug for details)`;
    console.error(`flightrec: ${message}`);
  }
  process.exit(EXIT.failure);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}
