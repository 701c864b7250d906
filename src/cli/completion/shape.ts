// What the three shells' scripts share: the command paths a shell may see typed (aliases
// included), and the checks that keep every generated name safe to write into a script.
import type { CommandSpec, ValueKind } from '../command-tree.js';

const SAFE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/** A name going into a script unquoted: a command, option or choice of the program's own. */
export function safeName(name: string): string {
  if (!SAFE.test(name.replace(/^--?/, ''))) throw new Error(`completion: ${JSON.stringify(name)} is not a name a completion script can hold`);
  return name;
}

/** The names of a command: its name, then its aliases. */
export function namesOf(c: CommandSpec): string[] {
  return c.path.length === 0 ? [] : [c.path.at(-1)!, ...c.aliases].map(safeName);
}

/** Every way to type a command's path (`notebook run`, and the same with aliases), space-joined. */
export function pathSpellings(root: CommandSpec, c: CommandSpec): string[] {
  let spellings = [''];
  let at = root;
  for (const name of c.path) {
    at = at.commands.find((x) => x.path.at(-1) === name)!;
    spellings = spellings.flatMap((s) => namesOf(at).map((n) => (s === '' ? n : `${s} ${n}`)));
  }
  return spellings;
}

/** A value kind as one word: dir, file, command, any, or words:a,b,c. */
export function kindWord(v: ValueKind): string {
  return v.kind === 'words' ? `words:${v.words.map(safeName).join(',')}` : v.kind;
}
