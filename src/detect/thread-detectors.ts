// Loading detectors inside a detection thread: detector files are imported here, never on the
// thread that supervises, each import marked on the heartbeat so a file whose top level loops
// or allocates without bound is named. What the supervisor asks for (which specs, which
// detectors to leave out or to run alone) travels as workerData.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../paths.js';
import type { Detector } from './api.js';
import { detectorsFor, type Options } from './load.js';
import { LOADING, enter, leave, type Heartbeat } from './heartbeat.js';

/** What a detection thread is asked to load. */
export interface DetectorRequest {
  /** As --detectors takes them. */
  readonly specs: readonly string[] | undefined;
  readonly options: Options;
  /** Run only these (by name)... */
  readonly only?: readonly string[];
  /** ...or all but these. */
  readonly exclude?: readonly string[];
}

/** A loaded detector as the supervisor sees it (plain data). */
export interface DetectorInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly tables: readonly string[];
}

export interface ThreadDetectors {
  /** In the order the runtime numbers them (the heartbeat's WHO). */
  readonly detectors: readonly Detector[];
  readonly info: readonly DetectorInfo[];
  /** Built-in detectors left out and why. */
  readonly skipped: readonly string[];
}

/** Lets detector files import `flightrec` and `flightrec/testing` (see own-package.ts); once per thread. */
function provideOwnPackage(): void {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string> };
  const specifiers = Object.fromEntries(Object.entries(pkg.exports)
    .map(([sub, file]) => [sub === '.' ? pkg.name : `${pkg.name}${sub.slice(1)}`, pathToFileURL(join(root, file)).href]));
  register(new URL('./own-package.js', import.meta.url), { data: { specifiers } });
}

let provided = false;

export async function loadInThread(beat: Heartbeat, r: DetectorRequest): Promise<ThreadDetectors> {
  if (!provided) {
    provideOwnPackage();
    provided = true;
  }
  let set;
  try {
    set = await detectorsFor(r.specs, r.options, (spec) => enter(beat, LOADING, spec));
  } finally {
    leave(beat);
  }
  const detectors = set.detectors.filter((d) => (r.only ? r.only.includes(d.name) : !r.exclude?.includes(d.name)));
  return {
    detectors,
    info: detectors.map((d) => ({ name: d.name, version: d.version, description: d.description, tables: Object.keys(d.tables) })),
    skipped: set.skipped,
  };
}
