/**
 * Property: whatever the mix of keys, arguments and concurrency, each idempotency key runs
 * its action at most once (exactly once when some call with it ran); every answer for a key
 * is either its first action's recorded result (executed or replayed), a conflict (another
 * action under the key, or still running), and a replay never hands back a result of another
 * action. Real pipeline, real Cedar, memory state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startRuntime } from '../support/runtime.ts';

test('property: each key runs its action at most once, and every answer is its first action\'s result or a conflict', async () => {
  const rt = await startRuntime({ state: 'memory', statusCheck: false });
  try {
    const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.record({ key: fc.integer({ min: 0, max: 3 }), amount: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          const prefix = `p${run++}-`;
          const before = rt.ledger.posts;
          const first = new Map<number, { amount: number; result: string }>();
          for (const batch of batches) {
            const answers = await Promise.all(
              batch.map(async (op) => ({ op, r: await rt.gateway.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'acc', amount: op.amount }, idempotency_key: prefix + op.key }) })),
            );
            for (const { op, r } of answers) {
              assert.ok(r.status === 'executed' || r.status === 'conflict', r.status);
              if (r.status !== 'executed') continue;
              const result = JSON.stringify(r.result);
              const known = first.get(op.key);
              if (known === undefined) first.set(op.key, { amount: op.amount, result });
              else {
                assert.equal(op.amount, known.amount, 'a key only ever answers for its first action');
                assert.equal(result, known.result, 'every answer is the recorded result');
              }
              assert.equal((r.result as { amount: number }).amount, op.amount);
            }
          }
          assert.equal(rt.ledger.posts - before, first.size, 'one execution per key that ran');
        },
      ),
      { numRuns: 25 },
    );
  } finally {
    await rt.close();
  }
});
