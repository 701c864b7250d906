// --allow-damaged, for the commands that read recordings: a recording whose directory does
// not match its manifest is refused unless the user asks to read what is intact, and then
// one line on stderr says what is left out.
import type { Command } from 'commander';
import type { Recording } from '../format/recording.js';
import type { RecordingDir } from '../format/recording-dir.js';
import { escapeText } from '../text/escape.js';
import { warn } from './output.js';

export interface DamageFlags {
  allowDamaged?: boolean;
}

export const damageOption = (c: Command): Command => c
  .option('--allow-damaged', 'read a recording whose segments do not match its manifest, leaving out what is damaged (said on stderr)');

/**
 * Says in one line on stderr what a damaged recording is read without (a name with a line
 * break in it stays on that line). The reader is loaded by then; the program loads without it.
 */
export async function reportDamage(rec: RecordingDir): Promise<void> {
  if (rec.damage.length === 0) return;
  const { describeSkips } = await import('../format/damage.js');
  warn(escapeText(`flightrec: ${rec.dir} is damaged, read anyway (--allow-damaged): ${describeSkips(rec.damage)}`));
}

/** Opens a recording (loading the reader, and Arrow, only now: see program.ts). */
export async function openRecording(dir: string, flags: DamageFlags): Promise<Recording> {
  const { Recording } = await import('../format/recording.js');
  const rec = Recording.open(dir, { allowDamaged: flags.allowDamaged === true });
  await reportDamage(rec);
  return rec;
}

/**
 * A recording for what its manifest and directory tell (`info`); without Arrow, unless `tables`
 * says its table files must be read, and then as a Recording (damage is said once).
 */
export async function openRecordingDir(dir: string, flags: DamageFlags, tables: (rec: RecordingDir) => boolean): Promise<RecordingDir> {
  const { RecordingDir } = await import('../format/recording-dir.js');
  const rec = RecordingDir.open(dir, { allowDamaged: flags.allowDamaged === true });
  await reportDamage(rec);
  if (!tables(rec)) return rec;
  rec.close();
  const { Recording } = await import('../format/recording.js');
  return Recording.open(dir, { allowDamaged: flags.allowDamaged === true });
}
