// The output formats of query results, apart from their writers (results.ts) so the command
// line can name and check them without loading DuckDB and Arrow.
import { extname } from 'node:path';
import { UsageError } from '../format/errors.js';

/** The formats written as text, one result after another (what the shell's `.mode` offers). */
export const TEXT_FORMATS = ['table', 'csv', 'json', 'jsonl'] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

export const FORMATS = [...TEXT_FORMATS, 'parquet', 'arrow'] as const;
export type Format = (typeof FORMATS)[number];

export const isText = (f: Format): f is TextFormat => (TEXT_FORMATS as readonly string[]).includes(f);

/**
 * The format of a result: -f when given, else the one the output file's extension names
 * (`q.csv`, `q.parquet`, case aside), else the text table.
 */
export function chooseFormat(flag: string | undefined, out: string | undefined): Format {
  return formatOf(FORMATS, flag, out);
}

/** chooseFormat() over another command's formats (`table` among them, the default). */
export function formatOf<F extends string>(formats: readonly F[], flag: string | undefined, out: string | undefined): F {
  const known = (s: string): s is F => (formats as readonly string[]).includes(s);
  if (flag !== undefined) {
    if (!known(flag)) throw new UsageError(`unknown --format ${flag}: use one of ${formats.join(', ')}`);
    return flag;
  }
  const ext = out === undefined ? '' : extname(out).slice(1).toLowerCase();
  return ext !== 'table' && known(ext) ? ext : ('table' as F);
}
