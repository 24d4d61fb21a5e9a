import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCredentialUseStoreContract } from '../../credentials/credential-uses.contract.ts';
import { request, setup } from '../../credentials/test-support.ts';
import type { PostgresDatabase } from './database.ts';
import { PostgresCredentialUseStore } from './credential-uses.ts';
import { testPostgres, type TestPostgres } from './test-support.ts';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  await pg?.drop();
});

// One schema for the file; each contract test starts from an empty table, on pools of its own.
runCredentialUseStoreContract(
  'postgres',
  async () => {
    await pg.db.query('TRUNCATE credential_uses');
    const pools: PostgresDatabase[] = [];
    const connect = () => {
      const db = pg.open();
      pools.push(db);
      return new PostgresCredentialUseStore(db);
    };
    const closeAll = async () => {
      for (const db of pools.splice(0)) await db.close();
    };
    return {
      store: connect(),
      another: async () => connect(),
      restart: async () => {
        await closeAll();
        return connect();
      },
      close: closeAll,
    };
  },
  { propertyRuns: 30 },
);

test('postgres: a closed or unreachable database refuses with ERR_CREDENTIAL_UNAVAILABLE and never accepts', async () => {
  const closed = pg.open();
  await closed.close();
  await assert.rejects(new PostgresCredentialUseStore(closed).use('jti_a', 200, 100), { code: 'ERR_CREDENTIAL_UNAVAILABLE', status: 503 });
  await assert.rejects(new PostgresCredentialUseStore(closed).purge(100), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
  const nowhere = pg.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
  await assert.rejects(new PostgresCredentialUseStore(nowhere).use('jti_a', 200, 100), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
});

test('verifiers of two upstream replicas on one PostgreSQL use store accept a one-time credential once, also after a restart', async () => {
  await pg.db.query('TRUNCATE credential_uses');
  const replicaA = setup({ oneTime: true, uses: new PostgresCredentialUseStore(pg.open()) });
  const replicaB = setup({ oneTime: true, uses: new PostgresCredentialUseStore(pg.open()) });
  replicaB.clock.set(replicaA.clock.now());
  const minted = await replicaA.broker.mint(request());
  const outcomes = await Promise.allSettled([replicaA.verifier.verify(minted.token), replicaB.verifier.verify(minted.token)]);
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  const refused = outcomes.find((o) => o.status === 'rejected');
  assert.equal((refused?.reason as { code?: string } | undefined)?.code, 'ERR_CREDENTIAL_REPLAYED');
  const restarted = setup({ oneTime: true, uses: new PostgresCredentialUseStore(pg.open()) });
  restarted.clock.set(replicaA.clock.now());
  await assert.rejects(restarted.verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_REPLAYED', status: 401 });
});
