import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfinedDir } from '../../src/format/confined-dir.js';
import { tempDir } from '../helpers.js';

/** A directory with a file, a subdirectory, links to both outside it, and a FIFO. */
function hostileDir(): { dir: string; outside: string } {
  const base = tempDir();
  const dir = join(base, 'in');
  const outside = join(base, 'outside');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(dir, 'file'), 'inside');
  writeFileSync(join(outside, 'secret'), 'outside');
  symlinkSync(join(outside, 'secret'), join(dir, 'link'));
  symlinkSync(outside, join(dir, 'dirlink'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  return { dir, outside };
}

describe('ConfinedDir', () => {
  it('opens regular files and directories, and refuses links, FIFOs and devices in one line without blocking', () => {
    const { dir } = hostileDir();
    const d = ConfinedDir.open(dir);
    try {
      const f = d.openFile('file');
      expect(f.size).toBe(6);
      expect(readFileSync(f.fd, 'utf8')).toBe('inside');
      expect(() => d.openFile('link')).toThrow(`${join(dir, 'link')}: is a symbolic link, not a regular file: refused (flightrec does not follow links here)`);
      expect(() => d.openFile('fifo')).toThrow(`${join(dir, 'fifo')}: is a FIFO, not a regular file: refused`);
      expect(() => d.openFile('sub')).toThrow('is a directory, not a regular file');
      expect(() => d.subdir('dirlink')).toThrow(`${join(dir, 'dirlink')}: is a symbolic link, not a directory`);
      expect(() => d.subdir('file')).toThrow('is a regular file, not a directory');
      expect(() => d.openFile('nope')).toThrow(`${join(dir, 'nope')}: is missing`);
      expect(d.openFileIfExists('nope')).toBeUndefined();
      expect(d.stat('link')!.isSymbolicLink()).toBe(true);
      for (const bad of ['..', '.', 'a/b', '']) expect(() => d.openFile(bad)).toThrow('is not a plain file name');
      const dev = ConfinedDir.open('/dev');
      expect(() => dev.openFile('zero')).toThrow('/dev/zero: is a character device, not a regular file: refused');
      dev.close();
    } finally {
      d.close();
    }
  });

  it('creates files new only: an existing name or a link there is refused, its target untouched', () => {
    const { dir, outside } = hostileDir();
    const d = ConfinedDir.open(dir);
    try {
      expect(() => d.createFile('link')).toThrow(`${join(dir, 'link')}: already exists: refused to overwrite it`);
      expect(() => d.createFile('file')).toThrow('already exists');
      expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('outside');
      expect(() => d.mkdir('dirlink')).toThrow('already exists');
      // Replacing renames over the link: the link goes, its target stays as it was.
      d.replaceFile('link', 'new');
      expect(readFileSync(join(dir, 'link'), 'utf8')).toBe('new');
      expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('outside');
    } finally {
      d.close();
    }
  });

  it('removes temp files not committed when it is closed', () => {
    const { dir } = hostileDir();
    const d = ConfinedDir.open(dir);
    const kept = d.createTemp('kept');
    d.commitTemp(kept.name, 'kept');
    const dropped = d.createTemp('dropped');
    expect(dropped.name).toMatch(new RegExp(`^\\.dropped\\.${process.pid}\\.[0-9a-f]+\\.tmp$`));
    d.close();
    expect(existsSync(join(dir, 'kept'))).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
