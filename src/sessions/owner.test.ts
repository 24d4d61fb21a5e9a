import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Principal } from '../core/types.ts';
import type { SessionRecord } from './types.ts';
import { isSessionOwner, sessionOwnerOf } from './owner.ts';

const principal = (over: Partial<Principal> = {}): Principal =>
  ({ user: 'sam', tenant: 'acme', issuer: 'https://idp', roles: ['support'], delegation: [], ...over }) as Principal;
const sessionOf = (p: Principal): SessionRecord => ({ id: 'ses_x', owner: sessionOwnerOf(p), attributes: {}, createdAt: 0 });

test('a session belongs to the principal that created it, acting agent included', () => {
  const asSupport = principal({ agent: 'support-agent' });
  const session = sessionOf(asSupport);
  assert.equal(isSessionOwner(session, asSupport), true);
  assert.equal(isSessionOwner(session, principal({ agent: 'other-agent' })), false, 'same user, another agent');
  assert.equal(isSessionOwner(session, principal()), false, 'same user, no agent');
  assert.equal(isSessionOwner(sessionOf(principal()), asSupport), false, "an agent cannot use the user's own session");
});

test('property: a session is owned exactly when issuer, tenant, user and agent all agree', () => {
  const part = fc.constantFrom('a', 'b');
  const arbitrary = fc.record({ user: part, tenant: part, issuer: part, agent: fc.option(part, { nil: undefined }) });
  fc.assert(
    fc.property(arbitrary, arbitrary, (creator, caller) => {
      const p = (x: typeof creator) => principal({ user: x.user, tenant: x.tenant, issuer: x.issuer, ...(x.agent === undefined ? {} : { agent: x.agent }) });
      const same = creator.user === caller.user && creator.tenant === caller.tenant && creator.issuer === caller.issuer && creator.agent === caller.agent;
      assert.equal(isSessionOwner(sessionOf(p(creator)), p(caller)), same);
    }),
  );
});
