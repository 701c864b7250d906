// Analyst notebooks: Markdown with SQL cells (```sql fences) and prose between them.
// Running one executes every cell in order against a session and puts each result below
// its cell, between markers, so a notebook that was run can be run again.
import { readFileSync } from 'node:fs';
import { RecordingError } from '../format/errors.js';
import type { TimeZone } from '../text/time.js';
import { renderTable } from './results.js';
import type { Analysis } from './session.js';

const RESULT_START = '<!-- flightrec:result -->';
const RESULT_END = '<!-- /flightrec:result -->';

export interface Cell {
  /** 1-based number among the SQL cells. */
  readonly index: number;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly sql: string;
}

export interface NotebookOptions {
  /** Rows shown under a cell; the rest are counted. */
  readonly maxRows?: number;
  /** The zone times are shown in (UTC by default). */
  readonly tz?: TimeZone;
}

/** The notebook without results of an earlier run. */
export function stripResults(text: string): string {
  const pattern = new RegExp(`\\n*${RESULT_START}[\\s\\S]*?${RESULT_END}\\n?`, 'g');
  return text.replace(pattern, '\n');
}

/** The SQL cells of a notebook, and its lines (for putting results back). */
export function parseNotebook(text: string): { lines: string[]; cells: Array<Cell & { end: number }> } {
  const lines = stripResults(text).split('\n');
  const cells: Array<Cell & { end: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(```+|~~~+)\s*sql\s*$/i.exec(lines[i]!.trim());
    if (!open) continue;
    const fence = open[1]!;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() !== fence) j++;
    if (j >= lines.length) throw new RecordingError(`SQL cell at line ${i + 1} is not closed with ${fence}`);
    cells.push({ index: cells.length + 1, line: i + 1, sql: lines.slice(i + 1, j).join('\n'), end: j });
    i = j;
  }
  return { lines, cells };
}

/** Runs every cell; the first failing cell stops the run with an error that names it. */
export async function runNotebook(a: Analysis, path: string, opts: NotebookOptions = {}): Promise<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RecordingError(`cannot read the notebook (${(err as NodeJS.ErrnoException).code ?? err})`, { file: path, cause: err });
  }
  const { lines, cells } = parseNotebook(text);
  if (cells.length === 0) throw new RecordingError('no SQL cells (```sql fenced blocks) in the notebook', { file: path });
  const results = new Map<number, string>();
  for (const cell of cells) {
    try {
      results.set(cell.end, renderTable(await a.query(cell.sql), { maxRows: opts.maxRows ?? 50, tz: opts.tz ?? 'UTC' }));
    } catch (err) {
      throw new RecordingError(`cell ${cell.index} (line ${cell.line}): ${(err as Error).message}`, { file: path, cause: err });
    }
  }
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    const result = results.get(i);
    if (result !== undefined) out.push('', RESULT_START, '```text', result, '```', RESULT_END);
  });
  return out.join('\n');
}
