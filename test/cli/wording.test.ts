// What the CLI says reads right: counts agree with their nouns, ratios below 1 are not "smaller",
// and mistakes that would write an empty slice or count rows twice are refused in one line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compression, plural } from '../../src/cli/output.js';
import { RecordingWriter } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { cli, tempDir } from '../helpers.js';

describe('wording', () => {
  it('plural and compression', () => {
    expect(plural(1, 'sealed segment')).toBe('1 sealed segment');
    expect(plural(0, 'row')).toBe('0 rows');
    expect(plural(2, 'process', 'processes')).toBe('2 processes');
    expect(compression(320, 100)).toBe('3.2x smaller than the kernel records');
    expect(compression(100, 1000)).toBe('10.0x larger than the kernel records');
    expect(compression(0, 0)).toBe('nothing to compare with the kernel records');
  });
});

describe('verify, slice and sql on a recording', () => {
  let base: string;
  let rec: string;
  let pid: number;
  beforeAll(() => {
    base = tempDir();
    rec = join(base, 'rec');
    const w = RecordingWriter.create(rec);
    const batch = new SyscallWorkload(3).batch(200);
    pid = batch.getChild('pid')!.get(0) as number;
    w.append('syscall', batch);
    w.close();
  });

  it('verify: "1 sealed segment"', () => {
    const r = cli('verify', rec);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^verified: 1 sealed segment, chain head /);
  });

  it('slice --pid of no process in the recording is a one-line usage error and writes nothing', () => {
    const out = join(base, 'none');
    const r = cli('slice', rec, '-o', out, '--pid', '99999');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`flightrec: nothing to slice: no rows of process 99999 in ${rec}; nothing was written\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('slice of one process says "of 1 process"', () => {
    const r = cli('slice', rec, '-o', join(base, 'one'), '--pid', String(pid));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^flightrec: sliced \d+ rows? of 1 process into /);
  });

  it('sql refuses the same recording twice instead of counting it twice', () => {
    const r = cli('sql', rec, rec, 'SELECT count(*) FROM syscall');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flightrec: .* is the same recording as .*: give each recording once\n$/);
  });
});
