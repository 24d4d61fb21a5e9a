/**
 * Idempotency across an approval (the support-desk demo's refund above 100.00 needs a finance
 * lead): the approved call runs once with its key; a retry with the same key and the (already
 * consumed) approval token replays the recorded result instead of being refused or held
 * again, and the refund handler ran once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoServer } from '../support/demo.ts';

test('an approved call retried with its idempotency key replays: one refund, no second hold, no consumed-token refusal', async () => {
  const fx = await startDemoServer();
  try {
    const session = (await fx.gateway.createSession(fx.tokens.sam, { customer_id: 'cus_acme_grace' })).session_id;
    const refund = (extra: Record<string, unknown> = {}) =>
      fx.post('/v1/tool-calls', { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount: 250 }, idempotency_key: 'refund-7731', ...extra }, fx.tokens.sam);
    const held = await refund();
    assert.equal(held.status, 202);
    const id = held.body.approval_id as string;
    assert.equal((await fx.post(`/v1/approvals/${id}/approve`, { justification: 'duplicate charge confirmed' }, fx.tokens.fin)).status, 200);
    const token = (await fx.get(`/v1/approvals/${id}`, fx.tokens.sam)).body.approval_token as string;
    const executed = await refund({ approval_token: token });
    assert.equal(executed.status, 200, JSON.stringify(executed.body));
    assert.equal((executed.body.idempotency as { replayed: boolean }).replayed, false);
    for (const extra of [{ approval_token: token }, {}]) {
      const retry = await refund(extra);
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal((retry.body.idempotency as { replayed: boolean }).replayed, true);
      assert.deepEqual(retry.body.result, executed.body.result);
    }
    assert.equal(fx.invocations.get('billing.refund'), 1);
  } finally {
    await fx.close();
  }
});
