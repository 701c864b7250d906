// Which stored schemas are read: the declaration as it is, or exactly as an older schema
// version had it (the columns added since left out, the enum labels it had); anything else,
// and a version newer than this build, is refused with one line naming the file.
import { join } from 'node:path';
import { Field, Schema, Uint64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { schemaMismatch, storedSchema, type StoredSchema } from '../../src/format/stored-schema.js';
import { makeBatch } from '../../src/format/batch.js';
import { Recording, SCHEMAS, TableFile, summarize } from '../../src/index.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { cli, tempDir } from '../helpers.js';
import { fixtureFile, narrowed, relabelled, storedSchemaOf, streamOf, tagged, unsealedWith } from './older.js';

const PROC_V1 = storedSchemaOf(fixtureFile('proc'));
const FILE_V1 = storedSchemaOf(fixtureFile('file'));

function accepted(found: Schema, declared: Schema): StoredSchema {
  const s = storedSchema(found, declared);
  if ('refused' in s) throw new Error(s.refused);
  return s;
}

function refusal(found: Schema, declared: Schema): string {
  const s = storedSchema(found, declared);
  if (!('refused' in s)) throw new Error('accepted');
  return s.refused;
}

const without = (s: Schema, name: string): Schema => new Schema(s.fields.filter((f) => f.name !== name), s.metadata);
const replaced = (s: Schema, name: string, f: Field): Schema => new Schema(s.fields.map((x) => (x.name === name ? f : x)), s.metadata);

describe('the stored schema rule', () => {
  it('takes the declaration as it is: the current version, every column, the declared labels', () => {
    const s = accepted(SCHEMAS.proc, SCHEMAS.proc);
    expect([s.version, s.complete, s.checked]).toEqual([5, true, SCHEMAS.proc]);
    expect(s.present.every(Boolean)).toBe(true);
  });

  it('takes a schema-1 fixture file: the columns added since absent, its own enum labels to check codes against', () => {
    expect(PROC_V1.metadata.has('flightrec.schema_version')).toBe(false);
    const proc = accepted(PROC_V1, SCHEMAS.proc);
    expect(proc.version).toBe(1);
    expect(proc.complete).toBe(false);
    expect(SCHEMAS.proc.fields.filter((_, i) => !proc.present[i]).map((f) => f.name)).toEqual(['cwd', 'start_ts', 'kthread', 'loginuid']);
    expect(proc.checked.fields.find((f) => f.name === 'kind')!.metadata.get('flightrec.enum')).toBe('fork,exec,exit');
    const file = accepted(FILE_V1, SCHEMAS.file);
    expect(SCHEMAS.file.fields.filter((_, i) => !file.present[i]).map((f) => f.name)).toEqual(['abs_path']);
    expect(file.checked.fields.find((f) => f.name === 'op')!.metadata.get('flightrec.enum')!.split(',')).not.toContain('chdir');
    // A table schema 2 left alone is read as it is, whatever its version.
    const syscall = accepted(storedSchemaOf(fixtureFile('syscall')), SCHEMAS.syscall);
    expect([syscall.version, syscall.complete, syscall.checked]).toEqual([1, true, SCHEMAS.syscall]);
  });

  it('refuses a column removed that was there from the start, a type changed, labels the version did not have', () => {
    const v1 = 'corrupt Arrow stream: schema differs from the declared table as of schema version 1:';
    expect(refusal(without(PROC_V1, 'ppid'), SCHEMAS.proc)).toBe(`${v1} 15 columns, expected 16`);
    const ppid = PROC_V1.fields.find((f) => f.name === 'ppid')!;
    expect(refusal(replaced(PROC_V1, 'ppid', new Field('ppid', new Uint64(), false, ppid.metadata)), SCHEMAS.proc))
      .toBe(`${v1} column 7 is ppid: Uint64, expected ppid: Uint32`);
    const kind = PROC_V1.fields.find((f) => f.name === 'kind')!;
    expect(refusal(replaced(PROC_V1, 'kind', relabelled(kind, 'exec,fork,exit')), SCHEMAS.proc)).toBe(`${v1} column 6 kind has labels exec,fork,exit, expected fork,exec,exit`);
    // Version 1 had neither fewer labels nor the one version 2 added.
    expect(refusal(replaced(PROC_V1, 'kind', relabelled(kind, 'fork,exec')), SCHEMAS.proc)).toBe(`${v1} column 6 kind has labels fork,exec, expected fork,exec,exit`);
    expect(refusal(replaced(PROC_V1, 'kind', relabelled(kind, 'fork,exec,exit,snapshot')), SCHEMAS.proc)).toBe(`${v1} column 6 kind has labels fork,exec,exit,snapshot, expected fork,exec,exit`);
    const op = FILE_V1.fields.find((f) => f.name === 'op')!;
    expect(refusal(replaced(FILE_V1, 'op', relabelled(op, `${op.metadata.get('flightrec.enum')!},chdir`)), SCHEMAS.file)).toMatch(/^corrupt Arrow stream: .* as of schema version 1: column 6 op has labels open,.*,io,chdir, expected open,.*,io$/);
    const plain = new Field('kind', kind.type, false, new Map([['doc', 'no labels']]));
    expect(refusal(replaced(PROC_V1, 'kind', plain), SCHEMAS.proc)).toBe(`${v1} column 6 kind has labels (none), expected fork,exec,exit`);
    // An added column may be left out only as a whole version leaves it out.
    expect(refusal(new Schema([...PROC_V1.fields, SCHEMAS.proc.fields.find((f) => f.name === 'cwd')!], PROC_V1.metadata), SCHEMAS.proc)).toBe(`${v1} 17 columns, expected 16`);
  });

  it('holds a file of the current version to the declaration exactly, and goes by the version it records', () => {
    expect(refusal(tagged(PROC_V1, '5'), SCHEMAS.proc)).toBe('corrupt Arrow stream: schema differs from the declared table: 16 columns, expected 20');
    // Schema 5 added nothing to proc: a file of version 4 has what the declaration has.
    expect(accepted(tagged(SCHEMAS.proc, '4'), SCHEMAS.proc)).toMatchObject({ version: 4, complete: true });
    // Schema 3 added nothing to proc, schema 4 loginuid: a file of version 3 has version 2's columns.
    const v2 = without(SCHEMAS.proc, 'loginuid');
    expect(accepted(tagged(v2, '3'), SCHEMAS.proc)).toMatchObject({ version: 3, complete: false });
    expect(accepted(tagged(v2, '2'), SCHEMAS.proc)).toMatchObject({ version: 2, complete: false });
    expect(refusal(tagged(SCHEMAS.proc, '3'), SCHEMAS.proc)).toBe('corrupt Arrow stream: schema differs from the declared table as of schema version 3: 20 columns, expected 19');
    expect(refusal(tagged(PROC_V1, '2'), SCHEMAS.proc)).toBe('corrupt Arrow stream: schema differs from the declared table as of schema version 2: 16 columns, expected 19');
    const kind = SCHEMAS.proc.fields.find((f) => f.name === 'kind')!;
    expect(refusal(replaced(SCHEMAS.proc, 'kind', relabelled(kind, 'fork,exec,exit')), SCHEMAS.proc)).toMatch(/column 6 kind has labels fork,exec,exit, expected fork,exec,exit,snapshot$/);
    expect(refusal(tagged(SCHEMAS.proc, '1'), SCHEMAS.proc)).toMatch(/as of schema version 1: 20 columns, expected 16$/);
    expect(accepted(tagged(PROC_V1, '1'), SCHEMAS.proc).version).toBe(1);
    expect(refusal(tagged(SCHEMAS.proc, '6'), SCHEMAS.proc)).toBe("written under schema version 6, newer than this flightrec's 5: read it with a newer flightrec");
    expect(refusal(tagged(SCHEMAS.proc, '5\n'), SCHEMAS.proc)).toBe('corrupt Arrow stream: schema version "5\\n" is not a version number');
    for (const v of ['0', '02', '-1', '1.5', '', '9999999']) expect(refusal(tagged(PROC_V1, v), SCHEMAS.proc), v).toMatch(/^corrupt Arrow stream: schema version ".*" is not a version number$/);
  });

  it('says what a hostile file holds on one short line', () => {
    const name = `cwd\n\x1b[2J${'x'.repeat(5000)}`;
    const why = refusal(replaced(PROC_V1, 'ppid', new Field(name, new Utf8(), true)), SCHEMAS.proc);
    expect(why).not.toMatch(/[\n\x1b]/);
    expect(why.length).toBeLessThan(400);
    // A damaged schema message can leave a column without a name.
    expect(refusal(replaced(PROC_V1, 'ppid', new Field(null as unknown as string, new Utf8(), true)), SCHEMAS.proc)).toMatch(/column 7 is \(none\): Utf8, expected ppid: Uint32$/);
  });

  it('is what writers hold batches to, exactly', () => {
    expect(schemaMismatch(SCHEMAS.proc, SCHEMAS.proc)).toBeUndefined();
    expect(schemaMismatch(PROC_V1, SCHEMAS.proc)).toBe('16 columns, expected 20');
    const kind = SCHEMAS.proc.fields.find((f) => f.name === 'kind')!;
    expect(schemaMismatch(replaced(SCHEMAS.proc, 'kind', relabelled(kind, 'fork,exec,exit')), SCHEMAS.proc)).toMatch(/kind has labels fork,exec,exit, expected fork,exec,exit,snapshot/);
  });
});

describe('a gap file of schema 4, before gap rows named their table', () => {
  const GAP_V4 = tagged(without(SCHEMAS.gap, 'table'), '4');

  it('is read with table null, and info counts its losses as of tables not named', () => {
    expect(accepted(GAP_V4, SCHEMAS.gap)).toMatchObject({ version: 4, complete: false, present: [true, true, true, true, true, true, false] });
    const lost = [3n, 40n, 500n];
    const written = makeBatch('gap', {
      ts: new BigUint64Array([10n, 20n, 30n]), seq: new BigUint64Array([1n, 2n, 3n]), cpu: new Uint16Array(lost.length), lost: new BigUint64Array(lost),
      first_ts: new BigUint64Array([9n, 19n, 29n]), last_ts: new BigUint64Array([10n, 20n, 30n]),
    });
    const { dir } = unsealedWith('gap', streamOf(GAP_V4, [narrowed(written, GAP_V4)]));
    const rec = Recording.open(dir);
    try {
      const read = [...rec.batches('gap')];
      expect(read.map((b) => b.numRows)).toEqual([3]);
      expect(read[0]!.getChild('table')!.nullCount).toBe(3);
      expect([...read[0]!.getChild('lost')!]).toEqual(lost);
      expect(summarize(rec)).toMatchObject({ gaps: 3, lost_events: '543', lost_by_table: { unknown: '543' } });
    } finally {
      rec.close();
    }
    const info = cli('info', dir);
    expect(info.stdout, info.stderr).toMatch(/^losses {6}543 events lost in 3 gaps: 543 rows of tables not named \(recorded before schema 5\)$/m);
  });
});

describe('table files refused by the rule', () => {
  const kind = PROC_V1.fields.find((f) => f.name === 'kind')!;
  const ppid = PROC_V1.fields.find((f) => f.name === 'ppid')!;
  const cases: ReadonlyArray<readonly [string, Schema, RegExp]> = [
    ['a column there from the start removed', without(PROC_V1, 'ppid'), /corrupt Arrow stream: schema differs from the declared table as of schema version 1: 15 columns, expected 16/],
    ['enum labels of another order', replaced(PROC_V1, 'kind', relabelled(kind, 'exit,exec,fork')), /corrupt Arrow stream: .*: column 6 kind has labels exit,exec,fork, expected fork,exec,exit/],
    ['a label added later in a file of version 1', replaced(PROC_V1, 'kind', relabelled(kind, 'fork,exec,exit,snapshot')), /corrupt Arrow stream: .*: column 6 kind has labels fork,exec,exit,snapshot, expected fork,exec,exit/],
    ['a type changed', replaced(PROC_V1, 'ppid', new Field('ppid', new Uint64(), false, ppid.metadata)), /corrupt Arrow stream: .*: column 7 is ppid: Uint64, expected ppid: Uint32/],
    ['a version newer than this build', tagged(SCHEMAS.proc, '6'), /written under schema version 6, newer than this flightrec's 5: read it with a newer flightrec/],
    ['a version that is not a number', tagged(SCHEMAS.proc, '2; rm -rf'), /corrupt Arrow stream: schema version "2; rm -rf" is not a version number/],
    ['the columns of version 5 under version 1', tagged(SCHEMAS.proc, '1'), /as of schema version 1: 20 columns, expected 16/],
  ];
  for (const [what, schema, why] of cases) {
    it(`${what}: one line naming the file, from the reader and from the CLI`, () => {
      const { dir, file } = unsealedWith('proc', streamOf(schema));
      const f = new TableFile(file, SCHEMAS.proc);
      expect(() => f.scan()).toThrow(new RegExp(`^${file} at offset 0: .*${why.source}$`));
      f.close();
      const rec = Recording.open(dir);
      expect(() => [...rec.batches('proc')]).toThrow(why);
      rec.close();
      const commands = [
        ['info', dir], ['verify', dir], ['replay', dir, '--detectors', 'fork-bomb'], ['sql', dir, 'SELECT count(*) FROM proc'],
        ['export', dir, '--parquet', join(tempDir(), 'out')], ['slice', dir, '-o', join(tempDir(), 'cut'), '--from', '0'],
      ];
      for (const args of commands) {
        const r = cli(...args);
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toContain(file);
        expect(r.stderr).toMatch(why);
      }
    });
  }

  it('a code an older file has no label for: refused, though the declaration has one now', () => {
    const rand = rng(5);
    const rows = syntheticRows('proc', 40, new SyntheticClock(rand), rand).map((r, i) => ({ ...r, kind: i === 17 ? 'snapshot' : 'exec' }));
    const { file } = unsealedWith('proc', streamOf(PROC_V1, [narrowed(batchFromRows('proc', rows), PROC_V1)]));
    const f = new TableFile(file, SCHEMAS.proc);
    expect(() => [...f.recordBatches()]).toThrow(new RegExp(`^${file} at offset \\d+: corrupt Arrow stream: column kind: code 3 at row 17 has no label$`));
    f.close();
  });
});
