/**
 * Pruning a real SQLite audit file: the guarded update trigger refuses every rewrite but the
 * prune's own (through a second connection, as the store's SQL could be misused), a version 1
 * file is migrated at open and then prunes, a fault in the middle of a batch rolls all of it
 * back, and a log that does not verify is refused before anything is written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, it } from 'node:test';
import { verifyChain } from '../../../audit/chain.ts';
import { canonicalJson } from '../../../audit/fast-canonical.ts';
import { readAll } from '../../../audit/read-all.ts';
import { DAY_MS, pruneAudit, tombstoneOf } from '../../../audit/retention/index.ts';
import type { RetentionPolicy } from '../../../audit/retention/index.ts';
import { sampleEventInput } from '../../../audit/store.contract.ts';
import { SqliteAuditStore } from './store.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-prune-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const key = new Uint8Array(32).fill(7);
const ARGS: RetentionPolicy = { classes: { arguments: { maxAgeDays: 0 } }, events: [] };
const later = () => Date.now() + DAY_MS;

async function withLog(events: number, body: (store: SqliteAuditStore, path: string) => Promise<void>): Promise<void> {
  const path = join(root, `prune-${++files}.db`);
  const store = SqliteAuditStore.open(path, { checkpointKey: key, writer: 'inline' });
  try {
    for (let i = 0; i < events; i++) await store.append([sampleEventInput({ data: { i } })]);
    await body(store, path);
  } finally {
    await store.close();
  }
}

const rows = (db: DatabaseSync) => db.prepare('SELECT seq, body, hash FROM events ORDER BY seq').all();

it('sqlite prune: the trigger refuses any rewrite but a granted tombstone written with its record at the head', async () => {
  await withLog(3, async (store, path) => {
    await pruneAudit(store, { policy: ARGS, now: later(), by: 'test', batchSize: 1 });
    const db = new DatabaseSync(path);
    try {
      const before = rows(db);
      const first = before[0] as { body: string; hash: string };
      assert.throws(() => db.prepare('UPDATE events SET body = ? WHERE seq = 1').run('{}'), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM events WHERE seq = 1').run(), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM event_prunes').run(), /append-only/);
      // Re-using a real grant after its record is no longer the head: refused.
      const grant = db.prepare('SELECT by_seq, body FROM event_prunes WHERE seq = 1').get() as { by_seq: number; body: string };
      assert.equal(first.body, grant.body);
      assert.throws(() => db.prepare('UPDATE events SET body = ? WHERE seq = 1').run(grant.body), /append-only/);
      // A forged grant naming a non-record event, or changing another column: refused.
      const event = JSON.parse(first.body) as Record<string, unknown>;
      const forged = canonicalJson(tombstoneOf({ ...event, hash: first.hash }, ['identity'], 3));
      db.prepare('INSERT INTO event_prunes (seq, by_seq, body) VALUES (1, 3, ?)').run(forged);
      assert.throws(() => db.prepare('UPDATE events SET body = ? WHERE seq = 1').run(forged), /append-only/);
      assert.throws(() => db.prepare(`UPDATE events SET hash = 'x' WHERE seq = 1`).run(), /append-only/);
      assert.deepEqual(rows(db), before);
    } finally {
      db.close();
    }
    assert.equal((await verifyChain(readAll(store), { checkpoint: (await store.checkpoint()) ?? undefined })).ok, true);
  });
});

it('sqlite prune: a version 1 file is migrated at open, then prunes', async () => {
  const path = join(root, `v1-${++files}.db`);
  const first = SqliteAuditStore.open(path, { writer: 'inline' });
  await first.append([sampleEventInput(), sampleEventInput()]);
  await first.close();
  // Back to the version 1 schema: the blanket triggers, no event_prunes.
  const db = new DatabaseSync(path);
  db.exec(`DROP TRIGGER events_no_update; DROP TRIGGER event_prunes_no_update; DROP TRIGGER event_prunes_no_delete; DROP TABLE event_prunes;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    UPDATE audit_meta SET value = '1' WHERE key = 'schema_version';`);
  db.close();
  const readOnly = SqliteAuditStore.open(path, { readOnly: true });
  assert.equal((await readOnly.read()).length, 2);
  await readOnly.close();
  const store = SqliteAuditStore.open(path, { writer: 'inline' });
  try {
    const report = await pruneAudit(store, { policy: ARGS, now: later(), by: 'test' });
    assert.equal(report.pruned, 2);
    assert.equal((await verifyChain(readAll(store))).pruned, 2);
  } finally {
    await store.close();
  }
  const check = new DatabaseSync(path);
  assert.equal((check.prepare(`SELECT value FROM audit_meta WHERE key = 'schema_version'`).get() as { value: string }).value, '2');
  check.close();
});

it('sqlite prune: a fault in the middle of a batch rolls the whole batch back', async () => {
  await withLog(3, async (store, path) => {
    const db = new DatabaseSync(path);
    try {
      // A grant row already holding the key the batch's second tombstone needs: its insert fails
      // after the record and the first tombstone were written.
      db.prepare(`INSERT INTO event_prunes (seq, by_seq, body) VALUES (2, 4, 'x')`).run();
      const before = rows(db);
      await assert.rejects(pruneAudit(store, { policy: ARGS, now: later(), by: 'test' }), { code: 'ERR_AUDIT_UNAVAILABLE' });
      assert.deepEqual(rows(db), before);
      assert.deepEqual(await store.head(), { seq: 3, hash: (before[2] as { hash: string }).hash });
      // Once the head moved on, the same prune goes through.
      await store.append([sampleEventInput()]);
      assert.equal((await pruneAudit(store, { policy: ARGS, now: later(), by: 'test' })).pruned, 4);
      assert.equal((await verifyChain(readAll(store))).ok, true);
    } finally {
      db.close();
    }
  });
});

it('sqlite prune: a log that does not verify is refused and left as it is', async () => {
  await withLog(4, async (store, path) => {
    const attacker = new DatabaseSync(path);
    try {
      attacker.exec('DROP TRIGGER events_no_update');
      const row = attacker.prepare('SELECT body FROM events WHERE seq = 2').get() as { body: string };
      attacker.prepare('UPDATE events SET body = ? WHERE seq = 2').run(row.body.replace('"i":1', '"i":9'));
      const before = rows(attacker);
      await assert.rejects(pruneAudit(store, { policy: ARGS, now: later(), by: 'test' }), (error: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(error.code, 'ERR_AUDIT_PRUNE_CHAIN_INVALID');
        assert.deepEqual([error.details?.seq, error.details?.reason], [2, 'hash_mismatch']);
        return true;
      });
      assert.deepEqual(rows(attacker), before);
    } finally {
      attacker.close();
    }
  });
});

it('sqlite prune: another process-like connection pruning while the writer thread appends keeps one chain', async () => {
  const path = join(root, `two-${++files}.db`);
  const appender = SqliteAuditStore.open(path, { checkpointKey: key, writer: 'thread' });
  await appender.whenWriterReady();
  try {
    for (let i = 0; i < 10; i++) await appender.append(Array.from({ length: 20 }, () => sampleEventInput()));
    const pruner = SqliteAuditStore.open(path, { checkpointKey: key, writer: 'inline', lockTimeoutMs: 20_000 });
    try {
      let appending = true;
      const appended: number[] = [];
      const load = (async () => {
        while (appending) appended.push(...(await appender.append([sampleEventInput(), sampleEventInput()])).map((e) => e.seq));
      })();
      const report = await pruneAudit(pruner, { policy: ARGS, now: later(), by: 'test', batchSize: 16 });
      appending = false;
      await load;
      assert.equal(report.pruned, 200);
      assert.ok(appended.length > 0, 'appends ran during the prune');
    } finally {
      await pruner.close();
    }
    const result = await verifyChain(readAll(appender), { checkpoint: (await appender.checkpoint()) ?? undefined, checkpointKey: key });
    assert.equal(result.ok, true, JSON.stringify(result.firstBad));
    assert.equal(result.pruned, 200);
  } finally {
    await appender.close();
  }
});
