/**
 * Who a session belongs to: the issuer, tenant and user of the token that created it, and
 * the agent that token was acting as. One rule, used by every door: a session is the
 * caller's only when all four agree, so a user acting as one agent cannot use the session
 * of the same user acting as another.
 */
import type { Principal, SessionOwner } from '../core/types.ts';
import type { SessionRecord } from './types.ts';

export function sessionOwnerOf(principal: Principal): SessionOwner {
  return { user: principal.user, tenant: principal.tenant, issuer: principal.issuer, agent: principal.agent ?? null };
}

export function isSessionOwner(session: SessionRecord, principal: Principal): boolean {
  const owner = session.owner;
  return (
    owner.user === principal.user &&
    owner.tenant === principal.tenant &&
    owner.issuer === principal.issuer &&
    owner.agent === (principal.agent ?? null)
  );
}
