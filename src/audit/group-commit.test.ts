/**
 * GroupCommitQueue with synchronous and asynchronous commit functions: batching per
 * macrotask, the maxBatch trigger, whole appends per batch, failures rejecting exactly their
 * batch, batches never overlapping, and flush.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../core/types.ts';
import type { PreparedInput } from './event-record.ts';
import { GroupCommitQueue } from './group-commit.ts';
import type { BatchInfo, CommitBatch } from './group-commit.ts';

const input = (n: number): PreparedInput => ({ fields: { n }, wire: {} as PreparedInput['wire'] });

/** A fake commit that numbers events and records the batches it saw. */
function recorder(options: { async?: boolean; failWhen?: (batch: number) => boolean } = {}) {
  let seq = 0;
  let running = 0;
  let maxRunning = 0;
  const batches: number[][] = [];
  const commit: CommitBatch = (appends) => {
    const index = batches.length;
    batches.push(appends.map((a) => a.length));
    const run = (): AuditEvent[][] => {
      if (options.failWhen?.(index) === true) throw new Error(`batch ${index} failed`);
      return appends.map((a) => a.map((i) => ({ ...i.fields, seq: ++seq }) as unknown as AuditEvent));
    };
    if (options.async !== true) return run();
    running++;
    maxRunning = Math.max(maxRunning, running);
    return new Promise((resolve, reject) =>
      setTimeout(() => {
        running--;
        try {
          resolve(run());
        } catch (error) {
          reject(error);
        }
      }, 2),
    );
  };
  return { commit, batches, maxRunning: () => maxRunning };
}

