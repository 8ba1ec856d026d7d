// Adds up the test runners' reports into the one closing line `N passed, N failed`.
// usage: node scripts/summarise-tests.js VITEST_JSON PYTEST_JUNIT_XML CHECKS_PASSED CHECKS_FAILED
import { existsSync, readFileSync } from "node:fs";

const [vitestFile, junitFile, checksPassed, checksFailed] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
let skipped = 0;
const lines = [`static checks: ${checksPassed} passed, ${checksFailed} failed`];

if (existsSync(vitestFile)) {
  const v = JSON.parse(readFileSync(vitestFile, "utf8"));
  const vFailed =
    v.numFailedTests + (v.numFailedTestSuites > 0 && v.numFailedTests === 0 ? v.numFailedTestSuites : 0);
  passed += v.numPassedTests;
  failed += vFailed;
  skipped += v.numPendingTests + v.numTodoTests;
  lines.push(
    `typescript (vitest): ${v.numPassedTests} passed, ${vFailed} failed, ${v.numPendingTests} skipped`,
  );
} else {
  failed += 1;
  lines.push("typescript (vitest): no report — the runner crashed");
}

if (existsSync(junitFile)) {
  const xml = readFileSync(junitFile, "utf8");
  const suite = /<testsuite\b[^>]*>/.exec(xml)?.[0] ?? "";
  const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const pyFailed = attr("failures") + attr("errors");
  const pySkipped = attr("skipped");
  const pyPassed = attr("tests") - pyFailed - pySkipped;
  passed += pyPassed;
  failed += pyFailed;
  skipped += pySkipped;
  lines.push(`python (pytest): ${pyPassed} passed, ${pyFailed} failed, ${pySkipped} skipped`);
} else {
  failed += 1;
  lines.push("python (pytest): no report — the runner crashed");
}

if (passed + failed === 0) {
  failed = 1;
  lines.push("no test ran at all");
}
process.stdout.write(`\n${lines.join("\n")}\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exitCode = failed > 0 ? 1 : 0;
