/**
 * The gateway's default audit writer (`auto`): a call that is alone in flight commits its
 * events on the calling thread; concurrent calls commit on the writer thread. Either way
 * every event is committed and the chain verifies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDemo } from '../support/demo.ts';

describe('audit writer (auto)', () => {
  it('commits a lone call inline and concurrent calls on the writer thread', async () => {
    // A call for this customer waits in its connector until released.
    let release: () => void = () => undefined;
    let arrive: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const fx = await startDemo({
      configure: (c) => ({ ...c, limits: {} }),
      overrides: {
        connector: (_tool, base) => ({
          execute: async (c) => {
            if (c.arguments.customer_id === 'cus_acme_grace') {
              arrive();
              await held;
            }
            return base.execute(c);
          },
        }),
      },
    });
    const threadBatches = () => (fx.gateway.stats().audit as unknown as { threadBatches: number }).threadBatches;
    const call = () => fx.gateway.execute({ token: fx.tokens.fin, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } });
    try {
      // Concurrent calls until the writer thread has started and taken a batch.
      for (let round = 0; threadBatches() === 0; round++) {
        assert.ok(round < 200, 'the writer thread never took a batch of concurrent calls');
        const results = await Promise.all(Array.from({ length: 8 }, call));
        assert.ok(results.every((r) => r.status === 'executed'));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const before = threadBatches();
      for (let i = 0; i < 10; i++) assert.equal((await call()).status, 'executed');
      assert.equal(threadBatches(), before, 'calls one at a time committed on the writer thread');
      // Another call in flight (held in its connector): a lone append goes to the thread.
      const waiting = fx.gateway.execute({ token: fx.tokens.fin, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } });
      await arrived; // its intent is committed
      const beside = threadBatches();
      assert.equal((await call()).status, 'executed');
      assert.equal(threadBatches(), beside + 2, 'intent and result of a call beside another one');
      release();
      assert.equal((await waiting).status, 'executed');
      const verified = await fx.gateway.verifyAudit();
      assert.equal(verified.ok, true);
    } finally {
      await fx.close();
    }
  });
});
