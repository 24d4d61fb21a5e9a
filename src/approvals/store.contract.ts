/** Contract every ApprovalStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import type { ApprovalRequest, ApprovalStore } from '../core/types.ts';

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

export function runApprovalStoreContract(name: string, makeStore: () => Promise<ApprovalStore>): void {
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
}
