// Rows as an aligned text table, the one table layout of every human-readable output (query
// results, alerts, info, doctor). Cells are escaped (see escape.ts) before they are measured,
// so a value cannot break a row or move the cursor. Widths are counted in UTF-16 code units.
import { escapeText } from './escape.js';

/** Rows (the first a header) as aligned text; `rule` draws a line of dashes under the header. */
export function table(rows: readonly (readonly string[])[], rightAlign: ReadonlySet<number> = new Set(), { rule = false } = {}): string {
  const cells = rows.map((r) => r.map(escapeText));
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const lines = cells.map((r) => r.map((cell, c) => (rightAlign.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
  if (rule) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
