/** Contract every KillSwitchStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../core/ids.ts';
import type { KillSwitch, KillSwitchRelease, KillSwitchStore } from './types.ts';

const T0 = 1_700_000_000_000;

export function sampleKillSwitch(overrides: Partial<KillSwitch> = {}): KillSwitch {
  return {
    id: newId('ksw'),
    scope: 'tool',
    target: 'billing.refund',
    tenant: 'acme',
    engaged_by: { user: 'olga', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] },
    justification: 'incident inc-7: refunds sent twice',
    engaged_at: T0,
    ...overrides,
  };
}

export const sampleRelease = (at = T0 + 60_000): KillSwitchRelease => ({
  released_at: at,
  released_by: { user: 'lead', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] },
  release_justification: 'fix deployed',
});

/** `reopen`, when given, closes the store and opens a new one over the same data (durable adapters). */
export function runKillSwitchStoreContract(
  name: string,
  makeStore: () => Promise<KillSwitchStore>,
  reopen?: (store: KillSwitchStore) => Promise<KillSwitchStore>,
): void {
  test(`${name}: a new store is at version 0 with nothing engaged`, async () => {
    const store = await makeStore();
    assert.equal(await store.version(), 0);
    assert.deepEqual(await store.active(), { version: 0, switches: [] });
    assert.deepEqual(await store.list(), []);
  });

  test(`${name}: an engaged switch reads back exactly, and each engage bumps the version by one`, async () => {
    const store = await makeStore();
    const tool = sampleKillSwitch();
    const global = sampleKillSwitch({ scope: 'global', target: '*', tenant: null, engaged_at: T0 + 1 });
    assert.equal(await store.engage(tool), 1);
    assert.equal(await store.engage(global), 2);
    assert.equal(await store.version(), 2);
    assert.deepEqual(await store.get(tool.id), tool);
    assert.deepEqual(await store.get(global.id), global);
    assert.equal(await store.get(newId('ksw')), null);
    assert.deepEqual(await store.active(), { version: 2, switches: [tool, global] });
    assert.deepEqual(await store.list(), [tool, global]);
  });

  test(`${name}: an id cannot be engaged twice, and a refused engage changes nothing`, async () => {
    const store = await makeStore();
    const s = sampleKillSwitch();
    await store.engage(s);
    await assert.rejects(store.engage({ ...s, justification: 'other' }));
    assert.equal((await store.get(s.id))?.justification, s.justification);
    assert.equal(await store.version(), 1);
    await assert.rejects(store.engage({ ...sampleKillSwitch(), ...sampleRelease() }), 'a released record cannot be engaged');
    assert.equal(await store.version(), 1);
    assert.equal((await store.list()).length, 1);
  });

  test(`${name}: release only acts on an engaged switch, keeps the record and bumps the version once`, async () => {
    const store = await makeStore();
    const s = sampleKillSwitch();
    const other = sampleKillSwitch({ engaged_at: T0 + 5 });
    await store.engage(s);
    await store.engage(other);
    const released = await store.release(s.id, sampleRelease());
    assert.deepEqual(released, { ...s, ...sampleRelease() });
    assert.equal(await store.version(), 3);
    assert.equal(await store.release(s.id, sampleRelease(T0 + 120_000)), null, 'already released');
    assert.equal(await store.release(newId('ksw'), sampleRelease()), null, 'unknown id');
    assert.equal(await store.version(), 3, 'a refused release changes nothing');
    assert.deepEqual(await store.get(s.id), { ...s, ...sampleRelease() });
    assert.deepEqual(await store.active(), { version: 3, switches: [other] });
    assert.deepEqual((await store.list()).map((x) => x.id), [s.id, other.id]);
  });

  test(`${name}: of concurrent releases of one switch exactly one wins`, async () => {
    const store = await makeStore();
    const s = sampleKillSwitch();
    await store.engage(s);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.release(s.id, sampleRelease(T0 + 1000 + i))));
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    assert.deepEqual(await store.get(s.id), winners[0]);
    assert.equal(await store.version(), 2);
  });

  test(`${name}: concurrent engages each bump the version (no change is lost)`, async () => {
    const store = await makeStore();
    const versions = await Promise.all(Array.from({ length: 10 }, (_, i) => store.engage(sampleKillSwitch({ engaged_at: T0 + i }))));
    assert.deepEqual([...versions].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const active = await store.active();
    assert.equal(active.version, 10);
    assert.equal(active.switches.length, 10);
  });

  test(`${name}: property: engage/release sequences match a reference model`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant<['engage']>(['engage']), fc.tuple(fc.constant('release' as const), fc.nat(20))), { maxLength: 25 }),
        async (ops) => {
          const store = await makeStore();
          const model = new Map<string, boolean>();
          const ids: string[] = [];
          let version = 0;
          for (const [i, op] of ops.entries()) {
            if (op[0] === 'engage') {
              const s = sampleKillSwitch({ engaged_at: T0 + i });
              ids.push(s.id);
              model.set(s.id, true);
              assert.equal(await store.engage(s), ++version);
            } else {
              const id = ids.length === 0 ? newId('ksw') : (ids[op[1] % ids.length] as string);
              const engaged = model.get(id) === true;
              const result = await store.release(id, sampleRelease(T0 + 100_000 + i));
              assert.equal(result !== null, engaged);
              if (engaged) {
                model.set(id, false);
                version++;
              }
            }
          }
          const active = await store.active();
          assert.equal(active.version, version);
          assert.deepEqual(
            active.switches.map((s) => s.id),
            ids.filter((id) => model.get(id) === true),
          );
          assert.equal((await store.list()).length, ids.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  if (reopen !== undefined) {
    test(`${name}: switches, releases and the version survive a reopen`, async () => {
      const store = await makeStore();
      const a = sampleKillSwitch();
      const b = sampleKillSwitch({ scope: 'session', target: 'ses_abc', engaged_at: T0 + 1 });
      await store.engage(a);
      await store.engage(b);
      await store.release(a.id, sampleRelease());
      const again = await reopen(store);
      assert.equal(await again.version(), 3);
      assert.deepEqual(await again.get(a.id), { ...a, ...sampleRelease() });
      assert.deepEqual(await again.active(), { version: 3, switches: [b] });
    });
  }
}
