// A detector written outside the repository imports `flightrec` and `flightrec/testing`:
// flightrec provides them to the detector files it loads, and a detector author's own tests
// get them by installing the package from its directory, as the README says.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, tempDir } from '../helpers.js';

const REC = join(ROOT, 'fixtures', 'port-scan', 'rec');

let dir: string;
let detector: string;

beforeAll(() => {
  dir = tempDir('flightrec-detector-author-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-detectors', private: true, type: 'module' }));
  detector = join(dir, 'first-connect.js');
  writeFileSync(detector, `import { defineDetector } from 'flightrec/testing';
import { TABLE_NAMES } from 'flightrec';
export default defineDetector({
  name: 'first-connect', version: '1', description: 'the first connect of the recording',
  tables: { net: { columns: ['dport'], where: { op: ['connect'] } } },
  create(ctx) {
    let seen = false;
    return { net(e) { if (!seen && TABLE_NAMES.includes('net')) { seen = true; ctx.alert({ severity: 'info', title: 'first connect to ' + e.dport }); } } };
  },
});
`);
});

describe('flightrec/testing outside the repository', () => {
  it('a detector file anywhere gets flightrec from the flightrec that loads it', () => {
    const r = cli('replay', REC, '--detectors', detector, '-f', 'json');
    expect(r.code, r.stderr).toBe(0);
    const alerts = JSON.parse(r.stdout) as Array<{ detector: string; title: string }>;
    expect(alerts.map((a) => [a.detector, a.title.startsWith('first connect to ')])).toEqual([['first-connect', true]]);
  });

  it('installed from its directory (npm install <path>, offline), the package serves a test of the detector', () => {
    const npm = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', ROOT], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(npm.status, npm.stderr).toBe(0);
    writeFileSync(join(dir, 'test.js'), `import { expectAlerts } from 'flightrec/testing';
import detector from './first-connect.js';
await expectAlerts(${JSON.stringify(REC)}, [{ detector: 'first-connect', severity: 'info' }], { detectors: [detector] });
console.log('ok');
`);
    const t = spawnSync(process.execPath, ['test.js'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(t.stderr).toBe('');
    expect(t.stdout).toBe('ok\n');
  });
});
