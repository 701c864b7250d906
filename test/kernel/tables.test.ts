// --tables and --intel-pt on the real kernel. What each table records, on every kernel, is in
// scenarios.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { kernelAvailable, record, rows } from './kernel.js';

const run = kernelAvailable();

describe.runIf(run)('choosing tables on the real kernel', () => {
  it('records no samples by default', () => {
    const plain = join(tempDir(), 'rec');
    expect(record(plain, [], ['true']).code).toBe(0);
    expect(rows(plain, 'sample')).toHaveLength(0);
  });

  it('--tables records only the tables asked for; --intel-pt is refused here with exit code 2', () => {
    const dir = join(tempDir(), 'rec');
    const r = record(dir, ['--tables', 'proc,file'], ['cat', '/etc/hostname']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(dir, 'syscall')).toHaveLength(0);
    expect(rows(dir, 'mem')).toHaveLength(0);
    expect(rows(dir, 'file').some((f) => f.path === '/etc/hostname')).toBe(true);
    expect(rows(dir, 'proc').length).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { probes: Array<{ name: string }> };
    expect(manifest.probes.map((p) => p.name)).not.toContain('fr_bio_issue');

    const bad = record(join(tempDir(), 'rec'), ['--tables', 'syscall,nope'], ['true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no table nope/);
    const pt = record(join(tempDir(), 'rec'), ['--intel-pt'], ['true']);
    expect(pt.code).toBe(2);
    expect(pt.stderr.trim().split('\n')).toHaveLength(1);
    expect(pt.stderr).toMatch(/no Intel PT/);
  });
});
