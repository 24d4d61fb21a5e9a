/**
 * `airlock policy test` and `airlock simulate`, run as a user runs them (a child process):
 * the support-desk policy tests pass with full coverage; a wrong expectation exits 1 naming
 * the failing case; a malformed test file exits 2 naming file and line; simulate prints the
 * gateway's decision with its rule ids.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_DIR as DEMO, REPO_ROOT as ROOT, writeDemoConfig } from '../../scripts/demo-config.ts';
import { recordKeyFiles } from '../support/leak-scan.ts';

const BIN = join(ROOT, 'bin', 'airlock.js');
const TESTS = join(DEMO, 'policy-tests');
const CONFIG = join(DEMO, 'airlock.yaml');

function airlock(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-policy-cli-'));
  dirs.push(dir);
  return dir;
}

describe('airlock policy test', () => {
  test('the support-desk tests all pass, exit 0, with every policy reached', () => {
    const r = airlock(['policy', 'test', TESTS, '--config', CONFIG]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^case +expected +got +result/m);
    assert.match(r.stdout, /email\.test\.yaml:\d+ email to an external address needs approval +approval_required \[external-email-needs-approval\] +approval_required \[external-email-needs-approval\] +pass/);
    assert.match(r.stdout, /^PASS (\d+)\/\1 cases passed/m);
    assert.match(r.stdout, /^coverage: 15\/15 policies reached$/m);
    assert.doesNotMatch(r.stdout, /FAIL/);
  });

  test('--json reports every case and the coverage', () => {
    const r = airlock(['policy', 'test', TESTS, '--config', CONFIG, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; failed: number; cases: Array<{ name: string; passed: boolean }>; coverage: { uncovered: string[]; policies: string[] } };
    assert.equal(report.ok, true);
    assert.equal(report.failed, 0);
    assert.ok(report.cases.some((c) => c.name === 'a customer of another tenant is never read' && c.passed));
    assert.deepEqual(report.coverage.uncovered, []);
    assert.equal(report.coverage.policies.length, 15);
  });

  test('a wrong expectation exits 1 and names the failing case; coverage lists what was not reached', () => {
    const dir = tempDir();
    const text = readFileSync(join(TESTS, 'billing.test.yaml'), 'utf8').replace(
      'expect: { outcome: approval_required, rules: [refund-over-limit-needs-approval] }',
      'expect: { outcome: allow, rules: [staff-refund] }',
    );
    writeFileSync(join(dir, 'billing.test.yaml'), text);
    const r = airlock(['policy', 'test', dir, '--config', CONFIG]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const line = text.split('\n').findIndex((l) => l.includes("a refund over 100.00 needs a finance lead's approval")) + 1;
    assert.match(r.stdout, new RegExp(`^FAIL billing\\.test\\.yaml:${line} a refund over 100\\.00 needs a finance lead's approval: expected allow, got approval_required`, 'm'));
    assert.match(r.stdout, /^FAIL 5\/6 cases passed, 1 failed/m);
    assert.match(r.stdout, /^coverage: \d+\/15 policies reached; not reached: .*support-no-bulk-export/m);
  });

  test('a malformed test file exits 2 naming the file, line and key', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.test.yaml'), 'cases:\n  - name: typo\n    tool: email.send\n    principal: { user: sam, tenant: acme }\n    expect: { outcome: alow }\n');
    const r = airlock(['policy', 'test', dir, '--config', CONFIG]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /bad\.test\.yaml:5:\d+ cases\[0\]\.expect\.outcome: must be one of: allow, deny, approval_required/);
  });
});

describe('airlock simulate', () => {
  const dir = tempDir();
  const config = writeDemoConfig(dir);
  after(() => dirs.forEach(recordKeyFiles));
  const mint = () => {
    const r = airlock(['token', 'mint', '--config', config, '--sub', 'sam', '--tenant', 'acme', '--roles', 'support']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  test('prints the decision: outcome, code, reasons with rule ids, checks, approval role', () => {
    const token = mint();
    const r = airlock(['simulate', '--config', config, '--tool', 'email.send', '--args', JSON.stringify({ to: 'x@elsewhere.example', subject: 's', body: 'b' })], {
      AIRLOCK_TOKEN: token,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^APPROVAL REQUIRED policy\.approval_required +\(decided by authorize, policy sha256:[0-9a-f]{64}\)/m);
    assert.match(r.stdout, /^ {2}- external-email-needs-approval \(policy\.approval_required\): email to an external address/m);
    assert.match(r.stdout, /^checks: action_class passed \[staff-send-email\], parameters failed \[external-email-needs-approval\]/m);
    assert.match(r.stdout, /^approval: required from role support-lead$/m);
  });

  test('--json gives the simulation result; a missing token is a usage error', () => {
    const token = mint();
    const r = airlock(['simulate', '--config', config, '--token', token, '--tool', 'crm.exportCustomers', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { outcome: string; decision: { code: string; reasons: Array<{ policy_id: string }> } };
    assert.equal(result.outcome, 'deny');
    assert.equal(result.decision.code, 'policy.forbid');
    assert.deepEqual(result.decision.reasons.map((x) => x.policy_id), ['support-no-bulk-export']);
    const bare = airlock(['simulate', '--config', config, '--tool', 'crm.exportCustomers'], { AIRLOCK_TOKEN: '' });
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /--token JWT or AIRLOCK_TOKEN/);
  });
});