describe('GroupCommitQueue', () => {
  it('a failed commit rejects its append and leaves the queue usable', async () => {
    const r = recorder({ failWhen: (batch) => batch === 0 });
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 100 });
    await assert.rejects(queue.enqueue([input(1)]), /batch 0 failed/);
    assert.deepEqual((await queue.enqueue([input(2)])).map((e) => e.seq), [1]);
  });

  it('commits everything enqueued in one macrotask as one batch', async () => {
    const r = recorder();
    const infos: BatchInfo[] = [];
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 100, onBatch: (i) => infos.push(i) });
    const results = await Promise.all([queue.enqueue([input(1)]), queue.enqueue([input(2), input(3)]), queue.enqueue([input(4)])]);
    assert.deepEqual(r.batches, [[1, 2, 1]]);
    assert.deepEqual(
      results.map((events) => events.map((e) => e.seq)),
      [[1], [2, 3], [4]],
    );
    assert.deepEqual(
      infos.map((i) => [i.appends, i.events, i.ok]),
      [[3, 4, true]],
    );
  });

  it('flushes as soon as maxBatch events are queued, never splitting an append', async () => {
    const r = recorder();
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 4 });
    const first = queue.enqueue([input(1), input(2), input(3)]);
    assert.deepEqual(r.batches, [], 'below maxBatch: waits for the macrotask');
    const second = queue.enqueue([input(4), input(5)]);
    assert.deepEqual(r.batches, [[3], [2]], 'reaching maxBatch commits at once, appends whole');
    const big = queue.enqueue([input(6), input(7), input(8), input(9), input(10), input(11)]);
    assert.deepEqual(r.batches.at(-1), [6]);
    assert.deepEqual(
      (await big).map((e) => e.seq),
      [6, 7, 8, 9, 10, 11],
    );
    await Promise.all([first, second]);
  });

  it('a failed commit rejects exactly the appends of its batch', async () => {
    const r = recorder({ failWhen: (b) => b === 0 });
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 10 });
    const doomed = [queue.enqueue([input(1)]), queue.enqueue([input(2)])];
    for (const p of doomed) await assert.rejects(p, /batch 0 failed/);
    const [ok] = await queue.enqueue([input(3)]);
    assert.equal(ok?.seq, 1);
  });

  it('with an asynchronous commit, batches never overlap and later appends form the next batch', async () => {
    const r = recorder({ async: true });
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 1000 });
    const all: Promise<AuditEvent[]>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) all.push(queue.enqueue([input(i)]));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const seqs = (await Promise.all(all)).flat().map((e) => e.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(r.maxRunning(), 1);
    assert.ok(r.batches.length < 50, `grouped into ${r.batches.length} batches`);
  });

  it('an asynchronous failure rejects its batch and the queue keeps going', async () => {
    const r = recorder({ async: true, failWhen: (b) => b === 0 });
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 1000 });
    const doomed = queue.enqueue([input(1)]);
    await new Promise((resolve) => setImmediate(resolve));
    const later = queue.enqueue([input(2)]);
    await assert.rejects(doomed, /batch 0 failed/);
    assert.equal((await later)[0]?.seq, 1);
  });

  it('flush waits for queued and running commits', async () => {
    const r = recorder({ async: true });
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 1000 });
    let settled = 0;
    for (let i = 0; i < 5; i++) void queue.enqueue([input(i)]).then(() => settled++);
    await queue.flush();
    await Promise.resolve();
    assert.equal(settled, 5);
    assert.equal(queue.pending, 0);
  });

  it('with an asynchronous commit, a large queue is split in halves and the next batch starts before callers wake', async () => {
    const r = recorder({ async: true });
    const order: string[] = [];
    const commit: CommitBatch = (appends, since) => {
      order.push(`commit ${appends.length}`);
      return r.commit(appends, since);
    };
    const queue = new GroupCommitQueue(commit, { maxBatch: 1000 });
    await queue.enqueue([input(0)]); // the committer is now known to be asynchronous
    const all = Array.from({ length: 80 }, (_, i) => queue.enqueue([input(i)]).then(() => order.push(`woke ${i}`)));
    await Promise.all(all);
    assert.deepEqual(r.batches.slice(1), [Array(40).fill(1), Array(40).fill(1)], 'halves, and halves are not split again');
    assert.ok(order.indexOf('commit 40', order.indexOf('commit 40') + 1) < order.indexOf('woke 0'), order.slice(0, 4).join(', '));
    // Small queues are not split.
    await Promise.all(Array.from({ length: 40 }, (_, i) => queue.enqueue([input(i)])));
    assert.equal(r.batches.at(-1)?.length, 40);
  });

  it('with a synchronous commit, the queue is never split', async () => {
    const r = recorder();
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 1000 });
    await queue.enqueue([input(0)]);
    await Promise.all(Array.from({ length: 40 }, (_, i) => queue.enqueue([input(i)])));
    assert.deepEqual(
      r.batches.map((b) => b.length),
      [1, 40],
    );
  });

  it('maxInFlight 2: the next batch is handed over while one commits, never more than two at once, each caller gets its own events', async () => {
    const r = recorder({ async: true });
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 1000, maxInFlight: 2 });
    const all: Promise<AuditEvent[]>[] = [];
    let sawTwo = false;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 3; i++) all.push(queue.enqueue([input(round * 3 + i)]));
      await new Promise((resolve) => setImmediate(resolve));
      sawTwo ||= queue.inFlight === 2;
      assert.ok(queue.inFlight <= 2);
    }
    const events = await Promise.all(all);
    assert.ok(sawTwo, 'a second batch was handed over while the first ran');
    assert.equal(r.maxRunning(), 2);
    // The fake numbers events in commit order: batches were handed over in arrival order.
    assert.deepEqual(
      events.flat().map((e) => e.seq),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      events.map((e) => (e[0] as unknown as { n: number } | undefined)?.n),
      Array.from({ length: 60 }, (_, i) => i),
    );
    await queue.flush();
    assert.equal(queue.inFlight, 0);
  });

  it('maxInFlight 2: a failed batch rejects exactly its appends while the one beside it commits; flush waits for both', async () => {
    const r = recorder({ async: true, failWhen: (b) => b === 1 });
    const queue = new GroupCommitQueue(r.commit, { maxBatch: 1000, maxInFlight: 2 });
    const first = queue.enqueue([input(1)]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(queue.inFlight, 1);
    const doomed = [queue.enqueue([input(2)]), queue.enqueue([input(3)])];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(queue.inFlight, 2);
    const third = queue.enqueue([input(4)]);
    let flushed = false;
    const flushing = queue.flush().then(() => (flushed = true));
    assert.equal((await first)[0]?.seq, 1);
    for (const p of doomed) await assert.rejects(p, /batch 1 failed/);
    assert.equal((await third)[0]?.seq, 2);
    await flushing;
    assert.equal(flushed, true);
    assert.deepEqual(r.batches, [[1], [1, 1], [1]]);
  });
});
