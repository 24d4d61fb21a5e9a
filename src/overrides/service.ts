/**
 * Break-glass overrides over an OverrideStore. A human operator holding the override role
 * authorizes one action hash or one tool in their own tenant, for a bounded time, with a
 * mandatory justification; the pipeline asks `match` whether an open override covers a call
 * and counts its use. Every change is described to `onEvent` (awaited: when it rejects, the
 * caller sees the error). Agents never break glass.
 */
import type { Clock } from '../core/clock.ts';
import { isWellFormedId, newId } from '../core/ids.ts';
import type { Principal } from '../core/types.ts';
import { overrideError } from './errors.ts';
import type { OverrideEventSink, OverrideEventType, OverrideOperator } from './events.ts';
import { describe, operatorOf, ownerOf } from './events.ts';
import type { Override, OverrideScope, OverrideStore } from './types.ts';
import { overrideState } from './types.ts';

export const DEFAULT_OVERRIDE_ROLE = 'security-admin';
export const DEFAULT_OVERRIDE_MAX_TTL_SECONDS = 3600;
/** No configuration can let an override live longer than this. */
export const OVERRIDE_TTL_HARD_CAP_SECONDS = 24 * 3600;
export const DEFAULT_OVERRIDE_MAX_JUSTIFICATION_LENGTH = 2000;
const MAX_TOOL_NAME_LENGTH = 200;

const ACTION_HASH = /^sha256:[0-9a-f]{64}$/;
/** C0 and C1 control characters and DEL (a justification is one plain line). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export interface OverrideServiceOptions {
  store: OverrideStore;
  clock: Clock;
  /** Role an operator must hold to create, list, revoke overrides and read the register. */
  role?: string;
  /** Longest lifetime an override may be given (default 1 hour, at most 24 hours). */
  maxTtlSeconds?: number;
  maxJustificationLength?: number;
  onEvent?: OverrideEventSink;
}

export interface CreateOverrideInput {
  scope: OverrideScope;
  justification: string;
  /** Lifetime in whole seconds; defaults to the configured maximum. */
  ttlSeconds?: number;
}

export interface MatchQuery {
  tenant: string;
  tool: string;
  actionHash: string;
  /** Epoch milliseconds; defaults to the service clock. */
  now?: number;
}

/** The override register of one tenant: what leadership reviews. */
export interface OverrideRegister {
  /** Overrides open now. */
  open: number;
  /** Median age of the open overrides, seconds (0 when none is open). */
  median_age_seconds: number;
  /** Every override of the tenant, open and closed, oldest first. */
  overrides: Override[];
}

export class OverrideService {
  readonly #store: OverrideStore;
  readonly #clock: Clock;
  readonly #role: string;
  readonly #maxTtlSeconds: number;
  readonly #maxJustification: number;
  readonly #onEvent: OverrideEventSink | undefined;

  constructor(options: OverrideServiceOptions) {
    const role = options.role ?? DEFAULT_OVERRIDE_ROLE;
    const maxTtl = options.maxTtlSeconds ?? DEFAULT_OVERRIDE_MAX_TTL_SECONDS;
    const maxJustification = options.maxJustificationLength ?? DEFAULT_OVERRIDE_MAX_JUSTIFICATION_LENGTH;
    if (typeof role !== 'string' || role.trim() === '' || role !== role.trim()) {
      throw overrideError('ERR_OVERRIDE_CONFIG_INVALID', { setting: 'role' });
    }
    if (!Number.isInteger(maxTtl) || maxTtl <= 0 || maxTtl > OVERRIDE_TTL_HARD_CAP_SECONDS) {
      throw overrideError('ERR_OVERRIDE_CONFIG_INVALID', { setting: 'maxTtlSeconds', hard_cap_seconds: OVERRIDE_TTL_HARD_CAP_SECONDS });
    }
    if (!Number.isInteger(maxJustification) || maxJustification <= 0) {
      throw overrideError('ERR_OVERRIDE_CONFIG_INVALID', { setting: 'maxJustificationLength' });
    }
    this.#store = options.store;
    this.#clock = options.clock;
    this.#role = role;
    this.#maxTtlSeconds = maxTtl;
    this.#maxJustification = maxJustification;
    this.#onEvent = options.onEvent;
  }

  get role(): string {
    return this.#role;
  }

  get maxTtlSeconds(): number {
    return this.#maxTtlSeconds;
  }

