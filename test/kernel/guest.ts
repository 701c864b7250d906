// Runs inside a guest kernel (scripts/kernels/run.sh): records every scenario of scenarios.ts in
// this one process (node itself starts ~30x slower under emulation), into the directory the
// host shares with the guest at the same path, and writes what each scenario returned to
// results.json there, for matrix.test.ts to check on the host with the same checks.
//
//   node dist/test/kernel/guest.js <shared directory>
//
// FLIGHTREC_SCENARIOS=<regular expression> runs only the scenarios whose names match (one
// family of checks on a guest kernel, while working on it); the matrix runs them all.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { program } from '../../src/cli/program.js';
import { recordAction, type RecordFlags } from '../../src/cli/record.js';
import { SCENARIOS, type Recorded, type Recorder } from './scenarios.js';

/** `flightrec record` run in this process: the recorder's pid is this process's. */
const inProcess: Recorder = {
  start(dir, args) {
    let code: number | null = null;
    // What the recorder prints (the summary, live alerts) is the scenario's, as stderr.
    let stderr = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => { stderr += chunk.toString(); return true; }) as typeof process.stderr.write;
    const argv = ['record', '-o', dir, ...args];
    const done = program(argv)
      .then((p) => {
        const cmd = p.commands.find((c) => c.name() === 'record')!;
        cmd.action(async (command: string[], f: RecordFlags) => { code = await recordAction(command, f); });
        return p.parseAsync(argv, { from: 'user' });
      })
      .catch((err: Error) => { stderr += `flightrec: ${err.message}\n`; code = 1; })
      .then((): Recorded => ({ code, stderr }))
      .finally(() => { process.stderr.write = write; });
    return { pid: process.pid, done };
  },
};

async function main(): Promise<void> {
  const shared = process.argv[2];
  if (!shared) throw new Error('usage: guest.js <shared directory>');
  const results: Array<{ name: string; result?: unknown; error?: string; seconds: number }> = [];
  const only = process.env.FLIGHTREC_SCENARIOS ? new RegExp(process.env.FLIGHTREC_SCENARIOS) : undefined;
  for (const [i, s] of SCENARIOS.entries()) {
    if (only && !only.test(s.name)) continue;
    const work = join(shared, String(i));
    mkdirSync(work, { recursive: true });
    const t0 = Date.now();
    try {
      results.push({ name: s.name, result: await s.run(inProcess, { work, blockDir: process.env.FLIGHTREC_SCRATCH ?? '/var/tmp', slow: true }), seconds: (Date.now() - t0) / 1000 });
    } catch (err) {
      results.push({ name: s.name, error: (err as Error).stack ?? String(err), seconds: (Date.now() - t0) / 1000 });
    }
    console.log(`${results.at(-1)!.error ? 'failed' : 'recorded'} in ${results.at(-1)!.seconds.toFixed(1)} s: ${s.name}`);
    writeFileSync(join(shared, 'results.json'), JSON.stringify(results));
  }
}

await main();
