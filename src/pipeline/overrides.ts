/**
 * Wires break-glass overrides: the service over the state database, its audit events (every
 * creation, use, revocation and expiry, with the operator's identity), and the narrow view
 * the pipeline's authorize and approve phases use.
 */
import type { Clock } from '../core/clock.ts';
import type { AuditEventInput } from '../core/types.ts';
import type { AuditStore } from '../audit/index.ts';
import type { AirlockConfig } from '../config/types.ts';
import type { OverrideEvent } from '../overrides/index.ts';
import { OverrideService, type OverrideStore } from '../overrides/index.ts';
import type { PipelineEnv } from './env.ts';
import { refsOf, standaloneEvent } from './events.ts';

export function overrideAuditEvent(event: OverrideEvent): AuditEventInput {
  const operator = event.operator;
  const actor = { user: operator?.user ?? null, tenant: operator?.tenant ?? event.tenant, roles: operator?.roles ?? [], agent: operator?.agent ?? null };
  return standaloneEvent(
    event.type,
    actor,
    {
      override_id: event.override_id,
      scope: { ...event.scope },
      owner: { user: event.owner.user, tenant: event.owner.tenant, issuer: event.owner.issuer },
      justification: event.justification,
      ...(event.revoke_justification === undefined ? {} : { revoke_justification: event.revoke_justification }),
      at: new Date(event.at).toISOString(),
      expires_at: new Date(event.expires_at).toISOString(),
      uses: event.uses,
    },
    { ...(event.scope.kind === 'tool' ? { tool: event.scope.tool } : {}), ...refsOf(event.override_id) },
  );
}

export function createOverrideService(config: AirlockConfig, store: OverrideStore, audit: AuditStore, clock: Clock): OverrideService {
  return new OverrideService({
    store,
    clock,
    role: config.overrides.role,
    maxTtlSeconds: config.overrides.maxTtlSeconds,
    onEvent: async (event) => {
      await audit.append([overrideAuditEvent(event)]);
    },
  });
}

/** What the pipeline may ask of the override register. */
export function overrideGate(service: OverrideService): NonNullable<PipelineEnv['overrides']> {
  return {
    match: (query) => service.match(query),
    recordUse: (id, by) => service.recordUse(id, by),
  };
}
