import { defineConfig } from 'vitest/config';

/**
 * Test files that need a process of their own: they check what a fresh process sees (no CPU
 * executor or adapter source registered yet, entries not imported) or mock a module with vi.mock,
 * or they hold the compiler to a time budget (a worker's heap grown by earlier files slows them).
 */
const ISOLATED = [
  'test/cli/error-kinds.test.ts',
  'test/cli/run-batch-chunks.test.ts',
  'test/runtime/create-fallback.test.ts',
  'test/runtime/host-io-entry.test.ts',
  'test/runtime/opt-in-entries.test.ts',
  'test/runtime/sparse-entry.test.ts',
  'test/dsl/hostile-specs.test.ts',
  'test/cli/hostile-specs.test.ts',
  'test/dsl/fuzz.test.ts',
  'test/codegen/bsr-pattern-table.test.ts',
  'test/ir/passes/verify-backward.test.ts',
  'test/ir/index-map.test.ts',
  'test/model/constructors.test.ts',
  'test/runtime/reference-dense.test.ts',
  'test/files/copy-range-changed.test.ts',
  'test/cli/reads-only-what-it-needs.test.ts',
  'test/cli/resources.test.ts',
];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // What a test may take on the 2-core CI machine while other work loads it: at load ~23 (session 16's
    // mid CI) tests ran 8-10x their quiet time (chain-fused 72 -> 688 s, install 120 -> 1,020 s), and
    // tests of 11-14 s quiet took 103-112 s against the former 120 s. The slowest tests without a
    // timeout of their own take at most 27 s quiet (about 270 s so loaded); the few dearer ones set their own.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Two workers match the CI machine's cores.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // The other files share their worker process (isolate: false): no fresh process, vitest boot
        // and import of typescript/ts-morph/chevrotain/Dawn per file, and the GPU tests share one
        // Dawn instance and device per worker. Whole suite with this session's test changes:
        // CPU (user+sys) 1063 s -> 774 s, wall 1938 s -> 1547 s (a loaded machine).
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
    ],
  },
});
