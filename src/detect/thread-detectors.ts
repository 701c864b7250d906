// Loading detectors inside a detection thread: detector files are imported here, never on the
// thread that supervises, each import marked on the heartbeat so a file whose top level loops
// or allocates without bound is named. What the supervisor asks for (which specs, which
// detectors to leave out or to run alone) travels as workerData.
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

export async function loadInThread(beat: Heartbeat, r: DetectorRequest): Promise<ThreadDetectors> {
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
