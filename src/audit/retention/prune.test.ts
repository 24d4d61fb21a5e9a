/**
 * pruneAudit over the memory store (the chain is real): a body edited after the verification
 * pass is never tombstoned (the batch is refused, nothing written), a store that fails mid-run
 * keeps the batches already committed and the log verifies, maxEvents caps a run, and the
 * record says what was applied.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { verifyChain } from '../chain.ts';
import { signCheckpoint } from '../checkpoint.ts';
import { canonicalJson } from '../fast-canonical.ts';
import { MemoryAuditStore } from '../memory-store.ts';
import { readAll } from '../read-all.ts';
import { sampleEventInput } from '../store.contract.ts';
import { DAY_MS } from './policy.ts';
import type { RetentionPolicy } from './policy.ts';
import { pruneAudit } from './prune.ts';

const ARGS: RetentionPolicy = { classes: { arguments: { maxAgeDays: 0 } }, events: [] };
const later = () => Date.now() + DAY_MS;
const key = new Uint8Array(32).fill(5);

it('prune: a body edited after verification is refused, not tombstoned', async () => {
  const store = new MemoryAuditStore();
  await store.append([sampleEventInput(), sampleEventInput()]);
  const before = store.records();
  await assert.rejects(
    pruneAudit(store, {
      policy: ARGS,
      now: later(),
      by: 'test',
      onProgress: (p) => {
        if (p.phase !== 'verified') return;
        // Someone rewrites event 2 (keeping its hash column) between the passes.
        store.replaceRecords(before.map((r) => (r.seq === 2 ? { ...r, body: canonicalJson({ ...JSON.parse(r.body), args_summary: { x: 'forged' } }) } : r)));
      },
    }),
    { code: 'ERR_AUDIT_PRUNE_CONFLICT' },
  );
  assert.equal((await store.read()).length, 2, 'no record was written');
  assert.equal(store.records()[0]?.body, before[0]?.body);
});

it('prune: a store failing mid-run keeps the committed batches; the log verifies and the next run finishes', async () => {
  const store = new MemoryAuditStore();
  await store.append(Array.from({ length: 5 }, () => sampleEventInput()));
  let batches = 0;
  await assert.rejects(
    pruneAudit(store, {
      policy: ARGS,
      now: later(),
      by: 'test',
      batchSize: 2,
      onProgress: (p) => {
        if (p.phase === 'batch' && ++batches === 1) store.setUnavailable(true);
      },
    }),
    { code: 'ERR_AUDIT_UNAVAILABLE' },
  );
  store.setUnavailable(false);
  assert.equal((await verifyChain(readAll(store))).pruned, 2);
  const rest = await pruneAudit(store, { policy: ARGS, now: later(), by: 'test' });
  assert.equal(rest.pruned, 3);
  assert.equal((await verifyChain(readAll(store))).pruned, 5);
});

it('prune: maxEvents caps a run; the record holds the policy, horizons, verified head and its signed checkpoint', async () => {
  const store = new MemoryAuditStore();
  await store.append(Array.from({ length: 4 }, () => sampleEventInput()));
  const head = await store.head();
  const now = later();
  const report = await pruneAudit(store, { policy: ARGS, now, by: 'cli', maxEvents: 3, checkpointKey: key });
  assert.deepEqual([report.due, report.pruned, report.truncated], [3, 3, true]);
  const [record] = await store.read({ fromSeq: 5 });
  const prune = (record as unknown as { prune: Record<string, unknown> }).prune;
  assert.deepEqual(prune.policy, { classes: { arguments: { max_age_days: 0 } }, events: [] });
  assert.deepEqual(prune.horizon, { arguments: new Date(now).toISOString() });
  assert.deepEqual(prune.verified, head);
  assert.deepEqual(prune.checkpoint, signCheckpoint({ ...(head as { seq: number; hash: string }), ts: new Date(now).toISOString() }, key));
  assert.equal(prune.by, 'cli');
  assert.deepEqual((prune.targets as unknown[][]).map((t) => t[0]), [1, 2, 3]);
  assert.equal((await pruneAudit(store, { policy: ARGS, now, by: 'cli' })).pruned, 1);
});
