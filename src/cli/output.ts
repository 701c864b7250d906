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

/** `1 row`, `2 rows`: a count with its noun. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The recording against what the kernel handed over: `3.2x smaller than the kernel records`, or larger (a tiny recording, whose headers outweigh its rows). */
export function compression(kernelBytes: number, written: number): string {
  if (written <= 0 || kernelBytes <= 0) return 'nothing to compare with the kernel records';
  const r = kernelBytes / written;
  return r >= 1 ? `${r.toFixed(1)}x smaller than the kernel records` : `${(1 / r).toFixed(1)}x larger than the kernel records`;
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}`;
}

/**
 * The rows each table lost, in words: `812345 syscall rows, 3 proc rows; no file or net rows`.
 * `lost`: per table that lost any (`unknown`: gap rows that do not say, from recordings before
 * schema 5); `others`: tables that could have lost rows, named when they lost none.
 */
export function lostRowsText(lost: Readonly<Record<string, number | string>>, others: readonly string[] = []): string {
  const named = Object.entries(lost).map(([t, n]) => (t === 'unknown' ? `${n} rows of tables not named (recorded before schema 5)` : `${n} ${t} rows`));
  const none = others.filter((t) => !(t in lost));
  return [...(named.length > 0 ? [named.join(', ')] : []), ...(none.length > 0 ? [`no ${orList(none)} rows`] : [])].join('; ');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}
