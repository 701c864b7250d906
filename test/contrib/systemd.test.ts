// contrib/systemd/flightrec.service: its command lines parse with the real CLI definitions and
// fit its limits, it reloads with SIGHUP and stops with SIGTERM, and systemd accepts it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseSize } from '../../src/cli/units.js';
import { DEFAULTS, DEFAULT_BACKLOG_ROWS } from '../../src/record/defaults.js';
import { estimateMemory } from '../../src/record/memory.js';
import { DEFAULT_TABLES } from '../../src/schema/tables.js';
import { CLI, ROOT, tempDir } from '../helpers.js';
import { INSTALLED, UNIT, commandWords, parsedExecStart, unitSettings } from './unit.js';

const settings = unitSettings();
const one = (key: string): string => {
  const v = settings.get(key);
  expect(v, key).toHaveLength(1);
  return v![0]!;
};

describe('the systemd unit', () => {
  it('runs `record --all` within a bound on disk, with live detection, parsed by the real CLI', async () => {
    const { command, flags } = await parsedExecStart();
    expect(command).toEqual([]);
    expect(flags).toMatchObject({ all: true, detect: true, keepSize: '2G', segmentSize: '64M', output: '/var/lib/flightrec/ring', alertsOut: '/var/log/flightrec/alerts.jsonl' });
    expect(parseSize('--keep-size', flags.keepSize as string)).toBeGreaterThan(parseSize('--segment-size', flags.segmentSize as string));
    expect(commandWords(one('ExecStart'))).toEqual(expect.arrayContaining(['--incidents', '/var/lib/flightrec/incidents']));
  });

  it('starts within its --max-memory, and MemoryMax is above it', async () => {
    const { flags } = await parsedExecStart();
    const max = parseSize('--max-memory', flags.maxMemory as string);
    const estimate = estimateMemory({ ringBytes: DEFAULTS.ringBytes, batchRows: DEFAULTS.batchRows, tables: DEFAULT_TABLES, backlogRows: DEFAULT_BACKLOG_ROWS });
    expect(estimate.total_bytes).toBeLessThanOrEqual(max);
    const memoryMax = parseSize('MemoryMax', one('MemoryMax'));
    expect(memoryMax).toBeGreaterThan(max);
    expect(memoryMax - max).toBeLessThanOrEqual(256 * 2 ** 20);
  });

  it('reloads with SIGHUP, stops with SIGTERM with time to seal, restarts on failure, and yields the CPU without a quota', () => {
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(one('KillMode')).toBe('mixed');
    expect(parseDurationMs('TimeoutStopSec', one('TimeoutStopSec'), 's')).toBeGreaterThanOrEqual(60_000);
    expect(one('Restart')).toBe('on-failure');
    expect(Number(one('Nice'))).toBeGreaterThan(0);
    expect(Number(one('CPUWeight'))).toBeLessThan(100);
    expect(settings.has('CPUQuota')).toBe(false);
  });

  it('before a start, seals what the last run left and keeps it as ring.previous: a shell script sh accepts', () => {
    const [sh, flag, script, ...rest] = commandWords(one('ExecStartPre'));
    expect([sh, flag, rest]).toEqual(['/bin/sh', '-c', []]);
    expect(script).toContain(`${INSTALLED} seal --force ring`);
    const r = spawnSync('sh', ['-n', '-c', script!], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('is accepted by systemd-analyze verify, where it is installed', (ctx) => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
      console.warn('skipping systemd-analyze verify: systemd-analyze is not installed');
      return ctx.skip();
    }
    // With this build in place of the installed flightrec: verify checks that the programs exist.
    const unit = join(tempDir(), 'flightrec.service');
    writeFileSync(unit, readFileSync(UNIT, 'utf8').replaceAll(INSTALLED, CLI));
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('is documented in docs/service.md, which the README links, beside the logrotate file', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'service.md'), 'utf8');
    for (const s of ['contrib/systemd/flightrec.service', 'contrib/logrotate/flightrec', 'journalctl -u flightrec', 'flightrec status', 'systemctl reload flightrec', 'incidents']) expect(doc).toContain(s);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/service.md)');
    expect(existsSync(join(ROOT, 'contrib', 'logrotate', 'flightrec'))).toBe(true);
  });
});
