// The native addon (native/): BPF loading, the target filter, the ring consumer thread, and
// the launcher that holds a command until it is selected. Typed here once.
import { RecordingError } from '../format/errors.js';
import { requireAddon } from '../native-addon.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { TableName } from '../schema/tables.js';

/** The Arrow buffers of one column, over native memory. */
export interface NativeColumn {
  readonly validity?: ArrayBuffer;
  readonly nullCount: number;
  readonly offsets?: ArrayBuffer;
  readonly data?: ArrayBuffer;
  /** list<utf8>: offsets of the strings inside the list. */
  readonly childOffsets?: ArrayBuffer;
}

/** A batch of one table in (ts, seq) order; columns in schema order. */
export interface NativeBatch {
  readonly kind: 'batch';
  readonly table: TableName;
  readonly rows: number;
  readonly columns: readonly NativeColumn[];
}

/** What the consumer thread hands over, in order: batches; with `synced`, a mark that every
 * row up to a watermark has been handed over; and, last, the end. */
export type NativeMessage = NativeBatch | { readonly kind: 'flushed' } | { readonly kind: 'end' };

/** What the running kernel offers (native/kernel_features.h). */
export interface KernelFeatures {
  readonly release: string;
  readonly btfPath: string;
  readonly btf: boolean;
  readonly ringbuf: boolean;
  readonly taskBtf: boolean;
  readonly taskStorage: boolean;
  readonly taskPtRegs: boolean;
  readonly exitGroupDead: boolean;
  /** block_bio_queue's arguments start with the request queue (before 5.11). */
  readonly bioQueueHasQueue: boolean;
  readonly cycles: boolean;
  /** The tracepoints flightrec attaches to, and whether this kernel has each. */
  readonly tracepoints: Readonly<Record<string, boolean>>;
  /** Every feature with the first kernel that has it and what flightrec does without it. */
  readonly list: ReadonlyArray<{ name: string; present: boolean; since: string; required: boolean; without: string }>;
}

export interface NativeStats {
  /** Rows decoded per table (gap rows included). */
  readonly rows: Readonly<Record<string, number>>;
  /** Events the kernel could not record, from gap rows. */
  readonly lost: number;
  /** Of those, the rows each table lost, for the tables that lost any. */
  readonly lostByTable: Readonly<Record<string, number>>;
  /** Bytes of records drained from the ring. */
  readonly ringBytes: number;
  /** Records too short or of an unknown table (a recorder bug if ever non-zero). */
  readonly malformed: number;
  readonly batches: number;
  readonly drains: number;
  /** Events the programs made so far (in the ring, in the syscall lanes, or lost), from the kernel's counters: ahead of `rows`, which count what was drained. */
  readonly kernelEvents: number;
}

export interface NativeSessionOptions {
  /** How targets are selected in the kernel: all but the recorder, a pid tree, or a cgroup. */
  readonly mode: 'all' | 'pids' | 'cgroup';
  readonly ringBytes: number;
  readonly batchRows: number;
  readonly batchMs: number;
  readonly drainMs: number;
  readonly holdMs: number;
  /** Hand over every table up to one watermark at a time, each time followed by 'flushed' (live detection). */
  readonly synced?: boolean;
  /** Hand nothing over until snapshot() has staged its rows. */
  readonly snapshot?: boolean;
  /** Tables to record (the others' programs are not loaded). */
  readonly tables: readonly string[];
  /** CPU samples per second per CPU, when `tables` has sample. */
  readonly sampleHz: number;
  readonly cgroupPath?: string;
  /** The kernel's BTF (normally /sys/kernel/btf/vmlinux). */
  readonly btfPath: string;
  /** What the kernel offers (probeKernel), deciding each program variant (bpf/compat.h). */
  readonly features: KernelFeatures;
  readonly debug: boolean;
}

export interface NativeSession {
  addTarget(tgid: number): void;
  start(): void;
  stop(): void;
  stats(): NativeStats;
  /** The loaded programs and where they attach. */
  programs(): Array<{ name: string; attach: string }>;
  /** A proc row of kind snapshot for each of these processes, from /proc: called once before
   * start() and once after; the second hands the rows over (cgroupRoot: where cgroup v2 is mounted). */
  snapshot(pids: readonly number[], cgroupRoot: string): void;
  /** The first of `n` seqs no row has or will have, for rows the recorder makes itself. */
  reserveSeqs(n: number): bigint;
  /**
   * Before start(): the batches of every table but `handedOver` go to the writer thread (a
   * BatchWriter's native object), zstd at `level`, instead of to onMessage.
   */
  writeTo(writer: object, handedOver: readonly string[], level: number): void;
  /** The cgroup ids of the proc rows recorded so far (decimal strings). */
  cgroupIds(): string[];
  close(): void;
}

export interface Addon {
  Session: new (options: NativeSessionOptions, onMessage: (message: NativeMessage) => void) => NativeSession;
  /** Forks a child that waits for release(gate) before it execs `file`. */
  spawnHeld(file: string, argv: readonly string[], env: readonly string[]): { pid: number; gate: number };
  release(gate: number): void;
  /** The child's wait status once it ended, else null. */
  reap(pid: number): number | null;
  /** One datagram to a unix datagram socket. */
  sendDatagram(path: string, message: Buffer): void;
  tables(): ReadonlyArray<{ name: string; id: number; size: number; columns: string[] }>;
  /** Probes the running kernel (its BTF at `btfPath`). */
  probeKernel(btfPath: string): KernelFeatures;
  /** These processes and every one below them, now. */
  processTree(pids: readonly number[]): number[];
  /** Every process in a cgroup v2 directory or below it, now. */
  cgroupProcesses(path: string): number[];
  /** Every process but this one, now. */
  allProcesses(): number[];
  libbpfVersion: string;
}

let addon: Addon | undefined;

/** The addon, checked against the schema it must have been built from. */
export function loadAddon(): Addon {
  if (addon) return addon;
  const a = requireAddon() as Addon;
  for (const t of a.tables()) {
    const fields = SCHEMAS[t.name as TableName]?.fields.map((f) => f.name) ?? [];
    if (fields.join(',') !== t.columns.join(',')) {
      throw new RecordingError(`the native recorder was built from another schema (table ${t.name}): run npm run build`);
    }
  }
  addon = a;
  return a;
}
