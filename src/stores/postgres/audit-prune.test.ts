/**
 * Pruning the PostgreSQL audit log: the guarded update trigger of migration 0011 refuses every
 * rewrite but the prune's own (from the application's role, as its SQL could be misused), a
 * connection killed in the middle of a prune batch leaves nothing of it, and a log that does
 * not verify is refused before anything is written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { verifyChain } from '../../audit/chain.ts';
import { readAll } from '../../audit/read-all.ts';
import { DAY_MS, pruneAudit } from '../../audit/retention/index.ts';
import type { RetentionPolicy } from '../../audit/retention/index.ts';
import { sampleEventInput } from '../../audit/store.contract.ts';
import { PostgresAuditStore } from './audit.ts';
import type { PostgresAuditDatabase } from './audit.ts';
import type { PostgresTx } from './database.ts';
import { TEST_POSTGRES_URL, testPostgres } from './test-support.ts';
import type { TestPostgres } from './test-support.ts';

const key = randomBytes(32);
const ARGS: RetentionPolicy = { classes: { arguments: { maxAgeDays: 0 } }, events: [] };
const later = () => Date.now() + DAY_MS;

async function withSchema(body: (t: TestPostgres, admin: pg.Client) => Promise<void>): Promise<void> {
  const t = await testPostgres();
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await body(t, admin);
  } finally {
    await admin.end().catch(() => undefined);
    await t.drop();
  }
}

const snapshot = async (admin: pg.Client, schema: string) => ({
  events: (await admin.query(`SELECT seq, body, hash FROM ${schema}.audit_events ORDER BY seq`)).rows,
  head: (await admin.query(`SELECT seq, hash FROM ${schema}.audit_head`)).rows,
  prunes: (await admin.query(`SELECT * FROM ${schema}.audit_prunes ORDER BY seq, by_seq`)).rows,
  checkpoint: (await admin.query(`SELECT seq, hash FROM ${schema}.audit_checkpoint`)).rows,
});

describe('postgresql audit store: pruning', () => {
  it('the trigger refuses any rewrite but a granted tombstone written with its record at the head', async () => {
    await withSchema(async (t, admin) => {
      const store = await PostgresAuditStore.open(t.db, { checkpointKey: key });
      await store.append([sampleEventInput(), sampleEventInput(), sampleEventInput()]);
      await pruneAudit(store, { policy: ARGS, now: later(), by: 'test', batchSize: 2 });
      const s = t.schema;
      const before = await snapshot(admin, s);
      const refused = async (sql: string, params: unknown[] = []) => {
        await assert.rejects(admin.query(sql, params), /append-only/);
      };
      await refused(`UPDATE ${s}.audit_events SET body = '{}' WHERE seq = 1`);
      await refused(`DELETE FROM ${s}.audit_events WHERE seq = 1`);
      await refused(`TRUNCATE ${s}.audit_events`);
      await refused(`DELETE FROM ${s}.audit_prunes`);
      // A real grant whose record is no longer the head: refused.
      const grant = (await admin.query(`SELECT body FROM ${s}.audit_prunes WHERE seq = 1`)).rows[0] as { body: string };
      await refused(`UPDATE ${s}.audit_events SET body = $1 WHERE seq = 1`, [grant.body]);
      // A grant naming the head while the head is not a prune record: refused.
      await store.append([sampleEventInput()]);
      await admin.query(`INSERT INTO ${s}.audit_prunes (seq, by_seq, body) VALUES (2, 6, '{"forged":true}')`);
      await refused(`UPDATE ${s}.audit_events SET body = '{"forged":true}' WHERE seq = 2`);
      await refused(`UPDATE ${s}.audit_events SET hash = 'x' WHERE seq = 3`);
      const after = await snapshot(admin, s);
      assert.deepEqual(after.events.slice(0, 5), before.events);
      const checkpoint = await store.checkpoint();
      const result = await verifyChain(readAll(store), { ...(checkpoint === null ? {} : { checkpoint, checkpointKey: key }) });
      assert.equal(result.ok, true, JSON.stringify(result.firstBad));
      assert.equal(result.pruned, 3);
      await store.close();
    });
  });

  it('a connection killed in the middle of a prune batch: nothing of it is written, and the prune succeeds afterwards', async () => {
    await withSchema(async (t, admin) => {
      let kill = false;
      const wrapped: PostgresAuditDatabase = {
        query: (sql, params) => t.db.query(sql, params),
        transaction: (body, options) =>
          t.db.transaction(
            (tx) =>
              body({
                query: async <R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) => {
                  if (kill && sql.startsWith('UPDATE audit_events')) {
                    kill = false;
                    const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
                    await admin.query('SELECT pg_terminate_backend($1, 5000)', [row?.pid]);
                  }
                  return tx.query<R>(sql, params);
                },
              } as PostgresTx),
            options,
          ),
      };
      const store = await PostgresAuditStore.open(wrapped, { checkpointKey: key });
      await store.append([sampleEventInput(), sampleEventInput()]);
      const before = await snapshot(admin, t.schema);
      kill = true;
      await assert.rejects(pruneAudit(store, { policy: ARGS, now: later(), by: 'test' }), { code: 'ERR_AUDIT_UNAVAILABLE' });
      assert.equal(kill, false, 'the fault was injected');
      assert.deepEqual(await snapshot(admin, t.schema), before);
      assert.equal((await pruneAudit(store, { policy: ARGS, now: later(), by: 'test' })).pruned, 2);
      assert.equal((await verifyChain(readAll(store))).pruned, 2);
      await store.close();
    });
  });

  it('a log that does not verify is refused and left as it is', async () => {
    await withSchema(async (t, admin) => {
      const store = await PostgresAuditStore.open(t.db);
      await store.append([sampleEventInput({ data: { i: 1 } }), sampleEventInput()]);
      await admin.query(`ALTER TABLE ${t.schema}.audit_events DISABLE TRIGGER audit_events_guarded_update`);
      await admin.query(`UPDATE ${t.schema}.audit_events SET body = replace(body, '"i":1', '"i":2') WHERE seq = 1`);
      const before = await snapshot(admin, t.schema);
      await assert.rejects(pruneAudit(store, { policy: ARGS, now: later(), by: 'test' }), (error: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(error.code, 'ERR_AUDIT_PRUNE_CHAIN_INVALID');
        assert.deepEqual([error.details?.seq, error.details?.reason], [1, 'hash_mismatch']);
        return true;
      });
      assert.deepEqual(await snapshot(admin, t.schema), before);
      await store.close();
    });
  });
});
