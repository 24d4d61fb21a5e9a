/**
 * Fail closed (DESIGN invariant 3): a policy that errors at evaluation, a policy engine
 * that throws, one that misses its deadline, and an audit store that cannot write — each
 * denies with its reason code, and the connector is never called.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { PolicyEngine } from '../../src/core/types.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { DemoFixture } from '../support/demo.ts';
import { demoBundleWith, startDemo } from '../support/demo.ts';

async function readActiveCustomer(fx: DemoFixture) {
  const { session_id } = await fx.gateway.createSession(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
  return fx.gateway.execute({ token: fx.tokens.sam, session_id, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } });
}

describe('fail closed', () => {
  test('the demo allows the call used below when nothing is broken (so each deny is the fault, not the policy)', async () => {
    const fx = await startDemo();
    try {
      const result = await readActiveCustomer(fx);
      assert.equal(result.status, 'executed');
      assert.equal(fx.invocations.get('crm.getCustomer'), 1);
    } finally {
      await fx.close();
    }
  });

  test('a forbid whose condition errors at evaluation denies (Cedar alone would skip it and allow)', async () => {
    // Overflows for any affected count >= 1: an evaluation error, not a validation error.
    const bundle = demoBundleWith({
      'zz-overflow.cedar': `@id("overflowing-guard")
forbid (principal, action == Airlock::Action::"crm.getCustomer", resource)
when { context.tool_call.affected_count + 9223372036854775807 > 0 };
`,
    });
    const fx = await startDemo({ configure: (c) => ({ ...c, policy: { ...c.policy, bundleDir: bundle } }) });
    try {
      const result = await readActiveCustomer(fx);
      assert.equal(result.status, 'denied');
      assert.equal(result.decision.code, 'policy.eval_error');
      assert.ok(result.decision.errors.length > 0);
      assert.ok(result.decision.reasons.some((r) => r.policy_id === 'overflowing-guard'), JSON.stringify(result.decision.reasons));
      assert.equal(fx.totalInvocations(), 0);
    } finally {
      await fx.close();
    }
  });

  test('a policy engine that throws denies with policy.engine_error', async () => {
    const throwing: PolicyEngine = {
      version: 'sha256:test',
      authorize() {
        throw new Error('wasm trap');
      },
    };
    const fx = await startDemo({ overrides: { policy: throwing } });
    try {
      const result = await readActiveCustomer(fx);
      assert.equal(result.status, 'denied');
      assert.equal(result.decision.code, 'policy.engine_error');
      assert.deepEqual(result.decision.reasons.map((r) => r.policy_id), ['builtin.fail_closed']);
      assert.equal(fx.totalInvocations(), 0);
    } finally {
      await fx.close();
    }
  });

  test('a policy engine that misses its deadline denies with policy.timeout (async and sync engines)', async () => {
    const never: PolicyEngine = { version: 'sha256:slow', authorize: () => new Promise(() => {}) };
    const busy: PolicyEngine = {
      version: 'sha256:busy',
      authorize() {
        const until = performance.now() + 30;
        while (performance.now() < until) {
          // A synchronous engine cannot be pre-empted; its late answer must still deny.
        }
        return { outcome: 'allow', reasons: [], checks: { action_class: { passed: true, policy_ids: [] }, parameters: { passed: true, policy_ids: [] } }, obligations: {}, policyVersion: 'sha256:busy', errors: [] };
      },
    };
    for (const engine of [never, busy]) {
      const fx = await startDemo({ overrides: { policy: engine }, configure: (c) => ({ ...c, policy: { ...c.policy, timeoutMs: 10 } }) });
      try {
        const result = await readActiveCustomer(fx);
        assert.equal(result.status, 'denied', engine.version);
        assert.equal(result.decision.code, 'policy.timeout', engine.version);
        assert.equal(fx.totalInvocations(), 0);
      } finally {
        await fx.close();
      }
    }
  });

  test('an audit store that cannot write denies with audit.unavailable and nothing executes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-'));
    const path = join(dir, 'audit.db');
    const store = SqliteAuditStore.open(path, { lockTimeoutMs: 20 });
    const fx = await startDemo({ overrides: { audit: store } });
    const { session_id } = await fx.gateway.createSession(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
    // Another connection takes the write lock and holds it: every commit of the gateway fails.
    const blocker = new DatabaseSync(path);
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      const result = await fx.gateway.execute({ token: fx.tokens.sam, session_id, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } });
      assert.equal(result.status, 'denied');
      assert.equal(result.decision.code, 'audit.unavailable');
      assert.deepEqual(result.decision.reasons.map((r) => r.policy_id), ['builtin.audit_durability']);
      const decided = await fx.gateway.decide({ token: fx.tokens.sam, session_id, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } });
      assert.equal(decided.outcome, 'deny');
      assert.equal(decided.decision.code, 'audit.unavailable');
      // A plain deny while the store is down: still refused, and counted as unrecorded.
      const refused = await fx.gateway.execute({ token: fx.tokens.sam, session_id, tool: 'crm.exportCustomers', arguments: {} });
      assert.equal(refused.status, 'denied');
      assert.equal(fx.gateway.stats().unrecorded_stops, 3);
      assert.equal(fx.totalInvocations(), 0);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    // Once the store can write again, calls go through and the chain is intact.
    const result = await fx.gateway.execute({ token: fx.tokens.sam, session_id, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } });
    assert.equal(result.status, 'executed');
    const report = await fx.gateway.verifyAudit();
    assert.equal(report.ok, true);
    await fx.close();
  });

  test('a resolver that throws denies with scope.resolver_failed', async () => {
    const fx = await startDemo();
    // The demo's owner resolver reads this map: make the lookup fail.
    fx.desk.customers.get = () => {
      throw new Error('crm database is down');
    };
    try {
      const result = await readActiveCustomer(fx);
      assert.equal(result.status, 'denied');
      assert.equal(result.decision.code, 'scope.resolver_failed');
      assert.equal(fx.totalInvocations(), 0);
    } finally {
      await fx.close();
    }
  });
});
