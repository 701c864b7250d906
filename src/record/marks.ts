// `flightrec mark` asks a running recorder for an incident: it leaves a request (its time and
// note) in the run directory (run-dir.ts) and sends the recorder SIGUSR1, which takes every request left
// for it. A signal carries no data, and a request file keeps the time of the mark, not of its
// handling. The run directory is root's (0700); a request is still read as untrusted: bounded,
// not through a link, checked field by field.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './run-dir.js';

/** A note is one line of at most this many characters. */
export const MAX_NOTE = 1000;
const MAX_REQUEST_BYTES = 8192;

export interface MarkRequest {
  /** When it was made, on the clock of ts (CLOCK_MONOTONIC). */
  readonly ts: bigint;
  readonly note: string | null;
}

const prefix = (recorderPid: number): string => `mark-${recorderPid}-`;

/** Leaves a request for the recorder `recorderPid` (made whole before it can be seen). */
export function leaveMark(recorderPid: number, m: MarkRequest, dir = runDir()): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `${prefix(recorderPid)}${process.pid}-${m.ts}.json`;
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, JSON.stringify({ ts: m.ts.toString(), note: m.note }), { mode: 0o600, flag: 'wx' });
  renameSync(tmp, join(dir, name));
}

/** Takes (reads and removes) the requests left for this recorder; `bad` hears of each that is not one. */
export function takeMarks(recorderPid: number, bad: (file: string, problem: string) => void, dir = runDir()): MarkRequest[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix(recorderPid)) && n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: MarkRequest[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      out.push(readRequest(file));
    } catch (err) {
      bad(file, (err as Error).message);
    } finally {
      try { unlinkSync(file); } catch { /* taken already */ }
    }
  }
  return out;
}

function readRequest(file: string): MarkRequest {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_REQUEST_BYTES) throw new Error(`${st.size} bytes, more than a mark request's ${MAX_REQUEST_BYTES}`);
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, st.size, 0);
    text = buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const o = v as { ts?: unknown; note?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.ts !== 'string' || !/^\d{1,20}$/.test(o.ts)) throw new Error('no ts');
  if (o.note !== null && (typeof o.note !== 'string' || o.note.length > MAX_NOTE)) throw new Error(`the note is not text of at most ${MAX_NOTE} characters`);
  return { ts: BigInt(o.ts), note: o.note };
}
