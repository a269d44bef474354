/**
 * The closing line of .ci/run: "N passed, N failed, N skipped", plus the errors no test owns (a
 * failing beforeAll/afterAll, a file that does not load, an unhandled rejection), so a red run can
 * never read "0 failed". Written to the file named by CI_SUMMARY_FILE; .ci/run prints it.
 */
import { writeFileSync } from 'node:fs';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const count = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    let errors = unhandled.length;
    for (const m of modules) {
      for (const t of m.children.allTests()) count[t.result().state] += 1;
      errors += m.errors().length;
      for (const s of m.children.allSuites()) errors += s.errors().length;
    }
    const outside = errors > 0 ? `, ${errors} errors outside tests` : '';
    const line = `${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped${outside}`;
    const file = process.env.CI_SUMMARY_FILE;
    if (file) writeFileSync(file, `${line}\n`);
  }
}
