// The scenarios every kernel must record the same (scenarios.ts), recorded here through the
// CLI: on this kernel as it is, and with every newer-kernel feature turned off
// (FLIGHTREC_WITHOUT), which runs the older kernels' side of bpf/compat.h here between runs of
// the kernel matrix.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from '../helpers.js';
import { kernelAvailable } from './kernel.js';
import { SCENARIOS, type Recorder } from './scenarios.js';

const run = kernelAvailable();

export const ALL_FEATURES_OFF = 'taskBtf,taskStorage,taskPtRegs,exitGroupDead';

function cliRecorder(env: Readonly<Record<string, string>>): Recorder {
  return {
    start(dir, args) {
      const p = spawn(process.execPath, [CLI, 'record', '-o', dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      return { pid: p.pid!, done: new Promise((res) => p.on('close', (code) => res({ code, stderr }))) };
    },
  };
}

for (const [kernel, env] of [['this kernel', {}], ['this kernel, as an older one', { FLIGHTREC_WITHOUT: ALL_FEATURES_OFF }]] as const) {
  describe.runIf(run)(`scenarios on ${kernel}`, () => {
    for (const s of SCENARIOS) {
      it(s.name, async () => {
        s.check(await s.run(cliRecorder(env), { work: tempDir(), blockDir: '/var/tmp', slow: false }), expect);
      });
    }
  });
}
