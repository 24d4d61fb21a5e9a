import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runRevocationStoreContract } from '../../credentials/store.contract.ts';
import { PostgresRevocationStore } from './revocations.ts';
import { testPostgres, type TestPostgres } from './test-support.ts';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  await pg?.drop();
});

// One schema for the file; each contract test starts from an empty table.
runRevocationStoreContract('postgres', async () => {
  await pg.db.query('TRUNCATE credential_revocations');
  return new PostgresRevocationStore(pg.db);
});

test('postgres: a revocation written by one replica is seen by another, and never shrinks whichever writes last', async () => {
  await pg.db.query('TRUNCATE credential_revocations');
  const a = new PostgresRevocationStore(pg.db);
  const b = new PostgresRevocationStore(pg.open());
  const target = { kind: 'tenant' as const, tenant: 'acme' };
  await Promise.all([
    a.revoke({ target, revokedAt: 9_000, expiresAt: 20_000 }),
    b.revoke({ target, revokedAt: 5_000, expiresAt: 90_000 }),
  ]);
  const subject = { jti: 'j', user: 'u', tenant: 'acme', audience: 'crm', agent: null, tool: null, session: null, issuedAt: 8 };
  assert.deepEqual(await b.check(subject), { target, revokedAt: 9_000, expiresAt: 90_000 });
});

test('postgres: an unreachable or closed database refuses with ERR_CREDENTIAL_UNAVAILABLE instead of answering "not revoked"', async () => {
  const closed = pg.open();
  await closed.close();
  const store = new PostgresRevocationStore(closed);
  const subject = { jti: 'j', user: 'u', tenant: 't', audience: 'a', agent: null, tool: null, session: null, issuedAt: 1 };
  await assert.rejects(store.check(subject), { code: 'ERR_CREDENTIAL_UNAVAILABLE', status: 503 });
  await assert.rejects(store.revoke({ target: { kind: 'jti', jti: 'j' }, revokedAt: 1, expiresAt: 2 }), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
  const nowhere = pg.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
  await assert.rejects(new PostgresRevocationStore(nowhere).check(subject), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
});
