/**
 * Who may consume an approval: exactly the principal that asked (user, tenant, issuer and
 * acting agent), in the session it asked in, once. Property-based over presenters that differ
 * from the requester in any of those, plus concurrent consumers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Principal } from '../core/types.ts';
import { MemoryApprovalStore } from './memory-store.ts';
import { makeService, pendingRequest, principal, requester, reviewer } from './test-helpers.ts';
import type { ConsumeInput } from './service.ts';

const ASKED_IN = 'ses_asked';

async function approved(overrides: Parameters<typeof pendingRequest>[0] = {}) {
  const store = new MemoryApprovalStore();
  const request = pendingRequest({
    requester: { user: 'sam', agent: 'support-bot', issuer: 'https://idp.example' },
    session_id: ASKED_IN,
    ...overrides,
  });
  await store.create(request);
  const ctx = makeService(store);
  await ctx.service.approve(reviewer, request.id, 'ok');
  const token = await ctx.service.fetchToken(requester, request.id);
  return { ...ctx, request, token };
}

test('another agent of the requesting user, or the user without the agent, cannot consume the approval', async () => {
  const { service, request, token, store } = await approved();
  const others: Principal[] = [
    principal({ agent: 'ops-bot', delegation: ['ops-bot'] }),
    principal(),
  ];
  for (const who of others) {
    await assert.rejects(service.consume(token, { actionHash: request.action_hash, principal: who, session: request.session_id }), { code: 'ERR_APPROVAL_NOT_REQUESTER' }, who.agent ?? 'no agent');
  }
  assert.equal((await store.get(request.id))?.state, 'approved');
  assert.equal((await service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id })).state, 'consumed');
});

test('an approval asked for in one session is not consumed from another (or from none)', async () => {
  const { service, request, token, store } = await approved();
  for (const session of ['ses_other', null]) {
    await assert.rejects(service.consume(token, { actionHash: request.action_hash, principal: requester, session }), { code: 'ERR_APPROVAL_MISMATCH' }, String(session));
  }
  assert.equal((await store.get(request.id))?.state, 'approved');
  assert.equal((await service.consume(token, { actionHash: request.action_hash, principal: requester, session: ASKED_IN })).state, 'consumed');
});

test('an approval asked for outside any session is not consumed from inside one', async () => {
  const { service, request, token } = await approved({ session_id: null });
  await assert.rejects(service.consume(token, { actionHash: request.action_hash, principal: requester, session: 'ses_any' }), { code: 'ERR_APPROVAL_MISMATCH' });
  assert.equal((await service.consume(token, { actionHash: request.action_hash, principal: requester, session: null })).state, 'consumed');
});

const presenter = fc.record({
  user: fc.constantFrom('sam', 'kim'),
  tenant: fc.constantFrom('acme', 'globex'),
  issuer: fc.constantFrom('https://idp.example', 'https://other.example'),
  agent: fc.constantFrom<string | undefined>('support-bot', 'ops-bot', undefined),
  session: fc.constantFrom<string | null>(ASKED_IN, 'ses_other', null),
});

test('property: of any presenters, only the exact requester in its session consumes, and only once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(presenter, { minLength: 1, maxLength: 8 }), async (presenters) => {
      const { service, request, token, store } = await approved();
      const outcomes = await Promise.allSettled(
        presenters.map(({ session, agent, ...who }) =>
          service.consume(token, {
            actionHash: request.action_hash,
            principal: principal({ ...who, ...(agent === undefined ? {} : { agent, delegation: [agent] }) }),
            session,
          }),
        ),
      );
      const exact = presenters.map(
        (p) => p.user === 'sam' && p.tenant === 'acme' && p.issuer === 'https://idp.example' && p.agent === 'support-bot' && p.session === ASKED_IN,
      );
      const accepted = outcomes.map((o) => o.status === 'fulfilled');
      assert.equal(accepted.filter(Boolean).length, exact.some(Boolean) ? 1 : 0, 'exactly one exact presenter consumes');
      accepted.forEach((ok, i) => assert.ok(!ok || exact[i], `presenter ${JSON.stringify(presenters[i])} must not consume`));
      assert.equal((await store.get(request.id))?.state, exact.some(Boolean) ? 'consumed' : 'approved');
    }),
    { numRuns: 300 },
  );
});

test('a caller that leaves the session out (untyped library use) is refused, whatever the approval was asked in', async () => {
  for (const askedIn of [ASKED_IN, null]) {
    const { service, request, token, store } = await approved({ session_id: askedIn });
    const input = { actionHash: request.action_hash, principal: requester } as unknown as ConsumeInput;
    await assert.rejects(service.consume(token, input), { code: 'ERR_APPROVAL_MISMATCH' }, String(askedIn));
    assert.equal((await store.get(request.id))?.state, 'approved');
  }
});

test('no actor of the delegation chain decides the request it steered, whatever its roles', async () => {
  const chain = ['support-bot', 'kim', 'triage-bot'];
  for (const actor of chain) {
    const { service, store } = makeService(new MemoryApprovalStore());
    const request = pendingRequest({ requester: { user: 'sam', agent: 'support-bot', issuer: 'https://idp.example', delegation: chain } });
    await store.create(request);
    for (const verdict of ['approve', 'deny'] as const) {
      await assert.rejects(service[verdict](principal({ user: actor, roles: ['finance-lead'] }), request.id, 'fine by me'), { code: 'ERR_APPROVAL_SELF_DECISION' }, `${actor} ${verdict}`);
    }
    assert.equal((await store.get(request.id))?.state, 'pending');
    assert.equal((await service.approve(reviewer, request.id, 'checked')).state, 'approved', 'a reviewer outside the chain decides');
  }
});
