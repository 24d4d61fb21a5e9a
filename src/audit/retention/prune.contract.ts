/**
 * The prune part of the AuditStore contract (run by runAuditStoreContract for every adapter):
 * a prune leaves a log that verifies, tombstones keep the skeleton and are found (as pruned) by
 * lookups and search, a dry run writes nothing, re-pruning adds classes, a batch whose target
 * changed or whose tombstone is invalid writes nothing, and appends racing a prune keep the chain.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AuditEvent, AuditEventInput } from '../../core/types.ts';
import { verifyChain } from '../chain.ts';
import { canonicalJson } from '../fast-canonical.ts';
import { readAll } from '../read-all.ts';
import type { AuditStore } from '../types.ts';
import { tombstoneOf } from './classes.ts';
import { DAY_MS } from './policy.ts';
import type { RetentionPolicy } from './policy.ts';
import { pruneAudit } from './prune.ts';
import { isPrunable, tombHashOf } from './store.ts';
import type { PrunableAuditStore, PruneBatch } from './store.ts';
import { pruneEventInput } from './record.ts';

export interface PruneContractHarness {
  store: AuditStore;
  dispose?: () => Promise<void>;
}

const ALL: RetentionPolicy = {
  classes: { arguments: { maxAgeDays: 0 }, content: { maxAgeDays: 0 }, identity: { maxAgeDays: 0 }, results: { maxAgeDays: 0 } },
  events: [],
};
const LATER = () => Date.now() + DAY_MS;

async function verifies(store: AuditStore): Promise<{ checked: number; pruned: number }> {
  const result = await verifyChain(readAll(store, { pageSize: 5 }));
  assert.equal(result.ok, true, JSON.stringify(result.firstBad));
  return { checked: result.checked, pruned: result.pruned ?? 0 };
}

async function assertCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code);
    return true;
  });
}

function prunable(store: AuditStore): PrunableAuditStore {
  assert.ok(isPrunable(store), 'every adapter can prune');
  return store;
}

/** A hand-made batch pruning `event`'s arguments (tombstone from `tomb`, default the real one). */
function handBatch(event: AuditEvent, body: string, tomb?: (recordSeq: number) => string): PruneBatch {
  return {
    targets: [{ seq: event.seq, hash: event.hash, body }],
    build(recordSeq) {
      const tombstone = tomb?.(recordSeq) ?? canonicalJson(tombstoneOf(event, ['arguments'], recordSeq));
      return {
        tombstones: [tombstone],
        record: pruneEventInput({ policy: null, horizon: {}, verified: null, checkpoint: null, by: 'test', targets: [[event.seq, event.hash, tombHashOf(tombstone)]] }),
      };
    },
  };
}

const bodyOf = (event: AuditEvent): string => {
  const { hash: _h, ...rest } = event;
  return canonicalJson(rest);
};

