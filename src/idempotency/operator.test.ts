import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../core/types.ts';
import { MemoryIdempotencyStore } from './memory-store.ts';
import { IdempotencyOperators } from './operator.ts';
import { sampleRecord } from './store.contract.ts';

const T0 = 1_767_225_600_000;
const olga: Principal = { user: 'olga', tenant: 'acme', roles: ['security-admin'], delegation: [], issuer: 'https://idp.example' };

async function setup() {
  const store = new MemoryIdempotencyStore();
  let now = T0;
  const resolved: string[] = [];
  const ops = new IdempotencyOperators({ store, clock: { now: () => now }, role: 'security-admin', onResolved: async (r) => void resolved.push(r.id) });
  return { store, ops, resolved, at: (t: number) => (now = t) };
}

test('a pending record past its lease is listed and resolvable as an unknown outcome; one within its lease is not', async () => {
  const { store, ops, resolved, at } = await setup();
  const record = sampleRecord({ created_at: T0, lease_until: T0 + 1000 });
  await store.claim(record);
  assert.deepEqual(await ops.list(olga, { state: 'outcome_unknown' }), []);
  await assert.rejects(ops.resolve(olga, record.id, 'not_executed', 'x'), { code: 'ERR_IDEMPOTENCY_NOT_UNKNOWN', status: 409 });
  at(T0 + 2000);
  const listed = await ops.list(olga, { state: 'outcome_unknown' });
  assert.deepEqual(listed.map((r) => [r.id, r.state, r.reported_state]), [[record.id, 'pending', 'outcome_unknown']]);
  const view = await ops.resolve(olga, record.id, 'executed', '  the ledger has it  ');
  assert.equal(view.resolution?.justification, 'the ledger has it');
  assert.deepEqual(resolved, [record.id]);
});

test("operators: role, humans only, own tenant only; the kept result is never shown; bad filters and outcomes are refused", async () => {
  const { store, ops } = await setup();
  const record = sampleRecord();
  await store.claim(record);
  await store.settle(record.id, record.action_id, { state: 'completed', outcome: { result: { secret_note: 'x' } }, at: T0 });
  await assert.rejects(ops.list({ ...olga, roles: ['support'] }), { code: 'ERR_IDEMPOTENCY_ROLE_REQUIRED', status: 403 });
  await assert.rejects(ops.list({ ...olga, agent: 'bot' }), { code: 'ERR_IDEMPOTENCY_ROLE_REQUIRED' });
  await assert.rejects(ops.get({ ...olga, tenant: 'globex' }, record.id), { code: 'ERR_IDEMPOTENCY_NOT_FOUND', status: 404 });
  await assert.rejects(ops.get(olga, 'not-an-id'), { code: 'ERR_IDEMPOTENCY_NOT_FOUND' });
  const view = await ops.get(olga, record.id);
  assert.deepEqual(view.outcome, { has_result: true });
  assert.ok(!JSON.stringify(view).includes('secret_note'));
  await assert.rejects(ops.list(olga, { state: 'weird' }), { code: 'ERR_IDEMPOTENCY_STATE_INVALID', status: 400 });
  await assert.rejects(ops.resolve(olga, record.id, 'maybe', 'x'), { code: 'ERR_IDEMPOTENCY_OUTCOME_INVALID' });
  await assert.rejects(ops.resolve(olga, record.id, 'executed', '\u0000'), { code: 'ERR_IDEMPOTENCY_JUSTIFICATION_INVALID' });
});
