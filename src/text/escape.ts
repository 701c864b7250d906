// Text for a person's terminal. Program names, paths, arguments, host names and detector
// titles come from recordings, notebooks and detector modules, all untrusted: shown raw, an
// escape sequence in one of them could retitle the analyst's terminal, erase what is on the
// screen or reorder a line. Every human-readable output passes its values through here;
// machine outputs (JSON, JSON Lines, CSV, Parquet, Arrow) keep the exact values instead.
//
// What is escaped, written as in a JavaScript string literal:
// - C0 controls and DEL: `\t`, `\n`, `\r`, the others as `\xHH` (ESC is `\x1b`);
// - C1 controls U+0080..U+009F as `\u009b`: a terminal in UTF-8 mode may take U+009B as CSI;
// - bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A..U+202E,
//   U+2066..U+2069): they reorder what is shown, so a line would read other than it is
//   (Trojan Source, CVE-2021-42574);
// - U+2028 and U+2029, which some viewers break lines at;
// - unpaired surrogates (only JavaScript strings hold them), which would print as U+FFFD.
// Left as they are: backslashes (paths, regular expressions and JSON stay readable, and
// escaping twice changes nothing, so layers need not agree on who escapes), and zero-width
// joiners and spaces (emoji sequences are made of them; they move no cursor and reorder
// nothing). The exact value is always one `-f json` away.

const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udfff]/gu;
const SHORT: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** `s` with every control character escaped: safe on one line of a terminal. */
export function escapeText(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

/** Text of several lines: each line escaped, the line breaks kept. */
export function escapeLines(s: string): string {
  return s.split('\n').map(escapeText).join('\n');
}

/**
 * `s` escaped and cut to at most `max` characters, ending in `…` when cut. The cut falls
 * between characters and between escapes, never inside one.
 */
export function cutText(s: string, max: number): string {
  const escaped = escapeText(s);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const c of s) {
    const e = escapeText(c);
    if (out.length + e.length > max - 1) break;
    out += e;
  }
  return `${out}…`;
}
