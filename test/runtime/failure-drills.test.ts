/**
 * Seed test family D — failure-mode drills: the system fails safely when support services
 * degrade. Each drill breaks one service for real, checks the safe behaviour, and reads the
 * incident timeline back from the audit log (the evidence the seed asks for):
 * - policy service timeout → deny path (policy.timeout), nothing runs;
 * - audit stream delay → the audit_delay alert fires past its threshold (and not below it);
 *   intent is still durable before anything runs;
 * - external tool timeout → retries within their limit for an idempotent tool only, every
 *   attempt aborted at its deadline, the attempts on record;
 * - context gateway failure → a user-safe fallback (no context, a message for the user).
 * (Policy timeouts of the demo bundle and audit store faults are also drilled in
 * test/integration/fail-closed.test.ts and test/integration/audit-store-faults.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent, AuditEventInput, PolicyEngine } from '../../src/core/types.ts';
import { MemoryAuditStore } from '../../src/audit/index.ts';
import type { AuditStore } from '../../src/audit/index.ts';
import { parseConfig } from '../../src/config/index.ts';
import { startRuntime } from '../support/runtime.ts';
import { startDemoServer } from '../support/demo.ts';

async function timeline(events: AuditEvent[], actionId: string): Promise<string[]> {
  return events.filter((e) => e.action_id === actionId).map((e) => `${e.type}${e.result_code === undefined || e.result_code === null ? '' : `:${e.result_code}`}${(e.decision as { code?: string } | undefined)?.code === undefined ? '' : `:${(e.decision as { code: string }).code}`}`);
}

test('drill: the policy service times out → the call is denied (policy.timeout), the tool never runs, the deny is on record', async () => {
  const never: PolicyEngine = { version: 'sha256:stalled', authorize: () => new Promise(() => {}) };
  const audit = new MemoryAuditStore({ clock: { now: () => Date.now() } });
  const rt = await startRuntime({ policyTimeoutMs: 50, gateway: { overrides: { policy: never, audit } } });
  try {
    const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const r = await rt.gateway.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'a', amount: 1 } });
    assert.equal(r.status, 'denied');
    assert.equal(r.decision.code, 'policy.timeout');
    assert.deepEqual(r.decision.reasons.map((x) => x.policy_id), ['builtin.fail_closed']);
    assert.equal(rt.ledger.posts, 0);
    assert.deepEqual(await timeline(await audit.read({ fromSeq: 1, limit: 1000 }), r.action_id), ['decision:policy.timeout']);
  } finally {
    await rt.close();
  }
});

/** An audit store whose appends take `delayMs` longer (a slow disk or database). */
function slowAudit(delay: { ms: number }): AuditStore {
  const inner = new MemoryAuditStore({ clock: { now: () => Date.now() } });
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'append') {
        return async (events: AuditEventInput[]) => {
          await new Promise((resolve) => setTimeout(resolve, delay.ms));
          return target.append(events);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

test('drill: the audit stream is delayed → the audit_delay alert fires past its threshold, not below it; the call still runs only after its intent is committed', async () => {
  const delay = { ms: 0 };
  const alerts: Array<{ type: string; commit_ms?: number; threshold_ms?: number }> = [];
  const audit = slowAudit(delay);
  const rt = await startRuntime({ yaml: 'alerts:\n  audit_commit_ms: 80\n  cooldown_seconds: 0\n', gateway: { overrides: { audit }, onAlert: (a) => alerts.push(a) } });
  try {
    const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const call = () => rt.gateway.execute({ token: agent, tool: 'ledger.read', arguments: {} });
    assert.equal((await call()).status, 'executed');
    assert.equal(alerts.length, 0, 'below the threshold: no alert');
    delay.ms = 150;
    const slow = await call();
    assert.equal(slow.status, 'executed');
    assert.ok(alerts.length >= 2, `intent and result commits each alerted: ${JSON.stringify(alerts)}`);
    for (const alert of alerts) {
      assert.equal(alert.type, 'audit_delay');
      assert.ok((alert.commit_ms ?? 0) >= 80 && alert.threshold_ms === 80, JSON.stringify(alert));
    }
    assert.equal(rt.gateway.stats().alerts, alerts.length);
    assert.deepEqual(await timeline(await audit.read({ fromSeq: 1, limit: 1000 }), slow.action_id), ['intent:policy.permit', 'result:ok']);
  } finally {
    await rt.close();
  }
});

test('drill: an external tool times out → an idempotent tool is retried within its limit, every attempt aborted at its deadline; a non-idempotent one never', async () => {
  const idempotent = await startRuntime({ postTimeoutMs: 60, postRetries: 2, statusCheck: false });
  try {
    const agent = await idempotent.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const auditor = await idempotent.token({ sub: 'aud', tenant: 'acme', roles: ['auditor'] });
    idempotent.ledger.mode = 'hang';
    const failed = await idempotent.gateway.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'a', amount: 1 } });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.status === 'failed' && failed.error.code, 'ERR_CONNECTOR_TIMEOUT');
    assert.equal(idempotent.ledger.posts, 3, '1 attempt + 2 retries, no more');
    assert.equal(idempotent.ledger.aborted, 3, 'every attempt was aborted at its deadline');
    const result = (await idempotent.gateway.searchAudit(auditor, { type: 'result' } as never)).events.find((e) => e.action_id === failed.action_id);
    assert.equal((result?.data as { attempts: number }).attempts, 3);
    assert.equal(result?.result_code, 'ERR_CONNECTOR_TIMEOUT');

    idempotent.ledger.mode = 'ok';
    idempotent.ledger.hangNext = 1;
    const recovered = await idempotent.gateway.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'b', amount: 2 } });
    assert.equal(recovered.status, 'executed');
    assert.equal(idempotent.ledger.posts, 5, 'the second attempt answered');
  } finally {
    await idempotent.close();
  }
  const once = await startRuntime({ postTimeoutMs: 60, statusCheck: false });
  try {
    const agent = await once.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    once.ledger.mode = 'hang';
    const failed = await once.gateway.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'a', amount: 1 } });
    assert.equal(failed.status, 'failed');
    assert.equal(once.ledger.posts, 1, 'a tool that is not idempotent is never retried');
    assert.equal(once.ledger.aborted, 1);
  } finally {
    await once.close();
  }
  // The config refuses retries on a tool that is not idempotent.
  assert.throws(
    () =>
      parseConfig(
        'version: 1\nidentity:\n  audience: a\n  issuers:\n    - issuer: https://i\n      algorithms: [HS256]\n      secret: env:X\ntools:\n  - name: t\n    side_effect: write\n    input_schema: { type: object }\n    retries: 2\n    connector: { type: function, handler: h }\n',
        { filename: 'airlock.yaml', baseDir: '/tmp' },
      ),
    (error: { code: string; details: { errors: Array<{ path: string; message: string }> } }) =>
      error.code === 'ERR_CONFIG_INVALID' && error.details.errors.some((e) => e.path === 'tools[0].retries' && /idempotent/.test(e.message)),
  );
});

