// `flightrec sql`: DuckDB SQL over recordings or a fleet export, and how the commands that
// query them (sql, shell, export, notebook run) open what they query.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import type { OutputFile } from '../format/output-file.js';
import { FORMATS, chooseFormat, type Format } from '../analyze/formats.js';
import type { Analysis, SessionOptions, Writes } from '../analyze/session.js';
import { escapeText } from '../text/escape.js';
import { damageOption, reportDamage, type DamageFlags } from './damaged.js';
import { QUERY_COMMANDS, dotQuery } from './dot-commands.js';
import { chooseTz, tzOption } from './tz.js';
import type { TimeZone } from '../text/time.js';

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
  for (const s of a.sources) await reportDamage(s.rec);
  return a;
}

export const sourceOptions = (c: Command): Command => damageOption(c
  .option('--cache <dir>', 'keep the query cache here instead of under $XDG_CACHE_HOME/flightrec')
  .option('--fleet <dir>', 'query a directory written by `flightrec export --parquet` instead of recordings')
  .option('--allow-files', 'let the SQL read and write files besides the recordings (COPY, read_csv, ATTACH...); without it the SQL sees only the recordings. Only for SQL you trust'));

export function register(program: Command): void {
  tzOption(sourceOptions(program.command('sql')
    .description('run SQL over recordings (DuckDB): tables, derived views such as processes, connections, timeline')
    .argument('<args...>', `recording directories, then the query (with --fleet: the query only), or one of the shell's ${[...QUERY_COMMANDS.values()].map((c) => c.usage).join(', ')}`)
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: the one -o's extension names, else table)`)
    .option('-o, --output <file>', 'write the result to this file')
    .option('--max-width <columns>', 'the widest a line of the table may be, long cells cut to fit (default: the terminal\'s width; 0: no limit)')))
    .action(async (args: string[], opts: SourceFlags & { format?: string; output?: string; maxWidth?: string; tz?: string }) => {
      const format = chooseFormat(opts.format, opts.output);
      const maxWidth = tableWidth(opts.maxWidth, opts.output);
      const recordings = args.slice(0, -1);
      if (opts.fleet === undefined && recordings.length === 0) {
        throw new UsageError(existsSync(args.at(-1)!) ? 'give the query after the recording: flightrec sql <recording> "<query>"' : 'give a recording before the query: flightrec sql <recording> "<query>"');
      }
      await runQuery(recordings, opts, commandQuery(args.at(-1)!), format, opts.output, maxWidth, chooseTz(opts.tz));
    });
}

/** Runs one query over the recordings (or fleet) and writes its result as `format`, to `output` or stdout; a table shows times in `tz`. */
export async function runQuery(recordings: readonly string[], flags: SourceFlags, query: string, format: Format, output: string | undefined, maxWidth: number | undefined, tz: TimeZone): Promise<void> {
  const { duckdbOutput, writeResult } = await import('../analyze/results.js');
  // A Parquet file is written by DuckDB: its temp file is made before the session is confined, which allows exactly it.
  const out: { file?: OutputFile } = {};
  try {
    const a = await openSources(recordings, flags, () => {
      const file = duckdbOutput(format, output);
      if (file) out.file = file;
      return { files: file ? [file.procPath] : [] };
    });
    try {
      await writeResult(a, query, format, output, out.file, maxWidth, tz);
    } finally {
      a.close();
    }
  } finally {
    out.file?.abort(); // after commit, nothing to do
  }
}

/** The query, or what a dot command of the shell that is a query (`.tables`) runs. */
function commandQuery(text: string): string {
  if (!text.trimStart().startsWith('.')) return text;
  const sql = dotQuery(text);
  if (sql === undefined) {
    throw new UsageError(`${text.trim().split(/\s+/)[0]}: flightrec sql takes ${[...QUERY_COMMANDS.values()].map((c) => c.usage).join(' or ')} in place of a query; the other dot commands are flightrec shell's`);
  }
  return sql;
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
