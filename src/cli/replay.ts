// `flightrec replay`: run detectors over a recording, deterministically; `flightrec detectors`:
// what would run.
import type { Command } from 'commander';
import { alertJson, alertTable } from '../detect/alert.js';
import { loadDetectors, type DetectorSet } from '../detect/load.js';
import { UsageError } from '../format/errors.js';
import { writeOutputFile } from '../format/output-file.js';
import { replay, storedAlerts } from '../replay/replay.js';
import { table } from '../text/table.js';
import { damageOption, openRecording, type DamageFlags } from './damaged.js';
import { EXIT, say, warn } from './output.js';

export interface DetectorFlags {
  detectors?: string[];
  config?: string;
  baseline?: string;
}

/** --detectors, --config and --baseline, shared by replay, detectors and record. */
export const detectorOptions = (c: Command): Command => c
  .option('--detectors <list...>', 'detectors: builtin (the built-in set), built-in names, or JavaScript module files (default: builtin)')
  .option('--config <file>', 'detector options as JSON: { "<detector>": { "<option>": value } }')
  .option('--baseline <file>', 'baseline for the anomaly detector (made by flightrec baseline learn)');

export async function chooseDetectors(f: DetectorFlags): Promise<DetectorSet> {
  const set = await loadDetectors(f.detectors, { ...(f.config !== undefined ? { config: f.config } : {}), ...(f.baseline !== undefined ? { baseline: f.baseline } : {}) });
  for (const s of set.skipped) warn(`flightrec: ${s}; it is left out`);
  if (set.detectors.length === 0) throw new UsageError('no detectors to run');
  return set;
}

const FORMATS = ['table', 'jsonl'] as const;

export function register(program: Command): void {
  damageOption(detectorOptions(program.command('replay')
    .description('run detectors over a recording in its recorded order: the same recording and detectors give the same alerts, byte for byte')
    .argument('<recording>', 'recording directory')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the alerts to this file')
    .option('--check-stored', 'compare with the alerts a live `record --detect` stored; exit 1 if they differ')))
    .action(async (dir: string, f: DetectorFlags & DamageFlags & { format: string; output?: string; checkStored?: boolean }) => {
      if (!(FORMATS as readonly string[]).includes(f.format)) throw new UsageError(`unknown --format ${f.format}: use one of ${FORMATS.join(', ')}`);
      const set = await chooseDetectors(f);
      const rec = openRecording(dir, f);
      const tty = process.stderr.isTTY === true;
      const started = Date.now();
      const result = replay(rec, set.detectors, set.options, tty ? (p) => {
        const pct = p.total > 0 ? ` (${Math.min(100, (100 * p.events) / p.total).toFixed(0)}%)` : '';
        process.stderr.write(`\r\x1b[Kreplaying ${p.events.toLocaleString('en-US')} events${pct} · ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } : undefined);
      if (tty) process.stderr.write('\r\x1b[K');
      const clock = rec.manifest.clock;
      const text = f.format === 'jsonl' ? result.alerts.map((a) => `${alertJson(a, clock)}\n`).join('') : `${alertTable(result.alerts, clock)}\n`;
      if (f.output !== undefined) writeOutputFile(f.output, text);
      else process.stdout.write(text);
      for (const x of result.failures) {
        warn(`flightrec: detector ${x.detector} threw at seq ${x.seq}: ${x.message}; it stopped there, the others went on`);
      }
      let code: number = result.failures.length > 0 ? EXIT.failure : EXIT.ok;
      if (f.checkStored) {
        const live = storedAlerts(rec).map((a) => alertJson(a, clock));
        const again = result.alerts.map((a) => alertJson(a, clock));
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
    .description('list the detectors that would run, with the tables they read'))
    .action(async (f: DetectorFlags) => {
      const set = await chooseDetectors(f);
      say(table([['detector', 'version', 'tables'], ...set.detectors.map((d) => [d.name, d.version, Object.keys(d.tables).join(', ')])], new Set(), { rule: true }));
      for (const d of set.detectors) say(`\n${d.name}: ${d.description}`);
    });
}
