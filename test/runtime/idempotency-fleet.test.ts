/**
 * Idempotency across a fleet: two gateways sharing one PostgreSQL (separate pools), 8
 * concurrent duplicates of one key spread over both — exactly one execution; every later
 * repeat on either replica replays it; an unknown outcome recorded by one replica is refused
 * by the other.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createGateway } from '../../src/pipeline/index.ts';
import type { Gateway, ToolCallResult } from '../../src/pipeline/index.ts';
import { TEST_POSTGRES_URL, dropTestSchema } from '../../src/stores/postgres/test-support.ts';
import { startRuntime } from '../support/runtime.ts';

const schema = `airlock_t_${randomBytes(6).toString('hex')}`;
after(async () => {
  await dropTestSchema(schema);
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
