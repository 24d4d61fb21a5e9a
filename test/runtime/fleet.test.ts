/**
 * Runtime controls across a fleet of two gateways sharing one PostgreSQL (separate pools):
 * 8 concurrent duplicates of one idempotency key spread over both run once, later repeats
 * replay on either, an unknown outcome recorded by one is refused by the other; a session's
 * budget is one budget for both, and the session suspended by one is refused by the other.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createGateway } from '../../src/pipeline/index.ts';
import type { Gateway, ToolCallResult } from '../../src/pipeline/index.ts';
import { TEST_POSTGRES_URL, dropTestSchema } from '../../src/stores/postgres/test-support.ts';
import { startRuntime } from '../support/runtime.ts';

const schema = `airlock_t_${randomBytes(6).toString('hex')}`;
const budgetSchema = `airlock_t_${randomBytes(6).toString('hex')}`;
after(async () => {
  await dropTestSchema(schema);
  await dropTestSchema(budgetSchema);
});

const replayed = (r: ToolCallResult) => 'idempotency' in r && r.idempotency?.replayed === true;

test('two replicas on one PostgreSQL: 8 concurrent duplicates run once; repeats replay on both; an unknown outcome holds on both', async () => {
  const first = await startRuntime({ state: { postgres: { url: TEST_POSTGRES_URL, schema } }, postTimeoutMs: 300, statusCheck: false });
  let second: Gateway | undefined;
  try {
    second = await createGateway(first.config, { handlers: first.ledger.handlers });
    const replicas = [first.gateway, second];
    const agent = await first.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const call = (i: number, key: string) =>
      (replicas[i % 2] as Gateway).execute({ token: agent, tool: 'ledger.post', arguments: { account: 'acc_9', amount: 5 }, idempotency_key: key });

    first.ledger.delayMs = 100;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => call(i, 'fleet-1')));
    assert.equal(first.ledger.posts, 1, JSON.stringify(results.map((r) => r.status)));
    assert.equal(results.filter((r) => r.status === 'executed' && !replayed(r)).length, 1);
    for (const r of results) assert.ok(r.status === 'conflict' || r.status === 'executed', r.status);
    first.ledger.delayMs = 0;
    for (let i = 0; i < 4; i++) assert.ok(replayed(await call(i, 'fleet-1')));
    assert.equal(first.ledger.posts, 1);

    first.ledger.mode = 'hang';
    const lost = await call(0, 'fleet-2');
    assert.equal('idempotency' in lost && lost.idempotency?.state, 'outcome_unknown');
    first.ledger.mode = 'ok';
    const onOther = await call(1, 'fleet-2');
    assert.equal(onOther.status, 'outcome_unknown');
    assert.equal(first.ledger.posts, 2);
  } finally {
    await second?.close();
    await first.close();
  }
});

test('two replicas on one PostgreSQL share a session budget; the suspension by one is honoured by the other', async () => {
  const first = await startRuntime({ state: { postgres: { url: TEST_POSTGRES_URL, schema: budgetSchema } }, yaml: 'budgets:\n  session:\n    max_tool_calls: 4\n' });
  let second: Gateway | undefined;
  try {
    second = await createGateway(first.config, { handlers: first.ledger.handlers });
    const replicas = [first.gateway, second];
    const agent = await first.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const { session_id } = await first.gateway.createSession(agent);
    const call = (i: number) => (replicas[i % 2] as Gateway).execute({ token: agent, session_id, tool: 'ledger.post', arguments: { account: `acc_${i}`, amount: i } });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => call(i)));
    assert.equal(results.filter((r) => r.status === 'executed').length, 4, JSON.stringify(results.map((r) => r.decision.code)));
    assert.equal(results.filter((r) => r.decision.code === 'budget.tool_calls').length, 2);
    assert.equal(first.ledger.posts, 4);
    // The session switch reaches both replicas (the change feed, or the poll).
    for (const replica of [0, 1]) {
      let code = '';
      for (let tries = 0; tries < 50 && code !== 'screen.kill_switch'; tries++) {
        code = (await call(replica)).decision.code;
        if (code !== 'screen.kill_switch') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(code, 'screen.kill_switch', `replica ${replica}`);
    }
  } finally {
    await second?.close();
    await first.close();
  }
});
