// `flightrec shell`: an interactive DuckDB SQL prompt over recordings or a fleet export.
import { mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Analysis } from '../analyze/session.js';
import { DERIVED_VIEWS } from '../analyze/views.js';
import { TABLES } from '../schema/tables.js';
import { escapeLines } from '../text/escape.js';
import { openSources, sourceOptions, type SourceFlags } from './sql.js';

export function register(program: Command): void {
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
