/**
 * The gateway over HTTP when its audit database misbehaves underneath it (fail closed):
 * - its files are deleted and directories put in their place: side-effecting calls are
 *   denied with audit.unavailable and nothing runs, /readyz answers 503 with audit false, the
 *   fault is reported as a background fault (the JSON log's alert), the checkpoint stays;
 * - its signed checkpoint file cannot be replaced: calls still run (the events are committed),
 *   every failed write is counted in /metrics and the fault is told once per outage;
 * - another connection holds the write lock: calls are refused within audit.lock_timeout_ms
 *   while /healthz and /readyz keep answering, and calls succeed again once it lets go.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { AirlockConfig } from '../../src/config/types.ts';
import { readCheckpointFile } from '../../src/audit/index.ts';
import { parseExposition } from '../../src/metrics/test-helpers.ts';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

const REFUND = { tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount: 30 } };

function withAudit(extra: Partial<{ checkpointKey: string; lockTimeoutMs: number }>): (c: AirlockConfig) => AirlockConfig {
  return (c) => {
    if (c.audit.type !== 'sqlite') throw new Error('the demo keeps its audit log in sqlite');
    return { ...c, audit: { ...c.audit, ...extra } };
  };
}

async function refund(fx: HttpFixture) {
  const res = await fx.post('/v1/tool-calls', REFUND, fx.tokens.fin);
  return { status: res.status, body: res.body as { status: string; decision: { code: string } } };
}

describe('audit store faults, over HTTP', () => {
  for (const auditWriter of ['auto', 'thread', 'inline'] as const) {
    test(`${auditWriter} writer: audit files deleted and replaced by directories: calls denied, nothing runs, /readyz 503, alert raised`, async () => {
      const faults: Array<{ what: string; error: unknown }> = [];
      const fx = await startDemoServer({
        auditWriter,
        onBackgroundFault: (what, error) => faults.push({ what, error }),
        configure: (c) => withAudit({ checkpointKey: `file:${c.audit.type === 'sqlite' ? c.audit.path : ''}.key` })(c),
      });
      try {
        const path = (fx.config.audit as { path: string }).path;
        const first = await refund(fx);
        assert.equal(first.body.status, 'executed');
        const ran = fx.totalInvocations();
        assert.equal((await fx.get('/readyz')).status, 200);
        // Concurrent calls too, so the writer thread (when there is one) commits some batches.
        assert.ok((await Promise.all([refund(fx), refund(fx)])).every((r) => r.body.status === 'executed'));
        // Verifying waits for the checkpoint writes: the checkpoint now attests the head.
        const head = (await fx.gateway.verifyAudit()).head;
        assert.equal(readCheckpointFile(`${path}.checkpoint`)?.seq, head?.seq);

        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          rmSync(file, { force: true });
          mkdirSync(file);
        }
        const after = await Promise.all([refund(fx), refund(fx), refund(fx)]);
        for (const r of after) {
          assert.equal(r.body.status, 'denied');
          assert.equal(r.body.decision.code, 'audit.unavailable');
        }
        assert.equal(fx.totalInvocations(), ran + 2, 'nothing ran once the files were gone');
        const ready = await fx.get('/readyz');
        assert.equal(ready.status, 503);
        assert.equal((ready.body.checks as { audit: boolean }).audit, false);
        assert.equal(faults.length, 1);
        assert.match(faults[0]?.what ?? '', /audit store/);
        assert.equal((faults[0]?.error as { details?: { reason?: string } }).details?.reason, 'file_replaced');
        assert.equal(readCheckpointFile(`${path}.checkpoint`)?.seq, head?.seq, 'the checkpoint did not advance over events no file holds');
      } finally {
        await fx.close();
      }
    });

    test(`${auditWriter} writer: the checkpoint file cannot be replaced: calls run, failures counted in /metrics, told once per outage`, async () => {
      const faults: Array<{ what: string; error: unknown }> = [];
      const fx = await startDemoServer({
        auditWriter,
        onBackgroundFault: (what, error) => faults.push({ what, error }),
        configure: (c) => withAudit({ checkpointKey: `file:${c.audit.type === 'sqlite' ? c.audit.path : ''}.key` })(c),
      });
      const checkpointPath = `${(fx.config.audit as { path: string }).path}.checkpoint`;
      // Polled (the test runner's timeout bounds it): verifying would read the checkpoint file, a directory now.
      const untilCheckpointErrors = async (count: number) => {
        while (((fx.gateway.stats().audit as { checkpointErrors?: number } | undefined)?.checkpointErrors ?? 0) < count) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      const failures = async () => parseExposition((await fx.gateway.metrics({ authorization: undefined, remoteAddress: '127.0.0.1' })).body).value('airlock_audit_checkpoint_failures_total') ?? 0;
      try {
        assert.equal((await refund(fx)).body.status, 'executed');
        await fx.gateway.verifyAudit(); // waits for the checkpoint write
        assert.equal(await failures(), 0);
        // A non-empty directory in the file's place: every rename onto it fails (also for root).
        rmSync(checkpointPath);
        mkdirSync(checkpointPath);
        writeFileSync(join(checkpointPath, 'keep'), '');
        for (let i = 1; i <= 3; i++) {
          assert.equal((await refund(fx)).body.status, 'executed', 'a checkpoint that cannot be written does not stop calls');
          await untilCheckpointErrors(i);
        }
        assert.ok((await failures()) >= 3, `every failed write is counted (${await failures()})`);
        assert.equal(faults.length, 1, `told once: ${faults.map((f) => f.what).join('; ')}`);
        assert.match(faults[0]?.what ?? '', /^audit checkpoint write/);
        assert.match(String((faults[0]?.error as NodeJS.ErrnoException).code), /^E[A-Z]+$/);
        // Writable again: the next commit's checkpoint is written; a later outage is told again.
        rmSync(checkpointPath, { recursive: true });
        assert.equal((await refund(fx)).body.status, 'executed');
        const head = (await fx.gateway.verifyAudit()).head;
        assert.equal(readCheckpointFile(checkpointPath)?.seq, head?.seq);
        rmSync(checkpointPath);
        mkdirSync(checkpointPath);
        writeFileSync(join(checkpointPath, 'keep'), '');
        assert.equal((await refund(fx)).body.status, 'executed');
        await untilCheckpointErrors(4);
        assert.equal(faults.length, 2, 'a new outage after a successful write is told again');
        rmSync(checkpointPath, { recursive: true });
      } finally {
        await fx.close();
      }
    });

    test(`${auditWriter} writer: a write lock held by another connection refuses calls within lock_timeout_ms while /healthz answers; released, calls run again`, async () => {
      const fx = await startDemoServer({ auditWriter, configure: withAudit({ lockTimeoutMs: 1500 }) });
      const path = (fx.config.audit as { path: string }).path;
      const locker = new DatabaseSync(path);
      try {
        assert.equal((await refund(fx)).body.status, 'executed');
        const ran = fx.totalInvocations();
        locker.exec('BEGIN EXCLUSIVE');
        const failedBatches = () => fx.gateway.stats().audit?.failedBatches ?? 0;
        const failedBefore = failedBatches();
        let settled = 0;
        const calls = [refund(fx), refund(fx)].map((p) => p.finally(() => settled++));
        // The calls are waiting for the lock by now (a blocked event loop would run this only after a commit failed).
        await new Promise((resolve) => setTimeout(resolve, 200));
        const probes: Array<{ path: string; status: number; failed: number; settled: number }> = [];
        for (const path of ['/healthz', '/readyz']) {
          const res = await fx.get(path);
          probes.push({ path, status: res.status, failed: failedBatches() - failedBefore, settled });
        }
        // Both probes answered while the calls were still waiting: no commit attempt had failed yet.
        assert.deepEqual(probes, [
          { path: '/healthz', status: 200, failed: 0, settled: 0 },
          { path: '/readyz', status: 200, failed: 0, settled: 0 },
        ]);
        // Refused while the lock is still held (it is released only below), and nothing ran.
        for (const r of await Promise.all(calls)) {
          assert.equal(r.body.status, 'denied');
          assert.equal(r.body.decision.code, 'audit.unavailable');
        }
        assert.equal(fx.totalInvocations(), ran);
        locker.exec('ROLLBACK');
        assert.equal((await refund(fx)).body.status, 'executed');
        assert.equal((await fx.gateway.verifyAudit()).ok, true);
      } finally {
        if (locker.isTransaction) locker.exec('ROLLBACK');
        locker.close();
        await fx.close();
      }
    });
  }
});
