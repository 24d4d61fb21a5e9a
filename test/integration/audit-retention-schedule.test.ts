/**
 * The gateway prunes its own SQLite audit log on `audit.retention.schedule_minutes`: the demo
 * gateway records real calls, the timer fires, an audit.pruned record appears and the calls'
 * argument summaries and users are gone while the chain (with its signed checkpoint) verifies;
 * closing the gateway stops the timer.
 */
import assert from 'node:assert/strict';
import { it, mock } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { openAuditLog } from '../../src/pipeline/index.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { startDemo } from '../support/demo.ts';
import type { DemoFixture } from '../support/demo.ts';

it('serve-side retention: the timer prunes the gateway log, which still verifies', async () => {
  const clock = new ManualClock(Date.now());
  mock.timers.enable({ apis: ['setInterval'] });
  let demo: DemoFixture | null = null;
  const faults: unknown[] = [];
  try {
    demo = await startDemo({
      clock,
      onBackgroundFault: (_what, error) => faults.push(error),
      configure: (config) => ({ ...config, auditRetention: { classes: { arguments: { maxAgeDays: 1 }, identity: { maxAgeDays: 1 } }, events: [], scheduleMinutes: 10, maxEventsPerRun: 1000 } }),
    });
    const session = await demo.session(demo.tokens.sam, { customer_id: 'cus_acme_grace' });
    for (let i = 0; i < 3; i++) {
      const answer: { outcome: string; decision: { code: string } } = await demo.gateway.decide({ token: demo.tokens.sam, session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } });
      assert.equal(answer.outcome, 'allow', answer.decision.code);
    }
    clock.advance(2 * 86_400_000);
    mock.timers.tick(10 * 60_000);
    const path = demo.config.audit.type === 'sqlite' ? demo.config.audit.path : '';
    let events: Awaited<ReturnType<SqliteAuditStore['read']>> = [];
    for (let i = 0; i < 200 && !events.some((e) => e.type === 'audit.pruned'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const reader = SqliteAuditStore.open(path, { readOnly: true });
      events = await reader.read();
      await reader.close();
    }
    assert.deepEqual(faults, []);
    const record = events.find((e) => e.type === 'audit.pruned') as unknown as { prune: { by: string; targets: unknown[] } };
    assert.equal(record?.prune.by, 'scheduler');
    const decisions = events.filter((e) => e.type === 'decision');
    assert.ok(decisions.length >= 3);
    for (const d of decisions) {
      assert.equal(d.args_summary, undefined);
      assert.equal(d.actor.user, null);
      assert.equal(d.actor.tenant, 'acme');
      assert.deepEqual(d.pruned?.classes, ['arguments', 'identity']);
    }
  } finally {
    await demo?.gateway.close();
    mock.timers.reset();
  }
  const log = await openAuditLog(demo.config);
  try {
    const report = await log.verify();
    assert.equal(report.ok, true, JSON.stringify(report.firstBad));
    assert.ok((report.pruned ?? 0) >= 3);
  } finally {
    await log.close();
  }
});
