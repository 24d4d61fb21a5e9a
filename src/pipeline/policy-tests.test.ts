/**
 * Policy tests: the test-file format (schema check with file:line errors, defaults), the
 * semantic check against the config (tools, arguments, rule ids) and the runner (outcomes,
 * rule ids, taint grading, counters, coverage) on the support-desk demo's bundle.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAirlockError } from '../core/errors.ts';
import { loadConfig } from '../config/index.ts';
import { createPolicyTestRunner, loadPolicyTests, parsePolicyTestFile } from './policy-tests.ts';
import type { PolicyTestIssue, PolicyTestRunner } from './policy-tests.ts';

const DEMO = join(import.meta.dirname, '..', '..', 'examples', 'support-desk');

function issuesOf(fn: () => unknown): PolicyTestIssue[] {
  try {
    fn();
  } catch (error) {
    assert.ok(isAirlockError(error) && error.code === 'ERR_POLICY_TEST_INVALID', String(error));
    return error.details?.issues as PolicyTestIssue[];
  }
  assert.fail('expected ERR_POLICY_TEST_INVALID');
}

const HEADER = `defaults:
  principal: { user: sam, tenant: acme, roles: [support] }
  tool: email.send
cases:
`;

describe('policy test files: parsing and schema check', () => {
  test('defaults are merged under each case (principal key by key, session attributes merged)', () => {
    const file = parsePolicyTestFile(
      `defaults:
  principal: { user: sam, tenant: acme, roles: [support], agent: bot }
  session: { attributes: { customer_id: cus_a, ticket_id: T-1 } }
cases:
  - name: one
    tool: crm.getCustomer
    principal: { roles: [finance-lead], agent: null }
    session: { attributes: { customer_id: cus_b }, counters: { records_read_last_10m: 7 } }
    taint: [{ argument: customer_id, evidence: directive }]
    expect: { outcome: allow, rules: [x] }
`,
      'a.test.yaml',
    );
    const [c] = file.cases;
    assert.ok(c !== undefined);
    assert.deepEqual(c.principal, { user: 'sam', tenant: 'acme', roles: ['finance-lead'] });
    assert.deepEqual(c.session.attributes, { customer_id: 'cus_b', ticket_id: 'T-1' });
    assert.equal(c.session.counters.recordsReadLast10m, 7);
    assert.deepEqual(c.taint, [{ argument: 'customer_id', evidence: 'directive', sources: ['policy-test'] }]);
    assert.deepEqual(c.expect, { outcome: 'allow', rules: ['x'] });
    assert.equal(c.line, 5);
  });

  test('every schema problem names the file, the line and the key path', () => {
    const text = `${HEADER}  - name: fine
    expect: { outcome: allow }
  - name: bad outcome
    expect: { outcome: maybe }
  - name: unknown key
    principle: { user: x }
    expect: { outcome: deny }
  - name: bad taint
    taint: [{ argument: to, evidence: suspicious }]
    expect: { outcome: deny }
  - name: fine
    expect: { outcome: deny }
`;
    const issues = issuesOf(() => parsePolicyTestFile(text, 'bad.test.yaml'));
    const lines = text.split('\n');
    const lineOf = (needle: string, from = 0) => lines.findIndex((l, i) => i >= from && l.includes(needle)) + 1;
    const byPath = new Map(issues.map((i) => [i.path, i]));
    assert.equal(byPath.get('cases[1].expect.outcome')?.line, lineOf('outcome: maybe'));
    assert.match(byPath.get('cases[1].expect.outcome')?.message ?? '', /allow, deny, approval_required/);
    assert.equal(byPath.get('cases[2].principle')?.line, lineOf('principle:'));
    assert.equal(byPath.get('cases[3].taint[0].evidence')?.line, lineOf('evidence: suspicious'));
    assert.equal(byPath.get('cases[4].name')?.line, lineOf('name: fine', 6));
    assert.match(byPath.get('cases[4].name')?.message ?? '', /duplicate case name/);
    assert.ok(issues.every((i) => i.file === 'bad.test.yaml'));
    assert.equal(issues.length, 4);
  });

  test('declared targets are normalized; a malformed one is reported at its entry', () => {
    const file = parsePolicyTestFile(
      `${HEADER}  - name: scoped
    arguments: { to: a@b.example, subject: s, body: b }
    session: { targets: [{ kind: email, value: A@B.Example. }] }
    expect: { outcome: allow }
`,
      'ok.test.yaml',
    );
    assert.deepEqual(file.cases[0]?.session.targets, [{ kind: 'email', value: 'a@b.example' }]);
    const issues = issuesOf(() =>
      parsePolicyTestFile(
        `${HEADER}  - name: bad
    arguments: { to: a@b.example, subject: s, body: b }
    session:
      targets:
        - { kind: email, value: a@b.example }
        - { kind: phone, value: "123" }
    expect: { outcome: allow }
`,
        'bad.test.yaml',
      ),
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, 'cases[0].session.targets[1]');
    assert.equal(issues[0]?.line, 10);
    assert.match(issues[0]?.message ?? '', /kind must be one of/);
  });

  test('a missing expectation, principal or tool is reported; so is broken YAML', () => {
    const issues = issuesOf(() => parsePolicyTestFile('cases:\n  - name: bare\n', 'x.test.yaml'));
    assert.deepEqual(issues.map((i) => i.path).sort(), ['cases[0].expect', 'cases[0].principal', 'cases[0].tool']);
    assert.ok(issues.every((i) => i.line === 2));
    const yaml = issuesOf(() => parsePolicyTestFile('cases:\n  - name: [unclosed\n', 'y.test.yaml'));
    assert.match(yaml[0]?.message ?? '', /not valid YAML/);
    assert.deepEqual(issuesOf(() => parsePolicyTestFile('cases: []\n', 'z.test.yaml')).map((i) => i.path), ['cases']);
  });

  test('a directory without test files is refused; problems of several files are reported together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-policy-tests-'));
    assert.throws(() => loadPolicyTests(dir), /no \.test\.yaml files/);
    writeFileSync(join(dir, 'a.test.yaml'), 'cases:\n  - name: a\n');
    writeFileSync(join(dir, 'b.test.yaml'), 'cases: 3\n');
    writeFileSync(join(dir, 'notes.yaml'), 'ignored: true\n');
    const issues = issuesOf(() => loadPolicyTests(dir, dir));
    assert.deepEqual([...new Set(issues.map((i) => i.file))], ['a.test.yaml', 'b.test.yaml']);
  });
});

describe('policy test runner on the support-desk bundle', async () => {
  const config = await loadConfig(join(DEMO, 'airlock.yaml'));
  const runner: PolicyTestRunner = await createPolicyTestRunner(config);
  after(() => runner.dispose());
  const run = (cases: string) => runner.run([parsePolicyTestFile(`${HEADER}${cases}`, 't.test.yaml')]);

  test('the demo policy tests all pass and reach every policy', () => {
    const report = runner.run(loadPolicyTests(join(DEMO, 'policy-tests')));
    assert.equal(report.failed, 0, JSON.stringify(report.results.filter((r) => !r.passed)));
    assert.ok(report.passed >= 20);
    assert.deepEqual(report.uncovered, []);
    assert.equal(report.policies.length, 15);
  });

  test('a wrong outcome or a missing rule fails the case and says why', () => {
    const report = run(`  - name: wrong outcome
    arguments: { to: x@elsewhere.example, subject: s, body: b }
    expect: { outcome: allow }
  - name: wrong rule
    arguments: { to: x@acme.example, subject: s, body: b }
    expect: { outcome: allow, rules: [finance-read-invoices] }
  - name: right
    arguments: { to: x@acme.example, subject: s, body: b }
    expect: { outcome: allow, rules: [staff-send-email] }
`);
    assert.deepEqual(report.results.map((r) => r.passed), [false, false, true]);
    assert.match(report.results[0]?.failure ?? '', /expected allow, got approval_required/);
    assert.match(report.results[1]?.failure ?? '', /expected rule finance-read-invoices among the reasons \[staff-send-email\]/);
    assert.equal(report.failed, 2);
    assert.deepEqual(report.results[0]?.got.rules, ['external-email-needs-approval']);
    // Coverage counts determining reasons only: the email permit and hold, nothing else.
    assert.ok(report.uncovered.includes('staff-refund'));
    assert.ok(!report.uncovered.includes('staff-send-email'));
  });

  test('taint reaches policy as the trace phase grades it: any grade of `to` holds the email', () => {
    for (const evidence of ['injected', 'instructed', 'directive', 'unnamed', 'pointed']) {
      const report = run(`  - name: ${evidence}
    arguments: { to: x@acme.example, subject: s, body: b }
    taint: [{ argument: to, evidence: ${evidence}, sources: [web] }]
    expect: { outcome: approval_required, rules: [untrusted-recipient-needs-approval] }
`);
      assert.equal(report.failed, 0, `${evidence}: ${report.results[0]?.failure}`);
    }
  });

  test('the session counter and the affected count add up against the read cap', () => {
    const report = run(`  - name: at the cap
    tool: crm.exportCustomers
    principal: { roles: [finance-lead] }
    affected_count: 51
    expect: { outcome: deny, rules: [read-volume-cap] }
  - name: under the cap
    tool: crm.exportCustomers
    principal: { roles: [finance-lead] }
    affected_count: 20
    session: { counters: { records_read_last_10m: 30 } }
    expect: { outcome: allow, rules: [finance-export-by-hand] }
`);
    assert.equal(report.failed, 0, JSON.stringify(report.results));
  });

  test('unknown tools, arguments outside the schema and unknown rule ids are refused with their lines', () => {
    const text = `${HEADER}  - name: no such tool
    tool: crm.delete
    expect: { outcome: deny }
  - name: bad arguments
    arguments: { to: not-an-address, subject: s, body: b }
    expect: { outcome: deny }
  - name: unknown rule
    arguments: { to: x@acme.example, subject: s, body: b }
    expect: { outcome: allow, rules: [no-such-policy] }
`;
    const issues = issuesOf(() => runner.run([parsePolicyTestFile(text, 't.test.yaml')]));
    const lines = text.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    const byPath = new Map(issues.map((i) => [i.path, i]));
    assert.equal(byPath.get('cases[0].tool')?.line, lineOf('crm.delete'));
    assert.equal(byPath.get('cases[1].arguments')?.line, lineOf('not-an-address'));
    assert.match(byPath.get('cases[1].arguments')?.message ?? '', /input schema of email\.send/);
    assert.equal(byPath.get('cases[2].expect.rules[0]')?.line, lineOf('no-such-policy'));
  });
});
