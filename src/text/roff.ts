// Text for roff (man pages). What roff would take as its own is escaped: a backslash starts
// an escape, a `.` or `'` opening a line starts a request, `-` prints as a hyphen (options
// must be minus signs, to be typed as shown or searched for), and non-ASCII input depends
// on the formatter's input encoding, so it is written as a named code point. Quotes are the
// ASCII ones (\(aq, \(ga), as typed: roff would print ' and ` as typographic quotes.

/** One line of text, safe as a roff text line. `code` spans (backticks) are set in bold. */
export function roffLine(s: string): string {
  if (s.includes('\n')) throw new Error('roffLine: one line at a time');
  const escaped = [...s].map((c) => {
    if (c === '\\') return '\\e';
    if (c === '-') return '\\-';
    if (c === "'") return '\\(aq';
    const code = c.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) throw new Error(`roffLine: a control character in ${JSON.stringify(s)}`);
    return code > 0x7e ? `\\[u${code.toString(16).toUpperCase().padStart(4, '0')}]` : c;
  }).join('');
  const text = escaped.replace(/`([^`]+)`/g, '\\fB$1\\fR').replace(/`/g, '\\(ga');
  return text.startsWith('.') ? `\\&${text}` : text;
}

/** Text in a font: `\fBflightrec\fR`. */
export const bold = (s: string): string => `\\fB${roffLine(s)}\\fR`;
export const italic = (s: string): string => `\\fI${roffLine(s)}\\fR`;
