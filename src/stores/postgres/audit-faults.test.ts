/**
 * PostgresAuditStore under faults and tampering: a connection killed mid-batch, a head lock
 * held past the statement timeout, a COMMIT whose answer is lost (committed or not), rows
 * edited or removed behind the store's back, a forged or missing checkpoint.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { isAirlockError } from '../../core/errors.ts';
import type { AuditEvent } from '../../core/types.ts';
import { verifyChain } from '../../audit/chain.ts';
import { readAll } from '../../audit/read-all.ts';
import { sampleEventInput } from '../../audit/store.contract.ts';
import { PostgresAuditStore } from './audit.ts';
import type { PostgresAuditDatabase } from './audit.ts';
import { storeUnavailable } from './database.ts';
import { TEST_POSTGRES_URL, testPostgres } from './test-support.ts';
import type { TestPostgres } from './test-support.ts';

const key = randomBytes(32);

async function admin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function withSchema(body: (pg: TestPostgres, admin: pg.Client) => Promise<void>): Promise<void> {
  const t = await testPostgres();
  const a = await admin();
  try {
    await body(t, a);
  } finally {
    await a.end().catch(() => undefined);
    await t.drop();
  }
}

function isUnavailable(error: unknown): boolean {
  return isAirlockError(error) && error.code === 'ERR_AUDIT_UNAVAILABLE' && error.status === 503;
}

async function assertVerifies(store: PostgresAuditStore, count: number): Promise<void> {
  const checkpoint = await store.checkpoint();
  const result = await verifyChain(readAll(store), { ...(checkpoint === null ? {} : { checkpoint, checkpointKey: key }) });
  assert.equal(result.ok, true, JSON.stringify(result.firstBad));
  assert.equal(result.checked, count);
}

describe('postgresql audit store: faults', () => {
  it('a connection killed mid-batch: every append of the batch rejects, nothing of it is visible, the store recovers', async () => {
    await withSchema(async (t, adminClient) => {
      let killNext = false;
      let killed: number | null = null;
      const store = await PostgresAuditStore.open(t.db, {
        checkpointKey: key,
        beforeCommitForTest: async (tx) => {
          if (!killNext) return;
          killNext = false;
          const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          killed = row?.pid ?? null;
          // Waits until the backend is gone: the COMMIT that follows finds no connection.
          await adminClient.query('SELECT pg_terminate_backend($1, 5000)', [killed]);
        },
      });
      const before = await store.append([sampleEventInput(), sampleEventInput(), sampleEventInput()]);
      killNext = true;
      const doomed = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => store.append([sampleEventInput({ refs: [`dec_doomed${i}`] }), sampleEventInput({ request_id: `req_doomed${i}` })])),
      );
      assert.notEqual(killed, null, 'the hook killed the batch connection');
      for (const outcome of doomed) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(isUnavailable((outcome as PromiseRejectedResult).reason), String((outcome as PromiseRejectedResult).reason));
      }
      assert.equal(store.stats().failedBatches, 1, 'the five appends formed one batch');
      assert.equal(store.stats().commitsResolved, 1, 'the lost COMMIT was looked up under the head lock');
      assert.deepEqual(await store.read(), before, 'nothing of the failed batch is visible');
      assert.deepEqual(await store.head(), { seq: 3, hash: before[2]?.hash });
      assert.deepEqual(await store.findRelated('dec_doomed0'), []);
      assert.deepEqual(await store.findRelated('req_doomed4'), []);
      const refs = await adminClient.query(`SELECT count(*)::int AS n FROM ${t.schema}.audit_refs`);
      assert.equal(refs.rows[0].n, 0);
      assert.equal((await store.checkpoint())?.seq, 3);

      const [next] = await store.append([sampleEventInput()]);
      assert.equal(next?.seq, 4);
      assert.equal(next?.prev_hash, before[2]?.hash);
      await assertVerifies(store, 4);
      await store.close();
    });
  });

  it('a head lock held past the statement timeout: the append rejects, and succeeds once the lock is free', async () => {
    await withSchema(async (t, adminClient) => {
      const store = await PostgresAuditStore.open(t.open({ statementTimeoutMs: 300 }));
      await store.append([sampleEventInput()]);
      await adminClient.query('BEGIN');
      await adminClient.query(`SELECT seq FROM ${t.schema}.audit_head FOR UPDATE`);
      try {
        await assert.rejects(store.append([sampleEventInput()]), isUnavailable);
      } finally {
        await adminClient.query('ROLLBACK');
      }
      const [next] = await store.append([sampleEventInput()]);
      assert.equal(next?.seq, 2);
      await assertVerifies(store, 2);
      await store.close();
    });
  });

  it('a COMMIT whose answer is lost: acknowledged when it committed; refused with outcome unknown when that cannot be learned', async () => {
    await withSchema(async (t) => {
      let loseAnswer = false;
      let failLookups = false;
      let lookupsFailAfterLoss = false;
      const db: PostgresAuditDatabase = {
        query: (text, params) => t.db.query(text, params),
        transaction: async (body, options) => {
          if (failLookups) throw storeUnavailable(new Error('connection refused'));
          const value = await t.db.transaction(body, options);
          if (loseAnswer) {
            loseAnswer = false;
            failLookups = lookupsFailAfterLoss;
            throw storeUnavailable(new Error('Connection terminated unexpectedly'));
          }
          return value;
        },
      };
      const store = await PostgresAuditStore.open(db);
      await store.append([sampleEventInput()]);

      loseAnswer = true;
      const [a, b] = await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput()])]);
      assert.equal(store.stats().commitsResolved, 1);
      assert.deepEqual(await store.read({ fromSeq: 2 }), [...(a as AuditEvent[]), ...(b as AuditEvent[])], 'committed, looked up, acknowledged');

      loseAnswer = true;
      lookupsFailAfterLoss = true;
      const lost = store.append([sampleEventInput({ request_id: 'req_unknown1' })]);
      // The lookup cannot run either: the outcome stays unknown and the append is refused.
      const refused = await lost.then(
        () => null,
        (error: unknown) => error,
      );
      failLookups = false;
      lookupsFailAfterLoss = false;
      assert.ok(isUnavailable(refused), String(refused));
      assert.equal((refused as { details?: { outcome?: string } }).details?.outcome, 'unknown');
      // (It did commit: never acknowledged, but not lost either; the chain goes on after it.)
      assert.equal((await store.findRelated('req_unknown1')).length, 1);
      const [next] = await store.append([sampleEventInput()]);
      assert.equal(next?.seq, 5);
      await assertVerifies(store, 5);
      await store.close();
    });
  });
});

describe('postgresql audit store: tamper evidence', () => {
  it('the log tables refuse UPDATE, DELETE and TRUNCATE', async () => {
    await withSchema(async (t) => {
      const store = await PostgresAuditStore.open(t.db);
      await store.append([sampleEventInput({ refs: ['dec_t1'] })]);
      for (const sql of [
        `UPDATE audit_events SET type = 'x'`,
        'DELETE FROM audit_events',
        'TRUNCATE audit_events',
        `UPDATE audit_refs SET ref = 'x'`,
        'DELETE FROM audit_refs',
        'TRUNCATE audit_refs',
      ]) {
        await assert.rejects(t.db.query(sql), /append-only/, sql);
      }
      await assertVerifies(store, 1);
      await store.close();
    });
  });

  it("editing a row's body makes verifyChain fail at that seq; editing a column is reported there too", async () => {
    await withSchema(async (t, adminClient) => {
      const store = await PostgresAuditStore.open(t.db);
      for (let i = 0; i < 5; i++) await store.append([sampleEventInput({ data: { i } })]);
      await adminClient.query(`ALTER TABLE ${t.schema}.audit_events DISABLE TRIGGER USER`);
      // Still canonical JSON, one value changed: only the hash can tell.
      await adminClient.query(`UPDATE ${t.schema}.audit_events SET body = replace(body, '"alice"', '"mallory"') WHERE seq = 3`);
      let result = await verifyChain(readAll(store));
      assert.equal(result.ok, false);
      assert.deepEqual([result.firstBad?.seq, result.firstBad?.reason, result.checked], [3, 'hash_mismatch', 2]);

      await adminClient.query(`UPDATE ${t.schema}.audit_events SET body = replace(body, '"mallory"', '"alice"') WHERE seq = 3`);
      assert.equal((await verifyChain(readAll(store))).ok, true, 'restored byte for byte');
      await adminClient.query(`UPDATE ${t.schema}.audit_events SET request_id = 'req_forged' WHERE seq = 4`);
      result = await verifyChain(readAll(store));
      assert.deepEqual([result.ok, result.firstBad?.seq, result.firstBad?.reason], [false, 4, 'malformed']);
      await store.close();
    });
  });

  it('a removed tail is refused at open: by the head row, and (with the head moved back too) by the checkpoint', async () => {
    await withSchema(async (t, adminClient) => {
      const store = await PostgresAuditStore.open(t.db, { checkpointKey: key });
      const events = await store.append([sampleEventInput(), sampleEventInput(), sampleEventInput()]);
      await store.close();
      await adminClient.query(`ALTER TABLE ${t.schema}.audit_events DISABLE TRIGGER USER`);
      await adminClient.query(`DELETE FROM ${t.schema}.audit_events WHERE seq = 3`);
      await assert.rejects(PostgresAuditStore.open(t.open(), { checkpointKey: key }), { code: 'ERR_AUDIT_TAMPERED' });
      await adminClient.query(`UPDATE ${t.schema}.audit_head SET seq = 2, hash = $1`, [events[1]?.hash]);
      await assert.rejects(PostgresAuditStore.open(t.open(), { checkpointKey: key }), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'ERR_AUDIT_TAMPERED');
        assert.equal((error as { details?: { reason?: string } }).details?.reason, 'truncated');
        return true;
      });
      // Without the key the cut is invisible to the store: that is what the checkpoint is for.
      const keyless = await PostgresAuditStore.open(t.open());
      assert.equal((await keyless.head())?.seq, 2);
      await keyless.close();
    });
  });

  it('a forged checkpoint is refused; a keyed open of a non-empty log without one is refused unless adopting it', async () => {
    await withSchema(async (t, adminClient) => {
      const plain = await PostgresAuditStore.open(t.db);
      await plain.append([sampleEventInput(), sampleEventInput()]);
      await plain.close();
      await assert.rejects(PostgresAuditStore.open(t.open(), { checkpointKey: key }), { code: 'ERR_AUDIT_CHECKPOINT' });
      const adopted = await PostgresAuditStore.open(t.open(), { checkpointKey: key, adoptExistingLog: true });
      assert.equal((await adopted.checkpoint())?.seq, 2);
      await adopted.append([sampleEventInput()]);
      assert.equal((await adopted.checkpoint())?.seq, 3, 'the checkpoint moves with every batch');
      await assertVerifies(adopted, 3);
      await adopted.close();

      await adminClient.query(`UPDATE ${t.schema}.audit_checkpoint SET seq = 2`);
      await assert.rejects(PostgresAuditStore.open(t.open(), { checkpointKey: key }), { code: 'ERR_AUDIT_TAMPERED' });
      await assert.rejects(PostgresAuditStore.open(t.open(), { checkpointKey: randomBytes(32) }), { code: 'ERR_AUDIT_TAMPERED' });
    });
  });
});
