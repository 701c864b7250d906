// Query results as text (an aligned table, CSV, JSON, JSON Lines) or as files other tools
// read (Parquet through DuckDB's COPY, Arrow IPC through apache-arrow).
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { DuckDBResultReader, DuckDBType, DuckDBValue, DuckDBValueConverter, Json } from '@duckdb/node-api';
import { duckdb } from './duckdb.js';

const {
  DuckDBBlobValue, DuckDBTypeId, JsonDuckDBValueConverter,
  DuckDBTimestampValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampMillisecondsValue, DuckDBTimestampSecondsValue, DuckDBTimestampTZValue,
} = duckdb;
import { UsageError } from '../format/errors.js';
import { OutputFile } from '../format/output-file.js';
import { cutText } from '../text/escape.js';
import { table } from '../text/table.js';
import { isoTime, peopleTime, type TimeZone } from '../text/time.js';
import { isText, type Format, type TextFormat } from './formats.js';
import { lit, type Analysis } from './session.js';

export { FORMATS, type Format, type TextFormat } from './formats.js';

/**
 * A timestamp value as nanoseconds since the epoch, or undefined for any other value and for
 * DuckDB's infinities. A TIMESTAMP without a zone is UTC here: the views' `time` is built so.
 */
export function timestampNanos(v: DuckDBValue): bigint | undefined {
  if (v instanceof DuckDBTimestampNanosecondsValue) return v.isFinite ? v.nanos : undefined;
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return v.isFinite ? v.micros * 1000n : undefined;
  if (v instanceof DuckDBTimestampMillisecondsValue) return v.isFinite ? v.millis * 1_000_000n : undefined;
  if (v instanceof DuckDBTimestampSecondsValue) return v.isFinite ? v.seconds * 1_000_000_000n : undefined;
  return undefined;
}

/** A value as a person reads it in a table cell; a time in `tz`, its zone written. */
export function display(v: DuckDBValue, tz: TimeZone = 'UTC'): string {
  if (v === null) return 'NULL';
  if (v instanceof DuckDBBlobValue) return `\\x${Buffer.from(v.bytes).toString('hex')}`;
  const ns = timestampNanos(v);
  return ns === undefined ? String(v) : peopleTime(ns, tz);
}

/** Values as JSON for programs (JSON, JSON Lines, CSV): DuckDB's own mapping, but times in RFC 3339 UTC with nanoseconds, in lists and structs too. */
const machineJson: DuckDBValueConverter<Json> = (v, type, self) => {
  const ns = timestampNanos(v);
  return ns === undefined ? JsonDuckDBValueConverter(v, type, self) : isoTime(ns);
};

/**
 * Rows as an aligned text table: values escaped (a cell is one line, and shows control
 * characters as `\x1b`), long cells cut so a row stays readable (at `maxCell` characters, or
 * so each line fits `maxWidth` columns when given), rows past `maxRows` counted, not shown.
 */
export function renderTable(r: DuckDBResultReader, { maxCell = 120, maxRows = Infinity, maxWidth, tz = 'UTC' }: { maxCell?: number; maxRows?: number; maxWidth?: number; tz?: TimeZone } = {}): string {
  const all = r.getRows();
  const cell = maxWidth === undefined ? maxCell : Infinity;
  const rows = [r.columnNames(), ...all.slice(0, maxRows).map((row) => row.map((v) => cutText(display(v, tz), cell)))];
  const numeric = new Set(r.columnTypes().map((t, i) => (isNumeric(t) ? i : -1)).filter((i) => i >= 0));
  const hidden = all.length - (rows.length - 1);
  return `${table(rows, numeric, { rule: true, ...(maxWidth !== undefined ? { maxWidth } : {}) })}\n(${all.length} row${all.length === 1 ? '' : 's'}${hidden > 0 ? `, ${hidden} not shown` : ''})`;
}

