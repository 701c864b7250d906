// `flightrec mark`: from another shell, asks the recorder writing a recording for an incident
// recording of the minutes around now (record --incidents), with a note saying why.
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RecordingError, UsageError } from '../format/errors.js';
import { readManifest } from '../format/manifest.js';
import { leaveMark, MAX_NOTE } from '../record/marks.js';
import { escapeText } from '../text/escape.js';
import { say } from './output.js';

/** Where the recorder `pid` writes (its -o, from its own directory), resolved; undefined when that cannot be told. */
function outputOf(pid: number, cmdline: readonly string[]): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < cmdline.length; i++) {
    const a = cmdline[i]!;
    if (a === '--') break; // the launched command's own arguments
    if (a === '-o' || a === '--output') out = cmdline[i + 1];
    else if (a.startsWith('--output=')) out = a.slice('--output='.length);
    else if (a.startsWith('-o') && a.length > 2) out = a.slice(2);
  }
  if (out === undefined) return undefined;
  try {
    return realpathSync(resolve(readlinkSync(`/proc/${pid}/cwd`), out));
  } catch {
    return undefined;
  }
}

/** The recorder writing `dir`, checked: the manifest's writer, still running `flightrec record -o` of this directory, with --incidents. */
function recorderOf(dir: string): { pid: number; incidents: string } {
  const m = readManifest(dir);
  if (m.state !== 'recording') throw new RecordingError('is closed: no recorder is writing it', { file: dir });
  const incidents = (m.source?.incidents as { dir?: unknown } | undefined)?.dir;
  if (typeof incidents !== 'string') throw new RecordingError('is recorded without --incidents: a mark would make no incident recording', { file: dir });
  let cmdline: string[];
  try {
    cmdline = readFileSync(`/proc/${m.writer_pid}/cmdline`, 'utf8').split('\0');
  } catch {
    throw new RecordingError(`its recorder (pid ${m.writer_pid}) is not running: it crashed; \`flightrec seal\` seals what it wrote`, { file: dir });
  }
  // The recorder of this directory: a `record` whose -o is it (the program's own path may be any:
  // an install, a checkout).
  if (!cmdline.includes('record') || outputOf(m.writer_pid, cmdline) !== realpathSync(dir)) {
    throw new RecordingError(`its recorder (pid ${m.writer_pid}) is not running (that pid is another program now): it crashed; \`flightrec seal\` seals what it wrote`, { file: dir });
  }
  return { pid: m.writer_pid, incidents };
}

export function register(program: Command): void {
  program.command('mark')
    .description('ask the recorder writing a recording (record --incidents) for an incident recording of the minutes around now')
    .argument('<recording>', 'the recording being written')
    .option('--note <text>', `why: stored with the incident (one line, at most ${MAX_NOTE} characters)`)
    .action((dir: string, f: { note?: string }) => {
      const note = f.note ?? null;
      if (note !== null && (note.length > MAX_NOTE || /[\r\n]/.test(note))) throw new UsageError(`--note: one line of at most ${MAX_NOTE} characters`);
      const ts = process.hrtime.bigint(); // the recording's clock: the mark's time, not its handling's
      const r = recorderOf(dir);
      leaveMark(r.pid, { ts, note });
      try {
        process.kill(r.pid, 'SIGUSR1');
      } catch (err) {
        throw new RecordingError(`cannot signal its recorder (pid ${r.pid}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: dir });
      }
      say(`marked ${escapeText(dir)}: recorder ${r.pid} writes the incident to ${escapeText(r.incidents)} once its window has passed`);
    });
}
