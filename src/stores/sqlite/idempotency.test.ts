import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDurableSqlite } from './open.ts';
import { runIdempotencyStoreContract, sampleRecord } from '../../idempotency/store.contract.ts';
import { SqliteIdempotencyStore } from './idempotency.ts';

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'airlock-idempotency-')), 'state.db');
}

runIdempotencyStoreContract('sqlite', async () => {
  const path = tempDb();
  const open: DatabaseSync[] = [];
  const connect = () => {
    const db = openDurableSqlite(path, { area: 'STATE' });
    open.push(db);
    return new SqliteIdempotencyStore(db);
  };
  const closeAll = async () => {
    for (const db of open.splice(0)) if (db.isOpen) db.close();
  };
  return { store: connect(), another: async () => connect(), restart: async () => (await closeAll(), connect()), close: closeAll };
});

test('sqlite: a closed database refuses with ERR_STATE_UNAVAILABLE and claims nothing', async () => {
  const db = openDurableSqlite(tempDb(), { area: 'STATE' });
  const store = new SqliteIdempotencyStore(db);
  db.close();
  const record = sampleRecord();
  await assert.rejects(store.claim(record), { code: 'ERR_STATE_UNAVAILABLE', status: 503 });
  await assert.rejects(store.find(record.scope), { code: 'ERR_STATE_UNAVAILABLE' });
  await assert.rejects(store.settle(record.id, record.action_id, { state: 'completed', outcome: {}, at: 1 }), { code: 'ERR_STATE_UNAVAILABLE' });
});
