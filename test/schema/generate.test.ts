import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLES, SYSCALL_NAMES, headerLayout, recordLayout } from '../../src/index.js';
import { staleFiles } from '../../src/schema/generate.js';
import { ROOT, tempDir } from '../helpers.js';

describe('generated code', () => {
  it('is up to date with src/schema/tables.ts', () => {
    expect(staleFiles(ROOT), 'run `npm run build && npm run generate` and commit the result').toEqual([]);
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
