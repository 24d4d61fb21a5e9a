/**
 * Wires runtime kill switches: the store and its change feed (from the store factory: memory,
 * SQLite in the state database, or PostgreSQL with its LISTEN/NOTIFY feed), the local snapshot
 * the screen phase checks, the service the doors call, its audit events
 * (`killswitch.engaged` / `killswitch.released`, with the operator and the justification),
 * and the revocation of credentials in flight when a switch is engaged.
 *
 * Revocation coverage: every scope revokes the just-in-time credentials it covers that were
 * issued up to the engage (later ones cannot be minted: the screen phase refuses the calls).
 * A switch confined to a tenant revokes only that tenant's credentials; a fleet-wide one
 * (`global`, or engaged with the fleet role) every tenant's.
 * - `global`: every credential (`global` revocation).
 * - `tenant`: every credential of that tenant.
 * - `agent`: every credential whose acting agent (`act.sub`) is the target.
 * - `tool`: every credential minted for the tool (claim `tool`).
 * - `connector`: every credential for the connector (audience).
 * - `session`: every credential minted for a call in the session (claim `sid`).
 * A credential minted before its claim existed (no `sid`) is reached by the others only. The
 * event lists what was revoked; `not_covered` stays in it, null (every scope is covered).
 */
import type { JsonValue } from '../core/canonical.ts';
import type { Clock } from '../core/clock.ts';
import type { AuditEventInput } from '../core/types.ts';
import type { AuditStore } from '../audit/index.ts';
import type { RevocationTarget } from '../credentials/index.ts';
import type { KillSwitch, KillSwitchEvent, KillSwitchFeed, KillSwitchRevocationOutcome, KillSwitchStore } from '../killswitch/index.ts';
import { KillSwitchMonitor, KillSwitchService } from '../killswitch/index.ts';
import type { PipelineEnv } from './env.ts';
import { actorOf, refsOf, standaloneEvent } from './events.ts';

export function killSwitchAuditEvent(event: KillSwitchEvent): AuditEventInput {
  const s = event.killSwitch;
  const data: Record<string, JsonValue> = {
    kill_switch_id: s.id,
    scope: s.scope,
    target: s.target,
    tenant: s.tenant,
    operator: { user: event.operator.user, tenant: event.operator.tenant, issuer: event.operator.issuer, roles: [...event.operator.roles] },
    justification: s.justification,
    engaged_at: new Date(s.engaged_at).toISOString(),
  };
  if (event.type === 'killswitch.released') {
    data.release_justification = s.release_justification ?? '';
    data.released_at = new Date(s.released_at ?? event.at).toISOString();
  }
  if (event.revocation !== undefined) data.credentials = { revoked: event.revocation.revoked, not_covered: event.revocation.not_covered };
  return standaloneEvent(event.type, { ...actorOf(event.operator), agent: null }, data, {
    ...(s.scope === 'tool' ? { tool: s.target } : {}),
    ...(s.scope === 'session' ? { session_id: s.target } : {}),
    ...refsOf(s.id),
  });
}

/** The credential revocations an engaged switch maps to (see the module comment). */
export function revocationsFor(s: KillSwitch): RevocationTarget[] {
  const tenant = s.tenant;
  switch (s.scope) {
    case 'global':
      return [{ kind: 'global' }];
    case 'tenant':
      return [{ kind: 'tenant', tenant: s.target }];
    case 'agent':
      return [{ kind: 'agent', tenant, agent: s.target }];
    case 'tool':
      return [{ kind: 'tool', tenant, tool: s.target }];
    case 'connector': {
      // As the switch itself matches (ignoring case): a URL host audience is always lowercase.
      const audiences = s.target === s.target.toLowerCase() ? [s.target] : [s.target, s.target.toLowerCase()];
      return audiences.map((audience) => (tenant === null ? { kind: 'connector', audience } : { kind: 'connector', audience, tenant }));
    }
    case 'session':
      return [{ kind: 'session', tenant, session: s.target }];
  }
}

/** How a revoked target is named in the `killswitch.engaged` event (the switch's tenant is in the event). */
export function revocationLabel(target: RevocationTarget): string {
  switch (target.kind) {
    case 'jti':
      return `jti:${target.jti}`;
    case 'user':
      return `user:${target.user}`;
    case 'tenant':
      return `tenant:${target.tenant}`;
    case 'connector':
      return `connector:${target.audience}`;
    case 'agent':
      return `agent:${target.agent}`;
    case 'tool':
      return `tool:${target.tool}`;
    case 'session':
      return `session:${target.session}`;
    case 'global':
      return 'global';
  }
}

export interface KillSwitchControl {
  service: KillSwitchService;
  monitor: KillSwitchMonitor;
  /** What the screen phase checks. */
  gate: NonNullable<PipelineEnv['killSwitches']>;
  close(): Promise<void>;
}

export interface KillSwitchWiring {
  /** From the store factory: memory, SQLite in the state database, or the fleet's PostgreSQL. */
  store: KillSwitchStore;
  /** A push channel of changes (PostgreSQL LISTEN/NOTIFY); without one the poll is the only refresh besides local changes. */
  feed?: KillSwitchFeed;
  revoke: (target: RevocationTarget) => Promise<void>;
  onFault?: (what: string, error: unknown) => void;
  pollIntervalMs?: number;
  staleAfterMs?: number;
}

export async function createKillSwitches(audit: AuditStore, clock: Clock, wiring: KillSwitchWiring): Promise<KillSwitchControl> {
  const store = wiring.store;
  const monitor = new KillSwitchMonitor({
    store,
    ...(wiring.feed === undefined ? {} : { feed: wiring.feed }),
    ...(wiring.pollIntervalMs === undefined ? {} : { pollIntervalMs: wiring.pollIntervalMs }),
    ...(wiring.staleAfterMs === undefined ? {} : { staleAfterMs: wiring.staleAfterMs }),
    ...(wiring.onFault === undefined ? {} : { onFault: wiring.onFault }),
  });
  const service = new KillSwitchService({
    store,
    clock,
    afterChange: () => monitor.refresh(),
    revoke: async (s): Promise<KillSwitchRevocationOutcome> => {
      const revoked: string[] = [];
      for (const target of revocationsFor(s)) {
        await wiring.revoke(target);
        revoked.push(revocationLabel(target));
      }
      return { revoked, not_covered: null };
    },
    onEvent: async (event) => {
      await audit.append([killSwitchAuditEvent(event)]);
    },
  });
  await monitor.start();
  return { service, monitor, gate: { check: (subject) => monitor.check(subject), refresh: () => monitor.refresh() }, close: () => monitor.stop() };
}
