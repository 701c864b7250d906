// A recording written by an attacker, read by an analyst who is root: nothing outside the
// recording changes, and every command ends within 20 s with one line naming the file or a
// correct result. The format side: seal, verify, info, replay and slice.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { cliWithin, inMountNamespace, snapshot, tempDir, type TimedResult } from '../helpers.js';

const LIMIT_MS = 20_000;
const run = (...args: string[]): TimedResult => cliWithin(LIMIT_MS, ...args);

/**
 * Ended in time with one line on stderr naming `file`, no stack. `verify` lists every
 * problem it finds, one a line, the first naming the file.
 */
function oneLineError(r: TimedResult, file: string, message?: string | RegExp): void {
  expect(r.timedOut, 'timed out').toBe(false);
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  if (!lines[0]!.startsWith('flightrec: verify failed: ')) expect(lines, r.stderr).toHaveLength(1);
  else expect(lines.slice(1).every((l) => l.startsWith('  also: ')), r.stderr).toBe(true);
  expect(lines[0]).toMatch(/^flightrec: /);
  expect(lines[0]).toContain(file);
  if (message !== undefined) expect(lines[0]).toMatch(message);
}

/** A work directory holding the recording and, beside it, `outside/` with a file an attacker aims at. */
function workspace(): { base: string; rec: string; outside: string; target: string } {
  const base = tempDir();
  const outside = join(base, 'outside');
  mkdirSync(outside);
  const target = join(outside, 'target');
  writeFileSync(target, '* * * * * root original\n');
  return { base, rec: join(base, 'rec'), outside, target };
}

/** A closed recording of `segments` sealed segments of syscall rows (sizes differ per segment). */
function closed(dir: string, segments = 2): void {
  const w = RecordingWriter.create(dir);
  const work = new SyscallWorkload(8);
  for (let s = 0; s < segments; s++) {
    w.append('syscall', work.batch(300 + 200 * s));
    w.sealSegment();
  }
  w.close();
}