  /** Breaks the glass: records an override owned by `operator` and describes it. */
  async create(operator: Principal, input: CreateOverrideInput): Promise<Override> {
    this.#authorize(operator);
    const raw = (input ?? {}) as Partial<Record<keyof CreateOverrideInput, unknown>>;
    const scope = checkScope(raw.scope, operator);
    const justification = this.#checkJustification(raw.justification);
    const ttlSeconds = this.#checkTtl(raw.ttlSeconds);
    const now = this.#clock.now();
    const override: Override = {
      id: newId('ovr'),
      scope,
      owner: ownerOf(operator),
      justification,
      created_at: now,
      expires_at: now + ttlSeconds * 1000,
      uses: 0,
    };
    await this.#store.create(override);
    await this.#emit('override.created', override, operatorOf(operator), now);
    return override;
  }

  /** Overrides of the operator's tenant, oldest first; `open` keeps only open (true) or closed (false) ones. */
  async list(operator: Principal, filter: { open?: boolean } = {}): Promise<Override[]> {
    this.#authorize(operator);
    const now = this.#clock.now();
    const settled = await this.#settleAll(await this.#store.list({ tenant: operator.tenant }), operatorOf(operator), now);
    return filter.open === undefined ? settled : settled.filter((o) => (overrideState(o, now) === 'open') === filter.open);
  }

  /** One override of the operator's tenant; any other tenant's override is not found. */
  async get(operator: Principal, id: string): Promise<Override> {
    this.#authorize(operator);
    const found = await this.#load(operator, id);
    return this.#settle(found, operatorOf(operator), this.#clock.now());
  }

