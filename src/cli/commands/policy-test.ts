/**
 * `airlock policy test DIR`: runs the YAML test cases of a directory against a config's
 * policy bundle and prints a table of expected and actual outcomes, a summary and the
 * policies no case reached. Exit 0 when every case passes, 1 when one fails, 2 when the
 * config, its bundle or a test file is invalid (each problem named by file and line).
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAirlockError } from '../../core/errors.ts';
import { createPolicyTestRunner, formatPolicyTestIssues, loadPolicyTests } from '../../pipeline/policy-tests.ts';
import type { PolicyTestReport } from '../../pipeline/policy-tests.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { bold, green, printJson, red, table, yellow } from '../output.ts';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function expectation(e: { outcome: string; rules: string[] }): string {
  return e.rules.length === 0 ? e.outcome : `${e.outcome} [${e.rules.join(', ')}]`;
}

export function renderPolicyTestReport(report: PolicyTestReport): string {
  const rows = report.results.map((r) => [
    `${r.file}:${r.line} ${r.name}`,
    expectation(r.expected),
    expectation(r.got),
    r.passed ? green('pass') : red('FAIL'),
  ]);
  const lines = [table(['case', 'expected', 'got', 'result'], rows), ''];
  for (const r of report.results) if (!r.passed) lines.push(`${red('FAIL')} ${r.file}:${r.line} ${r.name}: ${r.failure ?? ''}`);
  const total = report.results.length;
  lines.push(
    `${report.failed === 0 ? green('PASS') : red('FAIL')} ${report.passed}/${total} case${total === 1 ? '' : 's'} passed` +
      (report.failed === 0 ? '' : `, ${report.failed} failed`) +
      ` (policy bundle ${report.policyVersion})`,
  );
  const covered = report.policies.length - report.uncovered.length;
  lines.push(
    `${bold('coverage')}: ${covered}/${report.policies.length} policies reached` +
      (report.uncovered.length === 0 ? '' : `; ${yellow('not reached')}: ${report.uncovered.join(', ')}`),
  );
  return `${lines.join('\n')}\n`;
}

export async function policyTestCommand(dir: string, options: { config: string; json?: boolean }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  let report: PolicyTestReport;
  try {
    // Cases are named relative to the directory given (or the file's own directory).
    const files = loadPolicyTests(dir, isDirectory(dir) ? dir : dirname(dir));
    const runner = await createPolicyTestRunner(config);
    try {
      report = runner.run(files);
    } finally {
      runner.dispose();
    }
  } catch (error) {
    if (isAirlockError(error) && error.code === 'ERR_POLICY_TEST_INVALID') {
      const issues = formatPolicyTestIssues(error);
      throw new CliExit(2, `${red('INVALID')} ${error.message}${issues === '' ? '' : `\n${issues}`}`);
    }
    if (isAirlockError(error) && error.code === 'ERR_POLICY_INVALID') {
      // The bundle itself is refused: reported as `airlock policy check` reports it.
      const diagnostics = (error.details?.diagnostics ?? []) as Array<{ file?: string; line?: number; policy_id?: string; message: string }>;
      const lines = diagnostics.map((d) => `  ${d.file ?? '?'}${d.line === undefined ? '' : `:${d.line}`}${d.policy_id === undefined ? '' : ` [${d.policy_id}]`} ${d.message}`);
      throw new CliExit(2, `${red('INVALID')} policy bundle ${config.policy.bundleDir}\n${lines.join('\n')}`);
    }
    throw error;
  }
  if (options.json === true) {
    printJson({
      ok: report.failed === 0,
      policy_version: report.policyVersion,
      passed: report.passed,
      failed: report.failed,
      cases: report.results,
      coverage: { policies: report.policies, uncovered: report.uncovered },
    });
  } else process.stdout.write(renderPolicyTestReport(report));
  if (report.failed > 0) throw new CliExit(1, '');
}
