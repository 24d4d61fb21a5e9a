/**
 * PostgresAuditStore against a real PostgreSQL: the shared AuditStore contract (with and
 * without signed checkpoints), and the durability check at open.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { runAuditStoreContract, sampleEventInput } from '../../audit/store.contract.ts';
import { PostgresAuditStore } from './audit.ts';
import type { PostgresAuditStoreOptions } from './audit.ts';
import { testPostgres } from './test-support.ts';

const key = randomBytes(32);

function contract(name: string, options: PostgresAuditStoreOptions): void {
  runAuditStoreContract(name, async () => {
    const pg = await testPostgres();
    const store = await PostgresAuditStore.open(pg.db, options);
    return {
      store,
      reopen: async () => {
        await store.close();
        // A new pool: what a restarted gateway (or another replica) sees.
        return PostgresAuditStore.open(pg.open(), options);
      },
      dispose: () => pg.drop(),
    };
  });
}

contract('postgresql (signed checkpoints)', { checkpointKey: key });
contract('postgresql (no checkpoint key)', {});

describe('postgresql audit store: durability and time', () => {
  it('refuses to open when synchronous_commit is off, and refuses a batch on a connection that turned it off', async () => {
    const pg = await testPostgres();
    try {
      const lax = pg.open({ poolSize: 1 });
      await lax.query('SET synchronous_commit = off');
      await assert.rejects(PostgresAuditStore.open(lax), { code: 'ERR_AUDIT_DURABILITY', status: 503 });

      const strict = pg.open({ poolSize: 1 });
      const store = await PostgresAuditStore.open(strict);
      await store.append([sampleEventInput()]);
      await strict.query('SET synchronous_commit = off');
      await assert.rejects(store.append([sampleEventInput()]), { code: 'ERR_AUDIT_UNAVAILABLE' });
      await strict.query('SET synchronous_commit = on');
      const [next] = await store.append([sampleEventInput()]);
      assert.equal(next?.seq, 2, 'the refused batch left nothing');
      await store.close();
    } finally {
      await pg.drop();
    }
  });

  it('stamps ts from the injected clock', async () => {
    const pg = await testPostgres();
    try {
      const clock = new ManualClock(Date.UTC(2030, 4, 6, 7, 8, 9, 10));
      const store = await PostgresAuditStore.open(pg.db, { clock });
      const [a] = await store.append([sampleEventInput()]);
      clock.advance(1500);
      const [b] = await store.append([sampleEventInput()]);
      assert.equal(a?.ts, '2030-05-06T07:08:09.010Z');
      assert.equal(b?.ts, '2030-05-06T07:08:10.510Z');
      assert.deepEqual(await store.read(), [a, b]);
      await store.close();
    } finally {
      await pg.drop();
    }
  });
});
