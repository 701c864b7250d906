// `flightrec doctor`: what this host's kernel offers flightrec, each feature with the first
// kernel that has it and what flightrec does without it, which tables can be recorded, and
// whether recording can start here at all.
import { existsSync } from 'node:fs';
import { machine } from 'node:os';
import { RecordingError } from '../format/errors.js';
import { RECORDABLE_TABLES } from '../schema/tables.js';
import { INTEL_PT, kernelBtfPath, noBtf, planFor } from './kernel.js';
import { loadAddon, type KernelFeatures } from './native.js';
import { canLoadBpf } from './preflight.js';

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

export function doctor(): DoctorReport {
  const btfPath = kernelBtfPath();
  const privileged = canLoadBpf();
  const f: KernelFeatures = loadAddon().probeKernel(btfPath);
  let problem: string | null = null;
  let unavailable: Readonly<Record<string, string>> = {};
  if (!existsSync(btfPath)) problem = noBtf(btfPath).message;
  else if (!privileged) problem = 'this process may not load BPF programs (run as root, or with CAP_BPF and CAP_PERFMON): the features below could not be probed';
  else {
    try {
      unavailable = planFor(f, RECORDABLE_TABLES).unavailable;
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
