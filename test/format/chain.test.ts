import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainBreaks, chainHead, closeBroken } from '../../src/format/chain.js';
import { parseManifest, renderManifest, type Manifest } from '../../src/format/manifest.js';
import { RecordingWriter, verifyRecording } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';

function recording(): { dir: string; manifest: Manifest } {
  const dir = join(tempDir(), 'rec');
  const w = RecordingWriter.create(dir);
  w.append('syscall', new SyscallWorkload(4).batch(100));
  w.sealSegment();
  w.append('syscall', new SyscallWorkload(5).batch(100));
  return { dir, manifest: w.close() };
}

const edit = (m: Manifest, f: (x: Record<string, unknown>) => void): Manifest => {
  const copy = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
  f(copy);
  return copy as unknown as Manifest;
};

describe('the hash chain', () => {
  it('covers the header: host, clock, command line, probes and unknown fields', () => {
    const { manifest } = recording();
    expect(chainBreaks(manifest)).toEqual([]);
    expect(closeBroken(manifest)).toBe(false);
    for (const change of [
      (x: Record<string, unknown>) => { (x.clock as Record<string, string>).wall_ns = '1'; },
      (x: Record<string, unknown>) => { (x.host as Record<string, string>).hostname = 'elsewhere'; },
      (x: Record<string, unknown>) => { (x.command_line as string[]).push('--evil'); },
      (x: Record<string, unknown>) => { x.probes = [{ name: 'fr_other' }]; },
      (x: Record<string, unknown>) => { x.recorder_version = '9.9.9'; },
      (x: Record<string, unknown>) => { x.extra = 1; },
    ]) {
      expect(chainBreaks(edit(manifest, change)).length, String(change)).toBeGreaterThan(0);
    }
  });

  it('covers the close record, and the head moves with it', () => {
    const { manifest } = recording();
    expect(chainHead(manifest)).toBe(manifest.closed_chain);
    expect(closeBroken(edit(manifest, (x) => { x.closed_at = '2000-01-01T00:00:00.000Z'; }))).toBe(true);
    expect(closeBroken(edit(manifest, (x) => { x.closed_by = 'seal'; }))).toBe(true);
  });
});

describe('manifest validation', () => {
  const { dir, manifest } = recording();
  const file = join(dir, 'manifest.json');
  const parse = (m: Manifest): Manifest => parseManifest(renderManifest(m), file);

  it('parses what the writer wrote, and renders it back byte for byte', () => {
    const text = readFileSync(file, 'utf8');
    expect(renderManifest(parseManifest(text, file))).toBe(text);
  });

  it('refuses ids that are not UUIDs and names that would become other paths', () => {
    expect(() => parse(edit(manifest, (x) => { x.id = '../../../tmp/x'; }))).toThrow(`${file}: field 'id' has the wrong type or value`);
    expect(() => parse(edit(manifest, (x) => {
      const seg = (x.segments as Array<Record<string, unknown>>)[0]!;
      seg.tables = { '../x': (seg.tables as Record<string, unknown>).syscall };
    }))).toThrow("names '../x', which is not a table");
    expect(() => parse(edit(manifest, (x) => { (x.segments as Array<Record<string, unknown>>)[0]!.dir = '../000001'; }))).toThrow("field 'segments[0].dir'");
    expect(() => parse(edit(manifest, (x) => {
      (x.segments as Array<Record<string, unknown>>)[0]!.recovered = { sealed_at: 'x', torn: [{ table: 'syscall', offset: 0, bytes: 1, file: '../../etc/shadow', sha256: '0'.repeat(64), reason: 'x' }] };
    }))).toThrow("field 'segments[0].recovered.torn[0].file'");
  });

  it('refuses close fields that do not fit the state, and version 1 with how to migrate', () => {
    expect(() => parse(edit(manifest, (x) => { x.state = 'recording'; }))).toThrow("do not fit state 'recording'");
    expect(() => parse(edit(manifest, (x) => { x.closed_chain = null; }))).toThrow("do not fit state 'closed'");
    expect(() => parse(edit(manifest, (x) => { x.format_version = 1; }))).toThrow('scripts/migrate-manifest-v1.mjs');
  });

  it('verify catches an edit that leaves the parsed value alone', () => {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"format": "flightrec"', '"format":  "flightrec"'));
    const r = verifyRecording(dir);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toEqual({ file, message: 'is not byte for byte what flightrec writes for its content: edited' });
    writeFileSync(file, text);
    expect(verifyRecording(dir).ok).toBe(true);
  });
});
