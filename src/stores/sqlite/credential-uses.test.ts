import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DatabaseSync } from 'node:sqlite';
import { openDurableSqlite } from './open.ts';
import { runCredentialUseStoreContract } from '../../credentials/credential-uses.contract.ts';
import { request, setup } from '../../credentials/test-support.ts';
import { SqliteCredentialUseStore } from './credential-uses.ts';

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'airlock-credential-uses-')), 'state.db');
}

runCredentialUseStoreContract('sqlite', async () => {
  const path = tempDb();
  const open: DatabaseSync[] = [];
  const connect = () => {
    const db = openDurableSqlite(path, { area: 'STATE' });
    open.push(db);
    return new SqliteCredentialUseStore(db);
  };
  const closeAll = async () => {
    for (const db of open.splice(0)) if (db.isOpen) db.close();
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
});

test('sqlite: a closed database refuses with ERR_CREDENTIAL_UNAVAILABLE and never accepts', async () => {
  const db = openDurableSqlite(tempDb(), { area: 'STATE' });
  const store = new SqliteCredentialUseStore(db);
  db.close();
  await assert.rejects(store.use('jti_a', 200, 100), { code: 'ERR_CREDENTIAL_UNAVAILABLE', status: 503 });
  await assert.rejects(store.purge(100), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
});

test('sqlite: two threads with a connection each, using the same 300 jtis in opposite orders: each jti accepted exactly once', async () => {
  const path = tempDb();
  new SqliteCredentialUseStore(openDurableSqlite(path, { area: 'STATE' })); // creates the table before the race
  const jtis = Array.from({ length: 300 }, (_, i) => `jti_${i}`);
  const gate = new SharedArrayBuffer(4);
  const workers = [jtis, [...jtis].reverse()].map(
    (order) => new Worker(new URL('./credential-uses.worker.ts', import.meta.url), { workerData: { path, jtis: order, gate } }),
  );
  try {
    const messages = workers.map((worker) => {
      const all: unknown[] = [];
      return new Promise<Array<{ ready?: boolean; accepted?: string[]; refusals?: Record<string, number> }>>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (m) => {
          all.push(m);
          if (all.length === 2) resolve(all as never);
        });
      });
    });
    // Wait until both are at the barrier, then release them together.
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const barrier = new Int32Array(gate);
    Atomics.store(barrier, 0, 1);
    Atomics.notify(barrier, 0);
    const results = (await Promise.all(messages)).map((m) => m[1] ?? {});
    const accepted = results.flatMap((r) => r.accepted ?? []);
    assert.equal(accepted.length, 300);
    assert.deepEqual(new Set(accepted), new Set(jtis));
    const refused = results.reduce((n, r) => n + (r.refusals?.ERR_CREDENTIAL_REPLAYED ?? 0), 0);
    assert.equal(refused, 300, JSON.stringify(results.map((r) => r.refusals)));
  } finally {
    for (const worker of workers) await worker.terminate();
  }
});

test('a verifier on a SQLite use store refuses a one-time credential used before it was restarted', async () => {
  const path = tempDb();
  const firstDb = openDurableSqlite(path, { area: 'STATE' });
  const before = setup({ oneTime: true, uses: new SqliteCredentialUseStore(firstDb) });
  const minted = await before.broker.mint(request());
  assert.equal((await before.verifier.verify(minted.token)).jti, minted.jti);
  await assert.rejects(before.verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_REPLAYED', status: 401 });
  firstDb.close();

  // The upstream restarts: a new verifier, a new connection to the same file.
  const after = setup({ oneTime: true, uses: new SqliteCredentialUseStore(openDurableSqlite(path, { area: 'STATE' })) });
  after.clock.set(before.clock.now());
  await assert.rejects(after.verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_REPLAYED', status: 401 });
  const fresh = await after.broker.mint(request());
  assert.equal((await after.verifier.verify(fresh.token)).jti, fresh.jti, 'other credentials still pass');
});
