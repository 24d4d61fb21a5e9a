/** Property: whatever overrides exist, match returns only an open, same-tenant override covering the call, action scope first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../core/clock.ts';
import type { Principal } from '../core/types.ts';
import { MemoryOverrideStore } from './memory-store.ts';
import { OverrideService } from './service.ts';
import { HASH_A, HASH_B } from './store.contract.ts';
import { overrideState } from './types.ts';

const START = Date.UTC(2026, 0, 1);
const tenants = ['acme', 'globex'] as const;
const hashes = [HASH_A, HASH_B] as const;
const tools = ['billing.refund', 'crm.delete'] as const;

const spec = fc.record({
  tenant: fc.constantFrom(...tenants),
  action: fc.boolean(),
  hash: fc.constantFrom(...hashes),
  tool: fc.constantFrom(...tools),
  ttl: fc.integer({ min: 1, max: 600 }),
  delay: fc.integer({ min: 0, max: 60_000 }),
  revoke: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

test('match never returns a foreign, closed or non-covering override, and prefers the action scope', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(spec, { maxLength: 12 }),
      fc.integer({ min: 0, max: 700_000 }),
      fc.constantFrom(...tenants),
      fc.constantFrom(...hashes),
      fc.constantFrom(...tools),
      async (specs, wait, tenant, actionHash, tool) => {
        const store = new MemoryOverrideStore();
        const clock = new ManualClock(START);
        const service = new OverrideService({ store, clock });
        for (const s of specs) {
          clock.advance(s.delay);
          const op: Principal = { user: 'sec', tenant: s.tenant, roles: ['security-admin'], delegation: [], issuer: 'https://idp.example' };
          const scope = s.action
            ? { kind: 'action' as const, action_hash: s.hash, tenant: s.tenant }
            : { kind: 'tool' as const, tool: s.tool, tenant: s.tenant };
          const created = await service.create(op, { scope, justification: 'drill', ttlSeconds: s.ttl });
          if (s.revoke) await service.revoke(op, created.id, 'drill over');
        }
        clock.advance(wait);
        const now = clock.now();
        const all = [...(await store.list({ tenant: 'acme' })), ...(await store.list({ tenant: 'globex' }))];
        const covering = all.filter(
          (o) =>
            o.scope.tenant === tenant &&
            overrideState(o, now) === 'open' &&
            (o.scope.kind === 'action' ? o.scope.action_hash === actionHash : o.scope.tool === tool),
        );
        const found = await service.match({ tenant, tool, actionHash });
        if (covering.length === 0) {
          assert.equal(found, null);
          return;
        }
        assert.ok(found !== null);
        assert.ok(covering.some((o) => o.id === found.id));
        if (covering.some((o) => o.scope.kind === 'action')) assert.equal(found.scope.kind, 'action');
      },
    ),
    { numRuns: 300 },
  );
});
