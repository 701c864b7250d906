// A directory held open by fd, and everything under it reached one name at a time without
// following symbolic links. Node has no openat(2); /proc/self/fd/<fd>/<name> is the same
// lookup: the kernel follows the magic link to the directory the fd holds and resolves
// <name> there, and O_PATH|O_NOFOLLOW stops at a symlink instead of following it. An entry is
// first opened as O_PATH, which opens nothing (a FIFO does not block, a device is not
// touched), checked with fstat, and only a regular file or a directory is then reopened
// through its own fd's magic link, so what is read is what was checked.
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants as C, fstatSync, fsyncSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync,
  unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RecordingError } from './errors.js';

/** Linux's O_PATH; Node's fs.constants does not carry it. */
const O_PATH = 0o10000000;

/** An open regular file: its fd (owned by the caller) and its fstat at open. */
export interface OpenFile {
  readonly fd: number;
  readonly size: number;
  readonly stat: Stats;
  /** For messages. */
  readonly path: string;
}

/** What an fstat says a thing is, for a message. */
export function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'of an unknown kind';
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/** One line for a failed file operation: what failed and why, ENOSPC said plainly. */
export function ioError(what: string, file: string, err: unknown): RecordingError {
  if (err instanceof RecordingError) return err;
  const code = errno(err);
  const why = code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : code === 'EDQUOT' ? 'the disk quota is used up (EDQUOT)' : code ?? (err as Error).message;
  return new RecordingError(`cannot ${what}: ${why}`, { file, cause: err });
}

/** `.<final>.<pid>.<random>.tmp`, what createTemp makes. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

/** Whether process `pid` (not this one) has ended, so what it left behind may go. */
export function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/**
 * Whether `name` is a temp file createTemp made (for `final`, when given) in a process that
 * is gone: killed before it could remove it, so a later run may.
 */
export function isOrphanTemp(name: string, final?: string): boolean {
  const m = TEMP_NAME.exec(name);
  if (!m || (final !== undefined && !name.startsWith(`.${final}.`))) return false;
  return processGone(Number(m[1]));
}

/** Directories with temp files still to remove when the process exits. */
const withTemps = new Set<ConfinedDir>();
process.on('exit', () => {
  for (const d of withTemps) d.discardTemps();
});

export class ConfinedDir {
  private readonly temps = new Set<string>();
  private closed = false;

  /** `path` names the directory in messages; every access goes through `fd`. */
  private constructor(readonly fd: number, readonly path: string) {}

  /**
   * A directory the user named. Their path is taken literally and followed as given (it is
   * theirs to choose); only what lies below it is confined.
   */
  static open(path: string, opts: { create?: boolean; mode?: number } = {}): ConfinedDir {
    if (path === '') throw new RecordingError('an empty path names no directory', { file: '""' });
    if (opts.create) {
      try {
        mkdirSync(path, { recursive: true, mode: opts.mode ?? 0o700 });
      } catch (err) {
        throw ioError('create the directory', path, err);
      }
    }
    let fd: number;
    try {
      fd = openSync(path, C.O_RDONLY | C.O_DIRECTORY | C.O_NONBLOCK | C.O_NOCTTY);
    } catch (err) {
      const code = errno(err);
      if (code === 'ENOENT') throw new RecordingError('no such directory', { file: path, cause: err });
      if (code === 'ENOTDIR') throw new RecordingError('is not a directory', { file: path, cause: err });
      throw ioError('open the directory', path, err);
    }
    return new ConfinedDir(fd, path);
  }

  /** Opens the regular file at a path the user gave: its directory as given, the file itself not followed. */
  static openFileAt(path: string): OpenFile {
    const dir = ConfinedDir.open(dirname(path));
    try {
      return dir.openFile(basename(path));
    } finally {
      dir.close();
    }
  }

  /** The kernel path that resolves `name` inside this directory (and nowhere else). */
  at(name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new RecordingError('is not a plain file name: refused', { file: join(this.path, name) });
    }
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** `name` as the user knows it, for messages. */
  display(name: string): string {
    return join(this.path, name);
  }

