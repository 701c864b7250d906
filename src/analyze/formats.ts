// The output formats of query results, apart from their writers (results.ts) so the command
// line can name and check them without loading DuckDB and Arrow.
import { UsageError } from '../format/errors.js';

export const FORMATS = ['table', 'csv', 'json', 'jsonl', 'parquet', 'arrow'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(s: string): Format {
  if (!(FORMATS as readonly string[]).includes(s)) throw new UsageError(`unknown --format ${s}: use one of ${FORMATS.join(', ')}`);
  return s as Format;
}
