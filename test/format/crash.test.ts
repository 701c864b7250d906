import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recording } from '../../src/index.js';
import { ROOT, cli, tempDir } from '../helpers.js';

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
