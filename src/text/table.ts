// Rows as an aligned text table, the one table layout of every human-readable output (query
// results, alerts, info, doctor). Cells are escaped (see escape.ts) before they are measured,
// so a value cannot break a row or move the cursor. Widths are display columns (width.ts: a
// CJK character or an emoji takes two), so wide text keeps its column aligned.
import { escapeText } from './escape.js';
import { displayWidth, isPrintableAscii } from './width.js';

export interface TableOptions {
  /** A line of dashes under the header. */
  readonly rule?: boolean;
  /** The widest a line may be, in columns (a terminal's width): the widest columns are cut, ending in `…`. */
  readonly maxWidth?: number;
}

/** The narrowest a column is cut to when a table must fit a width. */
const MIN_COLUMN = 4;

/** Made when first needed: the first Intl.Segmenter costs ~7 ms (ICU's break rules). */
let segmenter: Intl.Segmenter | undefined;

/** `s` (escaped) cut to at most `width` columns, ending in `…` when cut; the cut falls between characters. */
export function cutToWidth(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  // Printable ASCII is a column a character (width.ts), each a character of its own.
  if (isPrintableAscii(s)) return `${s.slice(0, Math.max(0, width - 1))}…`;
  segmenter ??= new Intl.Segmenter();
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(s)) {
    const w = displayWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

const pad = (s: string, width: number, right: boolean): string => {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return right ? fill + s : s + fill;
};

/** Rows (the first a header) as aligned text; `rule` draws a line of dashes under the header. */
export function table(rows: readonly (readonly string[])[], rightAlign: ReadonlySet<number> = new Set(), { rule = false, maxWidth }: TableOptions = {}): string {
  let cells = rows.map((r) => r.map(escapeText));
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => displayWidth(r[c]!))));
  if (maxWidth !== undefined) {
    const total = (): number => widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1);
    while (total() > maxWidth) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! <= MIN_COLUMN) break;
      widths[widest]!--;
    }
    cells = cells.map((r) => r.map((cell, c) => cutToWidth(cell, widths[c]!)));
  }
  const lines = cells.map((r) => r.map((cell, c) => pad(cell, widths[c]!, rightAlign.has(c))).join('  ').trimEnd());
  if (rule) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