/** A crashed recording: one sealed segment, then an open one with a torn tail (the writer object is dropped, never closed). */
function crashed(dir: string): void {
  const w = RecordingWriter.create(dir);
  const work = new SyscallWorkload(9);
  w.append('syscall', work.batch(400));
  w.sealSegment();
  w.append('syscall', work.batch(500));
  appendFileSync(join(dir, 'segments', '000002', 'syscall.arrow'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
}

const seg = (rec: string, n: number, file?: string): string => join(rec, 'segments', String(n).padStart(6, '0'), ...(file ? [file] : []));

const rowsOf = (r: TimedResult): number => (JSON.parse(r.stdout) as { rows: number }).rows;

describe('hostile recordings: links, FIFOs and devices', () => {
  it('a .torn link planted in an unsealed segment: seal refuses, its target keeps content and mtime', () => {
    const w = workspace();
    crashed(w.rec);
    symlinkSync(w.target, seg(w.rec, 2, 'syscall.arrow.torn'));
    const before = snapshot(w.outside);
    oneLineError(run('seal', '--force', w.rec), seg(w.rec, 2, 'syscall.arrow.torn'), /unexpected file in an unsealed segment: refusing to seal/);
    oneLineError(run('verify', w.rec), seg(w.rec, 2, 'syscall.arrow.torn'));
    expect(snapshot(w.outside)).toEqual(before);
  });

  it('a manifest.json.tmp link: seal never writes through it and seals correctly', () => {
    const w = workspace();
    crashed(w.rec);
    symlinkSync(w.target, join(w.rec, 'manifest.json.tmp'));
    const before = snapshot(w.outside);
    const r = run('seal', '--force', w.rec);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('17 torn bytes kept aside');
    expect(run('verify', w.rec).code).toBe(0);
    expect(lstatSync(join(w.rec, 'manifest.json.tmp')).isSymbolicLink()).toBe(true);
    expect(snapshot(w.outside)).toEqual(before);
  });

  it('a table file with a hard link outside: seal refuses to cut it, the other name untouched', () => {
    const w = workspace();
    crashed(w.rec);
    const file = seg(w.rec, 2, 'syscall.arrow');
    linkSync(file, join(w.outside, 'hardlink'));
    const before = snapshot(w.outside);
    oneLineError(run('seal', w.rec, '--force'), file, /has 1 other hard link\(s\): refusing to cut a file that lives elsewhere too/);
    expect(snapshot(w.outside)).toEqual(before);
  });

  it('temp files an interrupted seal left are its to remove', () => {
    const w = workspace();
    crashed(w.rec);
    const gone = spawnSync('true').pid!;
    writeFileSync(seg(w.rec, 2, `.syscall.arrow.torn.${gone}.0123456789ab.tmp`), 'half');
    writeFileSync(join(w.rec, `.manifest.json.${gone}.0123456789ab.tmp`), 'half');
    oneLineError(run('verify', w.rec), seg(w.rec, 2, `.syscall.arrow.torn.${gone}.0123456789ab.tmp`), /unexpected file in an unsealed segment/);
    const r = run('seal', w.rec, '--force');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(seg(w.rec, 2))).toEqual(['syscall.arrow', 'syscall.arrow.torn']);
    expect(readdirSync(w.rec)).toEqual(['manifest.json', 'segments']);
    expect(run('verify', w.rec).code).toBe(0);
  });

  it('a table file that is a link: seal, verify, info and replay refuse it, the linked file untouched', () => {
    const w = workspace();
    crashed(w.rec);
    const file = seg(w.rec, 2, 'syscall.arrow');
    const elsewhere = join(w.outside, 'syscall.arrow');
    renameSync(file, elsewhere);
    symlinkSync(elsewhere, file);
    const before = snapshot(w.outside);
    for (const [cmd, ...opts] of [['seal', '--force'], ['verify'], ['info'], ['replay', '--detectors', 'port-scan']]) {
      oneLineError(run(cmd!, w.rec, ...opts), file, /is a symbolic link, not a regular file/);
    }
    expect(snapshot(w.outside)).toEqual(before);
  });

  it('a segment directory that is a link: refused, or left out with --allow-damaged', () => {
    const w = workspace();
    closed(w.rec);
    const whole = rowsOf(run('info', '--json', w.rec));
    renameSync(seg(w.rec, 2), join(w.outside, 'seg'));
    symlinkSync(join(w.outside, 'seg'), seg(w.rec, 2));
    const before = snapshot(w.outside);
    for (const [cmd, ...opts] of [['verify'], ['info'], ['replay', '--detectors', 'port-scan'], ['slice', '--from', '0', '-o', join(w.base, 'cut')]]) {
      oneLineError(run(cmd!, w.rec, ...opts), seg(w.rec, 2), /is a symbolic link, not a directory/);
    }
    const r = run('info', '--json', '--allow-damaged', w.rec);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${seg(w.rec, 2)} (is a symbolic link, not a directory: refused (flightrec does not follow links here), left out)`);
    expect(rowsOf(r)).toBe(300);
    expect(rowsOf(r)).toBeLessThan(whole);
    expect(snapshot(w.outside)).toEqual(before);
  });

  it('a FIFO in place of a table file hangs nothing', () => {
    const w = workspace();
    closed(w.rec);
    const file = seg(w.rec, 1, 'syscall.arrow');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    for (const [cmd, ...opts] of [['info'], ['verify'], ['sql', 'SELECT count(*) FROM syscall'], ['replay', '--detectors', 'port-scan'], ['seal'], ['slice', '--from', '0', '-o', join(w.base, 'cut')]]) {
      oneLineError(run(cmd!, w.rec, ...opts), file, /is a FIFO, not a regular file/);
    }
    // In an unsealed segment too, where no manifest entry says what to expect.
    const c = workspace();
    crashed(c.rec);
    const open = seg(c.rec, 2, 'syscall.arrow');
    rmSync(open);
    execFileSync('mkfifo', [open]);
    for (const [cmd, ...opts] of [['info'], ['verify'], ['sql', 'SELECT count(*) FROM syscall'], ['seal', '--force']]) oneLineError(run(cmd!, c.rec, ...opts), open, /is a FIFO/);
  });

  it('/dev/zero in place of a table file, as a link or as a device node', () => {
    const w = workspace();
    closed(w.rec);
    const file = seg(w.rec, 1, 'syscall.arrow');
    rmSync(file);
    symlinkSync('/dev/zero', file);
    oneLineError(run('verify', w.rec), file, /is a symbolic link/);
    oneLineError(run('replay', w.rec, '--detectors', 'port-scan'), file, /is a symbolic link/);
    if (process.getuid?.() !== 0) {
      console.log('skipped the device node case: making one needs root');
      return;
    }
    rmSync(file);
    execFileSync('mknod', [file, 'c', '1', '5']);
    oneLineError(run('verify', w.rec), file, /is a character device/);
    oneLineError(run('sql', w.rec, 'SELECT count(*) FROM syscall'), file, /is a character device/);
    oneLineError(run('seal', w.rec), file, /is a character device/);
  });
});

describe('hostile recordings: the manifest and the segment list', () => {
  it("'../' in the manifest id is refused by every command", () => {
    const w = workspace();
    closed(w.rec);
    const manifest = join(w.rec, 'manifest.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"id": "[^"]+"/, '"id": "../../outside/x"'));
    const before = snapshot(w.base);
    for (const [cmd, ...opts] of [['info'], ['verify'], ['seal'], ['replay', '--detectors', 'port-scan'], ['slice', '--from', '0', '-o', join(w.outside, 'cut')]]) {
      oneLineError(run(cmd!, w.rec, ...opts), manifest, /field 'id' has the wrong type or value/);
    }
    expect(snapshot(w.base)).toEqual(before);
  });

  it('an unlisted segment is refused, or left out with --allow-damaged', () => {
    const w = workspace();
    closed(w.rec);
    const whole = rowsOf(run('info', '--json', w.rec));
    cpSync(seg(w.rec, 2), seg(w.rec, 3), { recursive: true });
    for (const [cmd, ...opts] of [['info'], ['replay', '--detectors', 'port-scan'], ['slice', '--from', '0', '-o', join(w.base, 'cut')]]) {
      oneLineError(run(cmd!, w.rec, ...opts), seg(w.rec, 3), /segment directory is not in the manifest/);
    }
    oneLineError(run('verify', w.rec), seg(w.rec, 3));
    const r = run('info', '--json', '--allow-damaged', w.rec);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`flightrec: ${w.rec} is damaged, read anyway (--allow-damaged): ${seg(w.rec, 3)} (segment directory is not in the manifest (the recording is closed), left out)\n`);
    expect(rowsOf(r)).toBe(whole);
    const cut = join(w.base, 'cut');
    const s = run('slice', w.rec, '--from', '0', '--allow-damaged', '-o', cut);
    expect(s.code, s.stderr).toBe(0);
    expect(rowsOf(run('info', '--json', cut))).toBe(whole);
    expect(run('verify', cut).code).toBe(0);
  });

  it('a missing segment is refused, or left out with --allow-damaged', () => {
    const w = workspace();
    closed(w.rec);
    rmSync(seg(w.rec, 2), { recursive: true });
    for (const [cmd, ...opts] of [['info'], ['verify'], ['replay', '--detectors', 'port-scan'], ['slice', '--from', '0', '-o', join(w.base, 'cut')]]) {
      oneLineError(run(cmd!, w.rec, ...opts), seg(w.rec, 2), /segment directory is missing/);
    }
    const r = run('replay', w.rec, '--detectors', 'port-scan', '-f', 'jsonl', '--allow-damaged');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([`flightrec: ${w.rec} is damaged, read anyway (--allow-damaged): ${seg(w.rec, 2)} (segment directory is missing, left out)`]);
    expect(rowsOf(run('info', '--json', '--allow-damaged', w.rec))).toBe(300);
  });

  it('reordered segments are refused, and their files left out with --allow-damaged', () => {
    const w = workspace();
    closed(w.rec);
    renameSync(seg(w.rec, 1), join(w.base, 'tmp'));
    renameSync(seg(w.rec, 2), seg(w.rec, 1));
    renameSync(join(w.base, 'tmp'), seg(w.rec, 2));
    for (const [cmd, ...opts] of [['info'], ['verify'], ['replay', '--detectors', 'port-scan']]) {
      oneLineError(run(cmd!, w.rec, ...opts), seg(w.rec, 1, 'syscall.arrow'), /bytes but the manifest says/);
    }
    const r = run('info', '--json', '--allow-damaged', w.rec);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${seg(w.rec, 1, 'syscall.arrow')} (is`);
    expect(r.stderr).toContain(`${seg(w.rec, 2, 'syscall.arrow')} (is`);
    expect(rowsOf(r)).toBe(0);
  });

  it('reordered manifest entries break the chain: refused by readers, named by verify', () => {
    const w = workspace();
    closed(w.rec, 3);
    const manifest = join(w.rec, 'manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { segments: unknown[] };
    [m.segments[0], m.segments[1]] = [m.segments[1], m.segments[0]];
    writeFileSync(manifest, `${JSON.stringify(m, null, 2)}\n`);
    oneLineError(run('info', w.rec), manifest, /hash chain broken at segment 000002/);
    const v = run('verify', w.rec);
    expect(v.code).toBe(1);
    expect(v.stderr.split('\n')[0]).toContain(`${manifest}: hash chain broken`);
    expect(existsSync(join(w.rec, 'cache'))).toBe(false);
  });
});

describe('a full disk under seal', () => {
  it('is one line, changes nothing (no 0-byte .torn: verify still says unsealed), and seal works once there is room', () => {
    const src = join(tempDir(), 'rec');
    crashed(src);
    const disk = tempDir();
    const rec = join(disk, 'rec');
    const r = inMountNamespace(`mount -t tmpfs -o size=1m tmpfs "${disk}"
      cp -a "${src}" "${rec}"
      dd if=/dev/zero of="${disk}/fill" bs=4k 2>/dev/null || true
      code=0; "$NODE" "$FLIGHTREC" seal --force "${rec}" || code=$?; echo "seal $code"
      code=0; "$NODE" "$FLIGHTREC" verify "${rec}" >/dev/null || code=$?; echo "verify $code"
      ls -A "${rec}" "${rec}/segments/000002" | tr '\n' ' '; echo
      rm "${disk}/fill"
      code=0; "$NODE" "$FLIGHTREC" seal --force "${rec}" >/dev/null || code=$?; echo "seal $code"
      code=0; "$NODE" "$FLIGHTREC" verify "${rec}" >/dev/null || code=$?; echo "verify $code"`);
    if (!r) return;
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('seal 1');
    expect(lines[1]).toBe('verify 3');
    expect(lines[2]!.trim()).toBe(`${rec}: manifest.json segments  ${rec}/segments/000002: syscall.arrow`);
    expect(lines.slice(3)).toEqual(['seal 0', 'verify 0']);
    const err = r.stderr.trim().split('\n');
    expect(err.filter((l) => l.startsWith('flightrec: '))).toHaveLength(1);
    expect(err[0]).toMatch(/^flightrec: .*: cannot write: the disk is full \(ENOSPC\); nothing was changed: free some space and run `flightrec seal` again$/);
  });
});
