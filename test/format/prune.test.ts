// Retention (record --keep-size/--keep-time): the oldest sealed segments are deleted, their
// entries stay chained and marked pruned, and every reader works on what is kept, through
// every state a crash can leave between the manifest update and the deletion.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainHead, closeManifest } from '../../src/format/chain.js';
import { ConfinedDir } from '../../src/format/confined-dir.js';
import { isPruned, keptSegments, renderManifest, writeManifest, type Manifest } from '../../src/format/manifest.js';
import { markPruned, segmentBytes, segmentsToPrune } from '../../src/format/prune.js';
import { Recording, RecordingWriter, readManifest, sealRecording, summarize, verifyRecording } from '../../src/index.js';
import { accountBatch } from '../../src/record/accounts.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { cli, tempDir } from '../helpers.js';

const BATCH = 500;

/** A writer rotating every `perSegment` batches, fed `batches` batches; not closed. */
function ring(batches: number, keep: { keepBytes?: number; keepMs?: number }, opts: { now?: () => number; perSegment?: number } = {}) {
  const dir = join(tempDir(), 'rec');
  const w = RecordingWriter.create(dir, { keep, ...(opts.now ? { now: opts.now } : {}) });
  const work = new SyscallWorkload(7);
  for (let i = 1; i <= batches; i++) {
    w.append('syscall', work.batch(BATCH));
    if (i % (opts.perSegment ?? 2) === 0) w.sealSegment();
  }
  return { dir, w };
}

/** Bytes of one segment of `perSegment` batches, as ring() writes them. */
function segmentSize(perSegment = 2): number {
  const { w } = ring(perSegment, {}, { perSegment });
  return segmentBytes(w.close().segments[0]!);
}

const rowsOf = (dir: string): number => {
  const rec = Recording.open(dir);
  try {
    return [...rec.batches('syscall')].reduce((n, b) => n + b.numRows, 0);
  } finally {
    rec.close();
  }
};

const segmentDirs = (dir: string): string[] => readdirSync(join(dir, 'segments')).sort();

const editManifest = (dir: string, f: (m: Record<string, unknown>) => void): void => {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  f(m);
  writeFileSync(join(dir, 'manifest.json'), renderManifest(m as unknown as Manifest));
};

