/**
 * Several threads, each with its own connection, append to one SQLite audit file at the same
 * time: the head is read inside each writer's transaction, so the result is one unbroken
 * chain and every append's events stay contiguous.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { verifyChain } from '../../../audit/chain.ts';
import { readAll } from '../../../audit/read-all.ts';
import { SqliteAuditStore } from './store.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-mw-'));
after(() => rmSync(root, { recursive: true, force: true }));

const WRITERS = 3;
const barrier = new SharedArrayBuffer(4);

function runWriter(path: string, writer: string, rounds: number): Promise<{ writer: string; events: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./multiwriter.worker.ts', import.meta.url), {
      workerData: { path, writer, rounds, barrier, writers: WRITERS },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`writer ${writer} exited with ${code}`));
    });
  });
}

it('concurrent writers in separate threads produce one valid chain', async (t) => {
  const path = join(root, 'shared.db');
  await SqliteAuditStore.open(path).close();
  const results = await Promise.all([runWriter(path, 'w1', 150), runWriter(path, 'w2', 150), runWriter(path, 'w3', 150)]);
  const total = results.reduce((n, r) => n + r.events, 0);

  const store = SqliteAuditStore.open(path, { readOnly: true });
  try {
    const result = await verifyChain(readAll(store, { pageSize: 100 }));
    assert.equal(result.ok, true, JSON.stringify(result.firstBad));
    assert.equal(result.checked, total);
    // Each append (same request id) occupies consecutive seqs in order of j.
    const byRequest = new Map<string, { seq: number; j: number }[]>();
    for (const e of await store.read()) {
      const list = byRequest.get(e.request_id) ?? [];
      list.push({ seq: e.seq, j: (e.data as { j: number }).j });
      byRequest.set(e.request_id, list);
    }
    assert.equal(byRequest.size, 450);
    const events = await store.read();
    const switches = events.filter((e, i) => i > 0 && e.actor.user !== events[i - 1]?.actor.user).length;
    t.diagnostic(`writer switches along the chain: ${switches}`);
    for (const list of byRequest.values()) {
      list.forEach((x, i) => {
        assert.equal(x.j, i);
        assert.equal(x.seq, (list[0]?.seq ?? 0) + i);
      });
    }
  } finally {
    await store.close();
  }
});
