import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Two groups, one after the other. The unit tests run in parallel. The real-kernel tests
// (test/kernel/) then run one file at a time: each records the kernel while it makes load of
// its own, and on a 2-core machine another file's recorder and workload would decide what it
// measures.
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
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/kernel/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'kernel', include: ['test/kernel/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
