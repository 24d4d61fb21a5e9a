import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { DeferredSync, deferredSyncOf, deferredTransaction } from './deferred-sync.ts';
import { SqliteProvenanceStore } from './provenance.ts';
import { SqliteSessionActivityStore } from './session-activity.ts';
import { testSqlite } from './test-support.ts';

/** An fsync the test completes or fails by hand; records how many writes had been made when each started. */
function manualSync(written: () => number) {
  const pending: Array<{ startedAfter: number; settle: (error?: Error) => void }> = [];
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      pending.push({ startedAfter: written(), settle: (error) => (error === undefined ? resolve() : reject(error)) });
    });
  return { sync, pending };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('durable() answers only for writes an fsync started after (any interleaving of writes, waits and fsyncs)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom('write', 'wait', 'complete'), { maxLength: 40 }), async (steps) => {
      let writes = 0;
      const { sync, pending } = manualSync(() => writes);
      const deferred = new DeferredSync(sync);
      // Each resolved wait must be covered by a completed fsync that started after its writes.
      const completed: number[] = [];
      const waits: Array<{ target: number; done: boolean }> = [];
      const check = () => {
        for (const w of waits) if (w.done && w.target > 0) assert.ok(completed.some((c) => c >= w.target), `a wait for ${w.target} writes resolved before an fsync covered them`);
      };
      /** Completes the oldest fsync started, if any. */
      const completeNext = () => {
        const next = pending.shift();
        if (next === undefined) return;
        next.settle();
        completed.push(next.startedAfter);
      };
      for (const step of steps) {
        if (step === 'write') {
          writes++;
          deferred.wrote();
        } else if (step === 'wait') {
          const w = { target: writes, done: false };
          waits.push(w);
          void deferred.durable().then(() => {
            w.done = true;
          });
        } else completeNext();
        await turn();
        check();
      }
      // Drain: every wait resolves once the fsyncs it needs have run.
      for (let i = 0; i < 100 && waits.some((w) => !w.done); i++) {
        completeNext();
        await turn();
        check();
      }
      assert.ok(waits.every((w) => w.done));
    }),
    { numRuns: 150 },
  );
});

test('one fsync covers the writes of one turn of the event loop; nothing written, nothing synced', async () => {
  let syncs = 0;
  const deferred = new DeferredSync(async () => {
    syncs++;
  });
  await deferred.durable();
  assert.equal(syncs, 0);
  deferred.wrote();
  deferred.wrote();
  deferred.wrote();
  await turn();
  await turn();
  assert.equal(syncs, 1);
  await deferred.durable();
  assert.equal(syncs, 1);
});

test('an fsync that fails is final: durable() and every later write reject (ERR_STATE_UNAVAILABLE), nothing more is written', async () => {
  const sqlite = testSqlite();
  try {
    let fail = false;
    deferredSyncOf(sqlite.db, async () => {
      if (fail) throw Object.assign(new Error('EIO'), { code: 'EIO' });
    });
    const activity = new SqliteSessionActivityStore(sqlite.db);
    const provenance = new SqliteProvenanceStore(sqlite.db);
    await activity.countCall('ses_a', 'crm.read', 1_000);
    await provenance.append('ses_a', { contentId: 'cnt_1', text: 'one', tier: 'external' });
    await activity.durable();
    await provenance.durable();

    fail = true;
    await activity.countCall('ses_a', 'crm.read', 2_000);
    await assert.rejects(activity.durable(), { code: 'ERR_STATE_UNAVAILABLE' });
    await assert.rejects(provenance.durable(), { code: 'ERR_STATE_UNAVAILABLE' });
    fail = false;
    // Still refused: the pages the failed fsync could not write may be gone.
    await assert.rejects(activity.countCall('ses_a', 'crm.read', 3_000), { code: 'ERR_STATE_UNAVAILABLE' });
    await assert.rejects(activity.recordRead('ses_a', 1, 3_000), { code: 'ERR_STATE_UNAVAILABLE' });
    await assert.rejects(provenance.append('ses_a', { contentId: 'cnt_2', text: 'two', tier: 'external' }), { code: 'ERR_STATE_UNAVAILABLE' });
    await assert.rejects(activity.durable(), { code: 'ERR_STATE_UNAVAILABLE' });
    const other = sqlite.open();
    assert.equal(Number((other.prepare('SELECT calls FROM session_activity').get() as { calls: number }).calls), 2);
    assert.equal((other.prepare('SELECT COUNT(*) AS n FROM provenance_log').get() as { n: number }).n, 1);
  } finally {
    sqlite.close();
  }
});

test('the connection commits with its own fsync again after a deferred write, whether it committed or failed', async () => {
  const sqlite = testSqlite();
  try {
    const db = sqlite.db;
    const deferred = deferredSyncOf(db);
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY)');
    const synchronous = () => (db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    deferredTransaction(db, deferred, 'x', () => db.prepare('INSERT INTO t (a) VALUES (1)').run());
    assert.equal(synchronous(), 2);
    assert.throws(
      () => deferredTransaction(db, deferred, 'cannot write', () => db.prepare('INSERT INTO t (a) VALUES (1)').run()),
      { code: 'ERR_STATE_UNAVAILABLE', message: 'cannot write' },
    );
    assert.equal(synchronous(), 2);
    assert.equal(db.isTransaction, false);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 1);
    await deferred.durable();
  } finally {
    sqlite.close();
  }
});

test('the real fsync of the WAL: durable() resolves; an in-memory database has nothing to sync', async () => {
  const sqlite = testSqlite();
  try {
    const activity = new SqliteSessionActivityStore(sqlite.db);
    await activity.countCall('ses_a', 'crm.read', 1_000);
    await activity.durable();
    assert.equal((await new SqliteSessionActivityStore(sqlite.open()).snapshot('ses_a', 'crm.read', 1_000)).callCount, 1);
  } finally {
    sqlite.close();
  }
  const memory = new DatabaseSync(':memory:');
  const activity = new SqliteSessionActivityStore(memory);
  await activity.countCall('ses_a', 'crm.read', 1_000);
  await activity.durable();
  memory.close();
});

test('a process that dies between a write and its fsync: the write is applied (the next process counts it)', async () => {
  const sqlite = testSqlite();
  try {
    const script = `
      import { openDurableSqlite } from './src/stores/sqlite/open.ts';
      import { SqliteSessionActivityStore } from './src/stores/sqlite/session-activity.ts';
      import { SqliteProvenanceStore } from './src/stores/sqlite/provenance.ts';
      const db = openDurableSqlite(${JSON.stringify(sqlite.path)}, { area: 'STATE' });
      await new SqliteSessionActivityStore(db).countCall('ses_a', 'crm.read', 1000);
      await new SqliteProvenanceStore(db).append('ses_a', { contentId: 'cnt_1', text: 'mallory@evil.example', tier: 'external' });
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../../../', import.meta.url), encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const db = sqlite.open();
    assert.equal((await new SqliteSessionActivityStore(db).snapshot('ses_a', 'crm.read', 1_000)).callCount, 1);
    assert.deepEqual((await new SqliteProvenanceStore(db).since('ses_a', 0)).map((e) => e.registration.text), ['mallory@evil.example']);
  } finally {
    sqlite.close();
  }
});
