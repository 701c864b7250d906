// `flightrec shell`: an interactive DuckDB SQL prompt over recordings or a fleet export, with
// the dot commands of the DuckDB and sqlite3 shells (.mode, .output, .read, .maxrows...). At a
// terminal Ctrl-C stops the running query or clears the line, Ctrl-D on an empty line leaves,
// and TAB completes the session's names. Piped input runs as a script, as in those shells: no
// banner or prompt, results on stdout, each error one line on stderr, exit 1 if any failed.
import { appendFileSync, closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { DuckDBResultReader } from '@duckdb/node-api';
import type { Command } from 'commander';
import { TEXT_FORMATS, type TextFormat } from '../analyze/formats.js';
import type { Analysis } from '../analyze/session.js';
import { OutputFile } from '../format/output-file.js';
import { escapeLines, escapeText } from '../text/escape.js';
import { QUERY_COMMANDS, dotWords } from './dot-commands.js';
import { EXIT } from './output.js';
import { openSources, sourceOptions, tableWidth, type SourceFlags } from './sql.js';
import { chooseTz, tzOption } from './tz.js';
import type { TimeZone } from '../text/time.js';

export function register(program: Command): void {
  tzOption(sourceOptions(program.command('shell')
    .description('an interactive SQL prompt over recordings (.tables, .schema, .mode, .output, .read, .help); piped input runs as a script')
    .argument('[recordings...]', 'recording directories')))
    .action(async (recordings: string[], opts: SourceFlags & { tz?: string }) => {
      const tz = chooseTz(opts.tz);
      const a = await openSources(recordings, opts);
      try {
        await shell(a, tz);
      } finally {
        a.close();
      }
    });
}

/** The dot commands only the shell has; the ones answered by a query are QUERY_COMMANDS. */
const SHELL_COMMANDS: ReadonlyMap<string, { usage: string; help: string }> = new Map([
  ['.mode', { usage: '.mode [format]', help: `how results are shown: ${TEXT_FORMATS.join(', ')} (alone: the current one)` }],
  ['.maxrows', { usage: '.maxrows N', help: 'show at most N rows of a table, counting the others (0: all)' }],
  ['.output', { usage: '.output [file]', help: 'send results to a file, put in place when .output changes or the shell ends; alone: back to the screen' }],
  ['.read', { usage: '.read file', help: 'run the statements and dot commands of a file (it cannot name files: no .output or .read in it)' }],
  ['.timer', { usage: '.timer on|off', help: 'show how long each query takes' }],
  ['.help', { usage: '.help', help: 'this text' }],
  ['.quit', { usage: '.quit', help: 'leave (also .exit, or Ctrl-D on an empty line)' }],
  ['.exit', { usage: '.exit', help: 'leave' }],
]);

const COMMANDS = [...QUERY_COMMANDS, ...SHELL_COMMANDS].map(([name]) => name).sort();

const HELP = [
  ...[...QUERY_COMMANDS.values(), ...[...SHELL_COMMANDS].filter(([n]) => n !== '.exit').map(([, c]) => c)].map((c) => `${c.usage.padEnd(19)}${c.help}`),
  'SQL ends with ;    statements may span lines',
  'Ctrl-C             stop the running query, or clear the line',
  'TAB                complete the names of tables, views, columns and commands',
].join('\n');

/**
 * A file `.read` runs may hold someone else's SQL, as a notebook may: it runs confined like any
 * statement, and the commands that name files (.output, .read) are taken only from the person
 * at the prompt or the piped input, never from a file read.
 */
const FROM_PROMPT = 'a file .read runs cannot name files: give .output and .read at the prompt';

/** The largest file `.read` takes. */
const MAX_READ_BYTES = 16 * 2 ** 20;

/** DuckDB's names for the modes that are flightrec's formats. */
const MODE_ALIASES: Readonly<Record<string, TextFormat>> = { duckbox: 'table', jsonlines: 'jsonl' };

/** How the shell writes results: results.ts, loaded with DuckDB once a session is open. */
type Writers = Pick<typeof import('../analyze/results.js'), 'writeText' | 'writeStdout'>;

/** Lines from one place: the terminal or stdin (no file), or a file `.read` runs; and the statement they are building. */
class Input {
  buffer = '';
  /** The number of the line read last. */
  line = 0;
  /** The line the statement or command being run starts on. */
  start = 0;
  constructor(readonly file?: string) {}
}

/** What one session of the shell holds: the output settings and whether a statement failed. */
class Shell {
  private mode: TextFormat = 'table';
  private maxRows = Infinity;
  private timer = false;
  /** The file of `.output FILE`; stdout when undefined. */
  private out: OutputFile | undefined;
  /** A statement or command failed: piped input then ends with exit 1. */
  failed = false;
  /** Ctrl-C: nothing more runs until the driver takes a line typed after it. */
  private stopped = false;

  constructor(
    private readonly a: Analysis,
    private readonly writers: Writers,
    private readonly interactive: boolean,
    private readonly remember: (text: string) => void,
    private readonly tz: TimeZone,
  ) {}

  /** Stops the running query and what would run after it (the rest of its text, of a `.read` file). */
  interrupt(): void {
    this.stopped = true;
    this.failed = true;
    this.a.interrupt();
  }

  resume(): void {
    this.stopped = false;
  }

  /** Takes one line of input; false when it asks to leave. */
  async line(input: Input, text: string): Promise<boolean> {
    input.line++;
    const trimmed = text.trim();
    if (input.buffer === '') {
      if (trimmed === '') return true;
      input.start = input.line;
      if (trimmed.startsWith('.')) {
        if (input.file === undefined) this.remember(trimmed);
        return this.command(input, trimmed);
      }
    }
    input.buffer += `${text}\n`;
    if (trimmed.endsWith(';')) await this.statements(input);
    return true;
  }

  /** The end of an input: a statement left without its `;` runs, as in sqlite3. */
  async end(input: Input): Promise<void> {
    if (input.buffer.trim() !== '' && !this.stopped) await this.statements(input);
    input.buffer = '';
  }

  /** Puts the `.output` file in place. */
  close(): void {
    const out = this.out;
    this.out = undefined;
    out?.commit();
  }

  private async statements(input: Input): Promise<void> {
    const sql = input.buffer;
    input.buffer = '';
    if (input.file === undefined) this.remember(sql.trim());
    await this.run(input, sql);
  }

  private async run(input: Input, sql: string): Promise<void> {
    if (this.stopped) return this.report(input, new Error('interrupted'));
    const started = performance.now();
    try {
      this.show(await this.a.query(sql));
    } catch (err) {
      this.report(input, err);
    }
    if (this.timer) this.say(`time: ${((performance.now() - started) / 1000).toFixed(3)} s`);
  }

  /** A result in the current mode, to the `.output` file or the screen. */
  private show(r: DuckDBResultReader): void {
    const file = this.out;
    // CSV and JSON keep the exact values, but not on a terminal: text a person sees carries no control characters.
    const tty = file === undefined && process.stdout.isTTY === true && this.mode !== 'table';
    const write = file ? (s: string): void => file.write(s) : (s: string): void => this.writers.writeStdout(tty ? escapeLines(s) : s);
    try {
      this.writers.writeText(r, this.mode, write, { maxWidth: file ? undefined : tableWidth(undefined, undefined), maxRows: this.maxRows, tz: this.tz });
    } catch (err) {
      // A file that could not take a result (a full disk) is dropped, not put in place half-written.
      if (file) {
        this.out = undefined;
        file.abort();
      }
      throw err;
    }
  }

  private async command(input: Input, line: string): Promise<boolean> {
    const [name = '', ...args] = dotWords(line);
    const usage = (): void => this.report(input, new Error(`usage: ${(QUERY_COMMANDS.get(name) ?? SHELL_COMMANDS.get(name))!.usage}`));
    const query = QUERY_COMMANDS.get(name);
    if (query) {
      if (args.length > 1) usage();
      else await this.run(input, query.sql(args[0]));
      return true;
    }
    switch (name) {
      case '.quit': case '.exit': return false;
      case '.help': this.say(HELP); break;
      case '.timer':
        if (args.length !== 1 || (args[0] !== 'on' && args[0] !== 'off')) usage();
        else this.timer = args[0] === 'on';
        break;
      case '.mode': {
        if (args.length === 0) this.say(`current output mode: ${this.mode}`);
        else if (args.length > 1) usage();
        else {
          const mode = MODE_ALIASES[args[0]!] ?? args[0]!;
          if ((TEXT_FORMATS as readonly string[]).includes(mode)) this.mode = mode as TextFormat;
          else this.report(input, new Error(`unknown mode ${args[0]}: use one of ${TEXT_FORMATS.join(', ')}`));
        }
        break;
      }
      case '.maxrows': {
        const n = Number(args[0]);
        if (args.length !== 1 || !Number.isSafeInteger(n) || n < 0) usage();
        else this.maxRows = n === 0 ? Infinity : n;
        break;
      }
      case '.output':
        if (input.file !== undefined) this.report(input, new Error(FROM_PROMPT));
        else if (args.length > 1) usage();
        else {
          try {
            this.close();
            // The same writer as `sql -o`: a temp file beside the name, renamed onto it, never written through a link.
            if (args[0] !== undefined) this.out = OutputFile.create(args[0]);
          } catch (err) {
            this.report(input, err);
          }
        }
        break;
      case '.read':
        if (input.file !== undefined) this.report(input, new Error(FROM_PROMPT));
        else if (args.length !== 1) usage();
        else return this.read(input, args[0]!);
        break;
      default: this.report(input, new Error(`unknown command ${name}: .help lists them`));
    }
    return true;
  }

  /**
   * `.read FILE`: its lines as if typed, until its end, `.quit` or Ctrl-C. A regular file of at
   * most MAX_READ_BYTES (a FIFO or /dev/zero would hang or fill memory).
   */
  private async read(input: Input, file: string): Promise<boolean> {
    let text: string;
    try {
      const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw new Error(`.read ${file}: not a regular file`);
        if (st.size > MAX_READ_BYTES) throw new Error(`.read ${file}: ${st.size} bytes; .read takes files of at most ${MAX_READ_BYTES / 2 ** 20} MiB`);
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.report(input, code === undefined ? err : new Error(`cannot read ${file} (${code})`));
      return true;
    }
    const from = new Input(file);
    for (const line of text.split(/\r?\n/)) {
      if (this.stopped) break;
      if (!(await this.line(from, line))) return false;
    }
    await this.end(from);
    return true;
  }

  /** Text for the person at the shell, escaped. */
  say(text: string): void {
    this.writers.writeStdout(`${escapeLines(text)}\n`);
  }

  /** An error as one line on stderr, saying where when the input is not the terminal: `line 3:`, `q.sql: line 3:`. */
  private report(input: Input, err: unknown): void {
    this.failed = true;
    const at = input.file !== undefined ? `${input.file}: line ${input.start}: ` : this.interactive ? '' : `line ${input.start}: `;
    process.stderr.write(`${this.interactive ? 'error' : 'flightrec'}: ${escapeText(at + ((err as Error)?.message ?? String(err)))}\n`);
  }
}

/** Names TAB completes: the dot commands, and the session's tables and views with their columns. */
export class Completions {
  private constructor(private readonly columns: ReadonlyMap<string, readonly string[]>) {}

  /** The tables, views and columns of the session, from information_schema. */
  static async of(a: Analysis): Promise<Completions> {
    const rows = (await a.query(`SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'main' ORDER BY table_name, ordinal_position`)).getRowsJson() as string[][];
    const columns = new Map<string, string[]>();
    for (const [t, c] of rows) columns.set(t!, [...(columns.get(t!) ?? []), c!]);
    return new Completions(columns);
  }

  /** readline's completer: the candidates for the word before the cursor, and that word. */
  complete(line: string): [string[], string] {
    const words = /^\s*(\.\S*)(?:\s+(?:\S+\s+)*(\S*))?$/.exec(line);
    if (words) {
      const [, command, arg] = words;
      if (arg === undefined) return [matching(COMMANDS, command!), command!];
      const args = command === '.mode' ? TEXT_FORMATS : command === '.timer' ? ['on', 'off']
        : QUERY_COMMANDS.has(command!) ? [...this.columns.keys()] : [];
      return [matching(args, arg), arg];
    }
    const word = /(?:[A-Za-z_][\w$]*\.)?[\w$]*$/.exec(line)![0];
    if (word === '') return [[], ''];
    const dot = word.indexOf('.');
    if (dot >= 0) {
      // `t.col`: the columns of t when it is a table or view, else of all (t may be an alias).
      const table = word.slice(0, dot);
      const own = [...this.columns].find(([t]) => t.toLowerCase() === table.toLowerCase())?.[1];
      const names = own ?? [...new Set([...this.columns.values()].flat())];
      return [matching(names.map((c) => `${table}.${c}`), word), word];
    }
    return [matching([...new Set([...this.columns.keys(), ...[...this.columns.values()].flat()])], word), word];
  }
}

/** The names that start with `prefix`, case aside (SQL names are), sorted. */
function matching(names: readonly string[], prefix: string): string[] {
  const p = prefix.toLowerCase();
  return names.filter((n) => n.toLowerCase().startsWith(p)).sort();
}

/** Lines read and not yet run, in order; null stands for the end of input. */
class Lines<T> {
  private readonly queued: Array<T | null> = [];
  private waiting: ((l: T | null) => void) | undefined;
  /** Whether a line is being run or waits to be: Ctrl-C then interrupts instead of clearing the prompt. */
  busy = false;

  push(l: T | null): void {
    this.busy = true;
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w(l);
    else this.queued.push(l);
  }

  get empty(): boolean {
    return this.queued.length === 0;
  }

  next(): Promise<T | null> {
    if (this.queued.length > 0) return Promise.resolve(this.queued.shift()!);
    this.busy = false;
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}

const PROMPT = 'flightrec> ';
const MORE = '      ...> ';

function historyFile(): string {
  return process.env.FLIGHTREC_HISTORY ?? join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'flightrec', 'history');
}

/**
 * Drops the half-typed line and moves to a new one, with readline's own clearLine (what
 * Node's REPL does on Ctrl-C); where a Node lacks it, by deleting the line.
 */
function dropLine(rl: Interface): void {
  const clearLine = (rl as unknown as { clearLine?: () => void }).clearLine;
  if (typeof clearLine === 'function') return clearLine.call(rl);
  rl.write(null, { ctrl: true, name: 'e' });
  rl.write(null, { ctrl: true, name: 'u' });
  process.stdout.write('\n');
}

/** Runs what stdin gives until its end or `.quit`: typed at a terminal, or piped in as a script. */
async function shell(a: Analysis, tz: TimeZone): Promise<void> {
  const writers = await import('../analyze/results.js');
  const interactive = process.stdin.isTTY === true;
  const file = historyFile();
  const remember = (text: string): void => {
    if (!interactive) return;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      appendFileSync(file, `${text.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
    } catch { /* history is a convenience */ }
  };
  const sh = new Shell(a, writers, interactive, remember, tz);
  const input = new Input();
  let rl: Interface;
  // A line carries the number of Ctrl-Cs before it was read: one typed ahead of a Ctrl-C is dropped.
  const lines = new Lines<{ text: string; interrupts: number }>();
  let interrupts = 0;
  // As in sqlite3: Ctrl-C stops a script's query and the script; a second one ends the process.
  const stopScript = (): void => {
    interrupts++;
    sh.interrupt();
    rl.close();
  };
  if (interactive) {
    let history: string[] = [];
    try {
      history = readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000);
    } catch { /* first run */ }
    const names = await Completions.of(a);
    rl = createInterface({
      input: process.stdin, output: process.stdout, terminal: true, history, historySize: 1000, prompt: PROMPT,
      completer: (line: string) => names.complete(line),
    });
    // readline in raw mode: Ctrl-C is a key, not a signal.
    rl.on('SIGINT', () => {
      if (lines.busy) {
        interrupts++;
        sh.interrupt();
      } else {
        dropLine(rl);
        input.buffer = '';
        rl.setPrompt(PROMPT);
        rl.prompt();
      }
    });
    sh.say(`flightrec shell over ${a.sources.length === 0 ? 'a fleet export' : a.sources.map((s) => s.name).join(', ')}: .help for commands, SQL ends with ;`);
    rl.prompt();
  } else {
    rl = createInterface({ input: process.stdin, terminal: false });
    process.once('SIGINT', stopScript);
  }
  rl.on('line', (text) => lines.push({ text, interrupts }));
  rl.on('close', () => lines.push(null));
  try {
    for (let l = await lines.next(); l !== null; l = await lines.next()) {
      if (l.interrupts === interrupts) {
        sh.resume();
        if (!(await sh.line(input, l.text))) break;
      }
      if (interactive && lines.empty) {
        rl.setPrompt(input.buffer === '' ? PROMPT : MORE);
        rl.prompt();
      }
    }
    await sh.end(input);
  } finally {
    process.off('SIGINT', stopScript);
    rl.close();
    // After .quit or a script's Ctrl-C, stdin may still be open: what is left is not read, and must not keep the process alive.
    process.stdin.destroy();
    sh.close();
  }
  if (!interactive && sh.failed) process.exitCode = EXIT.failure;
}
