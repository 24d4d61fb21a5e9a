/** Break-glass rules: who may override, mandatory justification, bounds, matching, the register, events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Principal } from '../core/types.ts';
import type { OverrideEvent } from './events.ts';
import { MemoryOverrideStore } from './memory-store.ts';
import { OverrideService, type OverrideServiceOptions } from './service.ts';
import { HASH_A, HASH_B } from './store.contract.ts';
import type { OverrideScope } from './types.ts';

const START = Date.UTC(2026, 0, 1);
const HOUR_MS = 3_600_000;

function principal(overrides: Partial<Principal> = {}): Principal {
  return { user: 'sec', tenant: 'acme', roles: ['security-admin'], delegation: [], issuer: 'https://idp.example', ...overrides };
}
const operator = principal();
const actionScope: OverrideScope = { kind: 'action', action_hash: HASH_A, tenant: 'acme' };
const toolScope: OverrideScope = { kind: 'tool', tool: 'billing.refund', tenant: 'acme' };
const WHY = 'incident inc-42: refunds blocked by a faulty rule';

function setup(options: Partial<OverrideServiceOptions> = {}) {
  const store = new MemoryOverrideStore();
  const clock = new ManualClock(START);
  const events: OverrideEvent[] = [];
  const service = new OverrideService({ store, clock, onEvent: (e) => void events.push(e), ...options });
  return { store, clock, events, service };
}

function code(c: string, status?: number) {
  return (error: unknown) => {
    assert.ok(error instanceof AirlockError, String(error));
    assert.equal(error.code, c);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  };
}

test('an override is recorded with its named owner, timestamp and justification, and described', async () => {
  const { service, store, events } = setup();
  const created = await service.create(operator, { scope: actionScope, justification: `  ${WHY} `, ttlSeconds: 600 });
  assert.match(created.id, /^ovr_/);
  assert.deepEqual(created.owner, { user: 'sec', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] });
  assert.equal(created.justification, WHY);
  assert.equal(created.created_at, START);
  assert.equal(created.expires_at, START + 600_000);
  assert.equal(created.uses, 0);
  assert.deepEqual(created.scope, actionScope);
  assert.deepEqual(await store.get(created.id), created);
  assert.equal(events.length, 1);
  const event = events[0];
  assert.equal(event?.type, 'override.created');
  assert.equal(event?.override_id, created.id);
  assert.equal(event?.operator?.user, 'sec');
  assert.equal(event?.operator?.issuer, 'https://idp.example');
  assert.equal(event?.at, START);
  assert.equal(event?.justification, WHY);
});

test('an override without a valid justification is refused and nothing is recorded', async () => {
  const { service, store, events } = setup({ maxJustificationLength: 50 });
  const bad: unknown[] = [undefined, null, '', '   ', 42, 'x'.repeat(51), 'line one\nline two', 'tab\there', 'bell\u0007', 'c1\u0085', 'lone \ud83d surrogate'];
  for (const justification of bad) {
    await assert.rejects(
      service.create(operator, { scope: actionScope, justification } as never),
      code('ERR_OVERRIDE_JUSTIFICATION_INVALID', 400),
      JSON.stringify(justification),
    );
  }
  await assert.rejects(service.create(operator, { scope: actionScope } as never), code('ERR_OVERRIDE_JUSTIFICATION_INVALID', 400));
  assert.deepEqual(await store.list({ tenant: 'acme' }), []);
  assert.equal(events.length, 0);
  assert.ok(await service.create(operator, { scope: actionScope, justification: 'x'.repeat(50) }));
});

test('a non-role operator, an agent token and another tenant cannot break glass', async () => {
  const { service, store, events } = setup();
  const refusals: Array<[Principal, OverrideScope, string, number]> = [
    [principal({ roles: ['support'] }), actionScope, 'ERR_OVERRIDE_ROLE_REQUIRED', 403],
    [principal({ roles: [] }), toolScope, 'ERR_OVERRIDE_ROLE_REQUIRED', 403],
    [principal({ agent: 'ops-bot', delegation: ['ops-bot'] }), actionScope, 'ERR_OVERRIDE_AGENT_FORBIDDEN', 403],
    [principal({ delegation: ['ops-bot'] }), toolScope, 'ERR_OVERRIDE_AGENT_FORBIDDEN', 403],
    [principal(), { ...actionScope, tenant: 'globex' }, 'ERR_OVERRIDE_TENANT_MISMATCH', 403],
    [principal({ tenant: 'globex' }), toolScope, 'ERR_OVERRIDE_TENANT_MISMATCH', 403],
  ];
  for (const [who, scope, c, status] of refusals) {
    await assert.rejects(service.create(who, { scope, justification: WHY }), code(c, status), `${who.user}/${c}`);
  }
  assert.deepEqual(await store.list({ tenant: 'acme' }), []);
  assert.deepEqual(await store.list({ tenant: 'globex' }), []);
  assert.equal(events.length, 0);
});

test('the override role is configurable', async () => {
  const { service } = setup({ role: 'incident-commander' });
  await assert.rejects(service.create(operator, { scope: actionScope, justification: WHY }), code('ERR_OVERRIDE_ROLE_REQUIRED'));
  const ic = principal({ roles: ['incident-commander'] });
  assert.equal((await service.create(ic, { scope: actionScope, justification: WHY })).owner.roles[0], 'incident-commander');
});

test('scope is exactly one action hash or one tool', async () => {
  const { service } = setup();
  const bad: unknown[] = [
    undefined,
    null,
    [],
    { kind: 'action', tenant: 'acme' },
    { kind: 'action', action_hash: 'abc', tenant: 'acme' },
    { kind: 'action', action_hash: HASH_A.toUpperCase(), tenant: 'acme' },
    { kind: 'action', action_hash: HASH_A, tool: 'billing.refund', tenant: 'acme' },
    { kind: 'tool', tool: '', tenant: 'acme' },
    { kind: 'tool', tool: ' billing.refund', tenant: 'acme' },
    { kind: 'tool', tool: 'x'.repeat(201), tenant: 'acme' },
    { kind: 'tool', tool: 'bill\u0000ing', tenant: 'acme' },
    { kind: 'tool', tool: 'billing.refund\ud800', tenant: 'acme' },
    { kind: 'tool', tool: 'billing.refund', action_hash: HASH_A, tenant: 'acme' },
    { kind: 'tenant', tenant: 'acme' },
    { kind: 'tool', tool: 'billing.refund' },
  ];
  for (const scope of bad) {
    await assert.rejects(service.create(operator, { scope, justification: WHY } as never), code('ERR_OVERRIDE_SCOPE_INVALID', 400), JSON.stringify(scope));
  }
});

test('lifetime is bounded: default and configurable maximum, hard cap of 24 hours', async () => {
  const { service } = setup();
  assert.equal(service.maxTtlSeconds, 3600);
  const byDefault = await service.create(operator, { scope: toolScope, justification: WHY });
  assert.equal(byDefault.expires_at - byDefault.created_at, HOUR_MS);
  for (const ttlSeconds of [0, -1, 3601, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '60']) {
    await assert.rejects(
      service.create(operator, { scope: toolScope, justification: WHY, ttlSeconds } as never),
      code('ERR_OVERRIDE_TTL_INVALID', 400),
      String(ttlSeconds),
    );
  }
  assert.equal((await service.create(operator, { scope: toolScope, justification: WHY, ttlSeconds: 3600 })).expires_at, START + HOUR_MS);

  const day = setup({ maxTtlSeconds: 86_400 }).service;
  assert.equal((await day.create(operator, { scope: toolScope, justification: WHY, ttlSeconds: 86_400 })).expires_at, START + 24 * HOUR_MS);
  await assert.rejects(day.create(operator, { scope: toolScope, justification: WHY, ttlSeconds: 86_401 }), code('ERR_OVERRIDE_TTL_INVALID'));
  for (const maxTtlSeconds of [86_401, 0, -5, 1.5]) {
    assert.throws(() => setup({ maxTtlSeconds }), code('ERR_OVERRIDE_CONFIG_INVALID'), String(maxTtlSeconds));
  }
  assert.throws(() => setup({ role: ' ' }), code('ERR_OVERRIDE_CONFIG_INVALID'));
});

test('match prefers an action-hash override over a tool override and stays inside the tenant', async () => {
  const { service, clock } = setup();
  const tool = await service.create(operator, { scope: toolScope, justification: WHY });
  clock.advance(1000);
  const action = await service.create(operator, { scope: actionScope, justification: WHY });
  const globexOp = principal({ tenant: 'globex' });
  const foreign = await service.create(globexOp, { scope: { kind: 'tool', tool: 'crm.delete', tenant: 'globex' }, justification: WHY });

  assert.equal((await service.match({ tenant: 'acme', tool: 'billing.refund', actionHash: HASH_A }))?.id, action.id);
  assert.equal((await service.match({ tenant: 'acme', tool: 'billing.refund', actionHash: HASH_B }))?.id, tool.id);
  assert.equal((await service.match({ tenant: 'acme', tool: 'other.tool', actionHash: HASH_A }))?.id, action.id, 'exact action, any tool name');
  assert.equal(await service.match({ tenant: 'acme', tool: 'other.tool', actionHash: HASH_B }), null);
  assert.equal(await service.match({ tenant: 'globex', tool: 'billing.refund', actionHash: HASH_A }), null, 'acme overrides never cover globex');
  assert.equal(await service.match({ tenant: 'acme', tool: 'crm.delete', actionHash: HASH_B }), null, 'globex overrides never cover acme');
  assert.equal((await service.match({ tenant: 'globex', tool: 'crm.delete', actionHash: HASH_B }))?.id, foreign.id);
  assert.equal(await service.match({ tenant: '', tool: 'billing.refund', actionHash: HASH_A }), null);
});

test('expired and revoked overrides never match; expiry is noticed once', async () => {
  const { service, clock, events, store } = setup();
  const action = await service.create(operator, { scope: actionScope, justification: WHY, ttlSeconds: 60 });
  const tool = await service.create(operator, { scope: toolScope, justification: WHY, ttlSeconds: 600 });
  const query = { tenant: 'acme', tool: 'billing.refund', actionHash: HASH_A };
  clock.advance(59_999);
  assert.equal((await service.match(query))?.id, action.id, 'open until the last millisecond');
  assert.equal((await service.match({ ...query, now: START + 60_000 }))?.id, tool.id, 'an explicit now is honoured');
  clock.advance(1);
  assert.equal((await service.match(query))?.id, tool.id, 'at expiry the action override no longer covers; the tool one does');
  assert.equal(events.filter((e) => e.type === 'override.expired').length, 1);
  const expiredEvent = events.find((e) => e.type === 'override.expired');
  assert.equal(expiredEvent?.override_id, action.id);
  assert.equal(expiredEvent?.operator, null);
  assert.equal(expiredEvent?.at, START + 60_000);
  assert.equal((await store.get(action.id))?.expired_at, START + 60_000);
  await service.match(query);
  assert.equal(events.filter((e) => e.type === 'override.expired').length, 1, 'noticed once');

  const revoked = await service.revoke(principal({ user: 'lead' }), tool.id, 'rule fixed in bundle v12');
  assert.equal(revoked.revoked_at, START + 60_000);
  assert.deepEqual(revoked.revoked_by, { user: 'lead', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] });
  assert.equal(revoked.revoke_justification, 'rule fixed in bundle v12');
  assert.equal(await service.match(query), null);
  assert.equal(await service.recordUse(tool.id), null, 'a revoked override cannot be used');
  assert.equal(await service.recordUse(action.id), null, 'an expired override cannot be used');
});

test('recordUse counts uses and describes them with the calling principal', async () => {
  const { service, events, clock } = setup();
  const o = await service.create(operator, { scope: actionScope, justification: WHY });
  const caller = principal({ user: 'sam', roles: [], agent: 'support-bot', delegation: ['support-bot'] });
  clock.advance(5000);
  assert.equal((await service.recordUse(o.id, caller))?.uses, 1);
  assert.equal((await service.recordUse(o.id))?.uses, 2);
  const used = events.filter((e) => e.type === 'override.used');
  assert.equal(used.length, 2);
  assert.equal(used[0]?.operator?.user, 'sam');
  assert.equal(used[0]?.operator?.agent, 'support-bot');
  assert.equal(used[0]?.owner.user, 'sec');
  assert.equal(used[0]?.at, START + 5000);
  assert.equal(used[1]?.operator, null);
  assert.equal(await service.recordUse(newId('ovr')), null);
});

test('revoke needs the role, a human, a justification, the same tenant, and an open override', async () => {
  const { service, events, clock } = setup();
  const o = await service.create(operator, { scope: actionScope, justification: WHY });
  await assert.rejects(service.revoke(principal({ roles: [] }), o.id, 'done'), code('ERR_OVERRIDE_ROLE_REQUIRED', 403));
  await assert.rejects(service.revoke(principal({ agent: 'bot', delegation: ['bot'] }), o.id, 'done'), code('ERR_OVERRIDE_AGENT_FORBIDDEN', 403));
  await assert.rejects(service.revoke(operator, o.id, '  '), code('ERR_OVERRIDE_JUSTIFICATION_INVALID', 400));
  await assert.rejects(service.revoke(principal({ tenant: 'globex' }), o.id, 'done'), code('ERR_OVERRIDE_NOT_FOUND', 404));
  await assert.rejects(service.revoke(operator, 'not-an-id', 'done'), code('ERR_OVERRIDE_NOT_FOUND', 404));
  await assert.rejects(service.revoke(operator, newId('ovr'), 'done'), code('ERR_OVERRIDE_NOT_FOUND', 404));
  assert.equal(events.length, 1);
  await service.revoke(operator, o.id, 'done');
  assert.equal(events.at(-1)?.type, 'override.revoked');
  assert.equal(events.at(-1)?.revoke_justification, 'done');
  await assert.rejects(service.revoke(operator, o.id, 'again'), code('ERR_OVERRIDE_REVOKED', 409));

  const short = await service.create(operator, { scope: toolScope, justification: WHY, ttlSeconds: 1 });
  clock.advance(1000);
  await assert.rejects(service.revoke(operator, short.id, 'too late'), code('ERR_OVERRIDE_EXPIRED', 410));
  assert.equal(events.at(-1)?.type, 'override.expired');
  assert.equal(events.at(-1)?.operator?.user, 'sec', 'the observer of the expiry is named');
});

test('list and register see the operator\'s tenant only, and only for the role', async () => {
  const { service } = setup();
  const mine = await service.create(operator, { scope: actionScope, justification: WHY });
  await service.create(principal({ tenant: 'globex' }), { scope: { ...toolScope, tenant: 'globex' }, justification: WHY });
  assert.deepEqual((await service.list(operator)).map((o) => o.id), [mine.id]);
  assert.deepEqual((await service.get(operator, mine.id)).id, mine.id);
  await assert.rejects(service.get(principal({ tenant: 'globex' }), mine.id), code('ERR_OVERRIDE_NOT_FOUND', 404));
  for (const who of [principal({ roles: ['viewer'] }), principal({ agent: 'bot', delegation: ['bot'] })]) {
    await assert.rejects(service.list(who), code(who.agent === undefined ? 'ERR_OVERRIDE_ROLE_REQUIRED' : 'ERR_OVERRIDE_AGENT_FORBIDDEN', 403));
    await assert.rejects(service.register(who), AirlockError);
  }
});

test('the register counts open overrides and their median age (ManualClock)', async () => {
  const { service, clock } = setup({ maxTtlSeconds: 86_400 });
  assert.deepEqual(await service.register(operator), { open: 0, median_age_seconds: 0, overrides: [] });
  const a = await service.create(operator, { scope: actionScope, justification: WHY, ttlSeconds: 86_400 }); // t=0
  clock.advance(100_000);
  const b = await service.create(operator, { scope: toolScope, justification: WHY, ttlSeconds: 86_400 }); // t=100s
  clock.advance(200_000);
  const c = await service.create(operator, { scope: { ...toolScope, tool: 'crm.delete' }, justification: WHY, ttlSeconds: 86_400 }); // t=300s
  clock.advance(60_000); // now = 360s: ages 360, 260, 60
  let reg = await service.register(operator);
  assert.equal(reg.open, 3);
  assert.equal(reg.median_age_seconds, 260);
  assert.deepEqual(reg.overrides.map((o) => o.id), [a.id, b.id, c.id]);

  const d = await service.create(operator, { scope: { ...actionScope, action_hash: HASH_B }, justification: WHY, ttlSeconds: 30 }); // t=360s, age 0
  reg = await service.register(operator);
  assert.equal(reg.open, 4);
  assert.equal(reg.median_age_seconds, (260 + 60) / 2);

  await service.revoke(operator, a.id, 'closed after review');
  clock.advance(30_000); // d expires; ages now b=290, c=90
  reg = await service.register(operator);
  assert.equal(reg.open, 2);
  assert.equal(reg.median_age_seconds, (290 + 90) / 2);
  assert.equal(reg.overrides.length, 4, 'closed overrides stay in the register');
  assert.equal(reg.overrides.find((o) => o.id === d.id)?.expired_at, START + 390_000);
  assert.ok(reg.overrides.find((o) => o.id === a.id)?.revoked_at !== undefined);
  assert.deepEqual((await service.list(operator, { open: true })).map((o) => o.id), [b.id, c.id]);
  assert.deepEqual((await service.list(operator, { open: false })).map((o) => o.id), [a.id, d.id]);
});

test('a failing event sink surfaces to the caller', async () => {
  const { service } = setup({ onEvent: () => Promise.reject(new Error('audit down')) });
  await assert.rejects(service.create(operator, { scope: actionScope, justification: WHY }), /audit down/);
});
