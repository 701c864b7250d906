// What the CLI says reads right: counts agree with their nouns, ratios below 1 are not "smaller",
// and mistakes that would write an empty slice or count rows twice are refused in one line.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compression, plural } from '../../src/cli/output.js';
import { RecordingWriter } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { ROOT, cli, tempDir } from '../helpers.js';

describe('wording', () => {
  it('plural and compression', () => {
    expect(plural(1, 'sealed segment')).toBe('1 sealed segment');
    expect(plural(0, 'row')).toBe('0 rows');
    expect(plural(2, 'process', 'processes')).toBe('2 processes');
    expect(compression(320, 100)).toBe('3.2x smaller than the kernel records');
    expect(compression(100, 1000)).toBe('10.0x larger than the kernel records');
    expect(compression(0, 0)).toBe('nothing to compare with the kernel records');
  });
});

describe('verify, slice and sql on a recording', () => {
  let base: string;
  let rec: string;
  let pid: number;
  beforeAll(() => {
    base = tempDir();
    rec = join(base, 'rec');
    const w = RecordingWriter.create(rec);
    const batch = new SyscallWorkload(3).batch(200);
    pid = batch.getChild('pid')!.get(0) as number;
    w.append('syscall', batch);
    w.close();
  });

  it('verify: "1 sealed segment"', () => {
    const r = cli('verify', rec);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^verified: 1 sealed segment, chain head /);
  });

  it('slice --pid of no process in the recording is a one-line usage error and writes nothing', () => {
    const out = join(base, 'none');
    const r = cli('slice', rec, '-o', out, '--pid', '99999');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`flightrec: nothing to slice: no rows of process 99999 in ${rec}; nothing was written\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('slice of one process says "of 1 process"', () => {
    const r = cli('slice', rec, '-o', join(base, 'one'), '--pid', String(pid));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^flightrec: sliced \d+ rows? of 1 process into /);
  });

  it('sql refuses the same recording twice instead of counting it twice', () => {
    const r = cli('sql', rec, rec, 'SELECT count(*) FROM syscall');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flightrec: .* is the same recording as .*: give each recording once\n$/);
  });
});

describe('replay and detectors', () => {
  const REC = join(ROOT, 'fixtures', 'port-scan', 'rec');

  it('--check-stored on a recording made without --detect says there was no live detection, before replaying', () => {
    const r = cli('replay', REC, '--check-stored');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`flightrec: --check-stored: ${REC} was recorded without --detect: there are no live alerts to compare the replay with\n`);
  });

  it('the anomaly detector left out of the built-in set is said once, by detectors, not on every replay', () => {
    expect(cli('replay', REC).stderr).toBe('');
    expect(cli('detectors').stderr).toBe('flightrec: anomaly needs --baseline; it is left out of the built-in set\n');
  });

  it('replay -o alerts.json writes a JSON array, as -f json does', () => {
    const out = join(tempDir(), 'alerts.json');
    expect(cli('replay', REC, '-o', out).code).toBe(0);
    const alerts = JSON.parse(readFileSync(out, 'utf8')) as Array<{ detector: string }>;
    expect(alerts.length).toBeGreaterThan(0);
    expect(readFileSync(out, 'utf8')).toBe(cli('replay', REC, '-f', 'json').stdout);
  });
});

describe('demo', () => {
  it('a first impression with no losses and no alerts from detectors that do not exist', () => {
    const r = cli('demo', '-o', join(tempDir(), 'demo'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^losses {6}none$/m);
    expect(r.stdout).not.toMatch(/^(alert|gap) /m);
  });
});
