// `flightrec replay`: run detectors over a recording, deterministically, under a watchdog;
// `flightrec detectors`: what would run.
import type { Command } from 'commander';
import { describeStop } from '../detect/budgets.js';
import { formatOf } from '../analyze/formats.js';
import { UsageError } from '../format/errors.js';
import { writeOutputFile } from '../format/output-file.js';
import { damageOption, openRecording, type DamageFlags } from './damaged.js';
import { EXIT, say, warn } from './output.js';
import { chooseBudgets, chooseDetectors, detectorOptions, type DetectorFlags } from './detector-flags.js';
import { chooseTz, tzOption } from './tz.js';

const FORMATS = ['table', 'json', 'jsonl', 'ecs'] as const;

export function register(program: Command): void {
  tzOption(damageOption(detectorOptions(program.command('replay')
    .description('run detectors over a recording in its recorded order: the same recording and detectors give the same alerts, byte for byte')
    .argument('<recording>', 'recording directory')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (ecs: Elastic Common Schema documents as JSON Lines, docs/alerts.md; default: the one -o's extension names, else table)`)
    .option('-o, --output <file>', 'write the alerts to this file')
    .option('--check-stored', 'compare with the alerts a live `record --detect` stored; exit 1 if they differ'))))
    .action(async (dir: string, f: DetectorFlags & DamageFlags & { format?: string; output?: string; checkStored?: boolean; tz?: string }) => {
      const format = formatOf(FORMATS, f.format, f.output);
      const tz = chooseTz(f.tz);
      const budgets = chooseBudgets(f);
      const { specs, options } = await chooseDetectors(f);
      const [{ alertJson, alertTable, originOf }, { alertEcs }, { storedAlerts }, { superviseReplay }] = await Promise.all([
        import('../detect/alert.js'), import('../detect/ecs.js'), import('../replay/replay.js'), import('../replay/supervised.js')]);
      const rec = await openRecording(dir, f);
      // Recordings made before live detection was noted in the manifest still have their stored alerts to go by.
      if (f.checkStored && rec.manifest.source?.live_detectors === undefined && storedAlerts(rec).length === 0) {
        throw new UsageError(`--check-stored: ${dir} was recorded without --detect: there are no live alerts to compare the replay with`);
      }
      const tty = process.stderr.isTTY === true;
      const started = Date.now();
      const result = await superviseReplay({
        dir, allowDamaged: f.allowDamaged === true, specs, options, budgets,
        ...(tty ? {
          onProgress: (p) => {
            const pct = p.total > 0 ? ` (${Math.min(100, (100 * p.events) / p.total).toFixed(0)}%)` : '';
            const again = p.without.length > 0 ? ` · again without ${p.without.join(', ')}` : '';
            process.stderr.write(`\r\x1b[Kreplaying ${p.events.toLocaleString('en-US')} events${pct} · ${((Date.now() - started) / 1000).toFixed(1)} s${again}`);
          },
        } : {}),
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const clock = rec.manifest.clock;
      const origin = originOf(rec.manifest);
      const json = format === 'table' ? [] : result.alerts.map((a) => (format === 'ecs' ? alertEcs : alertJson)(a, clock, origin));
      const text = format === 'jsonl' || format === 'ecs' ? json.map((j) => `${j}\n`).join('')
        : format === 'json' ? `[${json.join(',\n')}]\n` : `${alertTable(result.alerts, clock, tz)}\n`;
      if (f.output !== undefined) writeOutputFile(f.output, text);
      else process.stdout.write(text);
      for (const x of result.failures) {
        warn(`flightrec: detector ${x.detector} threw at seq ${x.seq}: ${x.message}; it stopped there, the others went on`);
      }
      for (const x of result.stopped) {
        warn(`flightrec: detector ${describeStop(x)}; it was stopped, and the others replayed again without it (none of its alerts are shown)`);
      }
      let code: number = result.failures.length > 0 || result.stopped.length > 0 ? EXIT.failure : EXIT.ok;
      if (f.checkStored) {
        const live = storedAlerts(rec).map((a) => alertJson(a, clock, origin));
        const again = result.alerts.map((a) => alertJson(a, clock, origin));
        const at = live.findIndex((l, i) => l !== again[i]);
        if (at < 0 && live.length === again.length) {
          warn(`flightrec: the ${live.length} stored live alerts equal the replay's`);
        } else {
          const i = at < 0 ? Math.min(live.length, again.length) : at;
          warn(`flightrec: stored live alerts differ from the replay at alert ${i + 1}: live ${live[i] ?? '(none)'} · replay ${again[i] ?? '(none)'}`);
          code = EXIT.failure;
        }
      }
      process.exitCode = code;
    });

  detectorOptions(program.command('detectors')
    .description('list the detectors that would run, with the tables they read')
    .option('--json', 'print JSON'))
    .action(async (f: DetectorFlags & { json?: boolean }) => {
      const budgets = chooseBudgets(f);
      const [{ listDetectors }, { table }] = await Promise.all([import('../replay/supervised.js'), import('../text/table.js')]);
      const { specs, options } = await chooseDetectors(f);
      const { info, skipped } = await listDetectors(specs, options, budgets);
      // Said here, once, rather than on every replay and recording the built-in set runs without them.
      for (const s of skipped) warn(`flightrec: ${s}; it is left out of the built-in set`);
      if (f.json) {
        console.log(JSON.stringify(info.map((d) => ({ name: d.name, version: d.version, tables: d.tables, description: d.description })), null, 2));
        return;
      }
      say(table([['detector', 'version', 'tables'], ...info.map((d) => [d.name, d.version, d.tables.join(', ')])], new Set(), { rule: true }));
      for (const d of info) say(`\n${d.name}: ${d.description}`);
    });
}
