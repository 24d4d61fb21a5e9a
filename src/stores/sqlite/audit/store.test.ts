/**
 * SqliteAuditStore: the shared AuditStore contract on a real file, durability pragmas,
 * group commit batching, and signed checkpoints (written, checked at open, catching a cut tail).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { verifyChain } from '../../../audit/chain.ts';
import { readCheckpoint, readCheckpointFile, verifyCheckpointSignature } from '../../../audit/checkpoint.ts';
import type { BatchInfo } from '../../../audit/group-commit.ts';
import { readAll } from '../../../audit/read-all.ts';
import { applyWriterTuning, assertDurability, NEW_LOG_PAGE_SIZE } from './schema.ts';
import { SqliteAuditStore } from './store.ts';
import { runAuditStoreContract, sampleEventInput } from '../../../audit/store.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(root, `audit-${++files}`, 'audit.db');
const key = randomBytes(32);

async function openReady(path: string, writer: 'thread' | 'inline' | 'auto'): Promise<SqliteAuditStore> {
  const store = SqliteAuditStore.open(path, { checkpointKey: key, writer });
  assert.equal(await store.whenWriterReady(), writer !== 'inline');
  return store;
}

for (const writer of ['thread', 'inline', 'auto'] as const) {
  runAuditStoreContract(`sqlite (${writer} writer)`, async () => {
    const path = freshPath();
    const store = await openReady(path, writer);
    return {
      store,
      reopen: async () => {
        await store.close();
        return openReady(path, writer);
      },
    };
  });
}

describe('sqlite audit store: writer thread', () => {
  it('commits on its own connection until the thread is ready, then on the thread', async () => {
    const store = SqliteAuditStore.open(freshPath());
    try {
      const early = await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput()])]);
      assert.equal(await store.whenWriterReady(), true);
      const before = store.stats().threadBatches;
      const late = await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput()])]);
      assert.equal(store.stats().threadBatches, before + 1);
      assert.deepEqual(
        [...early, ...late].flat().map((e) => e.seq),
        [1, 2, 3, 4],
      );
      assert.equal((await verifyChain(readAll(store))).checked, 4);
    } finally {
      await store.close();
    }
    assert.equal(await store.whenWriterReady(), false, 'a closed store has no writer');
  });

  it('auto: a lone append commits on the calling thread; appends together, or beside other work, commit on the thread', async () => {
    let others = false;
    const batches: BatchInfo[] = [];
    const store = SqliteAuditStore.open(freshPath(), { writer: 'auto', othersInFlight: () => others, onBatch: (b) => batches.push(b) });
    try {
      assert.equal(await store.whenWriterReady(), true);
      await store.append([sampleEventInput(), sampleEventInput()]); // one append of two events: still lone
      await store.append([sampleEventInput()]);
      assert.deepEqual([store.stats().loopBatches, store.stats().threadBatches], [2, 0]);
      // Two appends queued in the same turn are company for each other: one batch, on the thread.
      await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput()])]);
      assert.deepEqual([store.stats().loopBatches, store.stats().threadBatches], [2, 1]);
      // Other work in flight (when the batch is committed): even a lone append goes to the thread.
      others = true;
      await store.append([sampleEventInput()]);
      assert.deepEqual([store.stats().loopBatches, store.stats().threadBatches], [2, 2]);
      // Work that arrives while an append waits its turn counts too.
      others = false;
      const queued = store.append([sampleEventInput()]);
      others = true;
      await queued;
      assert.deepEqual([store.stats().loopBatches, store.stats().threadBatches], [2, 3]);
      assert.deepEqual(
        batches.map((b) => [b.appends, b.ok]),
        [[1, true], [1, true], [2, true], [1, true], [1, true]],
      );
      assert.deepEqual((await store.read()).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7]);
      assert.equal((await verifyChain(readAll(store))).checked, 7);
    } finally {
      await store.close();
    }
  });

  it('auto: after a batch with company the first lone append still goes to the thread; the next commits on the calling thread', async () => {
    let others = true;
    const store = SqliteAuditStore.open(freshPath(), { writer: 'auto', othersInFlight: () => others });
    const where = () => [store.stats().loopBatches, store.stats().threadBatches];
    try {
      assert.equal(await store.whenWriterReady(), true);
      await store.append([sampleEventInput()]); // other work in flight: company
      assert.deepEqual(where(), [0, 1]);
      others = false;
      await store.append([sampleEventInput()]); // alone, but the batch before it had company
      assert.deepEqual(where(), [0, 2]);
      await store.append([sampleEventInput()]); // alone after alone
      await store.append([sampleEventInput()]);
      assert.deepEqual(where(), [2, 2]);
      others = true;
      await store.append([sampleEventInput()]);
      others = false;
      await store.append([sampleEventInput()]);
      await store.append([sampleEventInput()]);
      assert.deepEqual(where(), [3, 4], 'the rule holds again after the next company');
      assert.equal((await verifyChain(readAll(store))).checked, 7);
    } finally {
      await store.close();
    }
  });

  it('auto: appends beside other work while the thread starts wait for it instead of committing on the event loop', async () => {
    const store = SqliteAuditStore.open(freshPath(), { writer: 'auto', othersInFlight: () => true });
    try {
      // Queued at once after open: the thread is still starting when their batch is committed.
      const events = await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput()]), store.append([sampleEventInput()])]);
      assert.deepEqual([store.stats().loopBatches, store.stats().threadBatches], [0, 1]);
      assert.deepEqual(events.flat().map((e) => e.seq), [1, 2, 3]);
      assert.equal((await verifyChain(readAll(store))).checked, 3);
    } finally {
      await store.close();
    }
  });

  it('the inline writer never starts a thread', async () => {
    const store = SqliteAuditStore.open(freshPath(), { writer: 'inline' });
    await store.append([sampleEventInput()]);
    assert.equal(store.stats().writerStarts, 0);
    assert.equal(store.stats().threadBatches, 0);
    await store.close();
  });
});

describe('sqlite audit store: durability', () => {
  it('runs in WAL with synchronous=FULL, read back after every reopen', async () => {
    const path = freshPath();
    for (let i = 0; i < 3; i++) {
      const store = SqliteAuditStore.open(path);
      assert.deepEqual(store.durability(), { journalMode: 'wal', synchronous: 2 });
      await store.append([sampleEventInput()]);
      await store.close();
    }
  });

  it('refuses a database that cannot run in WAL mode', () => {
    assert.throws(() => SqliteAuditStore.open(':memory:'), { code: 'ERR_AUDIT_DURABILITY', status: 503 });
  });

  it('the durability check refuses a connection whose synchronous is not FULL', async () => {
    const path = freshPath();
    await SqliteAuditStore.open(path).close();
    const db = new DatabaseSync(path);
    try {
      db.exec('PRAGMA synchronous = NORMAL');
      assert.throws(() => assertDurability(db), { code: 'ERR_AUDIT_DURABILITY' });
      db.exec('PRAGMA synchronous = FULL');
      assert.deepEqual(assertDurability(db), { journalMode: 'wal', synchronous: 2 });
      db.exec('PRAGMA journal_mode = DELETE');
      assert.throws(() => assertDurability(db), { code: 'ERR_AUDIT_DURABILITY' });
    } finally {
      db.close();
    }
  });

  it('a new log gets 8 KiB pages; a log that already exists keeps the page size it has', async () => {
    const pageSize = (path: string): number => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return Number((db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
      } finally {
        db.close();
      }
    };
    const fresh = freshPath();
    const store = SqliteAuditStore.open(fresh, { checkpointKey: key });
    await store.append([sampleEventInput(), sampleEventInput()]);
    await store.close();
    assert.equal(pageSize(fresh), NEW_LOG_PAGE_SIZE);
    assert.equal(NEW_LOG_PAGE_SIZE, 8192);
    // Logs written before, with 4 KiB pages: in WAL mode, and in a rollback journal (as a copy might be).
    for (const journal of ['WAL', 'DELETE']) {
      const path = freshPath();
      mkdirSync(dirname(path), { recursive: true });
      const db = new DatabaseSync(path);
      db.exec(`PRAGMA page_size = 4096; PRAGMA journal_mode = ${journal}; CREATE TABLE older_content (x INTEGER) STRICT; INSERT INTO older_content VALUES (1);`);
      db.close();
      for (let open = 0; open < 2; open++) {
        const existing = SqliteAuditStore.open(path, { checkpointKey: key, adoptExistingLog: true });
        await existing.append([sampleEventInput(), sampleEventInput()]);
        assert.equal((await verifyChain(readAll(existing), { checkpoint: (await existing.checkpoint()) ?? undefined })).checked, 2 * (open + 1));
        await existing.close();
        assert.equal(pageSize(path), 4096, journal);
      }
    }
    // Either way a writer checkpoints the WAL after the same number of bytes (10,000 pages of 4 KiB).
    const autocheckpoint = (path: string): number => {
      const db = new DatabaseSync(path);
      try {
        applyWriterTuning(db);
        return Number((db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint);
      } finally {
        db.close();
      }
    };
    assert.equal(autocheckpoint(fresh), 5000);
    assert.equal(autocheckpoint(join(root, `audit-${files}`, 'audit.db')), 10_000);
  });

  it('the schema refuses updates and deletes of events', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path);
    await store.append([sampleEventInput()]);
    const db = new DatabaseSync(path);
    try {
      assert.throws(() => db.exec(`UPDATE events SET type = 'x'`), /append-only/);
      assert.throws(() => db.exec('DELETE FROM events'), /append-only/);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('opens read-only for verification and refuses appends there', async () => {
    const path = freshPath();
    const writer = SqliteAuditStore.open(path);
    await writer.append([sampleEventInput(), sampleEventInput()]);
    const reader = SqliteAuditStore.open(path, { readOnly: true });
    try {
      assert.equal((await verifyChain(readAll(reader))).checked, 2);
      await assert.rejects(reader.append([sampleEventInput()]), { code: 'ERR_AUDIT_UNAVAILABLE' });
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('sqlite audit store: group commit', () => {
  it('commits appends of one macrotask in one transaction', async () => {
    const batches: BatchInfo[] = [];
    // Inline writer: with a writer thread, large queues are deliberately committed in halves.
    const store = SqliteAuditStore.open(freshPath(), { writer: 'inline', onBatch: (b) => batches.push(b) });
    try {
      await Promise.all(Array.from({ length: 100 }, () => store.append([sampleEventInput(), sampleEventInput()])));
      assert.deepEqual(
        batches.map((b) => [b.appends, b.events, b.ok]),
        [[100, 200, true]],
      );
      assert.equal(store.stats().batches, 1);
    } finally {
      await store.close();
    }
  });

  it('flushes at maxBatch without splitting an append', async () => {
    const batches: BatchInfo[] = [];
    const store = SqliteAuditStore.open(freshPath(), { maxBatch: 10, onBatch: (b) => batches.push(b) });
    await store.whenWriterReady();
    try {
      const small = Array.from({ length: 12 }, () => store.append([sampleEventInput(), sampleEventInput(), sampleEventInput()]));
      const big = store.append(Array.from({ length: 25 }, () => sampleEventInput()));
      const results = await Promise.all([...small, big]);
      for (const b of batches) assert.ok(b.events <= 10 || b.appends === 1, `batch of ${b.events} events from ${b.appends} appends`);
      assert.ok(batches.some((b) => b.appends === 1 && b.events === 25));
      const bigEvents = results.at(-1) ?? [];
      bigEvents.forEach((e, i) => assert.equal(e.seq, (bigEvents[0]?.seq ?? 0) + i));
      assert.equal((await verifyChain(readAll(store))).checked, 61);
    } finally {
      await store.close();
    }
  });

  it('two stores on one file never fork the chain', async () => {
    const path = freshPath();
    const a = SqliteAuditStore.open(path);
    const b = SqliteAuditStore.open(path);
    try {
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        work.push(a.append([sampleEventInput({ data: { from: 'a', i } }), sampleEventInput({ data: { from: 'a', i } })]));
        work.push(b.append([sampleEventInput({ data: { from: 'b', i } })]));
      }
      await Promise.all(work);
      const result = await verifyChain(readAll(a));
      assert.equal(result.ok, true, JSON.stringify(result.firstBad));
      assert.equal(result.checked, 120);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('sqlite audit store: checkpoints', () => {
  it('keeps a signed checkpoint of the committed head beside the database', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { checkpointKey: key });
    await store.append([sampleEventInput(), sampleEventInput()]);
    await store.append([sampleEventInput()]);
    const head = await store.head();
    const live = await store.checkpoint();
    assert.deepEqual(live && { seq: live.seq, hash: live.hash }, head, 'checkpoint() waits for the write of the last batch');
    const keyless = SqliteAuditStore.open(freshPath());
    assert.equal(await keyless.checkpoint(), null, 'no key, no checkpoint');
    await keyless.close();
    await store.close();
    const checkpoint = readCheckpointFile(`${path}.checkpoint`);
    assert.ok(checkpoint !== null);
    assert.deepEqual({ seq: checkpoint.seq, hash: checkpoint.hash }, head);
    assert.equal(verifyCheckpointSignature(checkpoint, key), true);
    assert.equal(verifyCheckpointSignature(checkpoint, randomBytes(32)), false);
    assert.equal(verifyCheckpointSignature({ ...checkpoint, seq: 2 }, key), false);
  });

  it('catches a cut-off tail with the checkpoint and refuses to reopen over it', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { checkpointKey: key });
    for (let i = 0; i < 5; i++) await store.append([sampleEventInput()]);
    await store.close();

    const db = new DatabaseSync(path);
    db.exec('DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq >= 4;');
    db.close();

    const reader = SqliteAuditStore.open(path, { readOnly: true });
    const checkpoint = readCheckpointFile(reader.checkpointPath) ?? undefined;
    const plain = await verifyChain(readAll(reader));
    assert.equal(plain.ok, true, 'without the checkpoint a cut tail looks like a shorter log');
    const result = await verifyChain(readAll(reader), { checkpoint, checkpointKey: key });
    assert.equal(result.ok, false);
    assert.deepEqual(result.firstBad && { seq: result.firstBad.seq, reason: result.firstBad.reason }, { seq: 4, reason: 'truncated' });
    await reader.close();

    assert.throws(() => SqliteAuditStore.open(path, { checkpointKey: key }), { code: 'ERR_AUDIT_TAMPERED' });
  });

  it('refuses a forged checkpoint file and a missing one for a non-empty log', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { checkpointKey: key });
    await store.append([sampleEventInput(), sampleEventInput()]);
    await store.close();
    const checkpoint = readCheckpointFile(`${path}.checkpoint`);
    assert.ok(checkpoint !== null);

    writeFileSync(`${path}.checkpoint`, JSON.stringify({ ...checkpoint, seq: 1 }));
    assert.throws(() => SqliteAuditStore.open(path, { checkpointKey: key }), { code: 'ERR_AUDIT_TAMPERED' });
    assert.throws(() => readCheckpoint(path, key), { code: 'ERR_AUDIT_TAMPERED' });
    const reader = SqliteAuditStore.open(path, { readOnly: true, checkpointKey: key });
    await assert.rejects(reader.checkpoint(), { code: 'ERR_AUDIT_TAMPERED' });
    await reader.close();

    rmSync(`${path}.checkpoint`);
    assert.throws(() => SqliteAuditStore.open(path, { checkpointKey: key }), { code: 'ERR_AUDIT_CHECKPOINT' });

    const adopted = SqliteAuditStore.open(path, { checkpointKey: key, adoptExistingLog: true });
    await adopted.close();
    assert.equal(readCheckpointFile(`${path}.checkpoint`)?.seq, 2);
    const again = SqliteAuditStore.open(path, { checkpointKey: key });
    await again.close();
  });

  it('moves the checkpoint forward at open when the log grew without it', async () => {
    const path = freshPath();
    await SqliteAuditStore.open(path, { checkpointKey: key }).close();
    const keyless = SqliteAuditStore.open(path);
    await keyless.append([sampleEventInput(), sampleEventInput(), sampleEventInput()]);
    await keyless.close();
    assert.equal(readCheckpointFile(`${path}.checkpoint`)?.seq, 0);
    const store = SqliteAuditStore.open(path, { checkpointKey: key });
    await store.close();
    assert.equal(readCheckpointFile(`${path}.checkpoint`)?.seq, 3);
  });

  it('refuses a checkpoint key shorter than 32 bytes', () => {
    assert.throws(() => SqliteAuditStore.open(freshPath(), { checkpointKey: randomBytes(16) }), { code: 'ERR_AUDIT_CHECKPOINT_KEY' });
  });
});
