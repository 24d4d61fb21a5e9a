/**
 * Session budgets and runaway loops end to end (docs/runtime-controls.md): the call that
 * takes a session past its tool-call, step or spend budget, or past its limit of identical
 * calls in a row or of denied calls, is refused with its reason code; the session is then
 * suspended — a session kill switch engaged by the gateway refuses its next calls, its
 * credentials are revoked, and an alert event is in the audit log — until an operator
 * releases it. Real SQLite state, real Cedar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../src/core/types.ts';
import { startRuntime, type Runtime } from '../support/runtime.ts';

interface Ctx {
  rt: Runtime;
  agent: string;
  admin: string;
  session: string;
  alerts: unknown[];
  post(amount?: number, account?: string): ReturnType<Runtime['gateway']['execute']>;
  events(type: string): Promise<AuditEvent[]>;
}

async function withBudgets(yaml: string, body: (ctx: Ctx) => Promise<void>, extra: Parameters<typeof startRuntime>[0] = {}): Promise<void> {
  const alerts: unknown[] = [];
  const rt = await startRuntime({ yaml, ...extra, gateway: { onAlert: (a) => alerts.push(a) } });
  try {
    const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const admin = await rt.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
    const { session_id } = await rt.gateway.createSession(agent);
    await body({
      rt,
      agent,
      admin,
      session: session_id,
      alerts,
      post: (amount = 1, account = 'acc_1') => rt.gateway.execute({ token: agent, session_id, tool: 'ledger.post', arguments: { account, amount } }),
      events: async (type) => (await rt.gateway.searchAudit(admin, { type } as never)).events,
    });
  } finally {
    await rt.close();
  }
}

async function assertSuspended(ctx: Ctx, code: string): Promise<void> {
  const alerts = await ctx.events('alert.session_suspended');
  assert.equal(alerts.length, 1, 'one alert');
  const alert = alerts[0] as AuditEvent;
  assert.equal(alert.session_id, ctx.session);
  assert.equal((alert.data as { code: string }).code, code);
  const ksId = (alert.data as { kill_switch_id: string }).kill_switch_id;
  assert.match(ksId, /^ksw_/);
  const engaged = (await ctx.events('killswitch.engaged')).find((e) => (e.data as { kill_switch_id: string }).kill_switch_id === ksId);
  assert.ok(engaged !== undefined, 'the kill switch is on record');
  assert.equal((engaged.data as { scope: string }).scope, 'session');
  assert.deepEqual((engaged.data as { credentials: { revoked: string[] } }).credentials.revoked, [`session:${ctx.session}`], "the session's credentials are revoked");
  assert.equal(ctx.alerts.length, 1);
  const next = await ctx.post(1, 'acc_other');
  assert.equal(next.status, 'denied');
  assert.equal(next.decision.code, 'screen.kill_switch');
  assert.equal(next.decision.kill_switch_id, ksId);
}

test('tool-call budget: the call past it is refused (budget.tool_calls) and the session suspended', async () => {
  await withBudgets('budgets:\n  session:\n    max_tool_calls: 3\n', async (ctx) => {
    for (let i = 0; i < 3; i++) assert.equal((await ctx.post(i, `acc_${i}`)).status, 'executed');
    const over = await ctx.post(9, 'acc_9');
    assert.equal(over.status, 'denied');
    assert.equal(over.decision.code, 'budget.tool_calls');
    assert.deepEqual(over.decision.reasons.map((r) => r.policy_id), ['builtin.session_budget']);
    assert.equal(ctx.rt.ledger.posts, 3);
    await assertSuspended(ctx, 'budget.tool_calls');
    const scrape = (await ctx.rt.gateway.metrics({ authorization: undefined, remoteAddress: '127.0.0.1' })).body;
    assert.match(scrape, /airlock_alerts_total\{type="session_suspended",code="budget.tool_calls"\} 1/);
    // Another session of the same agent is not touched.
    const { session_id } = await ctx.rt.gateway.createSession(ctx.agent);
    assert.equal((await ctx.rt.gateway.execute({ token: ctx.agent, session_id, tool: 'ledger.post', arguments: { account: 'acc_x', amount: 1 } })).status, 'executed');
  });
});

test('spend budget from the tool cost attribute: the call that would pass it is refused (budget.spend)', async () => {
  await withBudgets(
    'budgets:\n  session:\n    max_spend: 4\n',
    async (ctx) => {
      assert.equal((await ctx.post(1, 'a')).status, 'executed');
      assert.equal((await ctx.post(2, 'b')).status, 'executed');
      const over = await ctx.post(3, 'c');
      assert.equal(over.decision.code, 'budget.spend');
      assert.equal(ctx.rt.ledger.posts, 2);
      await assertSuspended(ctx, 'budget.spend');
    },
    { postCost: 1.5 },
  );
});

test('step budget counts every decided or executed call of the session', async () => {
  await withBudgets('budgets:\n  session:\n    max_steps: 2\n', async (ctx) => {
    const decided = await ctx.rt.gateway.decide({ token: ctx.agent, session_id: ctx.session, tool: 'ledger.post', arguments: { account: 'a', amount: 1 } });
    assert.equal(decided.outcome, 'allow');
    assert.equal((await ctx.post(2, 'b')).status, 'executed');
    assert.equal((await ctx.post(3, 'c')).decision.code, 'budget.steps');
    await assertSuspended(ctx, 'budget.steps');
  });
});

test('identical calls in a row past the limit are a runaway loop (loop.identical_calls); different calls reset the run', async () => {
  await withBudgets('budgets:\n  loops:\n    max_identical_calls: 2\n', async (ctx) => {
    assert.equal((await ctx.post(5)).status, 'executed');
    assert.equal((await ctx.post(5)).status, 'executed');
    assert.equal((await ctx.post(6)).status, 'executed', 'another call resets the run');
    assert.equal((await ctx.post(5)).status, 'executed');
    assert.equal((await ctx.post(5)).status, 'executed');
    const loop = await ctx.post(5);
    assert.equal(loop.status, 'denied');
    assert.equal(loop.decision.code, 'loop.identical_calls');
    assert.equal(ctx.rt.ledger.posts, 5);
    await assertSuspended(ctx, 'loop.identical_calls');
  });
});

test('repeated denials past the limit suspend the session (loop.denials); an operator release resumes it', async () => {
  const forbidLarge = '@id("no-large-postings")\nforbid (principal, action == Airlock::Action::"ledger.post", resource) when { context.tool_call.parameters.amount.greaterThan(decimal("100.00")) };\n';
  await withBudgets(
    'budgets:\n  loops:\n    max_denials: 2\n',
    async (ctx) => {
      for (let i = 0; i < 2; i++) assert.equal((await ctx.post(500 + i, `big_${i}`)).decision.code, 'policy.forbid');
      assert.equal((await ctx.events('alert.session_suspended')).length, 0, 'two denials are allowed');
      const third = await ctx.post(600, 'big_3');
      assert.equal(third.decision.code, 'policy.forbid', 'the third denial is still the policy answer');
      await assertSuspended(ctx, 'loop.denials');
      assert.equal(ctx.rt.ledger.posts, 0);
      const engaged = await ctx.rt.gateway.listKillSwitches(ctx.admin, { active: true });
      assert.equal(engaged.length, 1);
      assert.equal(engaged[0]?.engaged_by.user, 'airlock-gateway');
      await ctx.rt.gateway.releaseKillSwitch(ctx.admin, engaged[0]?.id as string, 'reviewed the session; the agent was fixed');
      assert.equal((await ctx.post(1, 'small')).status, 'executed');
    },
    { policies: { 'limits.cedar': forbidLarge } },
  );
});

test('model output submitted for classification is a step too: past the step budget it is refused (429) and the session suspended', async () => {
  await withBudgets('budgets:\n  session:\n    max_steps: 3\n', async (ctx) => {
    assert.equal((await ctx.post(1, 'a')).status, 'executed');
    for (let i = 0; i < 2; i++) assert.equal((await ctx.rt.gateway.classifyOutput(ctx.agent, { session_id: ctx.session, text: `turn ${i}` })).class, 'informational');
    await assert.rejects(ctx.rt.gateway.classifyOutput(ctx.agent, { session_id: ctx.session, text: 'one turn too many' }), { code: 'ERR_SESSION_BUDGET_EXCEEDED', status: 429 });
    await assertSuspended(ctx, 'budget.steps');
  });
});
