// Appends batches to a recording directory, rotating segments by size, by time and by batch
// count, and sealing each segment into the manifest's hash chain. Everything is created new
// inside the directory it holds open (see confined-dir.ts): nothing is written through a link.
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
import { FORMAT_NAME, FORMAT_VERSION, segmentDirName, writeManifest, type Manifest } from './manifest.js';
import { SegmentWriter } from './segment-writer.js';

export interface RecordingWriterOptions {
  /** Seal the open segment once it holds this many bytes. */
  readonly maxSegmentBytes?: number;
  /** Seal the open segment once it has been open this long (checked on append and on tick()). */
  readonly maxSegmentMs?: number;
  readonly commandLine?: readonly string[];
  readonly targets?: Record<string, unknown>;
  readonly probes?: ReadonlyArray<Record<string, unknown>>;
  readonly source?: Record<string, unknown>;
  /** A recording derived from another (a slice): its host, clock, recorder pid, targets and probes are the source's. */
  readonly derivedFrom?: Manifest;
  /** Milliseconds clock for time rotation; injectable for tests. */
  readonly now?: () => number;
}

export class RecordingWriter {
  private manifest: Manifest;
  private segment: SegmentWriter | undefined;
  private segmentOpenedMs = 0;
  private nextIndex = 1;
  private readonly maxBytes: number;
  private readonly maxMs: number;
  private readonly now: () => number;
  private closed = false;

  private constructor(readonly dir: string, private readonly root: ConfinedDir, private readonly segmentsDir: ConfinedDir, manifest: Manifest, opts: RecordingWriterOptions) {
    this.manifest = manifest;
    this.maxBytes = opts.maxSegmentBytes ?? 64 * 1024 * 1024;
    this.maxMs = opts.maxSegmentMs ?? 60_000;
    this.now = opts.now ?? Date.now;
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

  /** Bytes in the open (unsealed) segment. */
  get openSegmentBytes(): number {
    return this.segment?.bytes ?? 0;
  }

  /** Bytes of table files written so far, sealed segments and the open one. */
  get bytesWritten(): number {
    let n = this.openSegmentBytes;
    for (const s of this.manifest.segments) for (const t of Object.values(s.tables)) n += t.bytes;
    return n;
  }

  append(table: TableName, batch: RecordBatch): void {
    if (this.closed) throw new Error('recording is closed');
    if (!this.segment) {
      this.segment = new SegmentWriter(this.segmentsDir, segmentDirName(this.nextIndex));
      this.segmentOpenedMs = this.now();
    }
    this.segment.append(table, SCHEMAS[table], batch);
    this.tick();
  }

  /** Seal the open segment if it is over its size, age or batch count; call periodically when idle. */
  tick(): void {
    const s = this.segment;
    if (s && (s.bytes >= this.maxBytes || this.now() - this.segmentOpenedMs >= this.maxMs || s.maxBatches >= MAX_BATCHES_PER_FILE)) this.sealSegment();
  }

  sealSegment(): void {
    const seg = this.segment;
    if (!seg) return;
    this.segment = undefined;
    const tables = seg.seal();
    this.manifest = appendSegment(this.manifest, {
      index: this.nextIndex, dir: segmentDirName(this.nextIndex), opened_at: seg.openedAt, sealed_at: new Date().toISOString(), tables,
    });
    this.nextIndex++;
    writeManifest(this.root, this.manifest);
  }

  close(): Manifest {
    if (this.closed) return this.manifest;
    try {
      this.sealSegment();
      this.manifest = closeManifest(this.manifest, 'writer');
      writeManifest(this.root, this.manifest);
    } finally {
      this.closed = true;
      this.segmentsDir.close();
      this.root.close();
    }
    return this.manifest;
  }
}
