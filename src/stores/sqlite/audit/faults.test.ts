/**
 * SqliteAuditStore under faults: a commit that cannot happen (another connection holds the
 * write lock; an insert aborts mid-batch) rejects every append of the batch with
 * ERR_AUDIT_UNAVAILABLE, writes nothing, and the next successful append still chains onto the
 * real head — also when another writer appended in between.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, it } from 'node:test';
import { AirlockError } from '../../../core/errors.ts';
import type { AuditEvent, AuditEventInput } from '../../../core/types.ts';
import { verifyChain } from '../../../audit/chain.ts';
import { prepareInput, sealEvent } from '../../../audit/event-record.ts';
import type { BatchInfo } from '../../../audit/group-commit.ts';
import { readAll } from '../../../audit/read-all.ts';
import { SqliteAuditStore } from './store.ts';
import { sampleEventInput } from '../../../audit/store.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-faults-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(root, `faults-${++files}.db`);

function isUnavailable(error: unknown): boolean {
  assert.ok(error instanceof AirlockError);
  assert.equal(error.code, 'ERR_AUDIT_UNAVAILABLE');
  assert.equal(error.status, 503);
  return true;
}

async function assertVerifies(store: SqliteAuditStore, count: number): Promise<void> {
  const result = await verifyChain(readAll(store));
  assert.equal(result.ok, true, JSON.stringify(result.firstBad));
  assert.equal(result.checked, count);
}

for (const writer of ['thread', 'inline'] as const) {
  it(`${writer} writer: a writer lock held elsewhere rejects the batch; the next append chains after the other writer`, async () => {
    const path = freshPath();
    const batches: BatchInfo[] = [];
    const store = SqliteAuditStore.open(path, { writer, lockTimeoutMs: 20, onBatch: (b) => batches.push(b) });
    assert.equal(await store.whenWriterReady(), writer === 'thread');
    const other = new DatabaseSync(path, { timeout: 20 });
    try {
      const [first] = await store.append([sampleEventInput()]);
      assert.ok(first !== undefined);

      other.exec('BEGIN IMMEDIATE');
      const blocked = [store.append([sampleEventInput()]), store.append([sampleEventInput(), sampleEventInput()])];
      for (const p of blocked) await assert.rejects(p, isUnavailable);
      assert.deepEqual(batches.at(-1), { ...batches.at(-1), appends: 2, ok: false });

      // While holding the lock, the other connection appends a correctly chained event.
      const { record } = sealEvent(prepareInput(sampleEventInput({ data: { writer: 'other' } })), {
        seq: 2,
        eventId: 'evt_otherwriter0001',
        ts: new Date().toISOString(),
        prevHash: first.hash,
      });
      other
        .prepare(
          'INSERT INTO events (seq, event_id, ts, type, request_id, action_id, parent_action_id, session_id, trace_id, body, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
        )
        .run(record.seq, record.event_id, record.ts, record.type, record.request_id, record.action_id, record.parent_action_id, record.session_id, record.trace_id, record.body, record.prev_hash, record.hash);
      other.exec('COMMIT');

      const [next] = await store.append([sampleEventInput()]);
      assert.equal(next?.seq, 3);
      assert.equal(next?.prev_hash, record.hash);
      assert.deepEqual(await store.head(), { seq: 3, hash: next?.hash });
      await assertVerifies(store, 3);
    } finally {
      if (other.isTransaction) other.exec('ROLLBACK');
      other.close();
      await store.close();
    }
  });

  it(`${writer} writer: an insert failing mid-batch rolls the whole batch back; nothing of it is written`, async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { writer });
    assert.equal(await store.whenWriterReady(), writer === 'thread');
    const admin = new DatabaseSync(path);
    try {
      await store.append([sampleEventInput(), sampleEventInput()]);
      const headBefore = await store.head();
      admin.exec(`CREATE TRIGGER fail_at_4 BEFORE INSERT ON events WHEN NEW.seq = 4 BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);

      // Three appends in one batch: seq 3 would succeed, seq 4 fails -> all three are refused.
      const results = await Promise.allSettled([
        store.append([sampleEventInput()]),
        store.append([sampleEventInput()]),
        store.append([sampleEventInput()]),
      ]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        isUnavailable(r.reason);
      }
      assert.deepEqual(await store.head(), headBefore);
      assert.equal((await store.read()).length, 2);

      admin.exec('DROP TRIGGER fail_at_4');
      const [a, b] = await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput()])]);
      assert.deepEqual([a?.[0]?.seq, b?.[0]?.seq], [3, 4]);
      assert.equal(a?.[0]?.prev_hash, headBefore?.hash);
      await assertVerifies(store, 4);
    } finally {
      admin.close();
      await store.close();
    }
  });

  it(`${writer} writer: a failed batch leaves the checkpoint at the last committed head`, async () => {
    const path = freshPath();
    const key = new Uint8Array(32).fill(7);
    const store = SqliteAuditStore.open(path, { checkpointKey: key, writer });
    assert.equal(await store.whenWriterReady(), writer === 'thread');
    const admin = new DatabaseSync(path);
    try {
      await store.append([sampleEventInput()]);
      admin.exec(`CREATE TRIGGER fail_all BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'no'); END`);
      await assert.rejects(store.append([sampleEventInput()]), isUnavailable);
      admin.exec('DROP TRIGGER fail_all');
    } finally {
      admin.close();
      await store.close();
    }
    const reopened = SqliteAuditStore.open(path, { checkpointKey: key, writer });
    try {
      assert.equal((await reopened.head())?.seq, 1);
      assert.equal(reopened.stats().checkpointWrites, 0, 'checkpoint already matched the head');
    } finally {
      await reopened.close();
    }
  });

  it(`${writer} writer: a dropped events table fails appends as unavailable and close still succeeds`, async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { writer });
    assert.equal(await store.whenWriterReady(), writer === 'thread');
    const admin = new DatabaseSync(path);
    try {
      await store.append([sampleEventInput()]);
      admin.exec('DROP TABLE events');
      await assert.rejects(store.append([sampleEventInput()]), isUnavailable);
    } finally {
      admin.close();
      await store.close();
    }
  });

  it(`${writer} writer: a writer that dies mid-flight fails its batch; the next append chains on`, async (t) => {
    if (writer === 'inline') {
      t.skip('no writer thread');
      return;
    }
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { writer, lockTimeoutMs: 300 });
    const other = new DatabaseSync(path);
    try {
      assert.equal(await store.whenWriterReady(), true);
      await store.append([sampleEventInput()]);
      // Hold the write lock so the batch stays in flight inside the writer, then kill the writer.
      other.exec('BEGIN IMMEDIATE');
      const doomed = store.append([sampleEventInput()]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.crashWriterForTest();
      await assert.rejects(doomed, isUnavailable);
      other.exec('ROLLBACK');
      const [next] = await store.append([sampleEventInput()]);
      assert.equal(store.stats().writerStarts, 2, 'a new writer thread was started');
      assert.equal(await store.whenWriterReady(), true);
      const [after] = await store.append([sampleEventInput()]);
      assert.equal(after?.seq, 3);
      assert.equal(next?.seq, 2);
      await assertVerifies(store, 3);
    } finally {
      if (other.isTransaction) other.exec('ROLLBACK');
      other.close();
      await store.close();
    }
  });
}

for (const writer of ['thread', 'inline', 'auto'] as const) {
  it(`${writer} writer: waiting for a lock held elsewhere never blocks the event loop; refused at lockTimeoutMs, accepted after release`, async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { writer, lockTimeoutMs: 300 });
    assert.equal(await store.whenWriterReady(), writer !== 'inline');
    const locker = new DatabaseSync(path);
    try {
      await store.append([sampleEventInput()]);
      locker.exec('BEGIN EXCLUSIVE');
      // Timers keep running while the appends wait: a 1 ms interval ticks again and again before any refusal.
      let ticks = 0;
      const interval = setInterval(() => ticks++, 1);
      const settled: Array<{ outcome: string; ticks: number }> = [];
      const waits = [store.append([sampleEventInput()]), ...(writer === 'inline' ? [] : [store.append([sampleEventInput()])])].map((p) =>
        p.then(
          () => settled.push({ outcome: 'acknowledged', ticks }),
          (error: unknown) => settled.push({ outcome: isUnavailable(error) ? 'refused' : 'other', ticks }),
        ),
      );
      try {
        await Promise.all(waits);
      } finally {
        clearInterval(interval);
      }
      assert.deepEqual(settled.map((s) => s.outcome), waits.map(() => 'refused'), 'refused while the lock is still held');
      assert.ok(Math.min(...settled.map((s) => s.ticks)) >= 2, `timer ticks before the refusals: ${JSON.stringify(settled)}`);
      locker.exec('ROLLBACK');
      const [next] = await store.append([sampleEventInput()]);
      assert.equal(next?.seq, 2);
      await assertVerifies(store, 2);
    } finally {
      if (locker.isTransaction) locker.exec('ROLLBACK');
      locker.close();
      await store.close();
    }
  });
}

/**
 * Two batches in flight on the writer thread (`threadBatchesInFlight: 2`: the second posted while the first commits). The
 * other connection's write lock keeps the first one waiting inside the writer, so both are
 * handed over before either commits; counted by the store, not timed.
 */
