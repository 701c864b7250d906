// What the recorder needs from the host, checked up front so a missing piece is named
// instead of surfacing as a libbpf errno.
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { RecordingError } from '../format/errors.js';
import { checkBtf } from './kernel.js';

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

function effectiveCaps(): bigint {
  const m = /^CapEff:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** Whether this process may load and attach tracing BPF programs. */
export function canLoadBpf(): boolean {
  const caps = effectiveCaps();
  const has = (c: bigint): boolean => ((caps >> c) & 1n) === 1n;
  return has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON));
}

/** Throws a RecordingError naming the first thing missing. */
export function preflight(): void {
  if (platform() !== 'linux') throw new RecordingError(`flightrec record needs Linux (this is ${platform()})`);
  if (arch() !== 'x64') throw new RecordingError(`flightrec record is built for x86_64 (this is ${arch()})`);
  if (!canLoadBpf()) {
    throw new RecordingError('flightrec record needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs: run it with sudo');
  }
  checkBtf();
}

/** A native load/attach failure explained: what is missing and what to do. */
export function explainLoadError(err: Error & { errno?: number }): RecordingError {
  const why = err.message;
  if (err.errno === 1 || err.errno === 13) {
    const advice = process.getuid?.() === 0
      ? 'check kernel.unprivileged_bpf_disabled, lockdown (/sys/kernel/security/lockdown) and seccomp'
      : 'run as root';
    return new RecordingError(`the kernel refused the BPF programs (${why}): ${advice}`);
  }
  return new RecordingError(`${why}: run \`flightrec doctor\` to see what this kernel offers, and --debug for the verifier's log`);
}
