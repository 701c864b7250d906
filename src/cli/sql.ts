// `flightrec sql` and `flightrec shell`: DuckDB SQL over recordings or a fleet export.
import { existsSync, mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import type { OutputFile } from '../format/output-file.js';
import { FORMATS, chooseFormat } from '../analyze/formats.js';
import type { Analysis, SessionOptions, Writes } from '../analyze/session.js';
import { DERIVED_VIEWS } from '../analyze/views.js';
import { TABLES } from '../schema/tables.js';
import { escapeLines, escapeText } from '../text/escape.js';
import { damageOption, reportDamage, type DamageFlags } from './damaged.js';

export interface SourceFlags extends DamageFlags {
  cache?: string;
  fleet?: string;
  allowFiles?: boolean;
}

/**
 * Opens the recordings (or the fleet directory) for querying; cache progress on a TTY. The
 * SQL is confined to them unless --allow-files; `writes` makes what flightrec itself writes
 * through DuckDB (see SessionOptions.writes).
 */
export async function openSources(recordings: readonly string[], flags: SourceFlags, writes?: () => Writes): Promise<Analysis> {
  const { Analysis } = await import('../analyze/session.js');
  const session: SessionOptions = { files: flags.allowFiles === true ? 'all' : 'recordings', ...(writes ? { writes } : {}) };
  if (flags.fleet !== undefined) {
    if (recordings.length > 0) throw new UsageError('give recordings or --fleet DIR, not both');
    return Analysis.openFleet(flags.fleet, session);
  }
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const a = await Analysis.open(recordings, {
    ...session,
    ...(flags.cache !== undefined ? { cache: flags.cache } : {}),
    allowDamaged: flags.allowDamaged === true,
    ...(tty ? {
      onProgress: (p) => {
        shown = true;
        process.stderr.write(`\r\x1b[Kcaching ${escapeText(p.recording)} for SQL: ${p.done}/${p.total} table files, ${p.rows.toLocaleString('en-US')} rows`);
      },
    } : {}),
  });
  if (shown) process.stderr.write('\r\x1b[K');
  for (const s of a.sources) reportDamage(s.rec);
  return a;
}

export const sourceOptions = (c: Command): Command => damageOption(c
  .option('--cache <dir>', 'keep the query cache here instead of under $XDG_CACHE_HOME/flightrec')
  .option('--fleet <dir>', 'query a directory written by `flightrec export --parquet` instead of recordings')
  .option('--allow-files', 'let the SQL read and write files besides the recordings (COPY, read_csv, ATTACH...); without it the SQL sees only the recordings. Only for SQL you trust'));

export function register(program: Command): void {
  sourceOptions(program.command('sql')
    .description('run SQL over recordings (DuckDB): tables, derived views such as processes, connections, timeline')
    .argument('<args...>', 'recording directories, then the query (with --fleet: the query only)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: the one -o's extension names, else table)`)
    .option('-o, --output <file>', 'write the result to this file')
    .option('--max-width <columns>', 'the widest a line of the table may be, long cells cut to fit (default: the terminal\'s width; 0: no limit)'))
    .action(async (args: string[], opts: SourceFlags & { format?: string; output?: string; maxWidth?: string }) => {
      const format = chooseFormat(opts.format, opts.output);
      const maxWidth = tableWidth(opts.maxWidth, opts.output);
      const query = args.at(-1)!;
      const recordings = args.slice(0, -1);
      if (opts.fleet === undefined && recordings.length === 0) {
        throw new UsageError(existsSync(query) ? 'give the query after the recording: flightrec sql <recording> "<query>"' : 'give a recording before the query: flightrec sql <recording> "<query>"');
      }
      const { duckdbOutput, writeResult } = await import('../analyze/results.js');
      // A Parquet file is written by DuckDB: its temp file is made before the session is confined, which allows exactly it.
      const out: { file?: OutputFile } = {};
      try {
        const a = await openSources(recordings, opts, () => {
          const file = duckdbOutput(format, opts.output);
          if (file) out.file = file;
          return { files: file ? [file.procPath] : [] };
        });
        try {
          await writeResult(a, query, format, opts.output, out.file, maxWidth);
        } finally {
          a.close();
        }
      } finally {
        out.file?.abort(); // after commit, nothing to do
      }
    });
}

/**
 * How wide a table's lines may be: --max-width (0: no limit), else the terminal's width when
 * the table goes to one; undefined keeps the cut of long cells at 120 characters.
 */
export function tableWidth(flag: string | undefined, out: string | undefined): number | undefined {
  if (flag !== undefined) {
    const n = Number(flag);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--max-width ${flag}: a whole number of columns (0: no limit)`);
    return n === 0 ? Number.MAX_SAFE_INTEGER : n;
  }
  return out === undefined && process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined;
}