async function twoBatchesInFlight(store: SqliteAuditStore, first: AuditEventInput[], second: AuditEventInput[]): Promise<[Promise<AuditEvent[]>, Promise<AuditEvent[]>]> {
  const inFlight = async (n: number) => {
    for (let turn = 0; store.stats().batchesInFlight < n; turn++) {
      assert.ok(turn < 10_000, `never ${n} batches in flight`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const a = store.append(first);
  a.catch(() => undefined); // judged by the caller
  await inFlight(1);
  const b = store.append(second);
  b.catch(() => undefined);
  await inFlight(2);
  assert.equal(store.stats().batchesInFlight, 2);
  assert.equal(store.stats().threadBatches, 3, 'both on the writer thread');
  return [a, b];
}

it('thread writer: dies with two batches in flight: both are refused, nothing acknowledged is lost, the next append chains on', async () => {
  const path = freshPath();
  const store = SqliteAuditStore.open(path, { writer: 'thread', threadBatchesInFlight: 2, lockTimeoutMs: 300 });
  const other = new DatabaseSync(path);
  try {
    assert.equal(await store.whenWriterReady(), true);
    const [acknowledged] = await store.append([sampleEventInput()]);
    other.exec('BEGIN IMMEDIATE');
    const [a, b] = await twoBatchesInFlight(store, [sampleEventInput()], [sampleEventInput(), sampleEventInput()]);
    await store.crashWriterForTest();
    await assert.rejects(a, isUnavailable);
    await assert.rejects(b, isUnavailable);
    assert.equal(store.stats().batchesInFlight, 0);
    other.exec('ROLLBACK');
    const [next] = await store.append([sampleEventInput()]);
    assert.equal(store.stats().writerStarts, 2, 'a new writer thread was started');
    assert.equal(next?.seq, 2);
    assert.equal(next?.prev_hash, acknowledged?.hash);
    assert.deepEqual((await store.read()).map((e) => e.seq), [1, 2]);
    await assertVerifies(store, 2);
  } finally {
    if (other.isTransaction) other.exec('ROLLBACK');
    other.close();
    await store.close();
  }
});

it('thread writer: the first of two batches in flight fails: it is refused, the second chains onto the last committed event (no gap)', async () => {
  const path = freshPath();
  const store = SqliteAuditStore.open(path, { writer: 'thread', threadBatchesInFlight: 2, lockTimeoutMs: 2000 });
  const other = new DatabaseSync(path);
  try {
    assert.equal(await store.whenWriterReady(), true);
    const [acknowledged] = await store.append([sampleEventInput()]);
    other.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.request_id = 'req_poison' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    other.exec('BEGIN IMMEDIATE');
    const [a, b] = await twoBatchesInFlight(store, [sampleEventInput(), sampleEventInput({ request_id: 'req_poison' })], [sampleEventInput(), sampleEventInput()]);
    other.exec('ROLLBACK'); // the writer takes the lock: the first batch aborts, the second commits
    await assert.rejects(a, isUnavailable);
    const second = await b;
    assert.deepEqual(second.map((e) => e.seq), [2, 3]);
    assert.equal(second[0]?.prev_hash, acknowledged?.hash, 'chained onto the last committed event, not the refused batch');
    assert.deepEqual(await store.head(), { seq: 3, hash: second[1]?.hash });
    assert.deepEqual((await store.read()).map((e) => e.request_id), [acknowledged?.request_id, second[0]?.request_id, second[1]?.request_id]);
    await assertVerifies(store, 3);
    // The store carries on after it.
    const [next] = await store.append([sampleEventInput()]);
    assert.equal(next?.seq, 4);
    await assertVerifies(store, 4);
  } finally {
    if (other.isTransaction) other.exec('ROLLBACK');
    other.close();
    await store.close();
  }
});

it('thread writer: the second of two batches in flight fails: the first is acknowledged, the second refused, the checkpoint stays at the first', async () => {
  const path = freshPath();
  const key = new Uint8Array(32).fill(9);
  const store = SqliteAuditStore.open(path, { writer: 'thread', threadBatchesInFlight: 2, lockTimeoutMs: 2000, checkpointKey: key });
  const other = new DatabaseSync(path);
  try {
    assert.equal(await store.whenWriterReady(), true);
    await store.append([sampleEventInput()]);
    other.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.request_id = 'req_poison' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    other.exec('BEGIN IMMEDIATE');
    const [a, b] = await twoBatchesInFlight(store, [sampleEventInput()], [sampleEventInput({ request_id: 'req_poison' })]);
    other.exec('ROLLBACK');
    const first = await a;
    await assert.rejects(b, isUnavailable);
    assert.equal(first[0]?.seq, 2);
    assert.deepEqual(await store.head(), { seq: 2, hash: first[0]?.hash });
    const checkpoint = await store.checkpoint();
    assert.equal(checkpoint?.seq, 2);
    assert.equal((await verifyChain(readAll(store), { checkpoint })).ok, true);
  } finally {
    if (other.isTransaction) other.exec('ROLLBACK');
    other.close();
    await store.close();
  }
});

it('thread writer: by default one batch at a time is with the thread; the next waits in the queue and commits after it', async () => {
  const path = freshPath();
  const store = SqliteAuditStore.open(path, { writer: 'thread', lockTimeoutMs: 2000 });
  const other = new DatabaseSync(path);
  try {
    assert.equal(await store.whenWriterReady(), true);
    await store.append([sampleEventInput()]);
    other.exec('BEGIN IMMEDIATE');
    const a = store.append([sampleEventInput()]);
    for (let turn = 0; store.stats().batchesInFlight < 1; turn++) {
      assert.ok(turn < 10_000, 'never in flight');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const b = store.append([sampleEventInput(), sampleEventInput()]);
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([store.stats().batchesInFlight, store.stats().pendingEvents], [1, 2], 'the second batch waits for the first');
    other.exec('ROLLBACK');
    assert.deepEqual((await a).map((e) => e.seq), [2]);
    assert.deepEqual((await b).map((e) => e.seq), [3, 4]);
    await assertVerifies(store, 4);
  } finally {
    if (other.isTransaction) other.exec('ROLLBACK');
    other.close();
    await store.close();
  }
});
