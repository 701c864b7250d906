// The dot commands a session answers with a query (.tables, .schema): the shell runs them as
// it runs SQL (in its .mode, to its .output), and `flightrec sql REC ".tables"` takes them in
// place of a query. Their patterns are LIKE patterns, as in the DuckDB and sqlite3 shells.
import { lit } from '../analyze/literals.js';
import { DERIVED_VIEWS } from '../analyze/views.js';
import { UsageError } from '../format/errors.js';
import { TABLES } from '../schema/tables.js';

export interface QueryCommand {
  readonly usage: string;
  readonly help: string;
  /** The query, given the pattern when there is one. */
  readonly sql: (pattern: string | undefined) => string;
}

export const QUERY_COMMANDS: ReadonlyMap<string, QueryCommand> = new Map([
  ['.tables', { usage: '.tables [pattern]', help: 'tables and views with what they hold', sql: tablesQuery }],
  ['.schema', {
    usage: '.schema [pattern]', help: 'columns of the tables and views (all when no pattern)',
    sql: (pattern) => `SELECT table_name AS "table", column_name AS "column", data_type AS type FROM information_schema.columns
      WHERE table_schema = 'main'${pattern === undefined ? '' : ` AND table_name LIKE ${lit(pattern)}`} ORDER BY table_name, ordinal_position`,
  }],
]);

/** A dot command's words: split at spaces, with '...' and "..." quoting a word that holds spaces (as sqlite3's shell does). */
export function dotWords(line: string): string[] {
  return [...line.trim().matchAll(/'([^']*)'?|"([^"]*)"?|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The query of a dot command line that is one (`.tables`, `.schema proc%`); undefined for any other line. */
export function dotQuery(line: string): string | undefined {
  const [name, ...args] = dotWords(line);
  const command = QUERY_COMMANDS.get(name ?? '');
  if (command === undefined) return undefined;
  if (args.length > 1) throw new UsageError(`usage: ${command.usage}`);
  return command.sql(args[0]);
}

/** Tables and views with what they hold. */
function tablesQuery(pattern: string | undefined): string {
  const docs = [...TABLES.map((t) => [t.name, 'table', t.doc]), ...DERIVED_VIEWS.map(([n, d]) => [n, 'view', d]),
    ['recordings', 'table', 'the recordings queried: host, clock, time range'], ['syscall_names', 'table', 'syscall numbers to names per architecture']];
  return `SELECT * FROM (VALUES ${docs.map((r) => `(${r.map((x) => lit(x!)).join(', ')})`).join(', ')}) AS t(name, kind, holds)` +
    `${pattern === undefined ? '' : ` WHERE name LIKE ${lit(pattern)}`} ORDER BY kind, name`;
}
