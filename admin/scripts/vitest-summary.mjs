// Runs Vitest and prints its totals as a cargo-style `test result:` line, so scripts/test.sh's
// closing sum counts these tests too. Exits with Vitest's status.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'confab-vitest-'));
const out = join(dir, 'report.json');
const run = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], { stdio: 'inherit' });
let passed = 0;
let failed = 0;
let seconds = '0.0';
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests;
  // A suite that fails to load has no failed test: count it as one.
  failed = report.numFailedTests || (report.numFailedTestSuites ?? 0) || (report.numRuntimeErrorTestSuites ?? 0);
  seconds = ((Date.now() - report.startTime) / 1000).toFixed(1);
} catch {
  failed = Math.max(failed, 1); // no report: Vitest itself failed
}
rmSync(dir, { recursive: true, force: true });
const ok = run.status === 0 && failed === 0;
console.log(`test result: ${ok ? 'ok' : 'FAILED'}. ${passed} passed; ${failed} failed; 0 ignored; 0 measured; 0 filtered out; finished in ${seconds}s (admin vitest)`);
process.exit(ok ? 0 : 1);
