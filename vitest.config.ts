import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests run in parallel; kernel integration tests run one file at a time
// because they create real namespaces and compare host state before/after.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
          // Speed is the benchmarks' business: on a loaded 2-core machine a few scrypt hashes
          // (classroom accounts) took longer than vitest's default 5 s.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          // Real kernel, real server, real Chromium (e2e): one file at a time.
          include: ['packages/*/test/**/*.int.test.ts', 'apps/*/test/**/*.int.test.ts', 'test/**/*.int.test.ts', 'apps/web/test/**/*.e2e.test.ts'],
          fileParallelism: false,
          // Tests a file marks concurrent (independent labs) run three at a time on the 2-core machine.
          maxConcurrency: 3,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
