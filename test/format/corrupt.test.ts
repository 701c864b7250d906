import { cpSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BUFFER_BYTES, Recording, RecordingError, RecordingWriter, SCHEMAS, TableFile, registerZstd } from '../../src/index.js';
import { compressionRegistry, CompressionType } from 'apache-arrow';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { cli, tempDir, type CliResult } from '../helpers.js';

/** A recording of three sealed segments, copied fresh for each case. */
function pristine(): string {
  const dir = join(tempDir(), 'rec');
  let now = 0;
  const w = RecordingWriter.create(dir, { maxSegmentMs: 10, now: () => now });
  const work = new SyscallWorkload(9);
  const rand = rng(9);
  const clock = new SyntheticClock(rand);
  for (let i = 0; i < 3; i++) {
    w.append('syscall', work.batch(2000));
    w.append('proc', batchFromRows('proc', syntheticRows('proc', 10, clock, rand)));
    now += 20;
    w.tick();
  }
  w.close();
  return dir;
}

function copy(src: string): string {
  const dir = join(tempDir(), 'copy');
  cpSync(src, dir, { recursive: true });
  return dir;
}

/** One clear line naming `file`, a non-zero exit, no stack trace. */
function expectClearError(r: CliResult, file: string): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr.split('\n')[0]).toContain(file);
  expect(r.stderr).toMatch(/^flightrec: /);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

const seg = (dir: string, n: number, f = 'syscall.arrow'): string => join(dir, 'segments', String(n).padStart(6, '0'), f);

describe('corrupt and hostile recordings', () => {
  const base = pristine();

  it('verifies the pristine recording', () => {
    const r = cli('verify', base);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('verified: 3 sealed segments');
  });

  it('one flipped byte: verify names the file; reading it fails naming the file', () => {
    const dir = copy(base);
    const file = seg(dir, 2);
    const buf = readFileSync(file);
    buf[Math.floor(buf.length / 2)] ^= 0x01;
    writeFileSync(file, buf);
    expectClearError(cli('verify', dir), file);
    expect(() => [...Recording.open(dir).batches('syscall')]).toThrow(RecordingError);
    expect(() => [...Recording.open(dir).batches('syscall')]).toThrow(file);
  });

  it('a deleted segment', () => {
    const dir = copy(base);
    rmSync(join(dir, 'segments', '000002'), { recursive: true });
    expectClearError(cli('verify', dir), join(dir, 'segments', '000002'));
    expect(() => [...Recording.open(dir).batches('syscall')]).toThrow(/000002.*missing/);
  });

  it('reordered segments', () => {
    const dir = copy(base);
    renameSync(join(dir, 'segments', '000001'), join(dir, 'segments', 'tmp'));
    renameSync(join(dir, 'segments', '000002'), join(dir, 'segments', '000001'));
    renameSync(join(dir, 'segments', 'tmp'), join(dir, 'segments', '000002'));
    expectClearError(cli('verify', dir), join(dir, 'segments', '00000'));
  });

  it('reordered manifest entries break the chain', () => {
    const dir = copy(base);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    [m.segments[0], m.segments[1]] = [m.segments[1], m.segments[0]];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const r = cli('verify', dir);
    expectClearError(r, dir);
    expect(r.stderr).toMatch(/reordered|chain/);
  });

  it('a truncated file', () => {
    const dir = copy(base);
    const file = seg(dir, 3);
    truncateSync(file, statSync(file).size - 100);
    expectClearError(cli('verify', dir), file);
    expect(() => [...Recording.open(dir).batches('syscall')]).toThrow(/bytes but the manifest says/);
  });

  it('a garbage file', () => {
    const dir = copy(base);
    const file = seg(dir, 1);
    const size = statSync(file).size;
    writeFileSync(file, Buffer.from(Array.from({ length: size }, (_, i) => (i * 2654435761) & 0xff)));
    expectClearError(cli('verify', dir), file);
    // Read as untrusted input (no manifest to lean on): a clear error with an offset.
    const f = new TableFile(file, SCHEMAS.syscall);
    expect(() => f.scan()).toThrow(/corrupt Arrow stream/);
    f.close();
  });

  it('a manifest with a wrong version or missing fields, or no manifest', () => {
    const dir = copy(base);
    const manifest = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    writeFileSync(manifest, JSON.stringify({ ...m, format_version: 99 }));
    let r = cli('info', dir);
    expectClearError(r, manifest);
    expect(r.stderr).toContain('format version 99 is not supported');
    const { clock: _clock, ...missing } = m;
    writeFileSync(manifest, JSON.stringify(missing));
    r = cli('info', dir);
    expectClearError(r, manifest);
    expect(r.stderr).toContain("missing field 'clock'");
    writeFileSync(manifest, '{"format": "flightrec", ');
    expectClearError(cli('info', dir), manifest);
    expectClearError(cli('verify', dir), manifest);
    rmSync(manifest);
    expectClearError(cli('info', dir), 'not a flightrec recording');
    expectClearError(cli('info', join(dir, 'nope')), join(dir, 'nope'));
  });

  it('refuses a buffer claiming a huge uncompressed size before allocating', () => {
    const dir = copy(base);
    const file = seg(dir, 1);
    const buf = readFileSync(file);
    // The first batch message follows the schema; its first buffer prefix sits at the body start.
    const schemaEnd = 8 + buf.readInt32LE(4);
    const metaLen = buf.readInt32LE(schemaEnd + 4);
    const body = schemaEnd + 8 + metaLen;
    let at = body;
    while (buf.readBigInt64LE(at) <= 0n) at += 8;
    buf.writeBigInt64LE(1n << 40n, at);
    writeFileSync(file, buf);
    const f = new TableFile(file, SCHEMAS.syscall);
    expect(() => f.scan()).toThrow(`(limit ${MAX_BUFFER_BYTES})`);
    f.close();
  });

  it('refuses a zstd frame declaring a huge content size, and one without a size', () => {
    registerZstd();
    const codec = compressionRegistry.get(CompressionType.ZSTD)!;
    // Frame header: magic, FHD = 8-byte content size + single segment, size 2^40, one empty raw last block.
    const huge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x01, 0, 0]);
    expect(() => codec.decode!(huge)).toThrow(/claims 1099511627776 bytes/);
    const unsized = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x01, 0, 0]);
    expect(() => codec.decode!(unsized)).toThrow(/does not declare its content size/);
  });

  it('a wrong argument is a one-line usage error with exit code 2', () => {
    const r = cli('info', base, '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(cli('nosuchcommand').code).toBe(2);
  });
});
