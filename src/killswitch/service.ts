/**
 * KillSwitchService: engaging and releasing runtime kill switches over a KillSwitchStore.
 * Who may do what:
 * - only humans (a token carrying an acting agent is refused) holding the kill switch role
 *   (default `security-admin`) or the fleet role (default `fleet-admin`);
 * - a switch engaged by a tenant operator is confined to the operator's tenant (it refuses
 *   only that tenant's calls), and a `tenant` switch may only name the operator's tenant;
 * - a `global` switch, or any switch engaged with `fleet: true`, refuses calls of every
 *   tenant and needs the fleet role;
 * - a tenant operator sees and releases the switches of their tenant and the fleet-wide
 *   ones only the fleet role releases; another tenant's switch is not found.
 * Every engage and release is described to `onEvent` (awaited: when it rejects, the caller
 * sees the error, and the change itself stands: engaging is the safe direction, and a
 * release that was committed is committed). After an engage, `revoke` is asked to revoke
 * credentials in flight for the switch's scope (see the pipeline wiring for what a scope
 * covers); its answer is carried in the event.
 */
import type { Clock } from '../core/clock.ts';
import { isWellFormedId, newId } from '../core/ids.ts';
import type { Principal } from '../core/types.ts';
import { killSwitchError } from './errors.ts';
import type { KillSwitch, KillSwitchOperator, KillSwitchScope, KillSwitchStore } from './types.ts';
import { GLOBAL_TARGET, KILL_SWITCH_SCOPES, isEngaged } from './types.ts';

export const DEFAULT_KILL_SWITCH_ROLE = 'security-admin';
/** Who engaged a switch the gateway engaged itself (budget breach, runaway loop). */
export const GATEWAY_OPERATOR = { user: 'airlock-gateway', issuer: 'airlock' } as const;
export const DEFAULT_KILL_SWITCH_FLEET_ROLE = 'fleet-admin';
const MAX_JUSTIFICATION = 2000;
const MAX_TARGET = 256;
/** C0 and C1 control characters and DEL. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export interface EngageKillSwitchInput {
  scope: KillSwitchScope;
  /** Ignored for `global`. */
  target?: string;
  justification: string;
  /** Refuse the scope in every tenant (fleet role); implied by `global`. */
  fleet?: boolean;
}

export type KillSwitchEventType = 'killswitch.engaged' | 'killswitch.released';

export interface KillSwitchEvent {
  type: KillSwitchEventType;
  killSwitch: KillSwitch;
  /** The operator's full identity (agent, delegation) as the audit log names it. */
  operator: Principal;
  /** Epoch milliseconds. */
  at: number;
  /** What the engage revoked: credential revocation targets, and the scopes it could not cover. */
  revocation?: KillSwitchRevocationOutcome;
}

export interface KillSwitchRevocationOutcome {
  revoked: string[];
  not_covered: string | null;
}

export interface KillSwitchServiceOptions {
  store: KillSwitchStore;
  clock: Clock;
  role?: string;
  fleetRole?: string;
  onEvent?: (event: KillSwitchEvent) => void | Promise<void>;
  /** Revokes credentials in flight for an engaged switch (awaited before the event). */
  revoke?: (killSwitch: KillSwitch) => Promise<KillSwitchRevocationOutcome>;
  /** Called after every committed change (the local snapshot refreshes before the answer). */
  afterChange?: () => Promise<void>;
}

export class KillSwitchService {
  readonly #store: KillSwitchStore;
  readonly #clock: Clock;
  readonly #role: string;
  readonly #fleetRole: string;
  readonly #onEvent: KillSwitchServiceOptions['onEvent'];
  readonly #revoke: KillSwitchServiceOptions['revoke'];
  readonly #afterChange: KillSwitchServiceOptions['afterChange'];

  constructor(options: KillSwitchServiceOptions) {
    const role = options.role ?? DEFAULT_KILL_SWITCH_ROLE;
    const fleetRole = options.fleetRole ?? DEFAULT_KILL_SWITCH_FLEET_ROLE;
    for (const [setting, value] of [['role', role], ['fleetRole', fleetRole]] as const) {
      if (typeof value !== 'string' || value.trim() === '' || value !== value.trim()) throw killSwitchError('ERR_KILLSWITCH_CONFIG_INVALID', { setting });
    }
    this.#store = options.store;
    this.#clock = options.clock;
    this.#role = role;
    this.#fleetRole = fleetRole;
    this.#onEvent = options.onEvent;
    this.#revoke = options.revoke;
    this.#afterChange = options.afterChange;
  }

  get store(): KillSwitchStore {
    return this.#store;
  }

  /** Engages a switch: recorded (committed) first, then credentials revoked, then the event. */
  async engage(operator: Principal, input: EngageKillSwitchInput): Promise<KillSwitch> {
    const fleet = this.#authorize(operator);
    const raw = (input ?? {}) as Partial<Record<keyof EngageKillSwitchInput, unknown>>;
    const scope = raw.scope;
    if (typeof scope !== 'string' || !(KILL_SWITCH_SCOPES as readonly string[]).includes(scope)) throw killSwitchError('ERR_KILLSWITCH_SCOPE_INVALID');
    const wide = scope === 'global' || raw.fleet === true;
    if (raw.fleet !== undefined && typeof raw.fleet !== 'boolean') throw killSwitchError('ERR_KILLSWITCH_SCOPE_INVALID', { field: 'fleet' });
    if (wide && !fleet) throw killSwitchError('ERR_KILLSWITCH_FLEET_ROLE_REQUIRED');
    const target = scope === 'global' ? GLOBAL_TARGET : checkTarget(raw.target);
    if (scope === 'tenant' && !wide && target !== operator.tenant) throw killSwitchError('ERR_KILLSWITCH_TENANT_MISMATCH');
    const justification = checkJustification(raw.justification);
    const now = this.#clock.now();
    const killSwitch: KillSwitch = {
      id: newId('ksw'),
      scope: scope as KillSwitchScope,
      target,
      tenant: wide ? null : operator.tenant,
      engaged_by: operatorOf(operator),
      justification,
      engaged_at: now,
    };
    await this.#store.engage(killSwitch);
    await this.#afterChange?.();
    const revocation = this.#revoke === undefined ? undefined : await this.#revoke(killSwitch);
    await this.#onEvent?.({ type: 'killswitch.engaged', killSwitch, operator, at: now, ...(revocation === undefined ? {} : { revocation }) });
    return killSwitch;
  }

