import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');
const parse = (text: string) => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });

test('idempotency and budgets default to the documented values (no budget set: none enforced)', () => {
  const config = parse(demo);
  assert.deepEqual(config.idempotency, { operatorRole: 'security-admin', retentionSeconds: 86_400, leaseGraceSeconds: 30, maxResultBytes: 1024 * 1024 });
  assert.deepEqual(config.budgets, { session: {}, loops: {} });
});

test('budgets, idempotency and the tool attributes cost and status_check are read', () => {
  const text = `${demo}\nbudgets:\n  session: { max_steps: 50, max_tool_calls: 20, max_spend: 12.5 }\n  loops: { max_identical_calls: 4, max_denials: 6 }\nidempotency:\n  operator_role: ops\n  retention_seconds: 3600\n`.replace(
    '    idempotent: false\n    timeout_ms: 5000\n    connector: { type: function, handler: email.send }',
    '    idempotent: false\n    timeout_ms: 5000\n    cost: 0.02\n    status_check: email.status\n    connector: { type: function, handler: email.send }',
  );
  const config = parse(text);
  assert.deepEqual(config.budgets, { session: { maxSteps: 50, maxToolCalls: 20, maxSpend: 12.5 }, loops: { maxIdenticalCalls: 4, maxDenials: 6 } });
  assert.equal(config.idempotency?.operatorRole, 'ops');
  assert.equal(config.idempotency?.retentionSeconds, 3600);
  const email = config.tools.find((t) => t.name === 'email.send');
  assert.equal(email?.cost, 0.02);
  assert.equal(email?.statusCheck, 'email.status');
});

test('a malformed budget is refused with its path and line', () => {
  const text = `${demo}\nbudgets:\n  session:\n    max_tool_calls: 0\n  loops:\n    max_identical_calls: 1\n    forever: true\n`;
  assert.throws(
    () => parse(text),
    (error: { code: string; details: { errors: Array<{ path: string; line: number }> } }) => {
      assert.equal(error.code, 'ERR_CONFIG_INVALID');
      const paths = error.details.errors.map((e) => e.path);
      assert.ok(paths.includes('budgets.session.max_tool_calls'), JSON.stringify(paths));
      assert.ok(paths.includes('budgets.loops.max_identical_calls'), JSON.stringify(paths));
      const line = error.details.errors.find((e) => e.path === 'budgets.session.max_tool_calls')?.line ?? 0;
      assert.equal(text.split('\n')[line - 1]?.trim(), 'max_tool_calls: 0');
      return true;
    },
  );
  assert.throws(() => parse(demo.replace('    idempotent: false\n    timeout_ms: 5000', '    idempotent: false\n    cost: -1\n    timeout_ms: 5000')), { code: 'ERR_CONFIG_INVALID' });
});
