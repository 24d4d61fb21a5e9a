/**
 * Property: whatever the interleaving of appends (sizes, which replica, when callers wait)
 * and batch limits over two replicas, and whichever batches fail before COMMIT, the shared
 * log verifies and holds exactly the acknowledged events, each once, as acknowledged.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../../core/errors.ts';
import type { AuditEvent } from '../../core/types.ts';
import { verifyChain } from '../../audit/chain.ts';
import { readAll } from '../../audit/read-all.ts';
import { sampleEventInput } from '../../audit/store.contract.ts';
import { PostgresAuditStore } from './audit.ts';
import type { PostgresDatabase } from './database.ts';
import { testPostgres } from './test-support.ts';
import type { TestPostgres } from './test-support.ts';

let pg: TestPostgres;
let pools: PostgresDatabase[];
before(async () => {
  pg = await testPostgres();
  pools = [pg.db, pg.open()];
});
after(() => pg.drop());

const stepArb = fc.record({
  replica: fc.integer({ min: 0, max: 1 }),
  /** Event counts of appends issued together (same tick). */
  sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
  /** Wait for these appends before issuing the next step. */
  wait: fc.boolean(),
  /** Make the next batch of this replica fail before COMMIT (rolled back). */
  fail: fc.boolean(),
});

const scenarioArb = fc.record({
  maxBatch: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 12 }),
});

let run = 0;

it('any interleaving of batch sizes over two replicas gives a log that verifies and holds exactly the acknowledged events', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ maxBatch, steps }) => {
      run++;
      const failNext = [false, false];
      const stores = await Promise.all(
        [0, 1].map((r) =>
          PostgresAuditStore.open(pools[r] as PostgresDatabase, {
            maxBatch: maxBatch[r] as number,
            beforeCommitForTest: async () => {
              if (!failNext[r]) return;
              failNext[r] = false;
              throw new Error('injected failure before COMMIT');
            },
          }),
        ),
      );
      const start = (await stores[0]?.head())?.seq ?? 0;
      const acknowledged: AuditEvent[] = [];
      const refused: string[] = [];
      const pending: Promise<void>[] = [];
      let n = 0;
      for (const step of steps) {
        if (step.fail) failNext[step.replica] = true;
        const issued = step.sizes.map((size) => {
          const inputs = Array.from({ length: size }, () => sampleEventInput({ request_id: `req_prop${run}x${n++}` }));
          return (stores[step.replica] as PostgresAuditStore).append(inputs).then(
            (events) => {
              assert.equal(events.length, size);
              acknowledged.push(...events);
            },
            (error: unknown) => {
              assert.ok(isAirlockError(error) && error.code === 'ERR_AUDIT_UNAVAILABLE', String(error));
              refused.push(...inputs.map((i) => i.request_id));
            },
          );
        });
        pending.push(...issued);
        if (step.wait) await Promise.all(issued);
      }
      await Promise.all(pending);
      for (const store of stores) await store.close();

      const reader = await PostgresAuditStore.open(pg.db);
      const verified = await verifyChain(readAll(reader, { pageSize: 50 }));
      assert.equal(verified.ok, true, JSON.stringify(verified.firstBad));
      const added = await reader.read({ fromSeq: start + 1 });
      await reader.close();
      assert.equal(verified.checked, start + added.length);
      assert.equal(acknowledged.length + refused.length, n, 'every append settled');
      assert.deepEqual(
        added,
        [...acknowledged].sort((a, b) => a.seq - b.seq),
        'the log holds exactly the acknowledged events',
      );
      const stored = new Set(added.map((e) => e.request_id));
      for (const id of refused) assert.equal(stored.has(id), false, `refused ${id} is not in the log`);
    }),
    { numRuns: 40 },
  );
});
