// verify catches any single changed byte anywhere in a recording, manifest included: 1,000
// random single-byte changes to a real fixture recording, each on a fresh copy, from a fixed
// seed. Called in process: the same function `flightrec verify` runs.
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRecording } from '../../src/index.js';
import { rng } from '../../src/testing/synthetic.js';
import { ROOT, tempDir } from '../helpers.js';

const FIXTURE = join(ROOT, 'fixtures', 'benign', 'rec');
const FLIPS = 1000;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('verify and single-byte changes', () => {
  it(`catches each of ${FLIPS} random single-byte changes across every file of a fixture`, () => {
    expect(verifyRecording(FIXTURE).ok).toBe(true);
    const files = filesUnder(FIXTURE).map((f) => relative(FIXTURE, f)).sort();
    expect(files).toContain('manifest.json');
    const rand = rng(16);
    const base = tempDir();
    const missed: string[] = [];
    const perFile = new Map<string, number>();
    for (let i = 0; i < FLIPS; i++) {
      // A file, then a byte in it: the small manifest gets its share of the changes.
      const file = files[Math.floor(rand() * files.length)]!;
      const copy = join(base, String(i));
      cpSync(FIXTURE, copy, { recursive: true });
      const path = join(copy, file);
      const bytes = readFileSync(path);
      const at = Math.floor(rand() * bytes.length);
      const was = bytes[at]!;
      bytes[at] = was ^ (1 + Math.floor(rand() * 255)); // never the same value
      writeFileSync(path, bytes);
      expect(statSync(path).size).toBe(bytes.length);
      const r = verifyRecording(copy);
      if (r.ok) missed.push(`${file} byte ${at}: 0x${was.toString(16)} -> 0x${bytes[at]!.toString(16)}`);
      perFile.set(file, (perFile.get(file) ?? 0) + 1);
      rmSync(copy, { recursive: true });
    }
    console.log(`verify caught ${FLIPS - missed.length} of ${FLIPS} single-byte changes (${[...perFile].map(([f, n]) => `${f}: ${n}`).join(', ')})`);
    expect(missed).toEqual([]);
    expect(perFile.get('manifest.json')).toBeGreaterThan(100);
  });
});
