// A file written where the user asked (-o FILE): a temp file created new beside it (O_EXCL,
// mode 0600) is written and then renamed onto the name. Whatever was there, a file or a
// link someone planted, is replaced, never written through or truncated, and a half-written
// output never appears under the name; an error removes the temp file.
import { closeSync, fsyncSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfinedDir, isOrphanTemp, writeAll } from './confined-dir.js';
import { RecordingError } from './errors.js';

export class OutputFile {
  private done = false;

  private constructor(private readonly dir: ConfinedDir, private readonly temp: string, readonly fd: number, readonly path: string) {}

  static create(path: string): OutputFile {
    if (path === '') throw new RecordingError('an empty path names no file', { file: '""' });
    const dir = ConfinedDir.open(dirname(path));
    try {
      // What an earlier run killed before it could clean up left beside this very output.
      for (const f of dir.list()) if (isOrphanTemp(f, basename(path))) dir.unlink(f);
      const { name, fd } = dir.createTemp(basename(path));
      return new OutputFile(dir, name, fd, path);
    } catch (err) {
      dir.close();
      throw err;
    }
  }

  /** A path another writer in this process (DuckDB) can open to write this very file. */
  get procPath(): string {
    return `/proc/self/fd/${this.fd}`;
  }

  write(data: string | Uint8Array): void {
    writeAll(this.fd, typeof data === 'string' ? Buffer.from(data) : data, this.path);
  }

  /** Puts the file in place under its name. */
  commit(): void {
    if (this.done) return;
    this.done = true;
    try {
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
      }
      this.dir.commitTemp(this.temp, basename(this.path));
    } finally {
      this.dir.close(); // removes the temp file if it was not renamed
    }
  }

  /** Drops what was written; the name keeps what it had. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    this.dir.close();
  }
}

/** Writes a whole output file (see OutputFile). */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  const out = OutputFile.create(path);
  try {
    out.write(data);
  } catch (err) {
    out.abort();
    throw err;
  }
  out.commit();
}
