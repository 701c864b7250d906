// The --alerts-out sink on SIGHUP: opened again at its path (logrotate moved the old file away);
// a failure to open it is said once, the alerts meanwhile are counted and said at close.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/detect/runtime.js';
import { jsonlSink } from '../../src/detect/sinks.js';
import { tempDir } from '../helpers.js';

const source = { clock: { monotonic_ns: '0', wall_ns: '1764547200000000000' }, id: '96f11ada-8ae6-4539-a917-a8c3fdbea70e', host: { hostname: 'web-1', kernel_release: '6.18', boot_id: 'b', arch: 'x86_64' } };
const alert = (seq: number): Alert => ({ ts: 1_000_000_000n, seq: BigInt(seq), pid: 42, detector: 'sensitive-files', version: '2', severity: 'warning', title: `alert ${seq}`, evidence: '{}', related_seqs: [] });
const titles = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { title: string }).title);

describe('the --alerts-out sink', () => {
  it('opens its path again on reopen(): alerts go to the new file, with the same mode', async () => {
    const dir = tempDir();
    const file = join(dir, 'alerts.jsonl');
    const said: string[] = [];
    const sink = jsonlSink(file, (m) => said.push(m));
    sink.write([alert(1)], source);
    renameSync(file, `${file}.1`);
    sink.write([alert(2)], source); // still the open file, now alerts.jsonl.1
    sink.reopen!();
    sink.write([alert(3)], source);
    await sink.close();
    expect(titles(`${file}.1`)).toEqual(['alert 1', 'alert 2']);
    expect(titles(file)).toEqual(['alert 3']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(said).toEqual([]);
  });

  it('says once that it cannot open the path again, counts what is not written, and writes again after a reopen that works', async () => {
    const dir = join(tempDir(), 'logs');
    mkdirSync(dir);
    const file = join(dir, 'alerts.jsonl');
    const said: string[] = [];
    const sink = jsonlSink(file, (m) => said.push(m));
    sink.write([alert(1)], source);
    rmSync(dir, { recursive: true });
    sink.reopen!();
    expect(said).toEqual([`--alerts-out ${file}: cannot open it again (ENOENT); alerts are not written there until a later SIGHUP opens it`]);
    sink.write([alert(2), alert(3)], source);
    mkdirSync(dir);
    sink.reopen!();
    sink.write([alert(4)], source);
    await sink.close();
    expect(titles(file)).toEqual(['alert 4']);
    expect(said.slice(1)).toEqual([`--alerts-out ${file}: 2 alerts were not written there (it could not be opened again)`]);
  });
});