export function runPruneContract(make: () => Promise<PruneContractHarness>, sample: (o?: Partial<AuditEventInput>) => AuditEventInput): void {
  const withStore = async (body: (store: PrunableAuditStore) => Promise<void>) => {
    const h = await make();
    try {
      await body(prunable(h.store));
    } finally {
      await h.store.close().catch(() => undefined);
      await h.dispose?.();
    }
  };

  it('prune: removes due classes, keeps the skeleton, and the log still verifies', async () => {
    await withStore(async (store) => {
      const appended = await store.append([
        sample({ data: { note: 'call me at +41 79 000 00 00', ticket: 'T-1' }, decision: { outcome: 'deny', reasons: [{ policy_id: 'no-pii', effect: 'forbid' }], intent: { hash: 'h', preview: 'send it to bob' } } }),
        sample({ type: 'result', data: { rows: ['alice@example.com'], egress: [{ destination: 'https://crm:443', rule: 'crm' }] }, result_code: 'ok' }),
        sample(),
      ]);
      const report = await pruneAudit(store, { policy: ALL, now: LATER(), by: 'test', batchSize: 2 });
      assert.equal(report.pruned, 3);
      assert.equal(report.records.length, 2);
      assert.deepEqual(report.verified, { seq: 3, hash: (appended[2] as AuditEvent).hash });
      const [first, second, third] = await store.read({ limit: 3 });
      assert.deepEqual(first?.pruned, { by: 4, classes: ['arguments', 'content', 'identity'] });
      assert.deepEqual(first?.data, { ticket: 'T-1' }, 'free text removed; other detail kept (class detail is not in the policy)');
      assert.equal(first?.args_summary, undefined);
      assert.equal(first?.actor.user, null);
      assert.equal(first?.actor.tenant, 'acme');
      assert.equal(first?.hash, appended[0]?.hash);
      assert.deepEqual(first?.decision, { outcome: 'deny', reasons: [{ policy_id: 'no-pii', effect: 'forbid' }], intent: { hash: 'h' } });
      assert.deepEqual(second?.pruned, { by: 4, classes: ['arguments', 'identity', 'results'] });
      assert.equal(second?.result_code, 'ok');
      assert.deepEqual(second?.data, { egress: [{ destination: 'https://crm:443', rule: 'crm' }] }, 'what the tool returned removed; boundary telemetry kept');
      assert.deepEqual(third?.pruned, { by: 5, classes: ['arguments', 'identity'] });
      const records = await store.read({ fromSeq: 4 });
      assert.deepEqual(records.map((e) => e.type), ['audit.pruned', 'audit.pruned']);
      assert.deepEqual(await verifies(store), { checked: 5, pruned: 3 });
      // Lookups and search still find the events, as pruned.
      const related = await store.findRelated(appended[0]?.request_id as string);
      assert.deepEqual(related.map((e) => [e.seq, e.pruned !== undefined]), [[1, true]]);
      const byRule = await store.search({ rule: 'no-pii' });
      assert.deepEqual(byRule.events.map((e) => e.seq), [1]);
      assert.deepEqual((await store.search({ user: 'alice' })).events, []);
      // Nothing is due any more.
      assert.equal((await pruneAudit(store, { policy: ALL, now: LATER(), by: 'test' })).due, 0);
    });
  });

  it('prune: a dry run and an empty policy write nothing', async () => {
    await withStore(async (store) => {
      await store.append([sample(), sample()]);
      const before = await store.read();
      const dry = await pruneAudit(store, { policy: ALL, now: LATER(), by: 'test', dryRun: true });
      assert.equal(dry.due, 2);
      assert.equal(dry.byClass.arguments, 2);
      assert.equal(dry.pruned, 0);
      const none = await pruneAudit(store, { policy: { classes: {}, events: [] }, now: LATER(), by: 'test' });
      assert.equal(none.due, 0);
      assert.deepEqual(await store.read(), before);
    });
  });

  it('prune: re-pruning adds classes and still verifies; whole-event rules keep only the skeleton', async () => {
    await withStore(async (store) => {
      await store.append([sample({ data: { x: 1 } }), sample({ type: 'intent', data: { y: 2 } })]);
      await pruneAudit(store, { policy: { classes: { arguments: { maxAgeDays: 0 } }, events: [] }, now: LATER(), by: 'test' });
      await store.append([sample()]);
      await pruneAudit(store, { policy: { classes: { identity: { maxAgeDays: 0 } }, events: [{ type: 'intent', maxAgeDays: 0 }] }, now: LATER(), by: 'test' });
      const [first, second] = await store.read({ limit: 2 });
      assert.deepEqual(first?.pruned, { by: 5, classes: ['arguments', 'identity'] });
      assert.deepEqual(first?.data, { x: 1 });
      assert.deepEqual(second?.pruned, { by: 5, classes: ['arguments', 'detail', 'identity'] });
      assert.equal(second?.data, undefined);
      assert.deepEqual(await verifies(store), { checked: 5, pruned: 3 });
    });
  });

  it('prune: a batch whose target changed since it was planned, or with an invalid tombstone, writes nothing', async () => {
    await withStore(async (store) => {
      const [event] = await store.append([sample()]);
      const target = event as AuditEvent;
      const head = await store.head();
      await assertCode(store.prune(handBatch(target, `${bodyOf(target)} `)), 'ERR_AUDIT_PRUNE_CONFLICT');
      await assertCode(store.prune({ ...handBatch(target, bodyOf(target)), targets: [{ seq: 1, hash: `sha256:${'0'.repeat(64)}`, body: bodyOf(target) }] }), 'ERR_AUDIT_PRUNE_CONFLICT');
      // A tombstone that changes a lineage column, or that does not name its record.
      const moved = (seq: number) => canonicalJson({ ...tombstoneOf(target, ['arguments'], seq), request_id: 'req_other' });
      await assertCode(store.prune(handBatch(target, bodyOf(target), moved)), 'ERR_AUDIT_PRUNE_INVALID');
      await assertCode(store.prune(handBatch(target, bodyOf(target), (seq) => canonicalJson(tombstoneOf(target, ['arguments'], seq + 1)))), 'ERR_AUDIT_PRUNE_INVALID');
      assert.deepEqual(await store.head(), head);
      assert.deepEqual(await store.read(), [target]);
      // The same batch, well formed, goes through.
      const record = await store.prune(handBatch(target, bodyOf(target)));
      assert.equal(record.seq, 2);
      assert.deepEqual(await verifies(store), { checked: 2, pruned: 1 });
    });
  });

  it('prune: appends racing a prune keep one chain', async () => {
    await withStore(async (store) => {
      for (let i = 0; i < 4; i++) await store.append(Array.from({ length: 10 }, () => sample()));
      const racing: Promise<AuditEvent[]>[] = [];
      const report = await pruneAudit(store, {
        policy: ALL,
        now: LATER(),
        by: 'test',
        batchSize: 7,
        onProgress: () => {
          for (let i = 0; i < 3; i++) racing.push(store.append([sample(), sample()]));
        },
      });
      const appended = (await Promise.all(racing)).flat();
      assert.equal(report.pruned, 40);
      assert.equal(appended.length, 42);
      const { checked, pruned } = await verifies(store);
      assert.equal(checked, 40 + 6 + 42);
      assert.equal(pruned, 40);
    });
  });
}
