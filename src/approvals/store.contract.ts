/** Contract every ApprovalStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import type { ApprovalBacklog, ApprovalRequest, ApprovalStore } from './types.ts';

export function sampleApprovalRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: newId('apr'),
    state: 'pending',
    action_hash: 'sha256:' + 'a'.repeat(64),
    tool: 'billing.refund',
    tool_version: 'sha256:' + 'b'.repeat(64),
    tenant: 'acme',
    requester: { user: 'sam', agent: 'support-bot' },
    required_role: 'finance-lead',
    policy_version: 'sha256:' + 'c'.repeat(64),
    reasons: [{ policy_id: 'refund-over-limit', effect: 'forbid', reason: 'large refund', code: 'policy.approval_required' }],
    summary: 'billing.refund customer_id=cus_1 amount=500',
    affected_count: 1,
    args_hash: 'sha256:' + 'd'.repeat(64),
    session_id: null,
    created_at: 1_700_000_000_000,
    expires_at: 1_700_000_900_000,
    ...overrides,
  };
}

export function runApprovalStoreContract(name: string, makeStore: () => Promise<ApprovalStore & ApprovalBacklog>): void {
  test(`${name}: the pending backlog counts unexpired pending requests per tenant with the oldest creation time`, async () => {
    const store = await makeStore();
    const now = 1_000_000;
    const requests = [
      sampleApprovalRequest({ created_at: 500, expires_at: now + 10 }),
      sampleApprovalRequest({ created_at: 300, expires_at: now + 10 }),
      sampleApprovalRequest({ created_at: 100, expires_at: now }), // expired at `now`: not pending any more
      sampleApprovalRequest({ created_at: 200, expires_at: now + 10, state: 'approved' }),
      sampleApprovalRequest({ tenant: 'globex', created_at: 700, expires_at: now + 10 }),
    ];
    for (const r of requests) await store.create(r);
    assert.deepEqual(await store.pendingByTenant(now), [
      { tenant: 'acme', count: 2, oldestCreatedAt: 300 },
      { tenant: 'globex', count: 1, oldestCreatedAt: 700 },
    ]);
    assert.ok(await store.transition(requests[1]!.id, 'pending', 'denied'));
    assert.deepEqual(await store.pendingByTenant(now), [
      { tenant: 'acme', count: 1, oldestCreatedAt: 500 },
      { tenant: 'globex', count: 1, oldestCreatedAt: 700 },
    ]);
  });

  test(`${name}: a request reads back exactly`, async () => {
    const store = await makeStore();
    const request = sampleApprovalRequest();
    await store.create(request);
    assert.deepEqual(await store.get(request.id), request);
    assert.equal(await store.get(newId('apr')), null);
  });

  test(`${name}: listing is per tenant and per state, oldest first`, async () => {
    const store = await makeStore();
    const a = sampleApprovalRequest({ created_at: 2 });
    const b = sampleApprovalRequest({ created_at: 1 });
    const other = sampleApprovalRequest({ tenant: 'globex' });
    const denied = sampleApprovalRequest({ state: 'denied' });
    for (const r of [a, b, other, denied]) await store.create(r);
    assert.deepEqual((await store.list({ tenant: 'acme', state: 'pending' })).map((r) => r.id), [b.id, a.id]);
    assert.deepEqual((await store.list({ tenant: 'globex' })).map((r) => r.id), [other.id]);
    assert.equal((await store.list({ tenant: 'acme' })).length, 3);
  });

  test(`${name}: an id cannot be created twice`, async () => {
    const store = await makeStore();
    const request = sampleApprovalRequest();
    await store.create(request);
    await assert.rejects(store.create({ ...request, tenant: 'globex' }));
    assert.equal((await store.get(request.id))?.tenant, 'acme');
  });

  test(`${name}: transition moves the state and applies the patch only from the expected state`, async () => {
    const store = await makeStore();
    const request = sampleApprovalRequest();
    await store.create(request);
    const patch = {
      decided_by: { user: 'fin', issuer: 'https://idp.example', roles: ['finance-lead'] },
      decided_at: 1_700_000_100_000,
      justification: 'customer verified by phone',
      token_jti: 'jti_abc',
    };
    assert.equal(await store.transition(request.id, 'pending', 'approved', patch), true);
    assert.deepEqual(await store.get(request.id), { ...request, ...patch, state: 'approved' });
    assert.equal(await store.transition(request.id, 'pending', 'denied', { justification: 'late' }), false);
    assert.deepEqual(await store.get(request.id), { ...request, ...patch, state: 'approved' });
    assert.deepEqual((await store.list({ tenant: 'acme', state: 'approved' })).map((r) => r.id), [request.id]);
    assert.deepEqual(await store.list({ tenant: 'acme', state: 'pending' }), []);
    assert.equal(await store.transition(request.id, 'approved', 'consumed', { consumed_at: 5 }), true);
    assert.equal((await store.get(request.id))?.consumed_at, 5);
    assert.equal((await store.get(request.id))?.justification, 'customer verified by phone');
  });

  test(`${name}: transition of a missing request changes nothing`, async () => {
    const store = await makeStore();
    assert.equal(await store.transition(newId('apr'), 'pending', 'approved'), false);
  });

  test(`${name}: of concurrent transitions out of one state exactly one wins`, async () => {
    const store = await makeStore();
    for (let trial = 0; trial < 50; trial++) {
      const request = sampleApprovalRequest({ state: 'approved' });
      await store.create(request);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.transition(request.id, 'approved', 'consumed', { consumed_at: i })),
      );
      assert.equal(results.filter(Boolean).length, 1, `trial ${trial}: ${results.join(',')}`);
      const winner = results.indexOf(true);
      assert.equal((await store.get(request.id))?.consumed_at, winner);
      assert.equal((await store.get(request.id))?.state, 'consumed');
    }
  });
}
