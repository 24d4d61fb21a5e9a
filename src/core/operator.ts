/**
 * The identity of a person acting on the gateway's own records (a reviewer, an override
 * owner, whoever revokes): what audit events name as the operator, taken from a verified
 * Principal and copied, so later changes to the principal cannot alter the record.
 */
import type { Principal } from './types.ts';

export interface Operator {
  user: string;
  tenant: string;
  issuer: string;
  roles: string[];
  agent: string | null;
  delegation: string[];
}

export function operatorOf(principal: Principal): Operator {
  return {
    user: principal.user,
    tenant: principal.tenant,
    issuer: principal.issuer,
    roles: [...principal.roles],
    agent: principal.agent ?? null,
    delegation: [...principal.delegation],
  };
}