  /** Closes an open override early, with a mandatory justification. */
  async revoke(operator: Principal, id: string, justification: string): Promise<Override> {
    this.#authorize(operator);
    const text = this.#checkJustification(justification);
    const who = operatorOf(operator);
    const now = this.#clock.now();
    const current = await this.#settle(await this.#load(operator, id), who, now);
    const revocation = { revoked_at: now, revoked_by: ownerOf(operator), revoke_justification: text };
    if (overrideState(current, now) === 'open' && (await this.#store.revoke(current.id, revocation))) {
      const revoked: Override = { ...current, ...revocation };
      await this.#emit('override.revoked', revoked, who, now);
      return revoked;
    }
    const after = (await this.#store.get(current.id)) ?? current;
    throw overrideError(overrideState(after, now) === 'revoked' ? 'ERR_OVERRIDE_REVOKED' : 'ERR_OVERRIDE_EXPIRED', {
      override_id: current.id,
    });
  }

  /**
   * The open override covering a call of `tool` with action hash `actionHash` in `tenant`, or
   * null. An action-hash override is preferred over a tool override; among equals, the oldest.
   * Overrides found past their expiry are closed (once, with an `override.expired` event).
   */
  async match(query: MatchQuery): Promise<Override | null> {
    const { tenant, tool, actionHash } = query;
    if (typeof tenant !== 'string' || tenant === '' || typeof tool !== 'string' || typeof actionHash !== 'string') return null;
    const now = query.now ?? this.#clock.now();
    const found = await this.#settleAll(await this.#store.candidates({ tenant, tool, actionHash }), null, now);
    const open = found.filter((o) => overrideState(o, now) === 'open' && o.scope.tenant === tenant);
    const exact = open.find((o) => o.scope.kind === 'action' && o.scope.action_hash === actionHash);
    return exact ?? open.find((o) => o.scope.kind === 'tool' && o.scope.tool === tool) ?? null;
  }

  /**
   * Counts one call let through by override `id` (`by`: the principal whose call it was).
   * Null when the override closed in the meantime: the caller must then not rely on it.
   */
  async recordUse(id: string, by?: Principal, now: number = this.#clock.now()): Promise<Override | null> {
    const used = await this.#store.recordUse(id, now);
    if (used === null) return null;
    await this.#emit('override.used', used, by === undefined ? null : operatorOf(by), now);
    return used;
  }

  /** The register of the operator's tenant: open count, median age of open overrides, all records. */
  async register(operator: Principal): Promise<OverrideRegister> {
    this.#authorize(operator);
    const now = this.#clock.now();
    const overrides = await this.#settleAll(await this.#store.list({ tenant: operator.tenant }), operatorOf(operator), now);
    const ages = overrides.filter((o) => overrideState(o, now) === 'open').map((o) => (now - o.created_at) / 1000);
    return { open: ages.length, median_age_seconds: median(ages), overrides };
  }

  /**
   * Tenant and creation time of every override open now, all tenants (for the metrics gauges;
   * no operator: nothing is settled or recorded by this read).
   */
  async openOverrides(now: number = this.#clock.now()): Promise<Array<{ tenant: string; createdAt: number }>> {
    return (await this.#store.openAt(now)).map((o) => ({ tenant: o.tenant, createdAt: o.created_at }));
  }

  /** Humans only, holding the override role. */
  #authorize(operator: Principal): void {
    if (operator.agent !== undefined || operator.delegation.length > 0) throw overrideError('ERR_OVERRIDE_AGENT_FORBIDDEN');
    if (!operator.roles.includes(this.#role)) throw overrideError('ERR_OVERRIDE_ROLE_REQUIRED', { required_role: this.#role });
  }

  async #load(operator: Principal, id: string): Promise<Override> {
    if (!isWellFormedId(id, 'ovr')) throw overrideError('ERR_OVERRIDE_NOT_FOUND');
    const found = await this.#store.get(id);
    if (found === null || found.scope.tenant !== operator.tenant) throw overrideError('ERR_OVERRIDE_NOT_FOUND');
    return found;
  }

  async #settleAll(list: Override[], observer: OverrideOperator | null, now: number): Promise<Override[]> {
    const settled: Override[] = [];
    for (const o of list) settled.push(await this.#settle(o, observer, now));
    return settled;
  }

  /** An override past its expiry but not yet closed gets `expired_at` (once, with its event). */
  async #settle(o: Override, observer: OverrideOperator | null, now: number): Promise<Override> {
    if (o.revoked_at !== undefined || o.expired_at !== undefined || o.expires_at > now) return o;
    if (await this.#store.markExpired(o.id, now)) {
      const expired: Override = { ...o, expired_at: now };
      await this.#emit('override.expired', expired, observer, now);
      return expired;
    }
    return (await this.#store.get(o.id)) ?? o;
  }

  #checkJustification(value: unknown): string {
    const text = typeof value === 'string' ? value.trim() : '';
    if (text.length === 0 || text.length > this.#maxJustification || CONTROL.test(text) || !text.isWellFormed()) {
      throw overrideError('ERR_OVERRIDE_JUSTIFICATION_INVALID', { max_length: this.#maxJustification });
    }
    return text;
  }

  #checkTtl(value: unknown): number {
    if (value === undefined) return this.#maxTtlSeconds;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > this.#maxTtlSeconds) {
      throw overrideError('ERR_OVERRIDE_TTL_INVALID', { max_ttl_seconds: this.#maxTtlSeconds });
    }
    return value;
  }

  async #emit(type: OverrideEventType, o: Override, operator: OverrideOperator | null, at: number = this.#clock.now()): Promise<void> {
    if (this.#onEvent === undefined) return;
    await this.#onEvent(describe(type, o, operator, at));
  }
}

/** Exactly one of action hash or tool, in the operator's own tenant; extra keys are refused. */
function checkScope(value: unknown, operator: Principal): OverrideScope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw overrideError('ERR_OVERRIDE_SCOPE_INVALID');
  const scope = value as Record<string, unknown>;
  const keys = Object.keys(scope).sort().join(',');
  const tenant = scope['tenant'];
  if (typeof tenant !== 'string' || tenant === '') throw overrideError('ERR_OVERRIDE_SCOPE_INVALID');
  if (tenant !== operator.tenant) throw overrideError('ERR_OVERRIDE_TENANT_MISMATCH');
  if (scope['kind'] === 'action' && keys === 'action_hash,kind,tenant') {
    const hash = scope['action_hash'];
    if (typeof hash === 'string' && ACTION_HASH.test(hash)) return { kind: 'action', action_hash: hash, tenant };
  }
  if (scope['kind'] === 'tool' && keys === 'kind,tenant,tool') {
    const tool = scope['tool'];
    if (typeof tool === 'string' && tool !== '' && tool === tool.trim() && tool.length <= MAX_TOOL_NAME_LENGTH && !CONTROL.test(tool) && tool.isWellFormed()) {
      return { kind: 'tool', tool, tenant };
    }
  }
  throw overrideError('ERR_OVERRIDE_SCOPE_INVALID');
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}
