/**
 * Audit-event descriptions of override changes. The service hands them to an `onEvent`
 * callback (awaited); the pipeline writes them to the audit store.
 */
import type { Operator } from '../core/operator.ts';
import { operatorOf } from '../core/operator.ts';
import type { Principal } from '../core/types.ts';
import type { Override, OverrideOwner, OverrideScope } from './types.ts';

export type OverrideEventType = 'override.created' | 'override.revoked' | 'override.used' | 'override.expired';

/** Whoever caused the event (core's Operator). */
export type OverrideOperator = Operator;
export { operatorOf };

export interface OverrideEvent {
  type: OverrideEventType;
  override_id: string;
  tenant: string;
  scope: OverrideScope;
  /** Named owner of the override. */
  owner: OverrideOwner;
  /**
   * Creator (created), revoker (revoked), the principal whose call used it (used, when known)
   * or whoever observed the expiry; null when the gateway itself noticed.
   */
  operator: OverrideOperator | null;
  /** Epoch milliseconds, from the service's clock. */
  at: number;
  justification: string;
  revoke_justification?: string;
  expires_at: number;
  uses: number;
}

export type OverrideEventSink = (event: OverrideEvent) => void | Promise<void>;


export function ownerOf(principal: Principal): OverrideOwner {
  return { user: principal.user, tenant: principal.tenant, issuer: principal.issuer, roles: [...principal.roles] };
}

export function describe(type: OverrideEventType, override: Override, operator: OverrideOperator | null, at: number): OverrideEvent {
  return {
    type,
    override_id: override.id,
    tenant: override.scope.tenant,
    scope: { ...override.scope },
    owner: { ...override.owner, roles: [...override.owner.roles] },
    operator,
    at,
    justification: override.justification,
    ...(override.revoke_justification === undefined ? {} : { revoke_justification: override.revoke_justification }),
    expires_at: override.expires_at,
    uses: override.uses,
  };
}
