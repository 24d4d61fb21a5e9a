/**
 * readAll: pages through a store in seq order, and when a page holds a corrupt row still
 * yields the good rows before it, so verification names the first bad event.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AuditEvent } from '../core/types.ts';
import { verifyChain } from './chain.ts';
import { MemoryAuditStore } from './memory-store.ts';
import { readAll } from './read-all.ts';
import { sampleEventInput } from './store.contract.ts';

async function collect(source: AsyncIterable<AuditEvent>): Promise<number[]> {
  const seqs: number[] = [];
  for await (const e of source) seqs.push(e.seq);
  return seqs;
}

it('pages through the whole log from any seq', async () => {
  const store = new MemoryAuditStore();
  for (let i = 0; i < 11; i++) await store.append([sampleEventInput()]);
  assert.deepEqual(await collect(readAll(store, { pageSize: 3 })), Array.from({ length: 11 }, (_, i) => i + 1));
  assert.deepEqual(await collect(readAll(store, { pageSize: 5, fromSeq: 9 })), [9, 10, 11]);
  assert.deepEqual(await collect(readAll(new MemoryAuditStore())), []);
});

it('yields the good rows of a page before its corrupt row, then throws', async () => {
  const store = new MemoryAuditStore();
  for (let i = 0; i < 8; i++) await store.append([sampleEventInput()]);
  store.replaceRecords(store.records().map((r) => (r.seq === 6 ? { ...r, body: r.body.slice(1) } : r)));
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const e of readAll(store, { pageSize: 4 })) seen.push(e.seq);
    })(),
    { code: 'ERR_AUDIT_CORRUPT' },
  );
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  const result = await verifyChain(readAll(store, { pageSize: 4 }));
  assert.deepEqual([result.ok, result.checked, result.firstBad?.seq, result.firstBad?.reason], [false, 5, 6, 'malformed']);
});
