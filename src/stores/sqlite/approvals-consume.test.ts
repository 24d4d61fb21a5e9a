/**
 * Atomic consumption against a real SQLite file: 8 concurrent consumers per trial, exactly
 * one succeeds. Once within one event loop (1,000 trials) and once across 8 worker threads,
 * each with its own connection (100 trials), so atomicity holds across connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { isAirlockError } from '../../core/errors.ts';
import { openDurableSqlite } from './open.ts';
import { SqliteApprovalStore } from './approvals.ts';
import { START, TEST_KEY, makeService, pendingRequest, requester, reviewer } from '../../approvals/test-helpers.ts';

const CONSUMERS = 8;

function tempDb() {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-approvals-consume-'));
  return { dir, path: join(dir, 'state.db') };
}

test('1,000 trials of 8 concurrent consumers on one connection: exactly one consumes', async () => {
  const { dir, path } = tempDb();
  const db = openDurableSqlite(path, { area: 'STATE' });
  try {
    const { service, events, store } = makeService(new SqliteApprovalStore(db));
    const outcomes = new Map<string, number>();
    for (let trial = 0; trial < 1000; trial++) {
      const request = pendingRequest();
      await store.create(request);
      await service.approve(reviewer, request.id, 'ok');
      const token = await service.fetchToken(requester, request.id);
      events.length = 0;
      const settled = await Promise.allSettled(
        Array.from({ length: CONSUMERS }, () => service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id })),
      );
      const wins = settled.filter((r) => r.status === 'fulfilled').length;
      assert.equal(wins, 1, `trial ${trial}: ${wins} consumers succeeded`);
      for (const r of settled) {
        const key = r.status === 'fulfilled' ? 'ok' : isAirlockError(r.reason) ? r.reason.code : String(r.reason);
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
      assert.deepEqual(events.map((e) => e.type).sort(), ['approval.consumed', ...Array(CONSUMERS - 1).fill('approval.replay_attempted')]);
      assert.equal((await store.get(request.id))?.state, 'consumed');
    }
    assert.deepEqual(Object.fromEntries(outcomes), { ok: 1000, ERR_APPROVAL_CONSUMED: 7000 });
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('100 trials of 8 consumers in separate worker threads, one connection each: exactly one consumes', async () => {
  const { dir, path } = tempDb();
  const db = openDurableSqlite(path, { area: 'STATE' });
  const gate = new SharedArrayBuffer(4);
  const gateView = new Int32Array(gate);
  const workers = Array.from(
    { length: CONSUMERS },
    () => new Worker(new URL('./approvals-consume.worker.ts', import.meta.url), { workerData: { path, key: TEST_KEY, now: START, gate } }),
  );
  try {
    const { service, store } = makeService(new SqliteApprovalStore(db));
    const outcomes = new Map<string, number>();
    for (let trial = 1; trial <= 100; trial++) {
      const request = pendingRequest();
      await store.create(request);
      await service.approve(reviewer, request.id, 'ok');
      const token = await service.fetchToken(requester, request.id);
      const ready: Promise<unknown>[] = [];
      const done: Promise<string>[] = [];
      for (const worker of workers) {
        ready.push(nextMessage(worker));
        worker.postMessage({ trial, token, actionHash: request.action_hash, principal: requester, session: request.session_id });
      }
      await Promise.all(ready);
      for (const worker of workers) done.push(nextMessage(worker).then((m) => (m as { outcome: string }).outcome));
      Atomics.store(gateView, 0, trial);
      Atomics.notify(gateView, 0);
      const results = await Promise.all(done);
      assert.equal(results.filter((r) => r === 'ok').length, 1, `trial ${trial}: ${results.join(',')}`);
      for (const r of results) outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
      assert.equal((await store.get(request.id))?.state, 'consumed');
    }
    assert.deepEqual(Object.fromEntries(outcomes), { ok: 100, ERR_APPROVAL_CONSUMED: 700 });
  } finally {
    for (const worker of workers) await worker.terminate();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      worker.off('error', onError);
      resolve(m);
    };
    const onError = (e: unknown) => {
      worker.off('message', onMessage);
      reject(e);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}
