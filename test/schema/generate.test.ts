import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLES, SYSCALL_NAMES, headerLayout, recordLayout } from '../../src/index.js';
import { staleFiles, versionProblems } from '../../src/schema/generate.js';
import { LOSSY_TABLES, SCHEMA_VERSION, table } from '../../src/schema/tables.js';
import { added, addedLabels, column, enumOf, u32, type Column, type Table } from '../../src/schema/types.js';
import { ROOT, tempDir } from '../helpers.js';

describe('generated code', () => {
  it('is up to date with src/schema/tables.ts', () => {
    expect(staleFiles(ROOT), 'run `npm run build && npm run generate` and commit the result').toEqual([]);
  });

  it('names in gap.table the kernel tables but gap, in id order from 1, as the programs count losses (bpf/shared.h)', () => {
    const kernel = TABLES.filter((t) => t.source === 'kernel' && t.name !== 'gap');
    expect(LOSSY_TABLES).toEqual(kernel.map((t) => t.name));
    expect(kernel.map((t) => t.id)).toEqual(kernel.map((_, i) => i + 1));
    const of = table('gap').columns.find((c) => c.name === 'table')!.type;
    expect(of.kind === 'enum' && of.labels).toEqual(LOSSY_TABLES);
  });

  it('holds the version facts to what reading a file of an older version needs', () => {
    expect(versionProblems(TABLES, SCHEMA_VERSION)).toEqual([]);
    const tables = (...columns: Column[]): Table[] => [{ name: 't', doc: 'd', source: 'user', id: 99, columns }];
    expect(versionProblems(tables(added(2, 'a', u32, 'd'), column('k', enumOf('x', addedLabels(2, 'y')), 'd')), 2)).toEqual([]);
    expect(versionProblems(tables({ ...added(2, 'a', u32, 'd'), nullable: false }), 2)).toEqual(['t.a: added in version 2, so it must be nullable']);
    expect(versionProblems(tables(added(3, 'a', u32, 'd')), 2)).toEqual(['t.a: added in version 3, not one of 2..2', 'the latest version a column or label was added in is 3, but SCHEMA_VERSION is 2']);
    expect(versionProblems(tables(added(1, 'a', u32, 'd')), 1)).toEqual(['t.a: added in version 1, not one of 2..1']);
    // Codes keep their labels: a label of an older version after a newer one would move them.
    expect(versionProblems(tables(column('k', enumOf(addedLabels(2, 'x'), 'y'), 'd')), 2)).toEqual(['t.k: label y of version 1 comes after one of version 2']);
    expect(versionProblems(tables(added(3, 'k', enumOf('x', addedLabels(2, 'y')), 'd')), 3)).toEqual(['t.k: has labels older than the column (version 3)']);
    // A version nothing was added in, or one behind what was added.
    expect(versionProblems(tables(column('a', u32, 'd')), 2)).toEqual(['the latest version a column or label was added in is 1, but SCHEMA_VERSION is 2']);
    expect(versionProblems(tables(column('k', enumOf('x', addedLabels(3, 'y')), 'd')), 2)).toEqual(['t.k: label y added in version 3, not one of 1..2', 'the latest version a column or label was added in is 3, but SCHEMA_VERSION is 2']);
  });

  it('compiles bpf/events.h to the sizes and offsets the TypeScript layout assumes', () => {
    const kernel = TABLES.filter((t) => t.source === 'kernel');
    const lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "bpf/events.h"', 'int main(void) {'];
    const expected: string[] = [];
    const hdr = headerLayout();
    lines.push(`printf("fr_header %zu\\n", sizeof(struct fr_header));`);
    expected.push(`fr_header ${hdr.size}`);
    for (const t of kernel) {
      const l = recordLayout(t);
      lines.push(`printf("${l.struct} %zu\\n", sizeof(struct ${l.struct}));`);
      expected.push(`${l.struct} ${l.size}`);
      for (const [i, f] of l.fields.entries()) {
        const member = i < hdr.fields.length ? `hdr.${f.name}` : f.name;
        lines.push(`printf("${l.struct}.${f.name} %zu %zu\\n", offsetof(struct ${l.struct}, ${member}), sizeof(((struct ${l.struct} *)0)->${member}));`);
        expected.push(`${l.struct}.${f.name} ${f.offset} ${f.size}`);
      }
    }
    lines.push('return 0; }');
    const dir = tempDir();
    writeFileSync(join(dir, 'layout.c'), lines.join('\n'));
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', `-I${ROOT}`, '-o', join(dir, 'layout'), join(dir, 'layout.c')]);
    const out = execFileSync(join(dir, 'layout'), { encoding: 'utf8' }).trim().split('\n');
    expect(out).toEqual(expected);
  });

  it('takes syscall names from the kernel tables for both architectures', () => {
    expect(SYSCALL_NAMES.x86_64[110]).toBe('getppid');
    expect(SYSCALL_NAMES.x86_64[257]).toBe('openat');
    expect(SYSCALL_NAMES.x86_64[59]).toBe('execve');
    expect(SYSCALL_NAMES.arm64[173]).toBe('getppid');
    expect(SYSCALL_NAMES.arm64[56]).toBe('openat');
    expect(SYSCALL_NAMES.arm64[221]).toBe('execve');
    expect(Object.keys(SYSCALL_NAMES.x86_64).length).toBeGreaterThan(350);
    expect(Object.keys(SYSCALL_NAMES.arm64).length).toBeGreaterThan(290);
  });
});
