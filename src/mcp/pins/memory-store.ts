/**
 * In-memory PinStore (tests, and gateways with memory state: pins last as long as the
 * process). `get` hands out the stored record frozen (as the SQLite store does), the others a copy.
 */
import { deepFreeze } from '../../core/freeze.ts';
import { applyDecision, applyObservation } from './transitions.ts';
import type { Observation, ObservationResult, PinDecision, PinRecord, PinState, PinStore } from './types.ts';

const key = (upstream: string, tool: string) => `${upstream}\u0000${tool}`;

export class MemoryPinStore implements PinStore {
  readonly #records = new Map<string, PinRecord>();

  async observe(observation: Observation): Promise<ObservationResult> {
    const k = key(observation.upstream, observation.tool);
    const { write, ...result } = applyObservation(this.#records.get(k) ?? null, observation);
    if (write) this.#records.set(k, deepFreeze(structuredClone(result.record)));
    return structuredClone(result);
  }

  async get(upstream: string, tool: string): Promise<PinRecord | null> {
    const record = this.#records.get(key(upstream, tool));
    return record ?? null;
  }

  async list(filter: { upstream?: string; state?: PinState } = {}): Promise<PinRecord[]> {
    return [...this.#records.values()]
      .filter((r) => (filter.upstream === undefined || r.upstream === filter.upstream) && (filter.state === undefined || r.state === filter.state))
      .sort((a, b) => a.observed_at - b.observed_at || a.upstream.localeCompare(b.upstream) || a.tool.localeCompare(b.tool))
      .map((r) => structuredClone(r));
  }

  async decide(decision: PinDecision): Promise<PinRecord> {
    const k = key(decision.upstream, decision.tool);
    const next = applyDecision(this.#records.get(k) ?? null, decision);
    this.#records.set(k, deepFreeze(structuredClone(next)));
    return structuredClone(next);
  }
}
