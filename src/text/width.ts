// How many terminal columns text takes: string-width's measure (a CJK character or an emoji
// takes two), with string-width loaded only for text that needs it. Loading it costs ~30 ms
// (nearly all of it compiling its \p{RGI_Emoji} pattern), a sixth of `flightrec info`'s start
// and more than any table of plain ASCII needs: a printable ASCII character is one column,
// which is string-width's own first answer (the same test, in its source), so the shortcut
// changes no width. It is loaded by require() (Node loads an ES module that way since 20.19)
// so that the table renderer, and every output built on it, stays synchronous.
import { createRequire } from 'node:module';
import type StringWidth from 'string-width';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Whether `s` is all printable ASCII: then it takes a column a character. */
export const isPrintableAscii = (s: string): boolean => PRINTABLE_ASCII.test(s);

let stringWidth: typeof StringWidth | undefined;

/** The columns `s` takes on a terminal. */
export function displayWidth(s: string): number {
  if (isPrintableAscii(s)) return s.length;
  stringWidth ??= (createRequire(import.meta.url)('string-width') as { default: typeof StringWidth }).default;
  return stringWidth(s);
}
