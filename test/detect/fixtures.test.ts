// The built-in detectors against the committed fixtures: each fires on its positive fixture,
// stays silent on its negative one and on benign work, and every fixture replays to exactly
// its golden alerts.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN } from '../../src/detect/builtin/index.js';
import { expectAlerts, expectNoAlerts, replayFixture } from '../../src/replay/testing.js';
import { ROOT, cli } from '../helpers.js';

const FIXTURES = join(ROOT, 'fixtures');
const baseline = join(FIXTURES, 'baseline.json');

interface Scenario { name: string; positive: string[]; negative: string[]; benign: boolean }

const scenarios: Scenario[] = readdirSync(join(FIXTURES, 'scenarios')).filter((f) => f.endsWith('.sh')).map((f) => {
  const text = readFileSync(join(FIXTURES, 'scenarios', f), 'utf8');
  const tags = (tag: string): string[] => [...text.matchAll(new RegExp(`^# ${tag}: (.+)$`, 'gm'))].map((m) => m[1]!.trim());
  return { name: f.slice(0, -3), positive: tags('positive'), negative: tags('negative'), benign: /^# benign$/m.test(text) };
});
const rec = (name: string): string => join(FIXTURES, name, 'rec');

describe('built-in detectors on the fixtures', () => {
  it('every built-in detector has a positive and a negative fixture', () => {
    for (const d of BUILTIN) {
      expect(scenarios.filter((s) => s.positive.includes(d.name)).length, `${d.name} positive`).toBeGreaterThan(0);
      expect(scenarios.filter((s) => s.negative.includes(d.name)).length, `${d.name} negative`).toBeGreaterThan(0);
    }
  });

  for (const d of BUILTIN) {
    it(`${d.name} fires on its positive fixtures and stays silent on its negative ones`, async () => {
      for (const s of scenarios.filter((x) => x.positive.includes(d.name))) {
        const { alerts } = await replayFixture(rec(s.name), { detectors: [d.name], baseline });
        expect(alerts.length, `${d.name} on ${s.name}`).toBeGreaterThan(0);
        expect(alerts.every((a) => a.detector === d.name)).toBe(true);
      }
      for (const s of scenarios.filter((x) => x.negative.includes(d.name))) {
        const { alerts } = await replayFixture(rec(s.name), { detectors: [d.name], baseline });
        expect(alerts.map((a) => a.title), `${d.name} on ${s.name}`).toEqual([]);
      }
    });
  }

  it('raises nothing at all on benign work (a C build and its test suite, twice)', async () => {
    const benign = scenarios.filter((s) => s.benign).map((s) => rec(s.name));
    expect(benign.length).toBe(2);
    await expectNoAlerts(benign, { baseline });
  });

  it('replays every fixture to exactly its golden alerts', async () => {
    for (const s of scenarios) await expectAlerts(rec(s.name), join(FIXTURES, s.name, 'alerts.jsonl'), { baseline });
  });

  it('says what differs when the alerts are not the expected ones', async () => {
    await expect(expectAlerts(rec('port-scan'), [{ detector: 'port-scan', severity: 'critical' }], { baseline }))
      .rejects.toThrow(/alert 1 does not match .*"severity":"critical".*\n.*port-scan warning/);
    await expect(expectNoAlerts([rec('benign'), rec('fork-bomb')], { baseline })).rejects.toThrow(/1 false positive.*\n.*fork-bomb.*fork bomb/);
  });

  it('replay output is byte-identical run after run', () => {
    const args = ['replay', rec('staging-exec'), '--baseline', baseline, '-f', 'jsonl'];
    const first = cli(...args);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n').filter(Boolean).length).toBe(6);
    expect(cli(...args).stdout).toBe(first.stdout);
    const table = cli('replay', rec('staging-exec'), '--baseline', baseline);
    expect(table.stdout).toMatch(/dangerous-exec .*executed a file descriptor/);
    expect(cli('replay', rec('staging-exec'), '--baseline', baseline).stdout).toBe(table.stdout);
  });
});
