// `flightrec baseline learn`: the anomaly detector's baseline, from clean recordings.
import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import { writeOutputFile } from '../format/output-file.js';
import { warn } from './output.js';

export function register(program: Command): void {
  program.command('baseline').description('baselines for the anomaly detector')
    .command('learn')
    .description('learn what normal looks like from clean recordings: per program, syscall rates, distributions and 3-grams')
    .argument('<recordings...>', 'recordings of normal work')
    .requiredOption('-o, --output <file>', 'baseline file to write (JSON)')
    .action(async (dirs: string[], f: { output: string }) => {
      const [{ BaselineLearner }, { Recording }, { replay }] = await Promise.all([
        import('../detect/baseline.js'), import('../format/recording.js'), import('../replay/replay.js')]);
      const learner = new BaselineLearner();
      const recs = dirs.map((d) => Recording.open(d));
      const arch = recs[0]!.manifest.host.arch;
      for (const rec of recs) {
        if (rec.manifest.host.arch !== arch) throw new UsageError(`${rec.dir} was recorded on ${rec.manifest.host.arch}, the others on ${arch}: learn one baseline per architecture`);
        replay(rec, [learner.detector]);
        learner.flush();
      }
      const b = learner.baseline(arch, recs.map((r) => ({ id: r.manifest.id, host: r.manifest.host.hostname })));
      writeOutputFile(f.output, `${JSON.stringify(b)}\n`);
      warn(`flightrec: learned ${Object.keys(b.profiles).length} programs from ${b.global.windows} process-seconds into ${f.output}`);
    });
}
