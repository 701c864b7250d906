// `sql -o FILE` without -f writes the format the file's extension names; -f still wins, and
// an extension that names no format keeps the text table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { cli, tempDir } from '../helpers.js';

describe('sql -o infers the format from the extension', () => {
  let rec: string;
  let out: string;
  beforeAll(() => {
    out = tempDir();
    rec = join(out, 'rec');
    const w = RecordingWriter.create(rec);
    w.append('syscall', new SyscallWorkload(3).batch(10));
    w.close();
  });
  const Q = 'SELECT 1 AS a, \'x\' AS b';

  it.each([
    ['q.csv', (b: Buffer) => expect(b.toString()).toBe('a,b\n1,x\n')],
    ['q.json', (b: Buffer) => expect(JSON.parse(b.toString())).toEqual([{ a: 1, b: 'x' }])],
    ['q.jsonl', (b: Buffer) => expect(b.toString()).toBe('{"a":1,"b":"x"}\n')],
    ['Q.CSV', (b: Buffer) => expect(b.toString()).toBe('a,b\n1,x\n')],
    ['q.parquet', (b: Buffer) => { expect(b.subarray(0, 4).toString()).toBe('PAR1'); expect(b.subarray(-4).toString()).toBe('PAR1'); }],
    ['q.arrow', (b: Buffer) => expect(b.subarray(0, 6).toString()).toBe('ARROW1')],
    ['q.txt', (b: Buffer) => expect(b.toString()).toMatch(/^a +b\n-+ +-+\n1 +x\n\(1 row\)/)],
  ])('%s', (name, check) => {
    const file = join(out, name);
    const r = cli('sql', rec, Q, '-o', file);
    expect(r.code, r.stderr).toBe(0);
    check(readFileSync(file));
  });

  it('-f wins over the extension', () => {
    const file = join(out, 'forced.json');
    expect(cli('sql', rec, Q, '-o', file, '-f', 'csv').code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('a,b\n1,x\n');
  });
});

describe('sql --max-width', () => {
  it('fits the table to the width asked for, and 0 lifts the cut of long cells', () => {
    const out = tempDir();
    const rec = join(out, 'rec');
    const w = RecordingWriter.create(rec);
    w.append('syscall', new SyscallWorkload(3).batch(10));
    w.close();
    const q = `SELECT '${'x'.repeat(200)}' AS long, '東京' AS city`;
    const narrow = cli('sql', rec, q, '--max-width', '40');
    expect(narrow.code, narrow.stderr).toBe(0);
    for (const l of narrow.stdout.trim().split('\n').slice(0, 3)) expect(stringWidth(l)).toBeLessThanOrEqual(40);
    expect(cli('sql', rec, q).stdout).toContain(`${'x'.repeat(119)}…`);
    expect(cli('sql', rec, q, '--max-width', '0').stdout).toContain('x'.repeat(200));
    expect(cli('sql', rec, q, '--max-width', 'wide').stderr).toBe('flightrec: --max-width wide: a whole number of columns (0: no limit)\n');
  });
});
