// `flightrec seal`: after a crash, turn the unsealed tail into sealed segments. Each table
// file is cut after its last complete batch; the cut bytes are kept beside it as
// `<table>.arrow.torn` (hashed, listed in the manifest) so nothing recorded is thrown away.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { RecordingError } from './errors.js';
import { appendSegment, fsyncDir, segmentDirName, sha256File, writeManifest, type Manifest, type Recovery, type TableEntry } from './manifest.js';
import { Recording } from './recording.js';
import { END_OF_STREAM, TsRange } from './segment-writer.js';
import { TableFile } from './table-file.js';

export interface SealResult {
  readonly sealed: number;
  readonly tornBytes: number;
  readonly alreadySealed: boolean;
}

function writerAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return /flightrec|node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

function readRange(path: string, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    for (let got = 0; got < length;) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) throw new RecordingError(`file shrank while sealing (short read at ${offset + got})`, { file: path });
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** Finish one table file of an unsealed segment; undefined when nothing complete was in it. */
function sealTableFile(segDir: string, table: TableName, torn: Recovery['torn'][number][]): TableEntry | undefined {
  const file = `${table}.arrow`;
  const path = join(segDir, file);
  const f = new TableFile(path, SCHEMAS[table]);
  const ts = new TsRange();
  let rawBytes: number;
  try {
    for (const batch of f.recordBatches()) ts.add(batch);
    rawBytes = f.rawBytes;
  } finally {
    f.close();
  }
  if (f.torn) {
    const tornFile = `${file}.torn`;
    const bytes = readRange(path, f.torn.offset, f.torn.bytes);
    writeFileSync(join(segDir, tornFile), bytes, { mode: 0o600 });
    torn.push({ table, offset: f.torn.offset, bytes: bytes.byteLength, file: tornFile, sha256: createHash('sha256').update(bytes).digest('hex'), reason: f.torn.reason });
    if (f.torn.offset === 0) {
      // Not even the first batch was complete: its bytes now live in the .torn file only.
      unlinkSync(path);
      return undefined;
    }
    truncateSync(path, f.torn.offset);
  }
  if (!f.ended) {
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, END_OF_STREAM);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return {
    file, rows: f.rows, batches: f.batches, first_ts: ts.firstString, last_ts: ts.lastString,
    bytes: statSync(path).size, raw_bytes: rawBytes, sha256: sha256File(path),
  };
}

export function sealRecording(dir: string, opts: { force?: boolean } = {}): SealResult {
  const rec = Recording.open(dir);
  let m: Manifest = rec.manifest;
  const lastSealed = m.segments.at(-1)?.index ?? 0;
  const pending = rec.unsealedIndexes();
  if (m.state === 'closed' && pending.length === 0) return { sealed: 0, tornBytes: 0, alreadySealed: true };
  if (m.state === 'recording' && !opts.force && writerAlive(m.writer_pid)) {
    throw new RecordingError(`is still being written by process ${m.writer_pid}; stop it first (or pass --force if that process is not flightrec)`, { file: dir });
  }
  if (pending.some((i) => i <= lastSealed)) throw new RecordingError('has segment directories inside the sealed range that the manifest does not list: run `flightrec verify`', { file: dir });
  let sealed = 0;
  let tornBytes = 0;
  for (const index of pending) {
    const segDir = join(dir, 'segments', segmentDirName(index));
    const torn: Recovery['torn'][number][] = [];
    const tables: Record<string, TableEntry> = {};
    for (const table of TABLE_NAMES) {
      if (!existsSync(join(segDir, `${table}.arrow`))) continue;
      const entry = sealTableFile(segDir, table, torn);
      if (entry) tables[table] = entry;
    }
    fsyncDir(segDir);
    tornBytes += torn.reduce((n, t) => n + t.bytes, 0);
    const now = new Date().toISOString();
    m = appendSegment(m, {
      index, dir: segmentDirName(index), opened_at: statSync(segDir).birthtime.toISOString(), sealed_at: now, tables,
      recovered: { sealed_at: now, torn },
    });
    sealed++;
  }
  m = { ...m, state: 'closed', closed_at: new Date().toISOString(), closed_by: 'seal' };
  writeManifest(dir, m);
  return { sealed, tornBytes, alreadySealed: false };
}
