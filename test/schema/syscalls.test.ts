import { describe, expect, it } from 'vitest';
import { SYSCALL_ARG_KINDS, SYSCALL_NAMES } from '../../src/schema/syscalls.generated.js';
import { argKind, readSyscallPrototypes } from '../../src/schema/syscalls.js';

describe('syscall argument kinds, from the kernel\'s prototypes', () => {
  it('reads a parameter declaration as its kind', () => {
    expect(argKind('unsigned int fd')).toBe('f');
    expect(argKind('int fd_in')).toBe('f');
    expect(argKind('int dfd')).toBe('d');
    expect(argKind('int olddfd')).toBe('d');
    expect(argKind('const char __user *filename')).toBe('p');
    expect(argKind('struct stat __user * statbuf')).toBe('p');
    expect(argKind('umode_t mode')).toBe('o');
    expect(argKind('int flags')).toBe('i');
    expect(argKind('int')).toBe('i'); // unnamed, as the socket calls are declared
    expect(argKind('loff_t offset')).toBe('l');
    expect(argKind('unsigned int cmd')).toBe('w');
    expect(argKind('unsigned int')).toBe('w');
    expect(argKind('size_t count')).toBe('u');
    expect(argKind('unsigned long')).toBe('u');
    expect(argKind('unsigned int max_fd')).toBe('w'); // close_range's bound is not an open fd
  });

  it('gives the generated tables a kind per argument of the calls people read most', () => {
    const kinds = (arch: 'x86_64' | 'arm64', name: string): string | undefined => {
      const nr = Object.entries(SYSCALL_NAMES[arch]).find(([, n]) => n === name)?.[0];
      return nr === undefined ? undefined : SYSCALL_ARG_KINDS[arch][Number(nr)];
    };
    for (const arch of ['x86_64', 'arm64'] as const) {
      expect(kinds(arch, 'read')).toBe('fpu');
      expect(kinds(arch, 'close')).toBe('f');
      expect(kinds(arch, 'openat')).toBe('dpio');
      expect(kinds(arch, 'newfstatat')).toBe('dppi');
      expect(kinds(arch, 'dup3')).toBe('ffi');
      expect(kinds(arch, 'getpid')).toBe('');
    }
    // fstat's entry point is sys_newfstat: the table's entry point, not the name, finds it.
    expect(kinds('x86_64', 'fstat')).toBe('fp');
    // clone is declared differently under #ifdef per architecture: not guessed.
    expect(kinds('x86_64', 'clone')).toBeUndefined();
  });

  it('leaves out a prototype declared twice with different arguments', () => {
    expect(readSyscallPrototypes().has('sys_clone')).toBe(false);
    expect(readSyscallPrototypes().get('sys_read')).toBe('fpu');
  });
});
