import type { Command } from 'commander';
import { verifyJson } from './json.js';
import { EXIT, plural, say, warn } from './output.js';

export function register(program: Command): void {
  program.command('verify')
    .description('prove a recording is unmodified: file hashes, segment list and hash chain (exit 0 verified, 1 failed, 3 intact but unsealed)')
    .argument('<recording>', 'recording directory')
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      // A sealed recording is verified without loading Arrow; an unsealed tail is read with it.
      const { verifySealed } = await import('../format/verify-sealed.js');
      const r = verifySealed(dir) ?? (await import('../format/verify.js')).verifyRecording(dir);
      if (opts.json) {
        console.log(JSON.stringify(verifyJson(r), null, 2));
      } else if (!r.ok) {
        const first = r.problems[0]!;
        warn(`flightrec: verify failed: ${first.file}: ${first.message}`);
        for (const p of r.problems.slice(1)) warn(`  also: ${p.file}: ${p.message}`);
      } else {
        const pruned = r.prunedSegments > 0 ? ` (and ${plural(r.prunedSegments, 'pruned segment')}, proved by the chain)` : '';
        say(`verified: ${plural(r.sealedSegments, 'sealed segment')}${pruned}, chain head ${r.chainHead ?? '(none)'}`);
        for (const u of r.unsealed) {
          say(`unsealed: ${u.file}: ${u.rows} rows readable${u.torn ? `, torn tail of ${u.torn.bytes} bytes at offset ${u.torn.offset}` : ''}`);
        }
        if (r.open) say('the recording was not closed by its recorder (still running, or it crashed): run `flightrec seal` to seal it');
      }
      process.exitCode = !r.ok ? EXIT.failure : r.open ? EXIT.unsealed : EXIT.ok;
    });
}
