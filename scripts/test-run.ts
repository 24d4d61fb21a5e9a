/**
 * The suite runner `npm test` uses: runs every unit, integration and end-to-end test with the
 * secret scan switched on (AIRLOCK_LEAK_SCAN_DIR), then scans every HTTP response, log line
 * and database row the suite produced for every secret value it used (see
 * test/support/leak-scan.ts). Fails when a test fails, when a secret leaked, or when the scan
 * saw too little to mean anything.
 *
 * The tests (and every process they start) get a temporary folder of their own (TMPDIR), so
 * what they leave there (fixture folders, whose databases the scan reads afterwards) is removed
 * with it once the run passed; after a failure it is kept, and its path printed, for a look.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanLeaks } from '../test/support/leak-scan.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-leak-scan-'));
const scratch = mkdtempSync(join(tmpdir(), 'airlock-test-run-'));
const args = ['--test', '--test-reporter=spec', ...(process.argv.length > 2 ? process.argv.slice(2) : ['src/**/*.test.ts', 'test/**/*.test.ts'])];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, AIRLOCK_LEAK_SCAN_DIR: dir, TMPDIR: scratch } });
/** Exits with `code`, keeping what the tests left for a look. */
function fail(code: number): never {
  process.stderr.write(`the tests' temporary files are kept in ${scratch}\n`);
  process.exit(code);
}
if (run.status !== 0) fail(run.status ?? 1);

const report = scanLeaks(dir);
process.stdout.write(
  `\nsecret scan: ${report.secrets} secret values against ${report.httpResponses} HTTP responses, ${report.logLines} log lines, ` +
    `${report.rows} rows of ${report.databases} databases\n`,
);
const full = process.argv.length <= 2;
const tooLittle = full && (report.secrets < 20 || report.httpResponses < 100 || report.logLines < 5 || report.rows < 1000);
if (report.leaks.length > 0) {
  for (const leak of report.leaks.slice(0, 50)) process.stderr.write(`LEAK: ${leak.secret} found in ${leak.where}\n`);
  fail(1);
}
if (tooLittle) {
  process.stderr.write('secret scan saw too little of the suite to vouch for it (fixtures no longer recording?)\n');
  fail(1);
}
rmSync(dir, { recursive: true, force: true });
rmSync(scratch, { recursive: true, force: true });
process.stdout.write('secret scan: no secret value in any response, log line or stored row\n');
