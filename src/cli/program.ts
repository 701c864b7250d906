// The flightrec command line: every command registered on one commander program. Kept apart
// from main.ts, which runs it, so the program can be built without running it.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { register as baseline } from './baseline.js';
import { register as completion } from './completion.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as exportCommand } from './export.js';
import { examplesHelp } from './examples.js';
import { register as info } from './info.js';
import { register as man } from './man.js';
import { register as notebook } from './notebook.js';
import { register as recordCommand } from './record.js';
import { register as replay } from './replay.js';
import { register as seal } from './seal.js';
import { register as slice } from './slice.js';
import { register as shell } from './shell.js';
import { register as sigma } from './sigma.js';
import { register as sql } from './sql.js';
import { register as verify } from './verify.js';

// Commander's errors are silenced: main.ts says them in one line. The only other thing it writes
// to stderr is the help of a command called without its subcommand (`flightrec`, `flightrec
// notebook`); that is a request for help, so it goes to stdout and main.ts exits 0.
const OUTPUT = { outputError: (): void => undefined, writeErr: (s: string): boolean => process.stdout.write(s) };

export function program(): Command {
  const p = new Command('flightrec')
    .description('a flight recorder for Linux hosts: eBPF capture into Arrow recordings, replay, detectors and SQL')
    .version(VERSION)
    .option('--debug', 'show stack traces for errors')
    .configureOutput(OUTPUT)
    .exitOverride();
  for (const register of [recordCommand, doctor, info, verify, seal, replay, sigma, baseline, slice, sql, shell, exportCommand, notebook, demo, completion, man]) register(p);
  // Every command's help ends with its examples (examples.ts), which the man page shows too.
  const finish = (c: Command, path: string[]): void => {
    if (path.length > 0) c.exitOverride().configureOutput(OUTPUT);
    c.addHelpText('after', examplesHelp(path));
    for (const sub of c.commands) finish(sub, [...path, sub.name()]);
  };
  finish(p, []);
  return p;
}
