// The detector flags replay, detectors and record share: which detectors (and Sigma rules) run,
// their options, and the watchdog's budgets.
import type { Command } from 'commander';
import { DEFAULT_BUDGETS, type DetectorBudgets } from '../detect/budgets.js';
import type { Options } from '../detect/load.js';
import { UsageError } from '../format/errors.js';
import { parseDurationMs, parseSize } from './units.js';

export interface DetectorFlags {
  detectors?: string[];
  config?: string;
  baseline?: string;
  detectorTimeout?: string;
  detectorMemory?: string;
  sigma?: string[];
}

/** --detectors, --config, --baseline and the watchdog's budgets, shared by replay, detectors and record. */
export const detectorOptions = (c: Command): Command => c
  .option('--detectors <list...>', 'detectors: builtin (the built-in set), built-in names, or JavaScript module files (default: builtin)')
  .option('--config <file>', 'detector options as JSON: { "<detector>": { "<option>": value } }')
  .option('--baseline <file>', 'baseline for the anomaly detector (made by flightrec baseline learn)')
  .option('--sigma <paths...>', 'Sigma rules to run beside the detectors: .yml files, or directories of them (see flightrec sigma check)')
  .option('--detector-timeout <time>', `stop a detector that takes longer than this over one batch of events, or to load or start: 500ms, 10s; a bare number is seconds (default ${DEFAULT_BUDGETS.timeoutMs / 1000}s)`)
  .option('--detector-memory <size>', `the detectors' JavaScript heap, such as 512M or 1G; a bare number is MiB; a detector that runs out of it is stopped (default ${DEFAULT_BUDGETS.memoryMb}M)`);

/** The smallest heap a detection thread starts in (it loads Arrow and the built-in detectors). */
const MIN_MEMORY_MB = 64;

export function chooseBudgets(f: DetectorFlags): DetectorBudgets {
  let { timeoutMs, memoryMb } = DEFAULT_BUDGETS;
  if (f.detectorTimeout !== undefined) {
    timeoutMs = parseDurationMs('--detector-timeout', f.detectorTimeout, 's', 86_400_000);
  }
  if (f.detectorMemory !== undefined) {
    const m = parseSize('--detector-memory', f.detectorMemory, 'M') / 2 ** 20;
    if (!Number.isInteger(m) || m < MIN_MEMORY_MB || m > 1024 * 1024) throw new UsageError(`--detector-memory ${f.detectorMemory}: a whole number of MiB from ${MIN_MEMORY_MB}M to 1T`);
    memoryMb = m;
  }
  return { timeoutMs, memoryMb };
}

/**
 * Which detectors run (--detectors, and `sigma` when --sigma gives rules) and their options
 * (--config, --baseline, the rules' text), read and checked here, before any event is read;
 * the detectors themselves load on a detection thread.
 */
export async function chooseDetectors(f: DetectorFlags): Promise<{ specs: string[]; options: Options }> {
  const { loadOptions, specList } = await import('../detect/load.js');
  const options = loadOptions({ ...(f.config !== undefined ? { config: f.config } : {}), ...(f.baseline !== undefined ? { baseline: f.baseline } : {}) });
  const specs = specList(f.detectors);
  if (f.sigma === undefined) return { specs, options };
  const { sigmaOptions } = await import('./sigma.js');
  options.sigma = { ...options.sigma, ...await sigmaOptions(f.sigma) };
  return { specs: specs.includes('sigma') ? specs : [...specs, 'sigma'], options };
}