function isNumeric(t: DuckDBType): boolean {
  return [DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT,
    DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT,
    DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.DECIMAL].includes(t.typeId);
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Writes all of `s` to stdout, waiting out EAGAIN: stdout may be a pipe left non-blocking. */
export function writeStdout(s: string | Uint8Array): void {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  let done = 0;
  while (done < b.length) {
    try {
      done += writeSync(1, b, done, b.length - done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

/** Where text goes: an output file (see OutputFile), or stdout. */
class Sink {
  private readonly file: OutputFile | undefined;
  constructor(path: string | undefined) {
    this.file = path === undefined ? undefined : OutputFile.create(path);
  }
  write(s: string | Uint8Array): void {
    if (this.file) this.file.write(s);
    else writeStdout(s);
  }
  /** Writes the whole of a file, a piece at a time. */
  copyFrom(path: string): void {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) this.write(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  /** The output in place when all was written, else dropped. */
  close(ok: boolean): void {
    if (ok) this.file?.commit();
    else this.file?.abort();
  }
}

/**
 * The file DuckDB itself writes for `format` and `out` (a Parquet result to a file), made
 * before the session is confined (SessionOptions.writes): a confined session lets DuckDB
 * write exactly its `procPath`, and its configuration cannot change after.
 */
export function duckdbOutput(format: Format, out: string | undefined): OutputFile | undefined {
  return format === 'parquet' && out !== undefined ? OutputFile.create(out) : undefined;
}

/**
 * Runs `sql` and writes its result in `format` to `out` (a file) or stdout; `file` is
 * duckdbOutput(format, out), made beforehand; a table's lines fit `maxWidth` columns when given.
 */
export async function writeResult(a: Analysis, sql: string, format: Format, out?: string, file?: OutputFile, maxWidth?: number, tz: TimeZone = 'UTC'): Promise<void> {
  if (!isText(format) && out === undefined && process.stdout.isTTY) {
    throw new UsageError(`--format ${format} is binary: write it to a file with -o FILE or pipe it`);
  }
  if (format === 'parquet') {
    const last = await a.runAllButLast(sql);
    // The query goes on lines of its own, so a trailing `--` comment cannot swallow the parenthesis.
    const copy = (target: string): Promise<void> => a.run(`COPY (\n${last}\n) TO ${lit(target)} (FORMAT parquet, COMPRESSION zstd, USE_TMP_FILE false)`);
    if (out === undefined) {
      // DuckDB writes into the session's scratch directory (0600, removed with the session) and the file is
      // copied out: /dev/stdout cannot be opened when stdout is a socket.
      const scratch = a.scratchFile('result.parquet');
      closeSync(openSync(scratch, 'wx', 0o600));
      try {
        await copy(scratch);
        new Sink(undefined).copyFrom(scratch);
      } finally {
        rmSync(scratch, { force: true });
      }
      return;
    }
    // DuckDB writes our temp file through its fd's path, which is all a confined session lets it write:
    // no name of the user's is opened by it.
    const target = file ?? OutputFile.create(out);
    try {
      await copy(target.procPath);
    } catch (err) {
      target.abort();
      throw err;
    }
    target.commit();
    return;
  }
  const r = await a.query(sql);
  const sink = new Sink(out);
  let ok = false;
  try {
    if (format === 'arrow') sink.write((await import('./results-arrow.js')).arrowIpc(r, out === undefined ? 'stream' : 'file'));
    else writeText(r, format, (s) => sink.write(s), { maxWidth, tz });
    ok = true;
  } finally {
    sink.close(ok);
  }
}

/**
 * A result as text in `format`, handed to `write` a piece at a time: a table's lines fit
 * `maxWidth` columns when given, and it shows at most `maxRows` rows, its times in `tz`; the
 * other formats are for programs, their times RFC 3339 UTC whatever `tz` says.
 */
export function writeText(r: DuckDBResultReader, format: TextFormat, write: (s: string) => void, { maxWidth, maxRows, tz }: { maxWidth?: number | undefined; maxRows?: number; tz?: TimeZone } = {}): void {
  switch (format) {
    case 'table': write(`${renderTable(r, { ...(maxWidth !== undefined ? { maxWidth } : {}), ...(maxRows !== undefined ? { maxRows } : {}), ...(tz ? { tz } : {}) })}\n`); break;
    case 'csv': {
      write(`${r.columnNames().map(csvCell).join(',')}\n`);
      for (const row of r.convertRows(machineJson)) write(`${row.map(csvCell).join(',')}\n`);
      break;
    }
    case 'json': write(`${JSON.stringify(r.convertRowObjects(machineJson), null, 1)}\n`); break;
    case 'jsonl': for (const row of r.convertRowObjects(machineJson)) write(`${JSON.stringify(row)}\n`); break;
  }
}
