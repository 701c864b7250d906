// How the CLI speaks to a person: human text escaped line by line (it quotes recordings,
// notebooks and detectors, see text/escape.ts), and how it ends: one line for the user's
// mistakes and bad recordings, the stack only with --debug.
import { inspect } from 'node:util';
import { RecordingError, UsageError } from '../format/errors.js';
import { escapeLines, escapeText } from '../text/escape.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, unsealed: 3 } as const;

export function debugEnabled(): boolean {
  return process.argv.includes('--debug') || process.env.FLIGHTREC_DEBUG === '1';
}

/** Human-readable text to stdout, each line escaped. */
export function say(text: string): void {
  console.log(escapeLines(text));
}

/** Human-readable text to stderr, each line escaped. */
export function warn(text: string): void {
  console.error(escapeLines(text));
}

export function fail(err: unknown): never {
  if (debugEnabled()) warn(inspect(err));
  if (err instanceof UsageError) {
    if (!debugEnabled()) console.error(`flightrec: ${escapeText(err.message)}`);
    process.exit(EXIT.usage);
  }
  if (!debugEnabled()) {
    const message = err instanceof RecordingError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)} (run with --debug for details)`;
    console.error(`flightrec: ${escapeText(message)}`);
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
