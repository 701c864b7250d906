import type { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TABLE_NAMES } from '../schema/tables.js';
import { printInfo } from './info.js';
import { say } from './output.js';

export function register(program: Command): void {
  program.command('demo')
    .description('write a synthetic recording (every event table, 1M syscall rows, no losses) and print its info')
    .option('-o, --output <dir>', 'where to write it (default: a new directory under the temp dir)')
    .action(async (opts: { output?: string }) => {
      const { RecordingWriter } = await import('../format/recording-writer.js');
      const { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } = await import('../testing/synthetic.js');
      const dir = opts.output ?? join(mkdtempSync(join(tmpdir(), 'flightrec-demo-')), 'recording');
      const w = RecordingWriter.create(dir, { targets: { synthetic: true } });
      const work = new SyscallWorkload(7);
      for (let i = 0; i < 16; i++) w.append('syscall', work.batch(65536));
      const rand = rng(7);
      const clock = new SyntheticClock(rand);
      // Random gap and alert rows would greet a newcomer with billions of events lost and alerts
      // from detectors that do not exist: a demo recording lost nothing and ran no detection.
      for (const t of TABLE_NAMES.filter((x) => x !== 'syscall' && x !== 'gap' && x !== 'alert')) w.append(t, batchFromRows(t, syntheticRows(t, 100, clock, rand)));
      w.close();
      say(`wrote ${dir}\n`);
      await printInfo(dir, false);
    });
}
