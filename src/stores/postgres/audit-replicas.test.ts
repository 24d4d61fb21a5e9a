/**
 * Two PostgresAuditStores on two pools over one schema (two gateway replicas) appending at
 * once: one gap-free chain that verifies, every acknowledged event present exactly once, and
 * lookups that find events whichever replica appended them. Also: lookups are answered by
 * index scans, never by scanning the log.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../core/types.ts';
import { verifyChain } from '../../audit/chain.ts';
import { buildLineage } from '../../audit/lineage.ts';
import { readAll } from '../../audit/read-all.ts';
import { sampleEventInput } from '../../audit/store.contract.ts';
import { PostgresAuditStore, RELATED_SQL } from './audit.ts';
import { testPostgres } from './test-support.ts';

const REPLICAS = 2;
const PRODUCERS = 16;
const EVENTS_PER_PRODUCER = 200;

describe('postgresql audit store: two replicas, one chain', () => {
  it(`${REPLICAS} replicas x ${PRODUCERS} producers x ${EVENTS_PER_PRODUCER} events: gap-free seqs, each acknowledged event once, the chain verifies`, async () => {
    const pg = await testPostgres();
    const key = randomBytes(32);
    try {
      const stores = [await PostgresAuditStore.open(pg.db, { checkpointKey: key }), await PostgresAuditStore.open(pg.open(), { checkpointKey: key })];
      const acknowledged: AuditEvent[] = [];
      await Promise.all(
        stores.flatMap((store, r) =>
          Array.from({ length: PRODUCERS }, async (_, p) => {
            for (let i = 0; i < EVENTS_PER_PRODUCER; i++) {
              const [event] = await store.append([sampleEventInput({ session_id: `ses_r${r}p${p}`, data: { r, p, i } })]);
              acknowledged.push(event as AuditEvent);
            }
          }),
        ),
      );
      const total = REPLICAS * PRODUCERS * EVENTS_PER_PRODUCER;
      assert.equal(acknowledged.length, total);
      // Both replicas batched: fewer transactions than events.
      for (const store of stores) assert.ok(store.stats().batches < store.stats().events, JSON.stringify(store.stats()));

      const log: AuditEvent[] = [];
      for await (const event of readAll(stores[0] as PostgresAuditStore, { pageSize: 997 })) log.push(event);
      assert.deepEqual(
        log.map((e) => e.seq),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      // The replicas' batches interleave in the one chain.
      const replicaOf = (e: AuditEvent): number => (e.data as { r: number }).r;
      const switches = log.filter((e, i) => i > 0 && replicaOf(e) !== replicaOf(log[i - 1] as AuditEvent)).length;
      assert.ok(switches > 2, `replicas took turns (${switches} switches)`);
      const byId = new Map(log.map((e) => [e.event_id, e]));
      assert.equal(byId.size, total, 'event ids are distinct');
      for (const event of acknowledged) assert.deepEqual(byId.get(event.event_id), event, 'an acknowledged event is stored exactly as acknowledged');
      // Each producer's events in its own order.
      for (let r = 0; r < REPLICAS; r++) {
        for (let p = 0; p < PRODUCERS; p++) {
          const mine = log.filter((e) => e.session_id === `ses_r${r}p${p}`).map((e) => (e.data as { i: number }).i);
          assert.deepEqual(
            mine,
            Array.from({ length: EVENTS_PER_PRODUCER }, (_, i) => i),
          );
        }
      }
      const checkpoint = await stores[1]?.checkpoint();
      assert.equal(checkpoint?.seq, total, 'the signed checkpoint follows the head, whichever replica committed last');
      const verified = await verifyChain(readAll(stores[1] as PostgresAuditStore), { checkpoint: checkpoint ?? undefined, checkpointKey: key });
      assert.equal(verified.ok, true, JSON.stringify(verified.firstBad));
      assert.equal(verified.checked, total);
      assert.deepEqual(await stores[0]?.head(), verified.head);
      assert.deepEqual(await stores[1]?.head(), verified.head);
      for (const store of stores) await store.close();
    } finally {
      await pg.drop();
    }
  });

  it('lineage and findRelated see the events of both replicas', async () => {
    const pg = await testPostgres();
    try {
      const a = await PostgresAuditStore.open(pg.db);
      const b = await PostgresAuditStore.open(pg.open());
      const base = { request_id: 'req_x1', trace_id: 'trc_x1', session_id: 'ses_x1' };
      const [decision] = await a.append([sampleEventInput({ ...base, type: 'decision', action_id: 'act_p', refs: ['dec_x1', 'jti_x1'] })]);
      const [intent, result] = await b.append([
        sampleEventInput({ ...base, type: 'intent', action_id: 'act_p' }),
        sampleEventInput({ ...base, type: 'result', action_id: 'act_p', result_code: 'ok' }),
      ]);
      const [child] = await a.append([sampleEventInput({ request_id: 'req_x2', trace_id: 'trc_x1', session_id: 'ses_x1', action_id: 'act_c', parent_action_id: 'act_p' })]);
      const [approval] = await b.append([sampleEventInput({ type: 'approval.approved', action_id: null, refs: ['apr_x1', 'dec_x1'] })]);
      for (const store of [a, b]) {
        assert.deepEqual(await store.findRelated('act_p'), [decision, intent, result, child]);
        assert.deepEqual(await store.findRelated('dec_x1'), [decision, approval]);
        assert.deepEqual(await store.findRelated('jti_x1'), [decision]);
        assert.deepEqual(await store.findRelated(child?.event_id as string), [child]);
        const tree = buildLineage(await store.findRelated('trc_x1'), 'trc_x1');
        assert.equal(tree.event_count, 4);
        const parent = tree.requests.find((r) => r.request_id === 'req_x1')?.actions[0];
        assert.equal(parent?.action_id, 'act_p');
        assert.deepEqual(
          parent?.events.map((e) => e.type),
          ['decision', 'intent', 'result'],
        );
        assert.deepEqual(
          parent?.children.map((c) => c.action_id),
          ['act_c'],
        );
      }
      await a.close();
      await b.close();
    } finally {
      await pg.drop();
    }
  });

  it('findRelated is answered by index scans (no sequential scan of the log)', async () => {
    const pg = await testPostgres();
    try {
      const store = await PostgresAuditStore.open(pg.db);
      for (let chunk = 0; chunk < 10; chunk++) {
        await store.append(Array.from({ length: 300 }, (_, i) => sampleEventInput({ session_id: `ses_plan${chunk}x${i % 37}`, refs: [`dec_plan${chunk}x${i}`] })));
      }
      await pg.db.query('ANALYZE audit_events');
      await pg.db.query('ANALYZE audit_refs');
      const plan = (await pg.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${RELATED_SQL.replaceAll('$1', `'dec_plan3x7'`)}`)).map((r) => r['QUERY PLAN']).join('\n');
      assert.doesNotMatch(plan, /Seq Scan/, plan);
      assert.match(plan, /Index/, plan);
      assert.equal((await store.findRelated('dec_plan3x7')).length, 1);
      await store.close();
    } finally {
      await pg.drop();
    }
  });
});
