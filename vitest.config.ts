import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Three groups, one after the other. The unit tests run in parallel. The real-kernel tests
// (test/kernel/) then run one file at a time: each records the kernel while it makes load of
// its own, and on a 2-core machine another file's recorder and workload would decide what it
// measures. Last, the kernel matrix (test/matrix/) boots other kernels under qemu.
export default defineConfig({
  test: {
    // The query cache defaults to $XDG_CACHE_HOME/flightrec: tests keep theirs out of the user's.
    env: { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'flightrec-test-cache-')) },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/kernel/**', 'test/matrix/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'kernel', include: ['test/kernel/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        // The kernel matrix (qemu guests, minutes each) after everything else.
        extends: true,
        test: { name: 'matrix', include: ['test/matrix/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
