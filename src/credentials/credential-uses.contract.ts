/**
 * Contract every CredentialUseStore adapter must meet (one-time credentials are accepted
 * once, also concurrently through several handles and across a restart of a durable
 * adapter); run by each adapter's test file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CredentialUseStore } from './types.ts';

const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z, epoch seconds

export interface CredentialUseHarness {
  /** An empty store. */
  store: CredentialUseStore;
  /** Another handle on the same storage: a second connection / pool / replica (the memory adapter: itself). */
  another(): Promise<CredentialUseStore>;
  /** Closes every handle and opens the storage again; absent for an adapter that does not survive a restart. */
  restart?: () => Promise<CredentialUseStore>;
  /** Releases what the harness opened. */
  close?: () => Promise<void>;
}

export interface CredentialUseContractOptions {
  /** fast-check runs of the concurrency property (each run issues up to 24 uses). */
  propertyRuns?: number;
}

const REPLAYED = { code: 'ERR_CREDENTIAL_REPLAYED', status: 401 };

/** Lets other pending work run `turns` times (varies the interleaving of concurrent calls). */
async function yieldTurns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function runCredentialUseStoreContract(
  name: string,
  makeHarness: () => Promise<CredentialUseHarness>,
  options: CredentialUseContractOptions = {},
): void {
  const withHarness = (title: string, body: (h: CredentialUseHarness) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const harness = await makeHarness();
      try {
        await body(harness);
      } finally {
        await harness.close?.();
      }
    });

  withHarness('a jti is accepted once; every later use is refused as a replay, even past its expiry until purged', async ({ store }) => {
    await store.use('jti_a', NOW + 60, NOW);
    await assert.rejects(store.use('jti_a', NOW + 60, NOW), REPLAYED);
    await assert.rejects(store.use('jti_a', NOW + 60, NOW + 30), REPLAYED);
    await assert.rejects(store.use('jti_a', NOW + 60, NOW + 600), REPLAYED, 'an unpurged entry still counts');
    await store.use('jti_b', NOW + 60, NOW);
    await store.use('jti_a ', NOW + 60, NOW); // another jti, however close
  });

  withHarness('purge drops only the entries that expired before the given time', async ({ store }) => {
    await store.use('jti_a', NOW + 10, NOW);
    await store.use('jti_b', NOW + 20, NOW);
    assert.equal(await store.purge(NOW + 10), 0, 'expiring now is not expired yet');
    assert.equal(await store.purge(NOW + 11), 1);
    await assert.rejects(store.use('jti_b', NOW + 20, NOW + 11), REPLAYED);
    await store.use('jti_a', NOW + 10, NOW + 5); // dropped: recorded anew
    assert.equal(await store.purge(NOW + 21), 2);
    assert.equal(await store.purge(NOW + 21), 0);
  });

  withHarness('concurrent uses of one jti through two handles: exactly one is accepted', async (h) => {
    const other = await h.another();
    const outcomes = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? h.store : other).use('jti_race', NOW + 60, NOW)));
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as { code?: string }).code, 'ERR_CREDENTIAL_REPLAYED');
    await assert.rejects(other.use('jti_race', NOW + 60, NOW), REPLAYED);
  });

  withHarness('property: whatever the interleaving of uses on two handles, each jti is accepted exactly once', async (h) => {
    const handles = [h.store, await h.another()];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ handle: fc.integer({ min: 0, max: 1 }), jti: fc.integer({ min: 0, max: 4 }), turns: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 24,
        }),
        async (ops) => {
          const prefix = `run${run++}_`;
          const outcomes = await Promise.allSettled(
            ops.map(async (op) => {
              await yieldTurns(op.turns);
              await (handles[op.handle] as CredentialUseStore).use(prefix + op.jti, NOW + 60, NOW);
              return op.jti;
            }),
          );
          const accepted = new Map<number, number>();
          for (const o of outcomes) {
            if (o.status === 'fulfilled') accepted.set(o.value, (accepted.get(o.value) ?? 0) + 1);
            else assert.equal((o.reason as { code?: string }).code, 'ERR_CREDENTIAL_REPLAYED');
          }
          for (const jti of new Set(ops.map((op) => op.jti))) assert.equal(accepted.get(jti), 1, `jti ${jti} accepted once`);
        },
      ),
      { numRuns: options.propertyRuns ?? 50 },
    );
  });

  withHarness('a restart keeps every recorded use (durable adapters)', async (h) => {
    if (h.restart === undefined) {
      assert.equal(name, 'memory', 'only the memory adapter may forget its uses on restart');
      return;
    }
    await h.store.use('jti_a', NOW + 60, NOW);
    await h.store.use('jti_old', NOW + 1, NOW);
    const reopened = await h.restart();
    await assert.rejects(reopened.use('jti_a', NOW + 60, NOW + 1), REPLAYED);
    assert.equal(await reopened.purge(NOW + 2), 1);
    await reopened.use('jti_b', NOW + 60, NOW + 2);
    await assert.rejects(reopened.use('jti_b', NOW + 60, NOW + 2), REPLAYED);
  });
}
