import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recording } from '../../src/index.js';
import { ROOT, cli, inMountNamespace, tempDir } from '../helpers.js';
import { splitStream } from './ipc.js';

const BATCH = 1000;

/**
 * Start a writer process that appends syscall batches until killed; resolve once it has
 * written `batches` and its open segment is well short of rotation, so one is open at the kill.
 */
function writerUntil(dir: string, batches: number): Promise<ReturnType<typeof spawn>> {
  const script = `
    import { RecordingWriter } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
    import { SyscallWorkload } from ${JSON.stringify(join(ROOT, 'dist/src/testing/synthetic.js'))};
    const w = RecordingWriter.create(${JSON.stringify(dir)}, { maxSegmentBytes: 200000 });
    const work = new SyscallWorkload(5);
    let n = 0;
    setInterval(() => { w.append('syscall', work.batch(${BATCH})); console.log(++n, w.openSegmentBytes); }, 2);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n').filter(Boolean);
      const open = Number(lines.at(-1)?.split(' ')[1] ?? 0);
      if (lines.length >= batches && open > 0 && open < 100_000) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
  });
}

describe('crash recovery', () => {
  it('a writer killed with SIGKILL leaves a recording info opens, verify calls unsealed, and seal seals', async () => {
    const dir = join(tempDir(), 'rec');
    const child = await writerUntil(dir, 40);
    child.removeAllListeners('exit');
    const killed = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await killed;

    const rec = Recording.open(dir);
    expect(rec.manifest.state).toBe('recording');
    const rows = [...rec.batches('syscall')].reduce((n, b) => n + b.numRows, 0);
    // Every batch the writer reported is there; nothing partial is.
    expect(rows).toBeGreaterThanOrEqual(40 * BATCH);
    expect(rows % BATCH).toBe(0);

    const info = cli('info', dir);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('unsealed');
    const verify = cli('verify', dir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(3);
    expect(verify.stdout).toContain('run `flightrec seal`');

    // A torn tail: half a batch appended to the open segment's file.
    const open = rec.segments().filter((s) => !s.entry).at(-1)!;
    const file = join(open.path, 'syscall.arrow');
    if (existsSync(file)) appendFileSync(file, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0x01, 0, 0, 1, 2, 3]));
    const torn = cli('info', dir);
    expect(torn.code).toBe(0);
    expect(torn.stdout).toMatch(/torn tail .*syscall\.arrow at offset \d+: 11 bytes ignored/);

    const seal = cli('seal', dir);
    expect(seal.code).toBe(0);
    expect(seal.stdout).toContain('11 torn bytes kept aside');
    expect(cli('verify', dir).code).toBe(0);
    const sealed = Recording.open(dir);
    expect(sealed.manifest.state).toBe('closed');
    expect(sealed.manifest.closed_by).toBe('seal');
    expect(sealed.manifest.segments.at(-1)!.recovered).toBeDefined();
    expect([...sealed.batches('syscall')].reduce((n, b) => n + b.numRows, 0)).toBe(rows);
    expect(readdirSync(open.path)).toContain('syscall.arrow.torn');
    expect(cli('info', dir).stdout).toContain('sealed after a crash');
  });
});

describe('a write that fails', () => {
  it('a write cut short by a file size limit breaks the file: the error names it, close throws, seal recovers the whole batches', () => {
    const writer = (dir: string): string => `
      import { RecordingWriter } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
      import { SyscallWorkload } from ${JSON.stringify(join(ROOT, 'dist/src/testing/synthetic.js'))};
      const w = RecordingWriter.create(${JSON.stringify(dir)});
      const work = new SyscallWorkload(11);
      try {
        for (let i = 0; i < 5; i++) w.append('syscall', work.batch(1000));
      } catch (err) {
        console.log('append', err.code, err.message);
      }
      try { w.close(); console.log('closed'); } catch (err) { console.log('close', err.code, err.message); }
    `;
    // The same batches unlimited say where the third message lies.
    const whole = join(tempDir(), 'rec');
    expect(spawnSync(process.execPath, ['--input-type=module', '-e', writer(whole)], { encoding: 'utf8' }).stdout.trim()).toBe('closed');
    const msgs = splitStream(readFileSync(join(whole, 'segments', '000001', 'syscall.arrow')));
    const twoBatches = msgs.schema.length + msgs.batches[0]!.length + msgs.batches[1]!.length;
    const limit = twoBatches + Math.floor(msgs.batches[2]!.length / 2);

    const dir = join(tempDir(), 'rec');
    const file = join(dir, 'segments', '000001', 'syscall.arrow');
    const r = spawnSync('prlimit', [`--fsize=${limit}`, process.execPath, '--input-type=module', '-e', writer(dir)], { encoding: 'utf8' });
    expect(r.stdout.trim().split('\n'), r.stderr).toEqual([
      `append EFBIG write ${file}: File too large`,
      `close EFBIG write ${file}: File too large`,
    ]);
    expect(statSync(file).size).toBe(limit);
    expect(Recording.open(dir).manifest.state).toBe('recording');

    const seal = cli('seal', dir);
    expect(seal.code, seal.stderr).toBe(0);
    const rec = Recording.open(dir);
    expect(rec.manifest.segments[0]!.tables.syscall!.batches).toBe(2);
    expect(readFileSync(`${file}.torn`).equals(msgs.batches[2]!.subarray(0, limit - twoBatches))).toBe(true);
    expect([...rec.batches('syscall')].reduce((n, b) => n + b.numRows, 0)).toBe(2000);
    const verify = cli('verify', dir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('a full disk is an error with code ENOSPC (what the recorder reports as a full disk), naming the file', () => {
    const disk = tempDir();
    const dir = join(disk, 'rec');
    const r = inMountNamespace(`mount -t tmpfs -o size=1m tmpfs "${disk}"
      "$NODE" --input-type=module -e '
        import { RecordingWriter } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
        import { SyscallWorkload } from ${JSON.stringify(join(ROOT, 'dist/src/testing/synthetic.js'))};
        const w = RecordingWriter.create(${JSON.stringify(dir)});
        const work = new SyscallWorkload(12);
        try {
          for (let i = 0; i < 1000; i++) w.append("syscall", work.batch(1000));
        } catch (err) {
          console.log(err.code, err.message);
        }
        try { w.close(); } catch (err) { console.log("close", err.code); }
      '`);
    if (!r) return;
    expect(r.stdout.trim().split('\n'), r.stderr).toEqual([
      `ENOSPC write ${join(dir, 'segments', '000001', 'syscall.arrow')}: No space left on device`,
      'close ENOSPC',
    ]);
  });
});
