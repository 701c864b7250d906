// The systemd unit of contrib/systemd/flightrec.service, read as systemd reads it: for the
// tests that parse its command lines with the real CLI and run them on the real kernel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { program } from '../../src/cli/program.js';
import { ROOT } from '../helpers.js';

export const UNIT = join(ROOT, 'contrib', 'systemd', 'flightrec.service');
/** Where the unit expects flightrec (`npm install -g`). */
export const INSTALLED = '/usr/local/bin/flightrec';

/** Each setting's values, in order (a key may repeat). */
export function unitSettings(text = readFileSync(UNIT, 'utf8')): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** A command line split into words as systemd splits it: spaces, and single or double quotes around a word. */
export function commandWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m; (m = re.exec(line)) !== null;) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The unit's `record` command line, and its flags as commander parses them. */
export async function parsedExecStart(): Promise<{ words: string[]; command: string[]; flags: Record<string, unknown> }> {
  const p = await program(['record']);
  const record = p.commands.find((c) => c.name() === 'record')!;
  let parsed: { command: string[]; flags: Record<string, unknown> } | undefined;
  record.action((command: string[], flags: Record<string, unknown>) => { parsed = { command, flags }; });
  const [bin, ...args] = commandWords(unitSettings().get('ExecStart')![0]!);
  if (bin !== INSTALLED) throw new Error(`ExecStart runs ${bin}, not ${INSTALLED}`);
  await p.parseAsync(args, { from: 'user' });
  return { words: args, ...parsed! };
}
