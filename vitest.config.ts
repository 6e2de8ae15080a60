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
    // At least two files at a time. Vitest's default is one fewer worker than cores, which on a 2-core
    // machine is ONE: every file ran after the other, though most of the suite waits on servers, workers
    // and netlify-cli rather than computing (measured on 2 shared cores: 102 s with one worker, 60 s
    // with two, 61 s with three). Machines with more cores keep vitest's default.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    hookTimeout: 60_000,
  },
});