describe('pruning to --keep-size', () => {
  it('deletes the oldest sealed segments, keeps their entries chained, and stays within the bound', () => {
    const keepBytes = Math.floor(segmentSize() * 3.5);
    const { dir, w } = ring(20, { keepBytes });
    const m = w.close();
    expect(m.segments).toHaveLength(10);
    const pruned = m.segments.filter(isPruned);
    const kept = keptSegments(m);
    // Oldest first: the pruned ones are the first, the kept ones the last three.
    expect(pruned.map((s) => s.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(kept.reduce((n, s) => n + segmentBytes(s), 0)).toBeLessThanOrEqual(keepBytes);
    expect(segmentDirs(dir)).toEqual(kept.map((s) => s.dir));
    // Each pruned entry keeps its time range, rows and hashes.
    for (const s of pruned) {
      expect(s.tables.syscall).toEqual(expect.objectContaining({ rows: 2 * BATCH, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }));
      expect(s.tables.syscall!.first_ts).not.toBeNull();
    }
    expect(w.bytesKept).toBe(kept.reduce((n, s) => n + segmentBytes(s), 0));
    expect(w.bytesWritten).toBeGreaterThan(w.bytesKept);

    const r = verifyRecording(dir);
    expect(r.problems).toEqual([]);
    expect(r).toEqual(expect.objectContaining({ ok: true, sealedSegments: 3, prunedSegments: 7 }));
    expect(rowsOf(dir)).toBe(3 * 2 * BATCH);
    const v = cli('verify', dir);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('3 sealed segments (and 7 pruned segments, proved by the chain)');
  });

  it('info --json lists the pruned segments and the kept window; text says both', () => {
    const { dir, w } = ring(12, { keepBytes: Math.floor(segmentSize() * 2.5) });
    const m = w.close();
    const info = JSON.parse(cli('info', '--json', dir).stdout) as Record<string, any>;
    const kept = keptSegments(m);
    expect(info.segments).toEqual({ sealed: kept.length, pruned: m.segments.length - kept.length, unsealed: 0, recovered: 0 });
    expect(info.pruned.map((p: { index: number }) => p.index)).toEqual(m.segments.filter(isPruned).map((s) => s.index));
    expect(info.pruned[0]).toEqual({
      index: 1, start: expect.any(String), end: expect.any(String), rows: 2 * BATCH, bytes: segmentBytes(m.segments[0]!), pruned_at: m.segments[0]!.pruned_at,
    });
    expect(info.rows).toBe(kept.length * 2 * BATCH);
    // The kept window starts after the last pruned segment ends.
    expect(Date.parse(info.start)).toBeGreaterThanOrEqual(Date.parse(info.pruned.at(-1).end));
    expect(info.integrity).toBe('chain ok');
    const text = cli('info', dir).stdout;
    expect(text).toMatch(/segments +\d+ sealed, 0 unsealed, \d+ pruned/);
    expect(text).toMatch(/pruned +segments 1\.\.\d+: \d+ rows/);
  });

  it('sql, replay and slice read the kept window only', () => {
    const { dir, w } = ring(10, { keepBytes: Math.floor(segmentSize(5) * 1.5) }, { perSegment: 5 });
    const m = w.close();
    const keptRows = keptSegments(m).reduce((n, s) => n + s.tables.syscall!.rows, 0);
    expect(keptRows).toBe(5 * BATCH);
    const sql = cli('sql', dir, 'SELECT count(*) AS n FROM syscall', '-f', 'csv');
    expect(sql.code, sql.stderr).toBe(0);
    expect(sql.stdout.split('\n')[1]).toBe(String(keptRows));
    const replay = cli('replay', dir, '-f', 'json');
    expect(replay.code, replay.stderr).toBe(0);
    const out = join(tempDir(), 'slice');
    const slice = cli('slice', dir, '-o', out, '--pid', '1201');
    expect(slice.code, slice.stderr).toBe(0);
    const source = readManifest(out).source as { slice_of: { segments: Array<{ index: number }> } };
    expect(source.slice_of.segments.map((s) => s.index)).toEqual(keptSegments(m).map((s) => s.index));
  });
});

describe('pruning to --keep-time', () => {
  it('every segment starts with the carried batches, so the kept window still names its users', () => {
    const dir = join(tempDir(), 'rec');
    let made = 0;
    const carried = () => [['account', accountBatch([{ kind: 'user', id: 1000, name: 'eve' }], BigInt(++made))]] as const;
    const w = RecordingWriter.create(dir, { keep: { keepBytes: Math.floor(segmentSize() * 2.5) }, carried });
    w.openSegment();
    const work = new SyscallWorkload(7);
    for (let i = 1; i <= 12; i++) {
      w.append('syscall', work.batch(BATCH));
      if (i % 2 === 0) w.sealSegment();
    }
    const m = w.close();
    expect(m.segments.filter(isPruned).length).toBeGreaterThan(0);
    // One account batch per segment, opened before anything else was written to it.
    expect(made).toBe(m.segments.length);
    for (const s of m.segments) expect(s.tables.account!.rows, s.dir).toBe(1);
    const sql = cli('sql', dir, "SELECT DISTINCT name FROM account WHERE kind = 'user' AND id = 1000", '-f', 'csv');
    expect(sql.code, sql.stderr).toBe(0);
    expect(sql.stdout).toBe('name\neve\n');
  });

  it('deletes segments sealed longer ago than the bound, on tick() too', () => {
    let now = 1_000_000;
    const { dir, w } = ring(6, { keepMs: 10_000 }, { now: () => now });
    expect(w.current.segments.filter(isPruned)).toEqual([]);
    now += 9_999;
    w.tick();
    expect(w.current.segments.filter(isPruned)).toEqual([]);
    now += 1;
    w.tick(); // within a second of the last check: not walked again
    expect(w.current.segments.filter(isPruned)).toEqual([]);
    now += 1_000;
    w.tick();
    expect(w.current.segments.filter(isPruned).map((s) => s.index)).toEqual([1, 2, 3]);
    expect(segmentDirs(dir)).toEqual([]);
    w.close();
    expect(verifyRecording(dir).ok).toBe(true);
  });

  it('picks the oldest segments beyond either bound', () => {
    const { w } = ring(8, {});
    const m = w.close();
    const one = segmentBytes(m.segments[0]!);
    const sealed = Date.parse(m.segments[0]!.sealed_at);
    expect(segmentsToPrune(m, { keepBytes: 4 * one }, sealed)).toEqual([]);
    expect(segmentsToPrune(m, { keepBytes: 2 * one }, sealed)).toEqual([1, 2]);
    expect(segmentsToPrune(m, { keepMs: 60_000 }, sealed + 60_000).length).toBeGreaterThan(0);
    expect(segmentsToPrune(markPruned(m, [1]), { keepBytes: 2 * one }, sealed)).toEqual([2]);
  });
});

describe('the chain across the gap', () => {
  const closedRing = () => {
    const { dir, w } = ring(10, { keepBytes: Math.floor(segmentSize() * 2.5) });
    w.close();
    return dir;
  };

  it.each([
    ['a pruned entry\'s rows are edited', (m: Record<string, any>) => { m.segments[0].tables.syscall.rows += 1; }, /hash chain broken at segment 000001/],
    ['a pruned entry\'s hash is edited', (m: Record<string, any>) => { m.segments[1].tables.syscall.sha256 = '0'.repeat(64); }, /hash chain broken at segment 000002/],
    ['a pruned entry\'s prune time is edited', (m: Record<string, any>) => { m.segments[0].pruned_at = '2020-01-01T00:00:00.000Z'; }, /close record/],
    ['a pruned entry is unmarked', (m: Record<string, any>) => { delete m.segments[0].pruned_at; }, /close record|segment directory is missing/],
    ['a pruned entry is removed', (m: Record<string, any>) => { m.segments.shift(); }, /hash chain broken/],
    ['a kept segment is marked pruned', (m: Record<string, any>) => { m.segments.at(-1).pruned_at = m.segments[0].pruned_at; }, /close record/],
  ])('fails verify when %s', (_what, change, problem) => {
    const dir = closedRing();
    editManifest(dir, change);
    const r = verifyRecording(dir);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(problem);
    expect(cli('verify', dir).code).toBe(1);
  });

  it('an open recording with a segment marked pruned after a kept one is damaged', () => {
    const { dir, w } = ring(6, {});
    const root = ConfinedDir.open(dir);
    writeManifest(root, markPruned(w.current, [2]));
    root.close();
    rmSync(join(dir, 'segments', '000002'), { recursive: true });
    const r = verifyRecording(dir);
    expect(r.ok).toBe(false);
    expect(r.problems[0]!.message).toMatch(/segment 000002 is marked pruned but an older one is kept/);
    expect(() => Recording.open(dir)).toThrow(/marked pruned but an older one is kept/);
  });

  it('the chain head changes with the pruning', () => {
    const { dir, w } = ring(4, {});
    const before = chainHead(w.current);
    const root = ConfinedDir.open(dir);
    writeManifest(root, markPruned(w.current, [1]));
    root.close();
    expect(chainHead(readManifest(dir))).not.toBe(before);
  });
});

describe('a crash while pruning', () => {
  /** An open recording of 4 sealed segments, segments 1 and 2 marked pruned in its manifest on disk, as the writer does first. */
  function markedNotDeleted(): string {
    const { dir, w } = ring(8, {});
    w.append('syscall', new SyscallWorkload(9).batch(BATCH)); // an unsealed tail, as a crash leaves
    const root = ConfinedDir.open(dir);
    writeManifest(root, markPruned(w.current, [1, 2]));
    root.close();
    return dir;
  }

  function expectConsistent(dir: string, leftovers: string[]): void {
    // Readers: the pruned segments are not listed as present and not read.
    const rec = Recording.open(dir);
    try {
      expect(rec.damage).toEqual([]);
      expect(rec.segments().map((s) => s.name)).toEqual(['000003', '000004', '000005']);
      const s = summarize(rec);
      expect(s.segments).toEqual({ sealed: 2, pruned: 2, unsealed: 1, recovered: 0 });
      expect(s.rows).toBe(5 * BATCH);
    } finally {
      rec.close();
    }
    expect(segmentDirs(dir)).toEqual([...leftovers, '000003', '000004', '000005']);
    const v = cli('verify', dir);
    expect(v.code, v.stdout + v.stderr).toBe(3); // intact, unsealed
    const info = JSON.parse(cli('info', '--json', dir).stdout) as { pruned: Array<{ index: number }> };
    expect(info.pruned.map((p) => p.index)).toEqual([1, 2]);
    // seal removes what is left of them, seals the tail, and the recording verifies.
    const sealed = sealRecording(dir);
    expect(sealed).toEqual(expect.objectContaining({ sealed: 1, prunedRemoved: leftovers.length }));
    expect(segmentDirs(dir)).toEqual(['000003', '000004', '000005']);
    const after = cli('verify', dir);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(rowsOf(dir)).toBe(5 * BATCH);
  }

  it('after the manifest update, before any deletion', () => {
    const dir = markedNotDeleted();
    expectConsistent(dir, ['000001', '000002']);
  });

  it('in the middle of deleting one segment', () => {
    const dir = markedNotDeleted();
    rmSync(join(dir, 'segments', '000001'), { recursive: true });
    rmSync(join(dir, 'segments', '000002', 'syscall.arrow'));
    expectConsistent(dir, ['000002']);
  });

  it('after the deletion', () => {
    const dir = markedNotDeleted();
    for (const s of ['000001', '000002']) rmSync(join(dir, 'segments', s), { recursive: true });
    expectConsistent(dir, []);
  });

  it('a closed recording with a pruned segment left: seal removes it, verify passes either way', () => {
    const { dir, w } = ring(6, {});
    const root = ConfinedDir.open(dir);
    writeManifest(root, closeManifest(markPruned(w.current, [1]), 'writer'));
    root.close();
    expect(existsSync(join(dir, 'segments', '000001'))).toBe(true);
    expect(cli('verify', dir).code).toBe(0);
    expect(sealRecording(dir)).toEqual(expect.objectContaining({ alreadySealed: true, prunedRemoved: 1 }));
    expect(existsSync(join(dir, 'segments', '000001'))).toBe(false);
    expect(cli('verify', dir).code).toBe(0);
  });
});
