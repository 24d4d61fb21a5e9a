/**
 * IdempotencyStore in this process's memory: one gateway, records lost on restart. Every
 * method is synchronous under the hood, so concurrent callers never interleave inside one.
 */
import type { ClaimResult, IdempotencyRecord, IdempotencyResolution, IdempotencyState, IdempotencyStore, SettleInput } from './types.ts';

/** The outcome of a call resolved as executed: it ran, its result was never seen. */
export const EXECUTED_ELSEWHERE = { result_omitted: true } as const;

const copy = (record: IdempotencyRecord): IdempotencyRecord => structuredClone(record);

export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #byScope = new Map<string, IdempotencyRecord>();
  readonly #byId = new Map<string, IdempotencyRecord>();

  async claim(record: IdempotencyRecord): Promise<ClaimResult> {
    const existing = this.#byScope.get(record.scope);
    if (existing !== undefined) return { claimed: false, record: copy(existing) };
    const stored = copy(record);
    this.#byScope.set(stored.scope, stored);
    this.#byId.set(stored.id, stored);
    return { claimed: true, record: copy(stored) };
  }

  async find(scope: string): Promise<IdempotencyRecord | null> {
    const found = this.#byScope.get(scope);
    return found === undefined ? null : copy(found);
  }

  async get(id: string): Promise<IdempotencyRecord | null> {
    const found = this.#byId.get(id);
    return found === undefined ? null : copy(found);
  }

  async settle(id: string, actionId: string, input: SettleInput): Promise<IdempotencyRecord | null> {
    const found = this.#byId.get(id);
    if (found === undefined || found.state !== 'pending' || found.action_id !== actionId) return null;
    found.state = input.state;
    found.outcome = structuredClone(input.outcome);
    found.updated_at = input.at;
    return copy(found);
  }

  async release(id: string, actionId: string): Promise<boolean> {
    const found = this.#byId.get(id);
    if (found === undefined || found.state !== 'pending' || found.action_id !== actionId) return false;
    this.#drop(found);
    return true;
  }

  async resolve(id: string, resolution: IdempotencyResolution, now: number): Promise<IdempotencyRecord | null> {
    const found = this.#byId.get(id);
    if (found === undefined) return null;
    const unknown = found.state === 'outcome_unknown' || (found.state === 'pending' && found.lease_until < now);
    if (!unknown) return null;
    found.resolution = structuredClone(resolution);
    found.updated_at = resolution.at;
    if (resolution.outcome === 'not_executed') {
      this.#drop(found);
      return copy(found);
    }
    found.state = 'completed';
    found.outcome = { ...EXECUTED_ELSEWHERE };
    return copy(found);
  }

  async list(tenant: string, filter: { state?: IdempotencyState; limit?: number } = {}): Promise<IdempotencyRecord[]> {
    return [...this.#byId.values()]
      .filter((r) => r.owner.tenant === tenant && (filter.state === undefined || r.state === filter.state))
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
      .slice(0, filter.limit ?? 100)
      .map(copy);
  }

  async purge(before: number): Promise<number> {
    let dropped = 0;
    for (const record of [...this.#byId.values()]) {
      if ((record.state === 'completed' || record.state === 'failed') && record.updated_at < before) {
        this.#drop(record);
        dropped++;
      }
    }
    return dropped;
  }

  #drop(record: IdempotencyRecord): void {
    this.#byId.delete(record.id);
    this.#byScope.delete(record.scope);
  }
}
