/** The ShipCursorStore contract, run against every adapter (memory, SQLite, PostgreSQL). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ShipCursorStore } from './types.ts';

export function shipCursorContract(name: string, durable: boolean, open: () => Promise<{ store: ShipCursorStore; reopen?: () => Promise<ShipCursorStore>; close(): Promise<void> }>): void {
  test(`${name}: a new cursor is 0; advance records the seq; names are independent`, async () => {
    const { store, close } = await open();
    try {
      assert.equal(await store.get('siem'), 0);
      await store.advance('siem', 5);
      assert.equal(await store.get('siem'), 5);
      assert.equal(await store.get('other'), 0);
    } finally {
      await close();
    }
  });

  test(`${name}: a cursor never moves back, whatever the order of advances`, async () => {
    const { store, close } = await open();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 20 }), fc.uuid(), async (seqs, id) => {
          const cursor = `c-${id}`;
          for (const seq of seqs) await store.advance(cursor, seq);
          assert.equal(await store.get(cursor), Math.max(...seqs));
        }),
        { numRuns: 25 },
      );
      await Promise.all([store.advance('race', 7), store.advance('race', 3), store.advance('race', 9), store.advance('race', 1)]);
      assert.equal(await store.get('race'), 9);
    } finally {
      await close();
    }
  });

  if (!durable) return;
  test(`${name}: a cursor survives reopening the store`, async () => {
    const { store, reopen, close } = await open();
    try {
      await store.advance('siem', 42);
      assert.ok(reopen !== undefined, 'a durable adapter can be reopened');
      assert.equal(await (await reopen()).get('siem'), 42);
    } finally {
      await close();
    }
  });
}
