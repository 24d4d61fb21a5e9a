/**
 * Idempotency keys end to end (docs/runtime-controls.md): a repeat of a key replays the
 * recorded answer without running again; another action under the key is a conflict; 8
 * concurrent duplicates run once; a timed-out call is never retried blindly — it reports
 * outcome_unknown until an operator or the tool's status check resolves it; keys are scoped
 * to the caller. Real SQLite state and audit, real Cedar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ToolCallResult } from '../../src/pipeline/index.ts';
import { startRuntime, type Runtime } from '../support/runtime.ts';

async function withRuntime(body: (rt: Runtime, agent: string, admin: string) => Promise<void>, options: Parameters<typeof startRuntime>[0] = {}): Promise<void> {
  const rt = await startRuntime(options);
  try {
    const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const admin = await rt.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
    await body(rt, agent, admin);
  } finally {
    await rt.close();
  }
}

const post = (rt: Runtime, token: string, key: string, args: Record<string, unknown> = { account: 'acc_1', amount: 12.5 }) =>
  rt.gateway.execute({ token, tool: 'ledger.post', arguments: args, idempotency_key: key });

function idOf(result: ToolCallResult) {
  assert.ok('idempotency' in result && result.idempotency !== undefined, `no idempotency answer in ${JSON.stringify(result)}`);
  return result.idempotency;
}

test('a repeated key with the same action replays the recorded result; the handler runs once; the replay is audited', async () => {
  await withRuntime(async (rt, agent, admin) => {
    const first = await post(rt, agent, 'order-1');
    assert.equal(first.status, 'executed');
    assert.equal(idOf(first).replayed, false);
    const again = await post(rt, agent, 'order-1');
    assert.equal(again.status, 'executed');
    assert.equal(rt.ledger.posts, 1);
    assert.deepEqual(again.status === 'executed' && again.result, first.status === 'executed' && first.result);
    assert.equal(idOf(again).replayed, true);
    assert.equal(idOf(again).original_action_id, first.action_id);
    assert.equal(again.decision.code, 'idempotency.replayed');
    // The output class the result got comes back with it.
    const classOf = (r: ToolCallResult) => (r as { output?: { class: string } }).output?.class;
    assert.ok(classOf(first) !== undefined, JSON.stringify(first));
    assert.equal(classOf(again), classOf(first));
    // Normalization: the same arguments in another key order are the same action.
    assert.equal((await post(rt, agent, 'order-1', { amount: 12.5, account: 'acc_1' })).status, 'executed');
    assert.equal(rt.ledger.posts, 1);
    const events = (await rt.gateway.searchAudit(admin, { type: 'idempotency.replayed' } as never)).events;
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => (e.data as { original_action_id: string }).original_action_id === first.action_id));
  });
});

test('the same key with different arguments is a 409 conflict with a stable code, and nothing runs', async () => {
  await withRuntime(async (rt, agent) => {
    await post(rt, agent, 'order-2');
    const other = await post(rt, agent, 'order-2', { account: 'acc_1', amount: 99 });
    assert.equal(other.status, 'conflict');
    assert.equal(other.status === 'conflict' && other.error.code, 'ERR_IDEMPOTENCY_KEY_REUSED');
    assert.equal(other.decision.code, 'idempotency.key_reused');
    assert.deepEqual(other.decision.reasons.map((r) => r.policy_id), ['builtin.idempotency']);
    assert.equal(rt.ledger.posts, 1);
  });
});

test('8 concurrent duplicates: exactly one execution; the others replay it or are told it is in progress', async () => {
  await withRuntime(async (rt, agent) => {
    rt.ledger.delayMs = 50;
    const results = await Promise.all(Array.from({ length: 8 }, () => post(rt, agent, 'order-3')));
    assert.equal(rt.ledger.posts, 1);
    const executedFresh = results.filter((r) => r.status === 'executed' && !idOf(r).replayed);
    assert.equal(executedFresh.length, 1);
    for (const r of results) {
      if (r === executedFresh[0]) continue;
      assert.ok(r.status === 'conflict' || (r.status === 'executed' && idOf(r).replayed), JSON.stringify(r));
      if (r.status === 'conflict') assert.equal(r.error.code, 'ERR_IDEMPOTENCY_IN_PROGRESS');
    }
    // Once settled, every repeat replays.
    const later = await post(rt, agent, 'order-3');
    assert.equal(later.status === 'executed' && idOf(later).replayed, true);
    assert.equal(rt.ledger.posts, 1);
  });
});

test('keys are scoped to the caller: another user, another agent or another tenant with the same key runs its own call', async () => {
  await withRuntime(async (rt, agent) => {
    const otherUser = await rt.token({ sub: 'fin', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const otherAgent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'other-agent' });
    const otherTenant = await rt.token({ sub: 'sam', tenant: 'globex', roles: ['support'], agent: 'helper' });
    for (const token of [agent, otherUser, otherAgent, otherTenant]) {
      const r = await post(rt, token, 'shared-key');
      assert.equal(r.status, 'executed');
      assert.equal(idOf(r).replayed, false);
    }
    assert.equal(rt.ledger.posts, 4);
  });
});

test('a timed-out call reports outcome_unknown and is never retried blindly; an operator resolution decides what a retry does', async () => {
  await withRuntime(
    async (rt, agent, admin) => {
      rt.ledger.mode = 'hang';
      const first = await post(rt, agent, 'order-4');
      assert.equal(first.status, 'failed');
      assert.equal(first.status === 'failed' && first.error.code, 'ERR_CONNECTOR_TIMEOUT');
      assert.equal(idOf(first).state, 'outcome_unknown');
      rt.ledger.mode = 'ok';
      for (let i = 0; i < 3; i++) {
        const retry = await post(rt, agent, 'order-4');
        assert.equal(retry.status, 'outcome_unknown');
        assert.equal(retry.status === 'outcome_unknown' && retry.error.code, 'ERR_IDEMPOTENCY_OUTCOME_UNKNOWN');
      }
      assert.equal(rt.ledger.posts, 1, 'no blind retry');
      // The operator sees it, and decides: it did not run.
      const unknown = await rt.gateway.listIdempotencyRecords(admin, { state: 'outcome_unknown' });
      assert.equal(unknown.length, 1);
      const id = unknown[0]?.id as string;
      await assert.rejects(rt.gateway.resolveIdempotencyRecord(agent, id, 'not_executed', 'checked'), { code: 'ERR_IDEMPOTENCY_ROLE_REQUIRED', status: 403 });
      await assert.rejects(rt.gateway.resolveIdempotencyRecord(admin, id, 'not_executed', ''), { code: 'ERR_IDEMPOTENCY_JUSTIFICATION_INVALID' });
      const resolved = await rt.gateway.resolveIdempotencyRecord(admin, id, 'not_executed', 'ledger shows no posting for order-4');
      assert.equal(resolved.resolution?.outcome, 'not_executed');
      await assert.rejects(rt.gateway.resolveIdempotencyRecord(admin, id, 'executed', 'again'), { status: 404 });
      const retried = await post(rt, agent, 'order-4');
      assert.equal(retried.status, 'executed');
      assert.equal(rt.ledger.posts, 2);
      const audit = (await rt.gateway.searchAudit(admin, { type: 'idempotency.resolved' } as never)).events;
      assert.equal(audit.length, 1);
      assert.equal((audit[0]?.data as { justification: string }).justification, 'ledger shows no posting for order-4');
      assert.equal(audit[0]?.actor.user, 'olga');

      // Resolved as executed: a retry replays (no result was kept) and nothing runs.
      rt.ledger.mode = 'hang';
      await post(rt, agent, 'order-5');
      rt.ledger.mode = 'ok';
      const record = (await rt.gateway.listIdempotencyRecords(admin, { state: 'outcome_unknown' }))[0];
      await rt.gateway.resolveIdempotencyRecord(admin, record?.id as string, 'executed', 'the posting is in the ledger');
      const replay = await post(rt, agent, 'order-5');
      assert.equal(replay.status, 'executed');
      assert.equal(idOf(replay).replayed, true);
      assert.deepEqual(idOf(replay).resolution, { via: 'operator', outcome: 'executed' });
      assert.equal(rt.ledger.posts, 3);
    },
    { postTimeoutMs: 100, statusCheck: false },
  );
});

test("the tool's authoritative status check resolves an unknown outcome on retry (and on an operator's request)", async () => {
  await withRuntime(
    async (rt, agent, admin) => {
      // The handler posts, then its answer is lost (it takes longer than the deadline).
      rt.ledger.delayMs = 150;
      const first = await post(rt, agent, 'order-6');
      assert.equal(idOf(first).state, 'outcome_unknown');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(rt.ledger.seen.get('order-6'), 'executed');
      rt.ledger.delayMs = 0;
      const retry = await post(rt, agent, 'order-6');
      assert.equal(retry.status, 'executed', JSON.stringify(retry));
      assert.deepEqual(idOf(retry).resolution, { via: 'status_check', outcome: 'executed' });
      assert.equal(rt.ledger.posts, 1, 'the status check said it ran: not run again');

      // Never reached the ledger (the handler hung before posting): the check frees the key on request.
      rt.ledger.mode = 'hang';
      await post(rt, agent, 'order-7');
      rt.ledger.mode = 'ok';
      const record = (await rt.gateway.listIdempotencyRecords(admin, { state: 'outcome_unknown' }))[0];
      const checked = await rt.gateway.checkIdempotencyRecord(admin, record?.id as string);
      assert.equal(checked.verdict, 'not_executed');
      const rerun = await post(rt, agent, 'order-7');
      assert.equal(rerun.status, 'executed');
      assert.equal(idOf(rerun).replayed, false);
    },
    { postTimeoutMs: 100 },
  );
});

test('a failed call is recorded and replayed as the same failure; a malformed key is refused', async () => {
  await withRuntime(async (rt, agent) => {
    rt.ledger.mode = 'fail';
    const first = await post(rt, agent, 'order-8');
    assert.equal(first.status, 'failed');
    rt.ledger.mode = 'ok';
    const again = await post(rt, agent, 'order-8');
    assert.equal(again.status, 'failed');
    assert.equal(idOf(again).replayed, true);
    assert.equal(rt.ledger.posts, 1);
    const bad = await post(rt, agent, 'bad\u0000key');
    assert.equal(bad.status, 'denied');
    assert.equal(bad.decision.code, 'idempotency.key_invalid');
    assert.equal(rt.ledger.posts, 1);
  });
});

test('the record holds across a restart of the gateway (SQLite state)', async () => {
  const rt = await startRuntime();
  const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
  await post(rt, agent, 'order-9');
  await rt.close();
  const { createGateway } = await import('../../src/pipeline/index.ts');
  const again = await createGateway(rt.config, { handlers: rt.ledger.handlers });
  try {
    const r = await again.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'acc_1', amount: 12.5 }, idempotency_key: 'order-9' });
    assert.equal(r.status, 'executed');
    assert.equal(idOf(r).replayed, true);
    assert.equal(rt.ledger.posts, 1);
  } finally {
    await again.close();
  }
});

test('over HTTP: a replay is 200 with idempotency.replayed, another action under the key 409 ERR_IDEMPOTENCY_KEY_REUSED, a malformed key 400; the operator routes answer', async () => {
  const { createApp } = await import('../../src/server/index.ts');
  await withRuntime(async (rt, agent, admin) => {
    const app = createApp(rt.gateway);
    const send = (path: string, body: unknown, token = agent, method = 'POST') =>
      app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: JSON.stringify(body) }) });
    const body = (amount: number, key = 'http-1') => ({ tool: 'ledger.post', arguments: { account: 'acc_1', amount }, idempotency_key: key });
    assert.equal((await send('/v1/tool-calls', body(1))).status, 200);
    const replay = await send('/v1/tool-calls', body(1));
    assert.equal(replay.status, 200);
    assert.equal(((await replay.json()) as { idempotency: { replayed: boolean } }).idempotency.replayed, true);
    const conflict = await send('/v1/tool-calls', body(2));
    assert.equal(conflict.status, 409);
    assert.equal(((await conflict.json()) as { error: { code: string } }).error.code, 'ERR_IDEMPOTENCY_KEY_REUSED');
    const malformed = await send('/v1/tool-calls', body(1, 'x'.repeat(256)));
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { error: { code: string } }).error.code, 'ERR_IDEMPOTENCY_KEY_INVALID');
    assert.equal(rt.ledger.posts, 1);
    const list = await send('/v1/idempotency/records', null, admin, 'GET');
    assert.equal(list.status, 200);
    const records = ((await list.json()) as { records: Array<{ id: string; outcome?: { has_result: boolean } }> }).records;
    assert.equal(records.length, 1);
    assert.equal(records[0]?.outcome?.has_result, true);
    assert.equal((await send('/v1/idempotency/records', null, agent, 'GET')).status, 403);
    const resolve = await send(`/v1/idempotency/records/${records[0]?.id}/resolve`, { outcome: 'executed', justification: 'x' }, admin);
    assert.equal(resolve.status, 409, 'a completed record has no unknown outcome');
    assert.equal((await send('/v1/idempotency/records/idm_unknownunknown1', null, admin, 'GET')).status, 404);
  });
});

test('a call still retrying past one deadline holds its key: a duplicate is told it is in progress, never run beside it', async () => {
  await withRuntime(
    async (rt, agent) => {
      // Three attempts hang to their 600 ms deadline, the fourth answers (~1.95 s after the claim);
      // the lease was one deadline + grace (1.6 s): a duplicate at 1.7 s read an unknown outcome,
      // the status check said not executed (nothing had posted yet), and the key ran twice.
      rt.ledger.hangNext = 3;
      const original = post(rt, agent, 'order-10');
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      const duplicate = await post(rt, agent, 'order-10');
      assert.equal(duplicate.status, 'conflict', JSON.stringify(duplicate));
      assert.equal(duplicate.status === 'conflict' && duplicate.error.code, 'ERR_IDEMPOTENCY_IN_PROGRESS');
      const first = await original;
      assert.equal(first.status, 'executed', JSON.stringify(first));
      assert.equal(rt.ledger.posts, 4, 'the four attempts of the original, nothing else');
      const replay = await post(rt, agent, 'order-10');
      assert.equal(idOf(replay).replayed, true);
    },
    { state: 'memory', postTimeoutMs: 600, postRetries: 3, yaml: 'idempotency:\n  lease_grace_seconds: 1\n' },
  );
});
