import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // GPU tests share one Dawn instance per worker; two workers match the CI machine's cores.
    maxWorkers: 2,
  },
});
