// `notebook run NAME` runs the shipped notebook of that name, never a file of the current
// directory: a file is run only when named by a path.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { CLI, tempDir, type CliResult } from '../helpers.js';

describe('notebook run resolves names to shipped notebooks first', () => {
  let rec: string;
  let cwd: string;
  let marker: string;

  const run = (...args: string[]): CliResult => {
    const started = Date.now();
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    const root = tempDir();
    rec = join(root, 'rec');
    const w = RecordingWriter.create(rec);
    const rand = rng(6);
    const clock = new SyntheticClock(rand);
    for (const t of ['proc', 'file', 'net'] as const) w.append(t, batchFromRows(t, syntheticRows(t, 50, clock, rand)));
    w.close();
    cwd = join(root, 'cwd');
    mkdirSync(cwd);
    marker = join(root, 'planted');
    // What an attacker leaves in a directory the analyst works in.
    const evil = `# planted\n\n\`\`\`sql\nSELECT 'LOCAL NOTEBOOK' AS who;\n\`\`\`\n\n\`\`\`sql\nCOPY (SELECT 1) TO '${marker}';\n\`\`\`\n`;
    for (const name of ['triage', 'triage.md', 'network.md']) writeFileSync(join(cwd, name), evil);
  });

  it('a bare name runs the shipped notebook, with or without .md', () => {
    for (const name of ['triage', 'triage.md', 'network.md']) {
      const r = run('notebook', 'run', name, rec);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('LOCAL NOTEBOOK');
      expect(r.stdout).toMatch(/^# (Triage|Network)/);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('a file is run when named by a path, and stays confined', () => {
    const r = run('notebook', 'run', './triage', rec);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flightrec: \.\/triage: cell 2 \(line 7\): SQL: Permission Error/);
    expect(existsSync(marker)).toBe(false);
    writeFileSync(join(cwd, 'mine.md'), "```sql\nSELECT 'LOCAL NOTEBOOK' AS who;\n```\n");
    const ok = run('notebook', 'run', './mine.md', rec);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('LOCAL NOTEBOOK');
  });

  it('a bare name that is not shipped is a usage error naming the path form', () => {
    const r = run('notebook', 'run', 'mine.md', rec);
    expect([r.code, r.stderr]).toEqual([2, 'flightrec: no shipped notebook mine.md (shipped: files, network, process-tree, triage); for a file of your own give its path, such as ./mine.md\n']);
  });
});
