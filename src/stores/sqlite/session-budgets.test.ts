import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDurableSqlite } from './open.ts';
import { runSessionBudgetStoreContract } from '../../budgets/store.contract.ts';
import { SqliteSessionBudgetStore } from './session-budgets.ts';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'airlock-budgets-')), 'state.db');

runSessionBudgetStoreContract('sqlite', async () => {
  const path = tempDb();
  const open: DatabaseSync[] = [];
  const connect = () => {
    const db = openDurableSqlite(path, { area: 'STATE' });
    open.push(db);
    return new SqliteSessionBudgetStore(db);
  };
  const closeAll = async () => {
    for (const db of open.splice(0)) if (db.isOpen) db.close();
  };
  return { store: connect(), another: async () => connect(), restart: async () => (await closeAll(), connect()), close: closeAll };
});

test('sqlite: a closed database refuses with ERR_STATE_UNAVAILABLE', async () => {
  const db = openDurableSqlite(tempDb(), { area: 'STATE' });
  const store = new SqliteSessionBudgetStore(db);
  db.close();
  await assert.rejects(store.charge('ses_x', { steps: 1, toolCalls: 1, spendMicros: 0, fingerprint: 'a' }, 1), { code: 'ERR_STATE_UNAVAILABLE', status: 503 });
});
