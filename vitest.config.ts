import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites start real servers, workers and (in the smoke test) netlify-cli: give them room on a 2-core machine.
    testTimeout: 30_000,
    // Said explicitly, which also keeps vitest from suggesting `isolate: false` after every run: the
    // suites rely on a fresh module graph per file (module-scope state in the functions, vi.resetModules
    // as a cold start), so sharing workers across files would make them depend on each other's order.
    isolate: true,
    // At least three files at a time. Vitest's default is one fewer worker than cores, which on a 2-core
    // machine is ONE: every file ran after the other, though much of the suite waits on servers, workers,
    // Chromium and netlify-cli rather than computing (measured on 2 shared cores: 102 s with one worker,
    // 60 s with two). Once the files shared their servers (test/server/helpers.ts, sharedTestServer), a
    // third worker fills what waiting is left: runs taken in turn on 2 cores, 64.0 / 65.8 / 66.0 s with
    // two workers against 57.5 / 59.9 / 62.9 s with three (four: 63.7 / 65.4 s). Machines with more
    // cores keep vitest's default.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    hookTimeout: 60_000,
  },
});
