// Which detectors run: the built-in set, some of it by name, and detector modules from
// files; with options per detector from a config file and the anomaly baseline. Everything
// is checked here, before any event is read.
import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../format/errors.js';
import type { Detector } from './api.js';
import { checkBaseline } from './baseline.js';
import { BUILTIN } from './builtin/index.js';
import { ownDetector } from './check.js';
import type { RuleText } from './sigma/rules.js';

export type Options = Record<string, Record<string, unknown>>;

export interface DetectorSet {
  readonly detectors: readonly Detector[];
  readonly options: Options;
  /** Built-in detectors left out of `builtin` and why. */
  readonly skipped: readonly string[];
}

export interface LoadOptions {
  /** JSON file: { "<detector>": { <option>: value } }. */
  readonly config?: string;
  /** Baseline file for the anomaly detector. */
  readonly baseline?: string;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${what} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${file}: not JSON (${(err as Error).message})`);
  }
}

/** The options of every detector: the config file, plus the baseline for anomaly. */
export function loadOptions(o: LoadOptions): Options {
  const options: Options = {};
  if (o.config !== undefined) {
    const c = readJson(o.config, '--config');
    if (typeof c !== 'object' || c === null || Array.isArray(c) || !Object.values(c).every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      throw new UsageError(`--config ${o.config}: must be a JSON object of detector names to option objects`);
    }
    Object.assign(options, c);
  }
  if (o.baseline !== undefined) {
    try {
      options.anomaly = { ...options.anomaly, baseline: checkBaseline(readJson(o.baseline, '--baseline'), o.baseline) };
    } catch (err) {
      throw err instanceof UsageError ? err : new UsageError(`--baseline ${(err as Error).message}`);
    }
  }
  return options;
}

/** What a built-in detector needs that was not given, if anything. */
function missing(d: Detector, options: Options): string | undefined {
  return d.name === 'anomaly' && options.anomaly?.baseline === undefined ? 'anomaly needs --baseline' : undefined;
}

async function importModule(spec: string): Promise<Detector[]> {
  const file = resolve(spec);
  if (!existsSync(file)) throw new UsageError(`detector ${spec}: no such file, and no built-in detector of that name (built-in: ${BUILTIN.map((d) => d.name).join(', ')})`);
  if (extname(file) === '.ts') throw new UsageError(`detector ${spec}: compile TypeScript detectors to JavaScript first (tsc), then give the .js file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`detector ${spec} does not load: ${(err as Error).message.split('\n')[0]}`);
  }
  const exported = mod.default ?? mod.detectors ?? mod.detector;
  if (exported === undefined) throw new UsageError(`detector ${spec}: the module exports no detector (export default a detector or a list of them)`);
  const list = Array.isArray(exported) ? exported : [exported];
  return list.map((d: unknown) => {
    try {
      return ownDetector(d);
    } catch (err) {
      throw new UsageError(`detector ${spec}: ${(err as Error).message}`);
    }
  });
}

/** The detector specs given, one per entry (comma-separated lists split); default: builtin. */
export function specList(specs: readonly string[] | undefined): string[] {
  return (specs && specs.length > 0 ? specs : ['builtin']).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/**
 * The detectors `specs` name (comma-separated lists allowed): `builtin` (the built-in set),
 * a built-in name (or `builtin:<name>`), `sigma` (the rules in options.sigma.rules), or a
 * JavaScript module file.
 */
export async function loadDetectors(specs: readonly string[] | undefined, o: LoadOptions = {}): Promise<DetectorSet> {
  return detectorsFor(specs, loadOptions(o));
}

/**
 * loadDetectors() with the options already loaded (they decide which built-ins can run).
 * `onImport` is told the index in specList() of each module file before it is imported.
 */
export async function detectorsFor(specs: readonly string[] | undefined, options: Options, onImport?: (spec: number) => void): Promise<DetectorSet> {
  const detectors: Detector[] = [];
  const skipped: string[] = [];
  for (const [index, spec] of specList(specs).entries()) {
    if (spec === 'builtin') {
      for (const d of BUILTIN) {
        const why = missing(d, options);
        if (why) skipped.push(why);
        else detectors.push(d);
      }
      continue;
    }
    if (spec === 'sigma') {
      const rules = (options.sigma as { rules?: RuleText[] } | undefined)?.rules;
      if (!rules) throw new UsageError('detector sigma runs the rules --sigma gives: add --sigma <rule files or directories>');
      const { sigmaDetector } = await import('./sigma/detector.js');
      detectors.push(sigmaDetector(rules));
      continue;
    }
    const builtin = BUILTIN.find((d) => d.name === spec.replace(/^builtin:/, ''));
    if (builtin) {
      const why = missing(builtin, options);
      if (why) throw new UsageError(`detector ${builtin.name}: ${why}`);
      detectors.push(builtin);
      continue;
    }
    if (spec.startsWith('builtin:')) throw new UsageError(`no built-in detector ${spec.slice(8)} (built-in: ${BUILTIN.map((d) => d.name).join(', ')})`);
    onImport?.(index);
    detectors.push(...(await importModule(spec)));
  }
  const names = new Set<string>();
  for (const d of detectors) {
    if (names.has(d.name)) throw new UsageError(`detector ${d.name} is given twice`);
    names.add(d.name);
  }
  return { detectors, options, skipped };
}
