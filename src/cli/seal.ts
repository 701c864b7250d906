import type { Command } from 'commander';
import { say } from './output.js';

export function register(program: Command): void {
  program.command('seal')
    .description('seal a recording its recorder did not close (after a crash): cut torn tails, hash, chain')
    .argument('<recording>', 'recording directory')
    .option('--force', 'seal even if the process that was writing it still exists')
    .action(async (dir: string, opts: { force?: boolean }) => {
      const { sealRecording } = await import('../format/seal.js');
      const r = sealRecording(dir, opts);
      const removed = r.prunedRemoved > 0 ? `; removed what was left of ${r.prunedRemoved} pruned segment(s)` : '';
      if (r.alreadySealed) say(`${dir}: already sealed${removed || ', nothing to do'}`);
      else say(`${dir}: sealed ${r.sealed} segment(s)${r.tornBytes ? `; ${r.tornBytes} torn bytes kept aside in *.torn files` : ''}${removed}`);
    });
}
