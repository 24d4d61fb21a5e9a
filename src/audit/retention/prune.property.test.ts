/**
 * Property tests of pruning (memory store, real chain): random logs, random policies and
 * several prune runs -> the log still verifies and every tombstone is counted; then any
 * tampering with a tombstone, with a prune record, or a tombstone written without a record is
 * reported by verifyChain at the right seq.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { JsonValue } from '../../core/canonical.ts';
import { ManualClock } from '../../core/clock.ts';
import type { AuditEventInput } from '../../core/types.ts';
import { verifyChain } from '../chain.ts';
import type { StoredEventRecord } from '../event-record.ts';
import { canonicalJson } from '../fast-canonical.ts';
import { MemoryAuditStore } from '../memory-store.ts';
import { readAll } from '../read-all.ts';
import { DATA_CLASSES, tombstoneOf } from './classes.ts';
import type { DataClass } from './classes.ts';
import { DAY_MS } from './policy.ts';
import type { RetentionPolicy } from './policy.ts';
import { pruneAudit } from './prune.ts';

const RUNS = { numRuns: 120 };
const START = Date.parse('2026-01-01T00:00:00.000Z');
const text = fc.string({ minLength: 1, maxLength: 8 });

const inputArb: fc.Arbitrary<AuditEventInput> = fc.record({
  type: fc.constantFrom('decision', 'intent', 'result', 'approval.requested'),
  request_id: text,
  trace_id: text,
  session_id: fc.option(text, { nil: null }),
  action_id: fc.option(text, { nil: null }),
  parent_action_id: fc.constant(null),
  actor: fc.record({ user: fc.option(text, { nil: null }), tenant: fc.option(text, { nil: null }), roles: fc.array(text, { maxLength: 2 }), agent: fc.constant(null) }),
  args_summary: fc.option(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, { nil: undefined }),
  data: fc.option(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, { nil: undefined }),
  decision: fc.option(fc.record({ outcome: fc.constantFrom('allow', 'deny'), intent: fc.record({ hash: fc.constant('h'), preview: text }) }) as fc.Arbitrary<JsonValue>, { nil: undefined }),
});

const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
  classes: fc.dictionary(fc.constantFrom(...DATA_CLASSES), fc.record({ maxAgeDays: fc.integer({ min: 0, max: 12 }) })) as fc.Arbitrary<RetentionPolicy['classes']>,
  events: fc.array(fc.record({ type: fc.constantFrom('intent', 'result'), maxAgeDays: fc.integer({ min: 0, max: 12 }) }), { maxLength: 1 }),
});

/** A log of `inputs`, one event per day (several per append), pruned by each policy in turn, one day apart. */
async function prunedLog(inputs: AuditEventInput[], policies: RetentionPolicy[], batchSize: number): Promise<{ store: MemoryAuditStore; clock: ManualClock }> {
  const clock = new ManualClock(START);
  const store = new MemoryAuditStore({ clock });
  for (const input of inputs) {
    await store.append([input]);
    clock.advance(DAY_MS);
  }
  for (const policy of policies) {
    await pruneAudit(store, { policy, now: clock.now(), by: 'test', batchSize });
    await store.append([{ ...(inputs[0] as AuditEventInput) }]);
    clock.advance(DAY_MS);
  }
  return { store, clock };
}

const logArb = fc.record({
  inputs: fc.array(inputArb, { minLength: 1, maxLength: 14 }),
  policies: fc.array(policyArb, { minLength: 1, maxLength: 3 }),
  batchSize: fc.integer({ min: 1, max: 5 }),
});

const isTomb = (r: StoredEventRecord): boolean => 'pruned' in (JSON.parse(r.body) as object);

