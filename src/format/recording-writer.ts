// Appends batches to a recording directory, rotating segments by size, by time and by batch
// count, sealing each segment into the manifest's hash chain, and pruning the oldest sealed
// segments beyond a retention bound (prune.ts). Everything is created new
// inside the directory it holds open (see confined-dir.ts): nothing is written through a link.
// The files are written on the writer thread (batch-writer.ts). The caller waits for each batch
// and segment to be written and sealed, unless `sealInBackground` (the recorder): then its own
// batches are queued with the consumer thread's, and a segment enters the manifest at a later
// tick, once that thread has sealed it, so that rotation never waits for a burst being written.
import { randomUUID } from 'node:crypto';
import { fchmodSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { TableName } from '../schema/tables.js';
import { VERSION } from '../version.js';
import { appendSegment, closeManifest } from './chain.js';
import { ConfinedDir } from './confined-dir.js';
import { RecordingError } from './errors.js';
import { clockMapping, hostInfo } from './host.js';
import { MAX_BATCHES_PER_FILE } from './limits.js';
import { FORMAT_NAME, FORMAT_VERSION, isPruned, segmentDirName, writeManifest, type Manifest } from './manifest.js';
import { DEFAULT_SEGMENT_BYTES, DEFAULT_SEGMENT_MS } from './rotation.js';
import { markPruned, removePruned, segmentBytes, segmentsToPrune, type Retention } from './prune.js';
import { BatchWriter } from './batch-writer.js';
import { compressionLevel } from './codec.js';
import { schemaMismatch } from './stored-schema.js';

export interface RecordingWriterOptions {
  /** Seal the open segment once it holds this many bytes. */
  readonly maxSegmentBytes?: number;
  /** Seal the open segment once it has been open this long (checked on append and on tick()). */
  readonly maxSegmentMs?: number;
  /** Prune the oldest sealed segments beyond these bounds (checked on sealing and on tick()). */
  readonly keep?: Retention;
  /**
   * Batches every segment starts with, made when it opens: what a reader of the kept segments
   * alone needs (the recorder's account table: user names), since pruning takes the first.
   */
  readonly carried?: () => ReadonlyArray<readonly [TableName, RecordBatch]>;
  readonly commandLine?: readonly string[];
  readonly targets?: Record<string, unknown>;
  readonly probes?: ReadonlyArray<Record<string, unknown>>;
  readonly source?: Record<string, unknown>;
  /** A recording derived from another (a slice): its host, clock, recorder pid, targets and probes are the source's. */
  readonly derivedFrom?: Manifest;
  /** Milliseconds clock (wall time) for rotation, seal times and retention; injectable for tests. */
  readonly now?: () => number;
  /** Rotation does not wait for the segment's batches to be written: it enters the manifest at a later tick (the recorder). */
  readonly sealInBackground?: boolean;
  /** Bytes of batches the writer thread may have queued before a producer waits (batch-writer.ts). */
  readonly queueBytes?: number;
}

/** A segment opened: what its manifest entry will say besides its files. */
interface Opened {
  readonly index: number;
  readonly dir: string;
  readonly openedAt: string;
  readonly openedMs: number;
  /** Once sealing: its bytes at most (written, and queued before compression), for pruning ahead of its seal. */
  bytes?: number;
}

/**
 * In the background, a segment is sealed this many batches before a file would reach the most
 * readers take: batches keep coming from the recorder's consumer between ticks.
 */
const BACKGROUND_BATCH_MARGIN = 1000;

export class RecordingWriter {
  private manifest: Manifest;
  private readonly writer: BatchWriter;
  private segment: Opened | undefined;
  /** Segments sealed or being sealed on the writer thread, not yet in the manifest, in order. */
  private readonly sealing: Opened[] = [];
  private readonly background: boolean;
  private nextIndex = 1;
  private readonly maxBytes: number;
  private readonly maxMs: number;
  private readonly keep: Retention | undefined;
  private readonly carried: RecordingWriterOptions['carried'];
  private nextAgeCheckMs = 0;
  /** What pruning has cost: segments pruned, and the milliseconds of each pass (manifest write and deletion), summed and the most. */
  readonly pruning = { segments: 0, totalMs: 0, maxMs: 0 };
  /** Segments with rows from this ts on are kept from pruning (pin()). */
  private keepFrom: bigint | undefined;
  private readonly now: () => number;
  private closed = false;

  private constructor(readonly dir: string, private readonly root: ConfinedDir, private readonly segmentsDir: ConfinedDir, manifest: Manifest, opts: RecordingWriterOptions) {
    this.manifest = manifest;
    this.maxBytes = opts.maxSegmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxMs = opts.maxSegmentMs ?? DEFAULT_SEGMENT_MS;
    this.keep = opts.keep?.keepBytes !== undefined || opts.keep?.keepMs !== undefined ? opts.keep : undefined;
    this.now = opts.now ?? Date.now;
    this.carried = opts.carried;
    this.background = opts.sealInBackground ?? false;
    this.writer = new BatchWriter(opts.queueBytes);
  }

  /**
   * Create a new recording in `dir`, which must not exist or be an empty directory (made
   * private, 0700, either way).
   */
  static create(dir: string, opts: RecordingWriterOptions = {}): RecordingWriter {
    if (dir.trim() === '') throw new RecordingError('give a directory to write the recording to (an empty path would mean the current directory)', { file: JSON.stringify(dir) });
    const root = ConfinedDir.open(dir, { create: true });
    let segments: ConfinedDir | undefined;
    try {
      if (root.list().length > 0) throw new RecordingError('already exists and is not empty: choose a new output directory', { file: dir });
      fchmodSync(root.fd, 0o700);
      segments = root.mkdir('segments');
      const from = opts.derivedFrom;
      const manifest: Manifest = {
        format: FORMAT_NAME, format_version: FORMAT_VERSION, id: randomUUID(), recorder_version: VERSION,
        host: from?.host ?? hostInfo(), clock: from?.clock ?? clockMapping(), command_line: [...(opts.commandLine ?? process.argv.slice(1))],
        targets: opts.targets ?? from?.targets ?? {}, probes: [...(opts.probes ?? from?.probes ?? [])], created_at: new Date().toISOString(),
        state: 'recording', closed_at: null, closed_by: null, closed_chain: null, writer_pid: from?.writer_pid ?? process.pid,
        ...(opts.source ? { source: opts.source } : {}), segments: [],
      };
      writeManifest(root, manifest);
      segments.fsync();
      return new RecordingWriter(dir, root, segments, manifest, opts);
    } catch (err) {
      segments?.close();
      root.close();
      throw err;
    }
  }

  /** The manifest as written so far. */
  get current(): Manifest {
    return this.manifest;
  }

  /** Bytes in segments not yet in the manifest: the open one and those being sealed. */
  get openSegmentBytes(): number {
    return this.writer.stats().unsealedBytes;
  }

  /** The writer thread, for the recorder's consumer to queue its batches to (the same queue). */
  get batchWriter(): BatchWriter {
    return this.writer;
  }

  /** Bytes of table files written so far, sealed segments (pruned ones too) and the open one. */
  get bytesWritten(): number {
    let n = this.openSegmentBytes;
    for (const s of this.manifest.segments) n += segmentBytes(s);
    return n;
  }

  /** Bytes of table files on disk: the kept sealed segments and the open one. */
  get bytesKept(): number {
    let n = this.openSegmentBytes;
    for (const s of this.manifest.segments) if (!isPruned(s)) n += segmentBytes(s);
    return n;
  }

  /**
   * Keeps every segment with rows at or after `ts` from pruning until pinned elsewhere or
   * unpinned (undefined): what an incident being written reads. Pruning held back catches up
   * at the next seal or tick.
   */
  pin(ts: bigint | undefined): void {
    this.keepFrom = ts;
  }

  /** Opens a segment now, with its carried batches, unless one is open (append() does when it must). */
  openSegment(): void {
    if (this.closed) throw new Error('recording is closed');
    if (!this.segment) this.nextSegment();
  }

  /**
   * Makes the next segment's directory and sends the batches given from now on there, starting
   * with its carried ones; the writer thread seals the segment it had open, if any, first.
   */
  private nextSegment(): void {
    const openedMs = this.now();
    const index = this.nextIndex++;
    const dir = segmentDirName(index);
    const made = this.segmentsDir.mkdir(dir);
    try {
      this.writer.open(made, dir);
    } finally {
      made.close();
    }
    this.segment = { index, dir, openedAt: new Date(openedMs).toISOString(), openedMs };
    for (const [t, b] of this.carried?.() ?? []) this.write(t, b);
  }

  append(table: TableName, batch: RecordBatch): void {
    this.openSegment();
    this.write(table, batch);
    this.tick();
  }

  private write(table: TableName, batch: RecordBatch): void {
    const schema = SCHEMAS[table];
    const mismatch = batch.schema === schema ? undefined : schemaMismatch(batch.schema, schema);
    if (mismatch) throw new Error(`batch for table ${table} does not have the table's schema: ${mismatch}`);
    this.writer.append(table, batch, compressionLevel());
    // Unless in the background, a batch is on disk when append returns, or append throws why not.
    if (!this.background) this.flushWrites();
  }

  /** Waits until every batch given so far is written (readers of the open segment see them). */
  flushWrites(): void {
    this.writer.drain();
    this.writer.check();
  }

  /**
   * Seal the open segment if it is over its size, age or batch count, take the segments the
   * writer thread has sealed into the manifest, and prune sealed ones past --keep-time; call
   * periodically when idle. Throws a write failure of the writer thread.
   */
  tick(): void {
    this.collect();
    const s = this.segment;
    const stats = s && this.writer.stats();
    const maxBatches = MAX_BATCHES_PER_FILE - (this.background ? BACKGROUND_BATCH_MARGIN : 0);
    if (s && stats && (stats.openBytes >= this.maxBytes || this.now() - s.openedMs >= this.maxMs || stats.openMaxBatches >= maxBatches)) this.rotate();
    else if (this.keep?.keepMs !== undefined && this.now() >= this.nextAgeCheckMs) {
      // The list is walked at most once a second; a --keep-time is seconds or more.
      this.nextAgeCheckMs = this.now() + 1000;
      this.prune(this.manifest);
    }
  }

  /** Seals the open segment and waits until it is in the manifest. */
  sealSegment(): void {
    this.rotate();
    this.writer.drain();
    this.collect();
  }

  /**
   * Seals the open segment (and waits for it, unless in the background). In the background the
   * next segment opens in the same step (the recorder's consumer gives batches at any time), and
   * the oldest segments are pruned for the bound to hold with the one being sealed.
   */
  private rotate(reopen = this.background): void {
    const seg = this.segment;
    if (!seg) return;
    const stats = this.writer.stats();
    seg.bytes = stats.openBytes + stats.queuedBytes;
    this.segment = undefined;
    this.sealing.push(seg);
    // Before the next segment's directory is made: the bound holds at every moment.
    if (this.background) this.prune(this.manifest);
    // Opening the next segment seals this one on the writer thread, in the same queue step.
    if (reopen) this.nextSegment();
    else this.writer.seal();
    if (this.background) return;
    this.writer.drain();
    this.collect();
  }


  /** The segments the writer thread has sealed, into the manifest in order; then its write failure, if one happened. */
  private collect(): void {
    for (const { name, tables } of this.writer.takeSealed()) {
      const seg = this.sealing.shift();
      if (seg?.dir !== name) throw new Error(`the writer sealed segment ${name}, expected ${seg?.dir}`);
      const sealed = appendSegment(this.manifest, {
        index: seg.index, dir: seg.dir, opened_at: seg.openedAt, sealed_at: new Date(this.now()).toISOString(), tables,
      });
      // The seal and the pruning it brings go in one manifest write.
      if (!this.prune(sealed)) {
        this.manifest = sealed;
        writeManifest(this.root, this.manifest);
      }
    }
    this.writer.check();
  }

  /**
   * Writes `m` with the segments beyond the retention bound marked pruned, then removes their
   * files; false (nothing written) when none is beyond it.
   */
  private prune(m: Manifest): boolean {
    if (!this.keep) return false;
    const sealing = this.sealing.reduce((n, s) => n + (s.bytes ?? 0), 0);
    const indexes = segmentsToPrune(m, this.keep, this.now(), this.keepFrom, sealing);
    if (indexes.length === 0) return false;
    const t0 = performance.now();
    this.manifest = markPruned(m, indexes, new Date(this.now()).toISOString());
    writeManifest(this.root, this.manifest);
    removePruned(this.segmentsDir, this.manifest.segments.filter((s) => indexes.includes(s.index)));
    const ms = performance.now() - t0;
    this.pruning.segments += indexes.length;
    this.pruning.totalMs += ms;
    this.pruning.maxMs = Math.max(this.pruning.maxMs, ms);
    return true;
  }

  close(): Manifest {
    if (this.closed) return this.manifest;
    try {
      this.rotate(false);
      this.writer.drain();
      this.collect();
      this.manifest = closeManifest(this.manifest, 'writer');
      writeManifest(this.root, this.manifest);
    } finally {
      this.closed = true;
      this.writer.close();
      this.segmentsDir.close();
      this.root.close();
    }
    return this.manifest;
  }
}
