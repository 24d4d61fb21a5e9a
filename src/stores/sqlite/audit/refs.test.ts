/**
 * The SQLite `event_refs` index: a log written before it existed still opens (read-only
 * without it, writable with it added), lookups by a ref use indexes and never scan the
 * events table, the index is append-only, and a forged index row cannot make an unrelated
 * event answer a lookup.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { verifyChain } from '../../../audit/chain.ts';
import { readAll } from '../../../audit/read-all.ts';
import { hasRefIndex } from './schema.ts';
import { SqliteAuditStore } from './store.ts';
import { sampleEventInput } from '../../../audit/store.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-refs-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(root, `audit-${++files}`, 'audit.db');

/** Turns a fresh log into one written before event_refs existed. */
function dropRefIndex(path: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec('DROP TABLE event_refs');
  } finally {
    db.close();
  }
}

describe('sqlite audit store: the refs index', () => {
  it('opens a log written before the refs index: read-only without it, writable with it added', async () => {
    const path = freshPath();
    const old = SqliteAuditStore.open(path, { writer: 'inline' });
    const [first] = await old.append([sampleEventInput({ request_id: 'req_old1' })]);
    await old.close();
    dropRefIndex(path);

    const reader = SqliteAuditStore.open(path, { readOnly: true });
    try {
      assert.deepEqual(await reader.findRelated('req_old1'), [first]);
      assert.deepEqual(await reader.findRelated('dec_none'), []);
    } finally {
      await reader.close();
    }

    const store = SqliteAuditStore.open(path, { writer: 'thread' });
    try {
      await store.whenWriterReady();
      const [second] = await store.append([sampleEventInput({ refs: ['dec_new1'] })]);
      assert.deepEqual(await store.findRelated('dec_new1'), [second]);
      assert.deepEqual(await store.findRelated('req_old1'), [first]);
      const verified = await verifyChain(readAll(store));
      assert.equal(verified.ok, true);
      assert.equal(verified.checked, 2);
    } finally {
      await store.close();
    }
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      assert.equal(hasRefIndex(db), true);
    } finally {
      db.close();
    }
  });

  it('answers a lookup from indexes, never by scanning the events table', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { writer: 'inline' });
    await store.append([sampleEventInput({ refs: ['apr_plan1'] })]);
    await store.close();
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      // The lookup statement of store.ts, planned by SQLite.
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT seq FROM events WHERE request_id = $id OR action_id = $id OR parent_action_id = $id ` +
            `OR session_id = $id OR trace_id = $id OR event_id = $id OR seq IN (SELECT seq FROM event_refs WHERE ref = $id) ORDER BY seq`,
        )
        .all({ $id: 'apr_plan1' }) as { detail: string }[];
      const details = plan.map((row) => row.detail);
      assert.ok(details.some((d) => /event_refs/.test(d) && /USING/.test(d)), details.join(' | '));
      assert.ok(!details.some((d) => /^SCAN events\b/.test(d)), details.join(' | '));
    } finally {
      db.close();
    }
  });

  it('the refs index is append-only, and a forged row cannot make an unrelated event answer', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { writer: 'inline' });
    try {
      const [event] = await store.append([sampleEventInput({ refs: ['apr_real1'] })]);
      const db = new DatabaseSync(path);
      try {
        assert.throws(() => db.exec(`UPDATE event_refs SET ref = 'apr_other'`), /append-only/);
        assert.throws(() => db.exec('DELETE FROM event_refs'), /append-only/);
        db.prepare('INSERT INTO event_refs (ref, seq) VALUES (?, ?)').run('apr_forged', event?.seq as number);
      } finally {
        db.close();
      }
      assert.deepEqual(await store.findRelated('apr_forged'), []);
      assert.deepEqual(await store.findRelated('apr_real1'), [event]);
    } finally {
      await store.close();
    }
  });
});