test('drill: the context gateway fails → 503 ERR_CONTEXT_UNAVAILABLE with no context and a user-safe fallback message; nothing internal leaks', async () => {
  let failContext = false;
  const inner = new MemoryAuditStore({ clock: { now: () => Date.now() } });
  const audit = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'append') {
        return async (events: AuditEventInput[]) => {
          if (failContext && events.some((e) => e.type === 'context.assembled')) throw new Error('disk full at /var/lib/airlock/audit.db');
          return target.append(events);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const fx = await startDemoServer({ overrides: { audit } });
  try {
    const session = (await fx.gateway.createSession(fx.tokens.sam, { customer_id: 'cus_acme_ada' })).session_id;
    const chunk = { id: 'k1', text: 'Refunds above 100 need a finance lead.', source_id: 'kb', owner: 'support-team', classification: 'internal', timestamp: new Date(Date.now() - 60_000).toISOString() };
    const ok = await fx.post('/v1/context/assemble', { session_id: session, use_case: 'support_answer', chunks: [chunk] }, fx.tokens.sam);
    assert.equal(ok.status, 200);
    failContext = true;
    const res = await fx.post('/v1/context/assemble', { session_id: session, use_case: 'support_answer', chunks: [chunk] }, fx.tokens.sam);
    assert.equal(res.status, 503);
    const error = (res.body as { error: { code: string; details: { fallback: { context: null; user_message: string } } } }).error;
    assert.equal(error.code, 'ERR_CONTEXT_UNAVAILABLE');
    assert.equal(error.details.fallback.context, null);
    assert.match(error.details.fallback.user_message, /try again/);
    assert.ok(!JSON.stringify(res.body).includes('/var/lib'), 'no internal detail reaches the user');
    assert.ok(!JSON.stringify(res.body).includes('finance lead'), 'no unchecked chunk is handed out');
    // Bad input is still a 400, not the fallback.
    failContext = false;
    assert.equal((await fx.post('/v1/context/assemble', { session_id: session, chunks: [] }, fx.tokens.sam)).status, 400);
  } finally {
    await fx.close();
  }
});
