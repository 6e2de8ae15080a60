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
    hookTimeout: 60_000,
  },
});
