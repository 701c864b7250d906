// The kernel matrix: every scenario of test/kernel/scenarios.ts recorded on Debian's stock
// kernels (5.10, 6.1, 6.12) booted under qemu (scripts/kernels/run.sh), then checked here with
// the same checks as on this machine's kernel. The guest records into a directory shared at
// the same path, so paths in the recordings and in the checks agree.
//
// While working on one family of checks: FLIGHTREC_KERNELS=5.10,6.1 boots only those, and
// FLIGHTREC_SCENARIOS=<regular expression> runs only the scenarios it matches (the guest reads
// the same variable, test/kernel/guest.ts).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';
import { kernelAvailable } from '../kernel/kernel.js';
import { SCENARIOS } from '../kernel/scenarios.js';

const run = kernelAvailable();
export const KERNELS = ['5.10', '6.1', '6.12'] as const;
const ONLY = process.env.FLIGHTREC_SCENARIOS ? new RegExp(process.env.FLIGHTREC_SCENARIOS) : undefined;
const CHOSEN = SCENARIOS.filter((s) => !ONLY || ONLY.test(s.name));
const BOOTED = process.env.FLIGHTREC_KERNELS?.split(',') ?? KERNELS;

interface Result {
  name: string;
  result?: unknown;
  error?: string;
  seconds: number;
}

/** Boots `kernel`, runs the scenarios in it, and returns what each returned. */
async function recordInGuest(kernel: string): Promise<{ results: Map<string, Result>; output: string; code: number | null; seconds: number }> {
  const shared = tempDir(`flightrec-matrix-${kernel}-`);
  const t0 = Date.now();
  const p = spawn('bash', [join(ROOT, 'scripts', 'kernels', 'run.sh'), kernel, '--timeout', '2400', '--out', shared, '--',
    process.execPath, join(ROOT, 'dist', 'test', 'kernel', 'guest.js'), shared], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  p.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const code = await new Promise<number | null>((res) => p.on('close', res));
  const file = join(shared, 'results.json');
  const list = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Result[] : [];
  return { results: new Map(list.map((r) => [r.name, r])), output, code, seconds: (Date.now() - t0) / 1000 };
}

for (const kernel of BOOTED) {
  describe.runIf(run)(`scenarios on Debian's Linux ${kernel}`, () => {
    let guest: Awaited<ReturnType<typeof recordInGuest>>;

    beforeAll(async () => {
      guest = await recordInGuest(kernel);
      console.log(`Linux ${kernel}: guest ran ${guest.seconds.toFixed(0)} s, exit ${guest.code}`);
    }, 45 * 60_000);

    it('boots and runs every scenario', () => {
      expect(guest.code, guest.output.slice(-4000)).toBe(0);
      expect([...guest.results.keys()]).toEqual(CHOSEN.map((s) => s.name));
    });

    for (const s of CHOSEN) {
      it(s.name, () => {
        const r = guest.results.get(s.name);
        expect(r, `the guest did not run it:\n${guest.output.slice(-4000)}`).toBeDefined();
        if (r!.error) throw new Error(`in the guest: ${r!.error}`);
        s.check(r!.result as never, expect);
      });
    }
  });
}
