/**
 * Wires runtime kill switches: the store and its change feed (from the store factory: memory,
 * SQLite in the state database, or PostgreSQL with its LISTEN/NOTIFY feed), the local snapshot
 * the screen phase checks, the service the doors call, its audit events
 * (`killswitch.engaged` / `killswitch.released`, with the operator and the justification),
 * and the revocation of credentials in flight when a switch is engaged.
 *
 * Revocation coverage (credential revocation subjects are jti, user, tenant, connector):
 * - `tenant`: every credential issued to that tenant up to now is revoked.
 * - `connector`, fleet-wide: every credential for that connector (audience) is revoked.
 *   A tenant-confined connector switch revokes nothing: a connector revocation would
 *   reach other tenants' credentials, and there is no tenant-and-connector subject.
 * - `global`, `agent`, `tool`, `session`: no revocation subject covers them; nothing is
 *   revoked. Their credentials live at most their TTL (credentials.max_ttl_seconds), and
 *   no new call of the scope passes the screen phase meanwhile.
 * The event says what was revoked and what was not covered.
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
export function revocationsFor(s: KillSwitch): { targets: RevocationTarget[]; notCovered: string | null } {
  switch (s.scope) {
    case 'tenant':
      return { targets: [{ kind: 'tenant', tenant: s.target }], notCovered: null };
    case 'connector':
      return s.tenant === null
        ? { targets: [{ kind: 'connector', audience: s.target }], notCovered: null }
        : { targets: [], notCovered: 'connector (tenant-confined: no tenant-and-connector revocation subject)' };
    default:
      return { targets: [], notCovered: s.scope };
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
      const { targets, notCovered } = revocationsFor(s);
      const revoked: string[] = [];
      for (const target of targets) {
        await wiring.revoke(target);
        revoked.push(target.kind === 'tenant' ? `tenant:${target.tenant}` : target.kind === 'connector' ? `connector:${target.audience}` : target.kind);
      }
      return { revoked, not_covered: notCovered };
    },
    onEvent: async (event) => {
      await audit.append([killSwitchAuditEvent(event)]);
    },
  });
  await monitor.start();
  return { service, monitor, gate: { check: (subject) => monitor.check(subject), refresh: () => monitor.refresh() }, close: () => monitor.stop() };
}
