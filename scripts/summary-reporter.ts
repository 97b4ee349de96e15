/**
 * A vitest reporter that ends the run with one plain line, `tests: N passed, N failed, N skipped`, so any
 * reader of the log (CI included) sees the count without knowing vitest's own format.
 */
import type { Reporter, TestModule } from "vitest/node"

export default class SummaryReporter implements Reporter {
  private line = ""

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") passed++
        else if (state === "failed") failed++
        else skipped++
      }
    }
    this.line = `tests: ${passed} passed, ${failed} failed, ${skipped} skipped`
  }

  // The default reporter prints its summary from onFinished, after every onTestRunEnd: print there too, last.
  onFinished(): void {
    if (this.line !== "") process.stdout.write(`\n${this.line}\n`)
  }
}
