// `flightrec doctor`: what this host's kernel offers flightrec, each feature with the first
// kernel that has it and what flightrec does without it, which tables can be recorded, and
// whether recording can start here at all (the programs are loaded to find out).
import { existsSync } from 'node:fs';
import { machine } from 'node:os';
import { RecordingError } from '../format/errors.js';
import { RECORDABLE_TABLES, type TableName } from '../schema/tables.js';
import { INTEL_PT, kernelBtfPath, noBtf, planFor, withoutFeatures } from './kernel.js';
import { loadAddon, type KernelFeatures, type NativeSession } from './native.js';
import { canLoadBpf, explainLoadError } from './preflight.js';
import { DEFAULTS } from './session.js';

export interface DoctorReport {
  readonly kernel: string;
  readonly arch: string;
  readonly btf_path: string;
  /** Whether this process may load BPF programs (the feature probes need that). */
  readonly privileged: boolean;
  /** Whether `flightrec record` can start here, and if not, why. */
  readonly can_record: boolean;
  readonly problem: string | null;
  readonly features: ReadonlyArray<{ name: string; present: boolean; since: string; required: boolean; without: string | null }>;
  readonly tables: ReadonlyArray<{ table: string; available: boolean; note: string | null }>;
}

/** Loads every program a recording of `tables` would (and attaches none): the verifier of this
 * kernel has the last word on whether they run here, not the feature list. */
function tryLoad(features: KernelFeatures, tables: readonly TableName[], btfPath: string): void {
  const addon = loadAddon();
  let session: NativeSession;
  try {
    session = new addon.Session({
      mode: 'pids', ringBytes: DEFAULTS.ringBytes, batchRows: DEFAULTS.batchRows, batchMs: DEFAULTS.batchMs, drainMs: DEFAULTS.drainMs,
      holdMs: DEFAULTS.holdMs, tables, sampleHz: DEFAULTS.sampleHz, btfPath, features, debug: false,
    }, () => undefined);
  } catch (err) {
    throw explainLoadError(err as Error);
  }
  session.close();
}

export function doctor(): DoctorReport {
  const btfPath = kernelBtfPath();
  const privileged = canLoadBpf();
  const f: KernelFeatures = withoutFeatures(loadAddon().probeKernel(btfPath));
  let problem: string | null = null;
  let unavailable: Readonly<Record<string, string>> = {};
  if (!existsSync(btfPath)) problem = noBtf(btfPath).message;
  else if (!privileged) problem = 'this process may not load BPF programs (run as root, or with CAP_BPF and CAP_PERFMON): the features below could not be probed';
  else {
    try {
      const plan = planFor(f, RECORDABLE_TABLES);
      unavailable = plan.unavailable;
      tryLoad(f, plan.tables, btfPath);
    } catch (err) {
      if (!(err instanceof RecordingError)) throw err;
      problem = err.message;
    }
  }
  const sample = f.cycles ? 'hardware cycles' : 'the software cpu-clock (no hardware PMU here)';
  const pt = existsSync(INTEL_PT) ? 'this build cannot capture Intel PT yet' : `no Intel PT on this host (${INTEL_PT})`;
  return {
    kernel: f.release, arch: machine(), btf_path: btfPath, privileged, can_record: problem === null, problem,
    features: f.list.map((x) => ({ ...x, without: x.without || null })),
    tables: [
      ...RECORDABLE_TABLES.map((t) => {
        const why = unavailable[t];
        return { table: t, available: problem === null && why === undefined, note: problem !== null ? null : why ?? (t === 'sample' ? sample : null) };
      }),
      { table: 'pt', available: false, note: pt },
    ],
  };
}