export function registerShell(program: Command): void {
  sourceOptions(program.command('shell')
    .description('an interactive SQL prompt over recordings (.tables, .schema, .timer, .help)')
    .argument('[recordings...]', 'recording directories'))
    .action(async (recordings: string[], opts: SourceFlags) => {
      const a = await openSources(recordings, opts);
      try {
        await shell(a);
      } finally {
        a.close();
      }
    });
}

const HELP = `.tables            list tables and views
.schema [name]     columns of a table or view (all when no name)
.timer on|off      show how long each query takes
.help              this text
.quit              leave (or Ctrl-D)
SQL ends with ;    statements may span lines`;

function historyFile(): string {
  return process.env.FLIGHTREC_HISTORY ?? join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'flightrec', 'history');
}

/** Reads statements until end of input; errors are printed and the prompt goes on. */
async function shell(a: Analysis): Promise<void> {
  const [{ renderTable }, { lit }] = await Promise.all([import('../analyze/results.js'), import('../analyze/session.js')]);
  const file = historyFile();
  let history: string[] = [];
  try {
    history = readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000);
  } catch { /* first run */ }
  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive, history, historySize: 1000, prompt: 'flightrec> ' });
  const remember = (line: string): void => {
    if (!interactive) return;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      appendFileSync(file, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
    } catch { /* history is a convenience */ }
  };
  let timer = false;
  let buffer = '';
  const say = (s: string): void => void process.stdout.write(`${escapeLines(s)}\n`);
  if (interactive) say(`flightrec shell over ${a.sources.length === 0 ? 'a fleet export' : a.sources.map((s) => s.name).join(', ')}: .help for commands, SQL ends with ;`);
  rl.prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (buffer === '' && trimmed.startsWith('.')) {
      remember(trimmed);
      const [cmd, arg] = trimmed.split(/\s+/, 2);
      try {
        if (cmd === '.quit' || cmd === '.exit') break;
        else if (cmd === '.help') say(HELP);
        else if (cmd === '.timer') {
          timer = arg === 'on';
          if (arg !== 'on' && arg !== 'off') say('usage: .timer on|off');
        } else if (cmd === '.tables') say(renderTable(await a.query(tablesQuery(lit))));
        else if (cmd === '.schema') {
          say(renderTable(await a.query(`SELECT table_name AS "table", column_name AS "column", data_type AS type FROM information_schema.columns
            WHERE table_schema = 'main'${arg ? ` AND table_name = ${lit(arg)}` : ''} ORDER BY table_name, ordinal_position`)));
        } else say(`unknown command ${cmd}: .help lists them`);
      } catch (err) {
        say(`error: ${(err as Error).message}`);
      }
      rl.prompt();
      continue;
    }
    buffer += `${line}\n`;
    if (!trimmed.endsWith(';')) {
      if (buffer.trim() !== '') rl.setPrompt('      ...> ');
      rl.prompt();
      continue;
    }
    const sql = buffer;
    buffer = '';
    rl.setPrompt('flightrec> ');
    remember(sql.trim());
    const started = performance.now();
    try {
      say(renderTable(await a.query(sql)));
    } catch (err) {
      say(`error: ${(err as Error).message}`);
    }
    if (timer) say(`time: ${((performance.now() - started) / 1000).toFixed(3)} s`);
    rl.prompt();
  }
  rl.close();
}

/** Tables and views with what they hold. */
function tablesQuery(lit: (s: string) => string): string {
  const docs = [...TABLES.map((t) => [t.name, 'table', t.doc]), ...DERIVED_VIEWS.map(([n, d]) => [n, 'view', d]),
    ['recordings', 'table', 'the recordings queried: host, clock, time range'], ['syscall_names', 'table', 'syscall numbers to names per architecture']];
  return `SELECT * FROM (VALUES ${docs.map((r) => `(${r.map((x) => lit(x!)).join(', ')})`).join(', ')}) AS t(name, kind, holds) ORDER BY kind, name`;
}
