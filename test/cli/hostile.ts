// Recordings an attacker shaped: program names, paths, arguments and manifest fields that
// hold terminal escape sequences (a window title, a screen clear, an 8-bit CSI).
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';

export const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\u009b31m';
/** HOSTILE as every human-readable output must show it. */
export const HOSTILE_SHOWN = '\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m';
/** A character a terminal acts on (line feeds aside). */
export const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** Exec rows of a program in /tmp named HOSTILE (dangerous-exec fires on them), and file rows of a path holding it. */
export function hostileRecording(dir: string): void {
  const w = RecordingWriter.create(dir, { commandLine: ['flightrec', 'record', '--', `/tmp/${HOSTILE}`], probes: [{ name: `sys_enter${HOSTILE}` }] });
  const rand = rng(5);
  const clock = new SyntheticClock(rand);
  const proc = syntheticRows('proc', 3, clock, rand).map((r, i) => ({
    ...r, pid: 700 + i, tid: 700 + i, ppid: 1, comm: HOSTILE, kind: 'exec', filename: `/tmp/${HOSTILE}`, argv: [`/tmp/${HOSTILE}`, `--title=${HOSTILE}\r\n`],
  }));
  w.append('proc', batchFromRows('proc', proc));
  const file = syntheticRows('file', 3, clock, rand).map((r) => ({ ...r, comm: HOSTILE, path: `/home/${HOSTILE}/notes` }));
  w.append('file', batchFromRows('file', file));
  w.close();
}