  /** What `name` is, without following it; undefined when nothing is there. */
  stat(name: string): Stats | undefined {
    let fd: number;
    try {
      fd = openSync(this.at(name), O_PATH | C.O_NOFOLLOW);
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw ioError('look at', this.display(name), err);
    }
    try {
      return fstatSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Opens `name` as `kind` (never through a link, never a FIFO or device), with `flags`. */
  private reopen(name: string, want: 'file' | 'directory', flags: number): { fd: number; stat: Stats } {
    const shown = this.display(name);
    let pathFd: number;
    try {
      pathFd = openSync(this.at(name), O_PATH | C.O_NOFOLLOW);
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new RecordingError('is missing', { file: shown, cause: err });
      throw ioError('open', shown, err);
    }
    try {
      const st = fstatSync(pathFd);
      const ok = want === 'file' ? st.isFile() : st.isDirectory();
      if (!ok) {
        const link = st.isSymbolicLink() ? ' (flightrec does not follow links here)' : '';
        throw new RecordingError(`is ${kindOf(st)}, not ${want === 'file' ? 'a regular file' : 'a directory'}: refused${link}`, { file: shown });
      }
      let fd: number;
      try {
        fd = openSync(`/proc/self/fd/${pathFd}`, flags | C.O_NONBLOCK | C.O_NOCTTY | (want === 'directory' ? C.O_DIRECTORY : 0));
      } catch (err) {
        throw ioError('open', shown, err);
      }
      return { fd, stat: st };
    } finally {
      closeSync(pathFd);
    }
  }

  /** A regular file for reading. */
  openFile(name: string): OpenFile {
    const { fd, stat } = this.reopen(name, 'file', C.O_RDONLY);
    return { fd, size: stat.size, stat, path: this.display(name) };
  }

  /** A regular file for reading, or undefined when nothing is there (anything else there is refused). */
  openFileIfExists(name: string): OpenFile | undefined {
    return this.stat(name) === undefined ? undefined : this.openFile(name);
  }

  /** An existing regular file for writing in place. */
  openFileForWrite(name: string): OpenFile {
    const { fd, stat } = this.reopen(name, 'file', C.O_RDWR);
    return { fd, size: stat.size, stat, path: this.display(name) };
  }

  /** A subdirectory, made (mode 0700 unless told) when `create` and missing; never a link. */
  subdir(name: string, opts: { create?: boolean; mode?: number } = {}): ConfinedDir {
    if (opts.create) {
      try {
        mkdirSync(this.at(name), { mode: opts.mode ?? 0o700 });
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw ioError('create the directory', this.display(name), err);
      }
    }
    const { fd } = this.reopen(name, 'directory', C.O_RDONLY);
    return new ConfinedDir(fd, this.display(name));
  }

  /** Makes a new subdirectory; one already there is refused. */
  mkdir(name: string, mode = 0o700): ConfinedDir {
    try {
      mkdirSync(this.at(name), { mode });
    } catch (err) {
      if (errno(err) === 'EEXIST') throw new RecordingError('already exists: refused to reuse it', { file: this.display(name), cause: err });
      throw ioError('create the directory', this.display(name), err);
    }
    return this.subdir(name);
  }

  /** Creates `name`, which must not exist (O_EXCL: never through a link), for writing. */
  createFile(name: string, mode = 0o600): number {
    try {
      return openSync(this.at(name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW | C.O_NOCTTY, mode);
    } catch (err) {
      if (errno(err) === 'EEXIST') throw new RecordingError('already exists: refused to overwrite it', { file: this.display(name), cause: err });
      throw ioError('create', this.display(name), err);
    }
  }

  /**
   * A new temp file beside `final`, named with this process's pid so a later run can tell
   * an orphan; removed when the directory is closed or the process exits, unless committed.
   */
  createTemp(final: string, mode = 0o600): { name: string; fd: number } {
    for (;;) {
      const name = `.${final}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        const fd = openSync(this.at(name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW | C.O_NOCTTY, mode);
        this.temps.add(name);
        withTemps.add(this);
        return { name, fd };
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw ioError('create a temp file for', this.display(final), err);
      }
    }
  }

  /** Renames a temp file onto `final` (replacing what is there, never writing through it). */
  commitTemp(temp: string, final: string): void {
    try {
      renameSync(this.at(temp), this.at(final));
    } catch (err) {
      throw ioError('rename into place', this.display(final), err);
    }
    this.temps.delete(temp);
  }

  discardTemp(temp: string): void {
    if (!this.temps.delete(temp)) return;
    try {
      unlinkSync(this.at(temp));
    } catch { /* already gone */ }
  }

  /** Removes every temp file not committed. */
  discardTemps(): void {
    for (const t of [...this.temps]) this.discardTemp(t);
    withTemps.delete(this);
  }

  /**
   * Writes `data` to `name` whole or not at all: temp file, fsync, rename, fsync of the
   * directory. `durable: false` leaves out the fsyncs, for a file a crash may lose (still
   * never seen half written).
   */
  replaceFile(name: string, data: string | Uint8Array, { mode = 0o600, durable = true }: { mode?: number; durable?: boolean } = {}): void {
    const { name: temp, fd } = this.createTemp(name, mode);
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data, this.display(name));
      if (durable) fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      this.discardTemp(temp);
      throw ioError('write', this.display(name), err);
    }
    closeSync(fd);
    try {
      this.commitTemp(temp, name);
    } catch (err) {
      this.discardTemp(temp);
      throw err;
    }
    if (durable) this.fsync();
  }

  /** The whole of a regular file, refused past `limit` bytes before anything is read. */
  readFile(name: string, limit: number): Buffer {
    const f = this.openFile(name);
    try {
      if (f.size > limit) throw new RecordingError(`is ${f.size} bytes, more than the ${limit} allowed`, { file: f.path });
      return readExactly(f, 0, f.size);
    } finally {
      closeSync(f.fd);
    }
  }

  list(): string[] {
    try {
      return readdirSync(`/proc/self/fd/${this.fd}`);
    } catch (err) {
      throw ioError('list', this.path, err);
    }
  }

  rename(from: string, to: string): void {
    try {
      renameSync(this.at(from), this.at(to));
    } catch (err) {
      throw ioError('rename', this.display(from), err);
    }
  }

  /** Removes a file (a link is removed, not followed). */
  unlink(name: string): void {
    try {
      unlinkSync(this.at(name));
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw ioError('remove', this.display(name), err);
    }
  }

  /** Removes a directory tree below this one; links in it are removed, not followed. */
  removeTree(name: string): void {
    rmSync(this.at(name), { recursive: true, force: true });
  }

  fsync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.discardTemps();
    this.closed = true;
    closeSync(this.fd);
  }
}

/** `n` bytes at `offset`; a file that ends early changed while it was read. */
export function readExactly(f: OpenFile, offset: number, n: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  for (let got = 0; got < n;) {
    const r = readSync(f.fd, buf, got, n - got, offset + got);
    if (r === 0) throw new RecordingError(`file changed while reading (short read of ${n} bytes)`, { file: f.path, offset: offset + got });
    got += r;
  }
  return buf;
}

export function writeAll(fd: number, data: Uint8Array, file: string, position?: number): void {
  try {
    for (let done = 0; done < data.byteLength;) done += writeSync(fd, data, done, data.byteLength - done, position === undefined ? null : position + done);
  } catch (err) {
    throw ioError('write', file, err);
  }
}
