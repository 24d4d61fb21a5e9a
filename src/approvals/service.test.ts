/** The approval workflow's rules: who may decide, who gets the token, expiry, binding, replay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt } from 'jose';
import { AirlockError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { MemoryApprovalStore } from './memory-store.ts';
import { ApprovalService } from './service.ts';
import { ManualClock } from '../core/clock.ts';
import { START, TEST_KEY, TTL_MS, makeService, pendingRequest, principal, requester, reviewer } from './test-helpers.ts';

async function setup() {
  const store = new MemoryApprovalStore();
  const request = pendingRequest();
  await store.create(request);
  return { ...makeService(store), request };
}

function code(c: string, status?: number) {
  return (error: unknown) => {
    assert.ok(error instanceof AirlockError, String(error));
    assert.equal(error.code, c);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  };
}

test('a reviewer with the role approves; the requester fetches the token and consumes it once', async () => {
  const { service, events, request, store } = await setup();
  const approved = await service.approve(reviewer, request.id, '  customer verified by phone ');
  assert.equal(approved.state, 'approved');
  assert.equal(approved.justification, 'customer verified by phone');
  assert.deepEqual(approved.decided_by, { user: 'fin', issuer: 'https://idp.example', roles: ['finance-lead'] });
  assert.deepEqual(await store.get(request.id), approved);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.type, 'approval.approved');
  assert.equal(events[0]?.operator?.user, 'fin');
  assert.equal(events[0]?.justification, 'customer verified by phone');

  const token = await service.fetchToken(requester, request.id);
  assert.equal(await service.fetchToken(principal(), request.id), token, 'same user without the agent gets the same token');
  const claims = decodeJwt(token);
  assert.equal(claims.aud, 'airlock-approval');
  assert.equal(claims['ah'], request.action_hash);
  assert.equal(claims['apr'], request.id);
  assert.equal(claims.sub, 'sam');
  assert.equal(claims['tenant'], 'acme');
  assert.equal(claims.jti, approved.token_jti);
  assert.equal(claims.exp, Math.floor(request.expires_at / 1000));

  const consumed = await service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id });
  assert.equal(consumed.state, 'consumed');
  assert.equal((await store.get(request.id))?.state, 'consumed');
  assert.equal(events.at(-1)?.type, 'approval.consumed');
  assert.equal(events.at(-1)?.operator?.agent, 'support-bot');

  await assert.rejects(service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id }), code('ERR_APPROVAL_CONSUMED', 409));
  assert.equal(events.at(-1)?.type, 'approval.replay_attempted');
  await assert.rejects(service.fetchToken(requester, request.id), code('ERR_APPROVAL_CONSUMED'));
});

test('the requester, an agent token, a reviewer without the role and another tenant cannot decide', async () => {
  const { service, events, request, store } = await setup();
  const refusals: Array<[typeof reviewer, string, number]> = [
    [principal({ roles: ['finance-lead'] }), 'ERR_APPROVAL_SELF_DECISION', 403],
    [principal({ user: 'support-bot', roles: ['finance-lead'] }), 'ERR_APPROVAL_SELF_DECISION', 403],
    [principal({ user: 'fin', roles: ['finance-lead'], agent: 'ops-bot', delegation: ['ops-bot'] }), 'ERR_APPROVAL_AGENT_FORBIDDEN', 403],
    [principal({ user: 'fin', roles: ['finance-lead'], delegation: ['ops-bot'] }), 'ERR_APPROVAL_AGENT_FORBIDDEN', 403],
    [principal({ user: 'fin', roles: ['support'] }), 'ERR_APPROVAL_ROLE_REQUIRED', 403],
    [principal({ user: 'fin', tenant: 'globex', roles: ['finance-lead'] }), 'ERR_APPROVAL_NOT_FOUND', 404],
  ];
  for (const [who, c, status] of refusals) {
    await assert.rejects(service.approve(who, request.id, 'looks fine'), code(c, status), `${who.user} approve`);
    await assert.rejects(service.deny(who, request.id, 'looks wrong'), code(c, status), `${who.user} deny`);
  }
  assert.equal((await store.get(request.id))?.state, 'pending');
  assert.equal(events.length, 0);
});

test('another tenant\'s request is indistinguishable from a missing one', async () => {
  const { service, request } = await setup();
  const outsider = principal({ user: 'fin', tenant: 'globex', roles: ['finance-lead'] });
  const errors: unknown[] = [];
  for (const attempt of [
    () => service.get(outsider, request.id),
    () => service.get(outsider, newId('apr')),
    () => service.get(outsider, 'not an id'),
    () => service.fetchToken(principal({ tenant: 'globex' }), request.id),
    () => service.approve(outsider, request.id, 'ok'),
    () => service.approve(outsider, newId('apr'), 'ok'),
  ]) {
    await attempt().then(() => assert.fail('expected a refusal'), (e: unknown) => errors.push(e));
  }
  const shapes = errors.map((e) => (e instanceof AirlockError ? JSON.stringify([e.toJSON(), e.status]) : String(e)));
  assert.equal(new Set(shapes).size, 1, shapes.join('\n'));
  assert.equal((errors[0] as AirlockError).code, 'ERR_APPROVAL_NOT_FOUND');
  assert.deepEqual(await service.list(outsider), []);
  assert.deepEqual((await service.list(reviewer)).map((r) => r.id), [request.id]);
  assert.equal((await service.get(reviewer, request.id)).id, request.id);
});

test('a justification is mandatory and bounded', async () => {
  const { service, request, store } = await setup();
  // A lone surrogate could not be recorded: the decision would take effect with its audit event refused.
  for (const bad of ['', '   ', 'x'.repeat(2001), 'ok\u0000', 'ok\u001b[31m', 'ok\ud800', '\udc00ok', undefined as unknown as string]) {
    await assert.rejects(service.approve(reviewer, request.id, bad), code('ERR_APPROVAL_JUSTIFICATION_INVALID', 400));
  }
  assert.equal((await store.get(request.id))?.state, 'pending');
  assert.equal((await service.approve(reviewer, request.id, 'line one\nline two\t' + 'x'.repeat(1900))).state, 'approved');
});

test('only a pending request can be decided; a denied one yields no token', async () => {
  const { service, events, request } = await setup();
  const denied = await service.deny(reviewer, request.id, 'refund already issued');
  assert.equal(denied.state, 'denied');
  assert.equal(denied.token_jti, undefined);
  assert.equal(events.at(-1)?.type, 'approval.denied');
  await assert.rejects(service.approve(principal({ user: 'lee', roles: ['finance-lead'] }), request.id, 'ok'), code('ERR_APPROVAL_NOT_PENDING', 409));
  await assert.rejects(service.fetchToken(requester, request.id), code('ERR_APPROVAL_NOT_APPROVED', 409));
});

test('a pending request cannot be fetched as a token, and only the requester gets one', async () => {
  const { service, request } = await setup();
  await assert.rejects(service.fetchToken(requester, request.id), code('ERR_APPROVAL_NOT_APPROVED'));
  await service.approve(reviewer, request.id, 'ok');
  await assert.rejects(service.fetchToken(reviewer, request.id), code('ERR_APPROVAL_NOT_REQUESTER', 403));
  await assert.rejects(service.fetchToken(principal({ user: 'kim' }), request.id), code('ERR_APPROVAL_NOT_REQUESTER'));
  // No issuer recorded on the request: user and tenant identify the requester.
  assert.equal(typeof (await service.fetchToken(principal({ issuer: 'https://other.example' }), request.id)), 'string');
});

test('a recorded requester issuer is part of the requester identity', async () => {
  const store = new MemoryApprovalStore();
  const request = pendingRequest({ requester: { user: 'sam', agent: 'support-bot', issuer: 'https://idp.example' } });
  await store.create(request);
  const { service } = makeService(store);
  await service.approve(reviewer, request.id, 'ok');
  await assert.rejects(service.fetchToken(principal({ issuer: 'https://other.example' }), request.id), code('ERR_APPROVAL_NOT_REQUESTER'));
  const token = await service.fetchToken(requester, request.id);
  await assert.rejects(
    service.consume(token, { actionHash: request.action_hash, principal: principal({ issuer: 'https://other.example' }), session: request.session_id }),
    code('ERR_APPROVAL_NOT_REQUESTER'),
  );
});

test('an expired request is refused, marked expired once, and its expiry described', async () => {
  const { service, events, request, store, clock } = await setup();
  clock.set(request.expires_at);
  await assert.rejects(service.approve(reviewer, request.id, 'ok'), code('ERR_APPROVAL_EXPIRED', 410));
  assert.equal((await store.get(request.id))?.state, 'expired');
  assert.deepEqual(events.map((e) => e.type), ['approval.expired']);
  assert.equal(events[0]?.previous_state, 'pending');
  await assert.rejects(service.deny(reviewer, request.id, 'ok'), code('ERR_APPROVAL_EXPIRED'));
  await assert.rejects(service.fetchToken(requester, request.id), code('ERR_APPROVAL_EXPIRED'));
  assert.equal(events.length, 1);
});

test('listing marks requests found past expiry as expired', async () => {
  const store = new MemoryApprovalStore();
  const old = pendingRequest({ expires_at: START + 1000 });
  const fresh = pendingRequest({ created_at: START + 1 });
  for (const r of [old, fresh]) await store.create(r);
  const { service, clock, events } = makeService(store);
  clock.advance(1000);
  assert.deepEqual((await service.list(reviewer, 'pending')).map((r) => r.id), [fresh.id]);
  assert.deepEqual((await service.list(reviewer, 'expired')).map((r) => r.id), [old.id]);
  assert.deepEqual(events.map((e) => [e.type, e.approval_id]), [['approval.expired', old.id]]);
});

test('an expired token is refused and its approval expires', async () => {
  const { service, events, request, store, clock } = await setup();
  await service.approve(reviewer, request.id, 'ok');
  const token = await service.fetchToken(requester, request.id);
  clock.set(request.expires_at);
  await assert.rejects(service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id }), code('ERR_APPROVAL_EXPIRED', 410));
  assert.equal((await store.get(request.id))?.state, 'expired');
  assert.equal(events.at(-1)?.type, 'approval.expired');
  assert.equal(events.at(-1)?.previous_state, 'approved');
});

test('the token never outlives its request and works until it expires', async () => {
  const store = new MemoryApprovalStore();
  const request = pendingRequest({ expires_at: START + TTL_MS + 500 });
  await store.create(request);
  const { service, clock } = makeService(store);
  await service.approve(reviewer, request.id, 'ok');
  const token = await service.fetchToken(requester, request.id);
  assert.equal(decodeJwt(token).exp, Math.floor((START + TTL_MS) / 1000), 'token exp never outlives the request');
  clock.set(START + TTL_MS - 1);
  assert.equal((await service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id })).state, 'consumed');
});

test('any change to the action needs a new approval', async () => {
  const { service, request, store } = await setup();
  await service.approve(reviewer, request.id, 'ok');
  const token = await service.fetchToken(requester, request.id);
  const changed = 'sha256:' + 'a'.repeat(63) + 'b';
  await assert.rejects(service.consume(token, { actionHash: changed, principal: requester, session: request.session_id }), code('ERR_APPROVAL_MISMATCH', 403));
  assert.equal((await store.get(request.id))?.state, 'approved');
  await assert.rejects(service.consume(token, { actionHash: request.action_hash, principal: principal({ user: 'kim' }), session: request.session_id }), code('ERR_APPROVAL_NOT_REQUESTER'));
  await assert.rejects(
    service.consume(token, { actionHash: request.action_hash, principal: principal({ tenant: 'globex' }), session: request.session_id }),
    code('ERR_APPROVAL_NOT_REQUESTER'),
  );
  assert.equal((await service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id })).state, 'consumed');
});

test('forged, re-signed and foreign tokens are refused', async () => {
  const { service, request, store } = await setup();
  await service.approve(reviewer, request.id, 'ok');
  const token = await service.fetchToken(requester, request.id);
  const input = { actionHash: request.action_hash, principal: requester, session: request.session_id };
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, ah: 'sha256:x' })).toString('base64url')}.${s}`;
  const otherKey = new Uint8Array(32).fill(9);
  const sign = (claims: Record<string, unknown>, key = TEST_KEY, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
  const forgeries = [
    'not-a-jwt',
    tampered,
    await sign(payload, otherKey),
    await sign({ ...payload, aud: 'airlock' }),
    await sign({ ...payload, iss: 'someone' }),
    await sign({ ...payload, jti: 'jti_other' }),
    await sign({ ...payload, apr: undefined }),
    await sign({ ...payload, exp: undefined }),
    await sign(payload, new Uint8Array(48).fill(7), 'HS384'),
  ];
  for (const forged of forgeries) {
    await assert.rejects(service.consume(forged, input), code('ERR_APPROVAL_TOKEN_INVALID', 403), forged.slice(0, 40));
  }
  assert.equal((await store.get(request.id))?.state, 'approved');
});

test('a short signing key is refused at construction', () => {
  assert.throws(
    () => new ApprovalService({ store: new MemoryApprovalStore(), clock: new ManualClock(), signingKey: new Uint8Array(16) }),
    code('ERR_APPROVAL_KEY_INVALID'),
  );
});