describe('pruning keeps the chain verifiable (property)', () => {
  it('random logs and prune runs verify, and every tombstone is accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, async ({ inputs, policies, batchSize }) => {
        const { store } = await prunedLog(inputs, policies, batchSize);
        const result = await verifyChain(readAll(store));
        const tombs = store.records().filter(isTomb).length;
        assert.equal(result.ok, true, JSON.stringify(result.firstBad));
        assert.equal(result.pruned ?? 0, tombs);
      }),
      RUNS,
    );
  });

  it('a tombstone edited in any way (kept field, mark, removed field put back) is reported at its seq', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), fc.constantFrom('tenant', 'mark', 'restore', 'drop-type-field'), async ({ inputs, policies, batchSize }, pick, how) => {
        const { store } = await prunedLog(inputs, policies, batchSize);
        const records = store.records();
        const tombs = records.filter(isTomb);
        fc.pre(tombs.length > 0);
        const victim = tombs[pick % tombs.length] as StoredEventRecord;
        const body = JSON.parse(victim.body) as Record<string, unknown> & { actor: Record<string, unknown>; pruned: { by: number; classes: string[] } };
        if (how === 'tenant') body.actor = { ...body.actor, tenant: `${String(body.actor.tenant)}x` };
        else if (how === 'mark') body.pruned = { ...body.pruned, by: body.pruned.by + 1 };
        else if (how === 'restore') body.leaked = 'personal data';
        else body.phase_timings = { forged: 1 };
        victim.body = canonicalJson(body);
        store.replaceRecords(records.map((r) => (r.seq === victim.seq ? victim : r)));
        const result = await verifyChain(readAll(store));
        assert.equal(result.ok, false);
        assert.equal(result.firstBad?.seq, victim.seq);
        assert.match(result.firstBad?.reason ?? '', /^prune_(mismatch|unrecorded)$/);
      }),
      RUNS,
    );
  });

  it("a tombstone's original hash swapped (with the next event's link moved along) is reported", async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), async ({ inputs, policies, batchSize }, pick) => {
        const { store } = await prunedLog(inputs, policies, batchSize);
        const records = store.records();
        const tombs = records.filter(isTomb);
        fc.pre(tombs.length > 0);
        const victim = tombs[pick % tombs.length] as StoredEventRecord;
        const forged = `sha256:${'f'.repeat(64)}`;
        const next = records.find((r) => r.seq === victim.seq + 1) as StoredEventRecord;
        const relinked = { ...next, prev_hash: forged, body: canonicalJson({ ...(JSON.parse(next.body) as object), prev_hash: forged }) };
        store.replaceRecords(records.map((r) => (r.seq === victim.seq ? { ...victim, hash: forged } : r.seq === next.seq ? relinked : r)));
        const result = await verifyChain(readAll(store));
        assert.equal(result.ok, false);
        assert.ok((result.firstBad?.seq ?? 0) >= victim.seq, JSON.stringify(result.firstBad));
      }),
      RUNS,
    );
  });

  it('an edited prune record is reported (its own hash no longer matches)', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), async ({ inputs, policies, batchSize }, pick) => {
        const { store } = await prunedLog(inputs, policies, batchSize);
        const records = store.records();
        const prunes = records.filter((r) => r.type === 'audit.pruned');
        fc.pre(prunes.length > 0);
        const victim = prunes[pick % prunes.length] as StoredEventRecord;
        const body = JSON.parse(victim.body) as { prune: { targets: [number, string, string][] } };
        body.prune.targets = body.prune.targets.slice(1);
        victim.body = canonicalJson(body);
        store.replaceRecords(records.map((r) => (r.seq === victim.seq ? victim : r)));
        const result = await verifyChain(readAll(store));
        assert.equal(result.ok, false);
        assert.equal(result.firstBad?.reason, 'hash_mismatch');
        assert.equal(result.firstBad?.seq, victim.seq);
      }),
      RUNS,
    );
  });

  it('a tombstone written without a record (pruning outside the prune path) is reported', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), fc.constantFrom(...DATA_CLASSES), fc.boolean(), async ({ inputs, policies, batchSize }, pick, cls: DataClass, existing) => {
        const { store } = await prunedLog(inputs, policies, batchSize);
        const records = store.records();
        const intact = records.filter((r) => !isTomb(r) && r.type !== 'audit.pruned');
        fc.pre(intact.length > 0);
        const victim = intact[pick % intact.length] as StoredEventRecord;
        // Naming a real prune record after it when there is one, else one past the head.
        const record = records.find((r) => r.type === 'audit.pruned' && r.seq > victim.seq);
        const by = existing && record !== undefined ? record.seq : (records.at(-1) as StoredEventRecord).seq + 1;
        const event = { ...(JSON.parse(victim.body) as Record<string, unknown>), hash: victim.hash };
        victim.body = canonicalJson(tombstoneOf(event, [cls], by));
        store.replaceRecords(records.map((r) => (r.seq === victim.seq ? victim : r)));
        const result = await verifyChain(readAll(store));
        assert.equal(result.ok, false);
        assert.equal(result.firstBad?.seq, victim.seq);
        assert.equal(result.firstBad?.reason, 'prune_unrecorded');
      }),
      RUNS,
    );
  });
});
