import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableSqlite } from './open.ts';
import { SqliteRevocationStore } from './revocations.ts';
import { runRevocationStoreContract } from '../../credentials/store.contract.ts';

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'airlock-credentials-')), 'state.db');
}

runRevocationStoreContract('sqlite', async () => new SqliteRevocationStore(openDurableSqlite(tempDb(), { area: 'STATE' })));

test('sqlite: revocations survive reopening the database', async () => {
  const path = tempDb();
  const db = openDurableSqlite(path, { area: 'STATE' });
  await new SqliteRevocationStore(db).revoke({ target: { kind: 'tenant', tenant: 'acme' }, revokedAt: 5_000, expiresAt: 9_000 });
  db.close();
  const reopened = new SqliteRevocationStore(openDurableSqlite(path, { area: 'STATE' }));
  const subject = { jti: 'j', user: 'u', tenant: 'acme', audience: 'crm', agent: null, tool: null, session: null, issuedAt: 4 };
  assert.equal((await reopened.check(subject))?.revokedAt, 5_000);
});

test('sqlite: a closed database refuses with ERR_CREDENTIAL_UNAVAILABLE instead of answering "not revoked"', async () => {
  const db = openDurableSqlite(tempDb(), { area: 'STATE' });
  const store = new SqliteRevocationStore(db);
  db.close();
  await assert.rejects(store.check({ jti: 'j', user: 'u', tenant: 't', audience: 'a', agent: null, tool: null, session: null, issuedAt: 1 }), {
    code: 'ERR_CREDENTIAL_UNAVAILABLE',
  });
  await assert.rejects(store.revoke({ target: { kind: 'jti', jti: 'j' }, revokedAt: 1, expiresAt: 2 }), {
    code: 'ERR_CREDENTIAL_UNAVAILABLE',
  });
});
