// Detector test helpers, exported as `flightrec/testing`: replay a fixture recording through
// detectors and compare with the expected alerts, and check that benign recordings raise
// none. They throw an Error that says what differs, so any test runner can use them.
import { readFileSync, writeFileSync } from 'node:fs';
import { alertJson, originOf } from '../detect/alert.js';
import type { Detector } from '../detect/api.js';
import { detectorsFor, loadOptions, type Options } from '../detect/load.js';
import type { Alert } from '../detect/runtime.js';
import { Recording } from '../format/recording.js';
import { replay } from './replay.js';

export type { Alert } from '../detect/runtime.js';
export { defineDetector, type Detector, type AlertInput, type DetectorContext, type Endpoint, type Event, type Handlers, type Severity } from '../detect/api.js';

export interface FixtureOptions {
  /** Detector objects, or specs as `--detectors` takes them (default: the built-in set). */
  readonly detectors?: ReadonlyArray<Detector | string>;
  /** Options per detector name. */
  readonly options?: Options;
  /** `--config` and `--baseline` files. */
  readonly config?: string;
  readonly baseline?: string;
}

async function resolve(o: FixtureOptions): Promise<{ detectors: Detector[]; options: Options }> {
  const given = o.detectors ?? ['builtin'];
  const specs = given.filter((d): d is string => typeof d === 'string');
  // The config and baseline files count for detector objects too, not only for named ones.
  const options = { ...loadOptions({ ...(o.config !== undefined ? { config: o.config } : {}), ...(o.baseline !== undefined ? { baseline: o.baseline } : {}) }), ...o.options };
  const named = specs.length > 0 || given.length === 0 ? (await detectorsFor(specs, options)).detectors : [];
  const objects = given.filter((d): d is Detector => typeof d !== 'string');
  return { detectors: [...named, ...objects], options };
}

export interface FixtureReplay {
  readonly alerts: Alert[];
  /** The alerts as `flightrec replay -f jsonl` prints them. */
  readonly jsonl: string;
}

/** Replays a recording through the detectors; a detector that throws fails the replay. */
export async function replayFixture(recording: string, o: FixtureOptions = {}): Promise<FixtureReplay> {
  const { detectors, options } = await resolve(o);
  const rec = Recording.open(recording);
  try {
    const r = replay(rec, detectors, options);
    if (r.failures.length > 0) {
      const f = r.failures[0]!;
      throw new Error(`detector ${f.detector} threw at seq ${f.seq} of ${recording}: ${f.message}`);
    }
    return { alerts: r.alerts, jsonl: r.alerts.map((a) => `${alertJson(a, rec.manifest.clock, originOf(rec.manifest))}\n`).join('') };
  } finally {
    rec.close();
  }
}

/** What an expected alert must match: any subset of fields; `title` may be a RegExp. */
export type ExpectedAlert = Partial<Omit<Alert, 'title' | 'ts' | 'seq'>> & { readonly title?: string | RegExp; readonly seq?: bigint | number };

function matches(a: Alert, e: ExpectedAlert): boolean {
  for (const [k, v] of Object.entries(e)) {
    const got = (a as unknown as Record<string, unknown>)[k];
    if (v instanceof RegExp ? !v.test(String(got)) : k === 'seq' ? BigInt(v as number) !== got : JSON.stringify(got) !== JSON.stringify(v)) return false;
  }
  return true;
}

const describe = (a: Alert): string => `${a.detector} ${a.severity} pid ${a.pid} seq ${a.seq}: ${a.title}`;

/**
 * Replays `recording` and compares its alerts with `expected`: a golden JSON Lines file
 * (byte for byte; with FLIGHTREC_UPDATE_GOLDEN=1 the file is written instead), or a list of
 * expected alerts matched in order.
 */
export async function expectAlerts(recording: string, expected: string | readonly ExpectedAlert[], o: FixtureOptions = {}): Promise<Alert[]> {
  const r = await replayFixture(recording, o);
  if (typeof expected === 'string') {
    if (process.env.FLIGHTREC_UPDATE_GOLDEN === '1') {
      writeFileSync(expected, r.jsonl);
      return r.alerts;
    }
    const want = readFileSync(expected, 'utf8').split('\n').filter(Boolean);
    const got = r.jsonl.split('\n').filter(Boolean);
    const at = want.findIndex((w, i) => w !== got[i]);
    if (at >= 0 || want.length !== got.length) {
      const i = at >= 0 ? at : Math.min(want.length, got.length);
      throw new Error(`${recording}: alerts differ from ${expected} at alert ${i + 1} of ${want.length} expected, ${got.length} raised\n  expected: ${want[i] ?? '(none)'}\n  raised:   ${got[i] ?? '(none)'}`);
    }
    return r.alerts;
  }
  const bad = expected.findIndex((e, i) => !r.alerts[i] || !matches(r.alerts[i]!, e));
  if (bad >= 0 || expected.length !== r.alerts.length) {
    throw new Error(`${recording}: expected ${expected.length} alert(s), raised ${r.alerts.length}${bad >= 0 ? `; alert ${bad + 1} does not match ${JSON.stringify(expected[bad], (_k, v: unknown) => (v instanceof RegExp ? String(v) : typeof v === 'bigint' ? v.toString() : v))}` : ''}\n${r.alerts.map((a) => `  ${describe(a)}`).join('\n')}`);
  }
  return r.alerts;
}

/** The false-positive check: no alert at all over recordings of benign work. */
export async function expectNoAlerts(recordings: readonly string[], o: FixtureOptions = {}): Promise<void> {
  const found: string[] = [];
  for (const rec of recordings) for (const a of (await replayFixture(rec, o)).alerts) found.push(`  ${rec}: ${describe(a)}`);
  if (found.length > 0) throw new Error(`${found.length} false positive(s) over ${recordings.length} benign recording(s):\n${found.join('\n')}`);
}
