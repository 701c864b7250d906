// The flightrec command line: every command registered on one commander program. Kept apart
// from main.ts, which runs it, so the program can be built without running it.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { examplesHelp } from './examples.js';

/**
 * Every command, in the order --help lists them, by the module that defines it: loaded when its
 * command is, so a run loads only its own command's modules (every command's came to ~17 ms of
 * the ~50 ms flightrec added to Node's start, issue 22). `completion` and `man` describe the
 * whole program, so they have every command.
 */
const COMMANDS: ReadonlyArray<readonly [readonly string[], () => Promise<{ register: (program: Command) => void }>]> = [
  [['record'], () => import('./record.js')],
  [['mark'], () => import('./mark.js')],
  [['status'], () => import('./status.js')],
  [['doctor'], () => import('./doctor.js')],
  [['info'], () => import('./info.js')],
  [['verify'], () => import('./verify.js')],
  [['seal'], () => import('./seal.js')],
  [['replay', 'detectors'], () => import('./replay.js')],
  [['sigma', 'hunt'], () => import('./sigma.js')],
  [['baseline'], () => import('./baseline.js')],
  [['slice'], () => import('./slice.js')],
  [['sql'], () => import('./sql.js')],
  [['shell'], () => import('./shell.js')],
  [['export'], () => import('./export.js')],
  [['notebook'], () => import('./notebook.js')],
  [['demo'], () => import('./demo.js')],
  [['completion'], () => import('./completion.js')],
  [['man'], () => import('./man.js')],
];

/** The commands that read the whole program (completion scripts, the man page). */
const WHOLE = new Set(['completion', 'man']);

// Commander's errors are silenced: main.ts says them in one line. The only other thing it writes
// to stderr is the help of a command called without its subcommand (`flightrec`, `flightrec
// notebook`); that is a request for help, so it goes to stdout and main.ts exits 0.
const OUTPUT = { outputError: (): void => undefined, writeErr: (s: string): boolean => process.stdout.write(s) };

/**
 * The program with every command; given a command line (the arguments after the script), only
 * the command it names, when it names one (its first word that is not an option: the program's
 * own options take no value). Help, a mistyped command and the bare program get them all.
 */
export async function program(args?: readonly string[]): Promise<Command> {
  const p = new Command('flightrec')
    .description('a flight recorder for Linux hosts: eBPF capture into Arrow recordings, replay, detectors and SQL')
    .version(VERSION)
    .option('--debug', 'show stack traces for errors')
    .configureOutput(OUTPUT)
    .exitOverride();
  const named = args?.find((a) => !a.startsWith('-'));
  const own = COMMANDS.filter(([names]) => named !== undefined && names.includes(named) && !WHOLE.has(named));
  const chosen = own.length > 0 ? own : COMMANDS;
  for (const [names, { register }] of await Promise.all(chosen.map(async ([names, load]) => [names, await load()] as const))) {
    const before = p.commands.length;
    register(p);
    const made = p.commands.slice(before).map((c) => c.name());
    if (made.join() !== names.join()) throw new Error(`program.ts lists ${names.join(', ')} for a module that registers ${made.join(', ')}`);
  }
  // Every command's help ends with its examples (examples.ts), which the man page shows too.
  const finish = (c: Command, path: string[]): void => {
    if (path.length > 0) c.exitOverride().configureOutput(OUTPUT);
    c.addHelpText('after', examplesHelp(path));
    for (const sub of c.commands) finish(sub, [...path, sub.name()]);
  };
  finish(p, []);
  return p;
}
