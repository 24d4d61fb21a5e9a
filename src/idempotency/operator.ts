/**
 * Operator actions on idempotency records: list and read a tenant's records, and resolve an
 * unknown outcome (executed / not executed) — humans only (a token with an acting agent is
 * refused), holding the operator role, within their own tenant (another tenant's record is
 * not found). Every resolution carries a justification and is described to `onResolved`
 * (the audit log) after it is committed.
 */
import type { Clock } from '../core/clock.ts';
import { isWellFormedId } from '../core/ids.ts';
import type { Principal } from '../core/types.ts';
import { idempotencyError } from './errors.ts';
import type { IdempotencyRecord, IdempotencyResolution, IdempotencyState, IdempotencyStore } from './types.ts';
import { IDEMPOTENCY_STATES, effectiveState } from './types.ts';

const MAX_JUSTIFICATION = 2000;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A record as operators see it: its reported state, never the kept result itself. */
export interface IdempotencyRecordView extends Omit<IdempotencyRecord, 'outcome'> {
  reported_state: IdempotencyState;
  outcome?: { has_result: boolean; result_omitted?: boolean; error?: { code: string; message: string } };
}

export function recordView(record: IdempotencyRecord, now: number): IdempotencyRecordView {
  const { outcome, ...rest } = record;
  return {
    ...rest,
    reported_state: effectiveState(record, now),
    ...(outcome === undefined
      ? {}
      : {
          outcome: {
            has_result: outcome.result !== undefined,
            ...(outcome.result_omitted === true ? { result_omitted: true } : {}),
            ...(outcome.error === undefined ? {} : { error: outcome.error }),
          },
        }),
  };
}

export interface IdempotencyOperatorsOptions {
  store: IdempotencyStore;
  clock: Clock;
  role: string;
  onResolved?: (record: IdempotencyRecord, operator: Principal | null) => Promise<void>;
}

export class IdempotencyOperators {
  readonly #store: IdempotencyStore;
  readonly #clock: Clock;
  readonly #role: string;
  readonly #onResolved: IdempotencyOperatorsOptions['onResolved'];

  constructor(options: IdempotencyOperatorsOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#role = options.role;
    this.#onResolved = options.onResolved;
  }

  async list(operator: Principal, filter: { state?: string; limit?: number } = {}): Promise<IdempotencyRecordView[]> {
    this.#authorize(operator);
    const wanted = filter.state;
    if (wanted !== undefined && !(IDEMPOTENCY_STATES as readonly string[]).includes(wanted)) throw idempotencyError('ERR_IDEMPOTENCY_STATE_INVALID', { state: wanted });
    const now = this.#clock.now();
    // `outcome_unknown` includes pending records past their lease (read every pending one too).
    const stored =
      wanted === 'outcome_unknown'
        ? [...(await this.#store.list(operator.tenant, { state: 'outcome_unknown', limit: filter.limit ?? 100 })), ...(await this.#store.list(operator.tenant, { state: 'pending', limit: filter.limit ?? 100 }))]
        : await this.#store.list(operator.tenant, { ...(wanted === undefined ? {} : { state: wanted as IdempotencyState }), ...(filter.limit === undefined ? {} : { limit: filter.limit }) });
    return stored
      .map((r) => recordView(r, now))
      .filter((r) => wanted === undefined || r.reported_state === wanted)
      .sort((a, b) => b.created_at - a.created_at);
  }

  async get(operator: Principal, id: string): Promise<IdempotencyRecordView> {
    this.#authorize(operator);
    return recordView(await this.#visible(operator, id), this.#clock.now());
  }

  /** The operator's word on an unknown outcome (exactly one resolution applies under concurrency). */
  async resolve(operator: Principal, id: string, outcome: unknown, justification: unknown): Promise<IdempotencyRecordView> {
    this.#authorize(operator);
    if (outcome !== 'executed' && outcome !== 'not_executed') throw idempotencyError('ERR_IDEMPOTENCY_OUTCOME_INVALID');
    const reason = checkJustification(justification);
    await this.#visible(operator, id);
    const now = this.#clock.now();
    const resolution: IdempotencyResolution = { via: 'operator', outcome, by: { user: operator.user, tenant: operator.tenant, issuer: operator.issuer }, justification: reason, at: now };
    const resolved = await this.#store.resolve(id, resolution, now);
    if (resolved === null) throw idempotencyError('ERR_IDEMPOTENCY_NOT_UNKNOWN', { id });
    await this.#onResolved?.(resolved, operator);
    return recordView(resolved, now);
  }

  /** A record of the operator's tenant (for the status check run on their behalf). */
  async visible(operator: Principal, id: string): Promise<IdempotencyRecord> {
    this.#authorize(operator);
    return this.#visible(operator, id);
  }

  async #visible(operator: Principal, id: string): Promise<IdempotencyRecord> {
    const found = isWellFormedId(id, 'idm') ? await this.#store.get(id) : null;
    if (found === null || found.owner.tenant !== operator.tenant) throw idempotencyError('ERR_IDEMPOTENCY_NOT_FOUND');
    return found;
  }

  #authorize(operator: Principal): void {
    if (operator.agent !== undefined || !operator.roles.includes(this.#role)) throw idempotencyError('ERR_IDEMPOTENCY_ROLE_REQUIRED', { role: this.#role });
  }
}

function checkJustification(value: unknown): string {
  if (typeof value !== 'string') throw idempotencyError('ERR_IDEMPOTENCY_JUSTIFICATION_INVALID');
  const text = value.trim();
  if (text === '' || text.length > MAX_JUSTIFICATION || CONTROL.test(text)) throw idempotencyError('ERR_IDEMPOTENCY_JUSTIFICATION_INVALID');
  return text;
}
