/**
 * The signed checkpoint file written by the writer thread: the same file (format, mode,
 * signature) as on the event loop, current after checkpoint() and close(), a failed write
 * reported, and a write the thread cannot answer done on the event loop instead.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyChain } from '../../../audit/chain.ts';
import { readCheckpoint, readCheckpointFile, signCheckpoint, verifyCheckpointSignature } from '../../../audit/checkpoint.ts';
import type { Checkpoint } from '../../../audit/checkpoint.ts';
import { readAll } from '../../../audit/read-all.ts';
import { sampleEventInput } from '../../../audit/store.contract.ts';
import { SqliteAuditStore } from './store.ts';
import { WorkerBatchWriter } from './writer-client.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-checkpoint-thread-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(root, `audit-${++files}`, 'audit.db');
const key = randomBytes(32);

/** The bytes writeCheckpointFile writes for a checkpoint. */
const fileText = (c: Checkpoint): string => `${JSON.stringify({ seq: c.seq, hash: c.hash, ts: c.ts, mac: c.mac }, null, 2)}\n`;
const temps = (path: string): string[] => readdirSync(dirname(path)).filter((name) => name.endsWith('.tmp'));

async function untilErrors(store: SqliteAuditStore, count: number): Promise<void> {
  while (store.stats().checkpointErrors < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('sqlite audit store: the checkpoint file on the writer thread', () => {
  for (const writer of ['thread', 'auto'] as const) {
    it(`${writer} writer: the thread writes the file; it verifies, follows the head, and is current after close`, async () => {
      const path = freshPath();
      // An interval far longer than the test: after the first write only checkpoint() and close() write.
      const store = SqliteAuditStore.open(path, { checkpointKey: key, writer, checkpointIntervalMs: 60_000 });
      assert.equal(await store.whenWriterReady(), true);
      const atOpen = store.stats().checkpointWrites;
      await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput(), sampleEventInput()])]);
      const live = await store.checkpoint();
      const head = await store.head();
      assert.deepEqual(live && { seq: live.seq, hash: live.hash }, head);
      for (let i = 0; i < 5; i++) await Promise.all([store.append([sampleEventInput()]), store.append([sampleEventInput()])]);
      const last = await store.head();
      await store.close();
      const stats = store.stats();
      assert.ok(stats.checkpointWrites > atOpen);
      assert.equal(stats.threadCheckpointWrites, stats.checkpointWrites - atOpen, 'every write after open went by the thread');
      assert.equal(stats.checkpointErrors, 0);
      const checkpoint = readCheckpoint(path, key);
      assert.ok(checkpoint !== null);
      assert.deepEqual({ seq: checkpoint.seq, hash: checkpoint.hash }, last, 'close() wrote the last head');
      assert.equal(readFileSync(`${path}.checkpoint`, 'utf8'), fileText(checkpoint), 'same file format');
      assert.equal(statSync(`${path}.checkpoint`).mode & 0o777, 0o600);
      assert.deepEqual(temps(path), []);
      const reopened = SqliteAuditStore.open(path, { checkpointKey: key, writer });
      try {
        assert.equal(reopened.stats().checkpointWrites, 0, 'the checkpoint already matched the head');
        assert.equal((await verifyChain(readAll(reopened), { checkpoint })).ok, true);
      } finally {
        await reopened.close();
      }
    });
  }

  it('inline writer: the file is written on the event loop as before, never by a thread', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { checkpointKey: key, writer: 'inline' });
    await store.append([sampleEventInput()]);
    await store.close();
    assert.ok(store.stats().checkpointWrites >= 1);
    assert.equal(store.stats().threadCheckpointWrites, 0);
    assert.equal(readCheckpoint(path, key)?.seq, 1);
  });

  it('thread writer: a failed write is reported through onCheckpointError and counted; the events stay committed', async () => {
    const path = freshPath();
    const reported: unknown[] = [];
    const store = SqliteAuditStore.open(path, { checkpointKey: key, writer: 'thread', onCheckpointError: (error) => reported.push(error) });
    try {
      assert.equal(await store.whenWriterReady(), true);
      // A directory in the file's place: the rename onto it fails (also for root).
      rmSync(`${path}.checkpoint`);
      mkdirSync(`${path}.checkpoint`);
      writeFileSync(join(`${path}.checkpoint`, 'keep'), '');
      const [event] = await store.append([sampleEventInput()]);
      assert.equal(event?.seq, 1, 'the event is committed and acknowledged');
      await untilErrors(store, 1);
      assert.equal(reported.length, 1);
      assert.ok(reported[0] instanceof Error);
      assert.match(String((reported[0] as NodeJS.ErrnoException).code), /^E[A-Z]+$/, 'the cause comes back from the thread');
      assert.equal(store.stats().threadCheckpointWrites, 0);
      assert.deepEqual(temps(path), [], 'the failed write removed its temp file');
      // Once the file can be written again, the next head is.
      rmSync(`${path}.checkpoint`, { recursive: true });
      await store.append([sampleEventInput()]);
      const checkpoint = await store.checkpoint();
      assert.equal(checkpoint?.seq, 2);
      assert.equal(store.stats().threadCheckpointWrites, 1);
    } finally {
      await store.close();
    }
  });

  it('thread writer: after the thread died the checkpoint is still written and current', async () => {
    const path = freshPath();
    const store = SqliteAuditStore.open(path, { checkpointKey: key, writer: 'thread' });
    try {
      assert.equal(await store.whenWriterReady(), true);
      await store.append([sampleEventInput()]);
      await store.crashWriterForTest();
      await store.append([sampleEventInput()]);
      assert.equal((await store.checkpoint())?.seq, 2);
    } finally {
      await store.close();
    }
    assert.equal(readCheckpoint(path, key)?.seq, 2);
  });

  it('WorkerBatchWriter.writeCheckpoint: true once written, false (never a hang) when the thread ends or is closed', async () => {
    const path = freshPath();
    await SqliteAuditStore.open(path).close(); // the schema
    const file = `${path}.checkpoint`;
    const writer = new WorkerBatchWriter(path);
    assert.equal(await writer.writeCheckpoint(file, signCheckpoint({ seq: 0, hash: 'sha256:0', ts: new Date().toISOString() }, key)), false, 'not ready yet');
    assert.equal(await writer.whenReady(), true);
    const first = signCheckpoint({ seq: 1, hash: `sha256:${'a'.repeat(64)}`, ts: new Date().toISOString() }, key);
    assert.equal(await writer.writeCheckpoint(file, first), true);
    assert.deepEqual(readCheckpointFile(file), first);
    assert.equal(verifyCheckpointSignature(readCheckpointFile(file), key), true);
    const second = signCheckpoint({ seq: 2, hash: `sha256:${'b'.repeat(64)}`, ts: new Date().toISOString() }, key);
    const [answer] = await Promise.all([writer.writeCheckpoint(file, second), writer.crashForTest()]);
    assert.equal(typeof answer, 'boolean');
    if (answer) assert.deepEqual(readCheckpointFile(file), second);
    await writer.close();
    assert.equal(await writer.writeCheckpoint(file, second), false, 'closed');
  });
});