  /**
   * Engages a switch on the gateway's own authority (a session that broke its budgets or ran
   * away in a loop): confined to `tenant`, engaged by the gateway identity (`GATEWAY_OPERATOR`),
   * with the justification given; then credentials are revoked and the event told, as for an
   * operator's engage. Only the pipeline calls this — no door reaches it.
   */
  async engageAsGateway(input: { scope: Exclude<KillSwitchScope, 'global'>; target: string; tenant: string; justification: string }): Promise<KillSwitch> {
    const target = checkTarget(input.target);
    const justification = checkJustification(input.justification);
    const now = this.#clock.now();
    const operator: Principal = { ...GATEWAY_OPERATOR, tenant: input.tenant, roles: [], delegation: [] };
    const killSwitch: KillSwitch = { id: newId('ksw'), scope: input.scope, target, tenant: input.tenant, engaged_by: operatorOf(operator), justification, engaged_at: now };
    await this.#store.engage(killSwitch);
    await this.#afterChange?.();
    const revocation = this.#revoke === undefined ? undefined : await this.#revoke(killSwitch);
    await this.#onEvent?.({ type: 'killswitch.engaged', killSwitch, operator, at: now, ...(revocation === undefined ? {} : { revocation }) });
    return killSwitch;
  }

  /** Releases an engaged switch (exactly once under concurrency), with a mandatory justification. */
  async release(operator: Principal, id: string, justification: string): Promise<KillSwitch> {
    const fleet = this.#authorize(operator);
    const found = await this.#visible(operator, fleet, id);
    if (found.tenant === null && !fleet) throw killSwitchError('ERR_KILLSWITCH_FLEET_ROLE_REQUIRED');
    const reason = checkJustification(justification);
    if (!isEngaged(found)) throw killSwitchError('ERR_KILLSWITCH_RELEASED', { id });
    const now = this.#clock.now();
    const released = await this.#store.release(id, { released_at: now, released_by: operatorOf(operator), release_justification: reason });
    if (released === null) throw killSwitchError('ERR_KILLSWITCH_RELEASED', { id });
    await this.#afterChange?.();
    await this.#onEvent?.({ type: 'killswitch.released', killSwitch: released, operator, at: now });
    return released;
  }

  /** The switches the operator may see (their tenant's and the fleet-wide ones; all for the fleet role), oldest first. */
  async list(operator: Principal, filter: { active?: boolean } = {}): Promise<KillSwitch[]> {
    const fleet = this.#authorize(operator);
    const all = filter.active === true ? (await this.#store.active()).switches : await this.#store.list();
    return all.filter((s) => fleet || s.tenant === null || s.tenant === operator.tenant).filter((s) => filter.active !== false || !isEngaged(s));
  }

  /** One visible switch; another tenant's is not found. */
  async get(operator: Principal, id: string): Promise<KillSwitch> {
    return this.#visible(operator, this.#authorize(operator), id);
  }

  async #visible(operator: Principal, fleet: boolean, id: string): Promise<KillSwitch> {
    const found = isWellFormedId(id, 'ksw') ? await this.#store.get(id) : null;
    if (found === null || (!fleet && found.tenant !== null && found.tenant !== operator.tenant)) throw killSwitchError('ERR_KILLSWITCH_NOT_FOUND');
    return found;
  }

  /** Throws unless a human with the role or the fleet role; true for the fleet role. */
  #authorize(operator: Principal): boolean {
    if (operator.agent !== undefined) throw killSwitchError('ERR_KILLSWITCH_AGENT_FORBIDDEN');
    const fleet = operator.roles.includes(this.#fleetRole);
    if (!fleet && !operator.roles.includes(this.#role)) throw killSwitchError('ERR_KILLSWITCH_ROLE_REQUIRED', { role: this.#role });
    return fleet;
  }
}

function operatorOf(principal: Principal): KillSwitchOperator {
  return { user: principal.user, tenant: principal.tenant, issuer: principal.issuer, roles: [...principal.roles] };
}

function checkTarget(value: unknown): string {
  if (typeof value !== 'string') throw killSwitchError('ERR_KILLSWITCH_TARGET_INVALID');
  const target = value.trim();
  if (target === '' || target.length > MAX_TARGET || CONTROL.test(target) || !target.isWellFormed()) throw killSwitchError('ERR_KILLSWITCH_TARGET_INVALID');
  return target;
}

function checkJustification(value: unknown): string {
  if (typeof value !== 'string') throw killSwitchError('ERR_KILLSWITCH_JUSTIFICATION_INVALID');
  const text = value.trim();
  if (text === '' || text.length > MAX_JUSTIFICATION || CONTROL.test(text) || !text.isWellFormed()) throw killSwitchError('ERR_KILLSWITCH_JUSTIFICATION_INVALID');
  return text;
}
