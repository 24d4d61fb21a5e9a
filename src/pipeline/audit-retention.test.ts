/**
 * The serve-side prune schedule over a real (memory) audit store: off without
 * schedule_minutes, prunes on each tick when set (recorded as `scheduler`), and reports a run
 * that fails (a log that does not verify) without stopping the next one.
 */
import assert from 'node:assert/strict';
import { it, mock } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import type { AirlockConfig } from '../config/types.ts';
import { verifyChain } from '../audit/chain.ts';
import { canonicalJson } from '../audit/fast-canonical.ts';
import { MemoryAuditStore } from '../audit/memory-store.ts';
import { readAll } from '../audit/read-all.ts';
import { sampleEventInput } from '../audit/store.contract.ts';
import { DAY_MS } from '../audit/retention/index.ts';
import { startPruneSchedule } from './audit-retention.ts';

const configWith = (retention: AirlockConfig['auditRetention']) => ({ auditRetention: retention }) as AirlockConfig;

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

it('prune schedule: off unless schedule_minutes is set; prunes on each tick; a failed run is reported and the next one runs', async () => {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const audit = new MemoryAuditStore({ clock });
  assert.equal(startPruneSchedule({ config: configWith(undefined), audit, clock }), null);
  assert.equal(startPruneSchedule({ config: configWith({ classes: {}, events: [], maxEventsPerRun: 10 }), audit, clock }), null);

  mock.timers.enable({ apis: ['setInterval'] });
  const faults: unknown[] = [];
  const reports: number[] = [];
  const schedule = startPruneSchedule({
    config: configWith({ classes: { arguments: { maxAgeDays: 1 } }, events: [], scheduleMinutes: 5, maxEventsPerRun: 10 }),
    audit,
    clock,
    onPruned: (report) => reports.push(report.pruned),
    onFault: (_what, error) => faults.push(error),
  });
  try {
    assert.ok(schedule !== null);
    await audit.append([sampleEventInput(), sampleEventInput()]);
    clock.advance(2 * DAY_MS);
    mock.timers.tick(5 * 60_000);
    await settle();
    assert.deepEqual(reports, [2]);
    const record = (await audit.read()).at(-1) as { type: string; prune?: { by: string } };
    assert.deepEqual([record.type, record.prune?.by], ['audit.pruned', 'scheduler']);

    // A log that no longer verifies: the run is refused and reported; nothing is written.
    const records = audit.records();
    const forged = records.map((r) => (r.seq === 3 ? { ...r, body: canonicalJson({ ...JSON.parse(r.body), by: 'x' }) } : r));
    audit.replaceRecords(forged);
    await audit.append([sampleEventInput()]);
    clock.advance(2 * DAY_MS);
    mock.timers.tick(5 * 60_000);
    await settle();
    assert.equal(faults.length, 1);
    assert.equal((faults[0] as { code?: string }).code, 'ERR_AUDIT_PRUNE_CHAIN_INVALID');
    assert.equal((await audit.read()).length, 4);

    audit.replaceRecords([...records, ...audit.records().slice(3)]);
    mock.timers.tick(5 * 60_000);
    await settle();
    assert.deepEqual(reports, [2, 1]);
    assert.equal((await verifyChain(readAll(audit))).pruned, 3);
  } finally {
    await schedule?.stop();
    mock.timers.reset();
  }
});
