// What this kernel lets flightrec record, decided from the features the addon probes
// (native/kernel_features.cc): a kernel that lacks something flightrec cannot do without is
// refused in one line naming the feature and the first kernel that has it; a table whose
// tracepoints this kernel lacks is left out and named as unavailable in the manifest.
import { existsSync } from 'node:fs';
import { RecordingError } from '../format/errors.js';
import type { TableName } from '../schema/tables.js';
import type { KernelFeatures } from './native.js';

export const DEFAULT_BTF_PATH = '/sys/kernel/btf/vmlinux';
/** Where a host with Intel PT has its perf event source. */
export const INTEL_PT = '/sys/bus/event_source/devices/intel_pt';

/** The kernel's BTF: FLIGHTREC_KERNEL_BTF names another file (a test points it at a missing
 * one to see the refusal), else the kernel's own. */
export function kernelBtfPath(): string {
  return process.env.FLIGHTREC_KERNEL_BTF || DEFAULT_BTF_PATH;
}

/** The one line for a kernel without BTF. */
export function noBtf(path: string): RecordingError {
  return new RecordingError(`this kernel has no BTF (${path} is missing): flightrec needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Linux 5.4 or newer; Debian 11 and newer, Ubuntu 20.10 and newer and RHEL 8.2 and newer have it)`);
}

export function checkBtf(path = kernelBtfPath()): void {
  if (!existsSync(path)) throw noBtf(path);
}

/** The tracepoints each table's programs attach to (bpf/*.bpf.c). Every table also needs the
 * process lifecycle tracepoints, which select targets. */
const LIFECYCLE = ['sched_process_fork', 'sched_process_exec', 'sched_process_exit'];
const SYSCALL_PATH = ['sys_enter', 'sys_exit', 'sched_switch'];
const TABLE_TRACEPOINTS: Partial<Record<TableName, readonly string[]>> = {
  syscall: SYSCALL_PATH, file: SYSCALL_PATH, dns: SYSCALL_PATH, mem: SYSCALL_PATH,
  net: [...SYSCALL_PATH, 'inet_sock_set_state'],
  bio: ['block_bio_queue', 'block_rq_issue', 'block_rq_complete'],
};

export interface KernelPlan {
  /** The tables to record. */
  readonly tables: TableName[];
  /** Tables asked for that this kernel cannot give, and why. */
  readonly unavailable: Readonly<Record<string, string>>;
}

/** Refuses a kernel flightrec cannot record on; otherwise the tables it can record of those
 * asked for. */
export function planFor(f: KernelFeatures, tables: readonly TableName[]): KernelPlan {
  const release = f.release ? `this kernel (${f.release})` : 'this kernel';
  if (!f.btf) throw new RecordingError(`the kernel BTF at ${f.btfPath} cannot be read: flightrec needs the kernel's own BTF (CONFIG_DEBUG_INFO_BTF=y)`);
  if (!f.ringbuf) throw new RecordingError(`${release} has no BPF ring buffer: flightrec needs Linux 5.8 or newer (5.10 or newer is tested)`);
  const missing = (tps: readonly string[]): string[] => tps.filter((tp) => !f.tracepoints[tp]);
  const lifecycle = missing(LIFECYCLE);
  if (lifecycle.length > 0) throw new RecordingError(`${release} has no ${lifecycle.join(', ')} tracepoint in its BTF: flightrec needs BTF tracepoints (Linux 5.5 or newer)`);
  const out: TableName[] = [];
  const unavailable: Record<string, string> = {};
  for (const t of tables) {
    const gone = missing(TABLE_TRACEPOINTS[t] ?? []);
    if (gone.length === 0) out.push(t);
    else unavailable[t] = `no ${gone.join(', ')} tracepoint in this kernel`;
  }
  if (out.length === 0) throw new RecordingError(`${release} cannot record any of the tables asked for (${Object.entries(unavailable).map(([t, why]) => `${t}: ${why}`).join('; ')})`);
  return { tables: out, unavailable };
}

/** Features to act as if this kernel lacked: FLIGHTREC_WITHOUT=taskBtf,taskStorage,...
 * runs the older kernels' side of bpf/compat.h here (the tests do, to keep it working between
 * runs of the kernel matrix). */
export function withoutFeatures(f: KernelFeatures, without = process.env.FLIGHTREC_WITHOUT ?? ''): KernelFeatures {
  const off = without.split(',').map((s) => s.trim()).filter(Boolean);
  const known = ['taskBtf', 'taskStorage', 'taskPtRegs', 'exitGroupDead'];
  for (const name of off) {
    if (!known.includes(name)) throw new RecordingError(`FLIGHTREC_WITHOUT=${without}: ${name} is not one of ${known.join(', ')}`);
  }
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, off.includes(k) ? false : v])) as unknown as KernelFeatures;
}

/** The kernel differences the programs were loaded for, as the manifest keeps them. */
export function kernelVariant(f: KernelFeatures): Record<string, boolean> {
  return {
    task_btf: f.taskBtf, task_storage: f.taskStorage, task_pt_regs: f.taskPtRegs,
    exit_group_dead: f.exitGroupDead, bio_queue_has_queue: f.bioQueueHasQueue,
  };
}
