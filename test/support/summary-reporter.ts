/**
 * Ends a run with the plain line `N passed, N failed, N skipped`, which CI logs are read for
 * (vitest's own summary is coloured and split over several lines).
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) for (const test of module.children.allTests()) count[test.result().state] += 1;
    // A module that failed to load has no tests: count it as a failure so the line never hides it.
    const broken = testModules.filter((m) => m.state() === 'failed' && [...m.children.allTests()].length === 0).length;
    process.stdout.write(`\n${count.passed} passed, ${count.failed + broken} failed, ${count.skipped + count.pending} skipped\n`);
  }
}
