/** MemoryStore in process memory (tests, `state: memory`). */
import { AirlockError } from '../core/errors.ts';
import type { MemoryQuery, MemoryRecord, MemoryReview, MemoryState, MemoryStore } from './types.ts';

export class MemoryMemoryStore implements MemoryStore {
  readonly #records = new Map<string, MemoryRecord>();
  /** `tenant\0term` -> ids */
  readonly #terms = new Map<string, Set<string>>();
  readonly #termsOf = new Map<string, string[]>();

  async put(record: MemoryRecord, terms: readonly string[]): Promise<void> {
    if (this.#records.has(record.id)) throw new AirlockError('ERR_MEMORY_DUPLICATE', 'a memory with that id exists', { status: 409 });
    this.#records.set(record.id, structuredClone(record));
    const unique = [...new Set(terms)];
    this.#termsOf.set(record.id, unique);
    for (const term of unique) {
      const key = `${record.tenant}\u0000${term}`;
      let ids = this.#terms.get(key);
      if (ids === undefined) this.#terms.set(key, (ids = new Set()));
      ids.add(record.id);
    }
  }

  async get(tenant: string, id: string): Promise<MemoryRecord | null> {
    const record = this.#records.get(id);
    return record === undefined || record.tenant !== tenant ? null : structuredClone(record);
  }

  async list(query: MemoryQuery): Promise<MemoryRecord[]> {
    let candidates: Iterable<MemoryRecord> = this.#records.values();
    if (query.terms !== undefined && query.terms.length > 0) {
      const sets = query.terms.map((t) => this.#terms.get(`${query.tenant}\u0000${t}`) ?? new Set<string>());
      const [first, ...rest] = sets;
      candidates = [...(first ?? [])].filter((id) => rest.every((s) => s.has(id))).map((id) => this.#records.get(id) as MemoryRecord);
    }
    const owners = query.owners === undefined ? null : new Set(query.owners);
    return [...candidates]
      .filter(
        (r) =>
          r.tenant === query.tenant &&
          r.state === query.state &&
          (owners === null || owners.has(r.owner)) &&
          (query.kind === undefined || r.kind === query.kind) &&
          (query.liveAt === undefined || r.expires_at > query.liveAt),
      )
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
      .slice(0, query.limit)
      .map((r) => structuredClone(r));
  }

  async transition(tenant: string, id: string, from: MemoryState, to: MemoryState, review: MemoryReview): Promise<boolean> {
    const record = this.#records.get(id);
    if (record === undefined || record.tenant !== tenant || record.state !== from) return false;
    record.state = to;
    record.review = structuredClone(review);
    return true;
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const record = this.#records.get(id);
    if (record === undefined || record.tenant !== tenant) return false;
    this.#records.delete(id);
    for (const term of this.#termsOf.get(id) ?? []) this.#terms.get(`${tenant}\u0000${term}`)?.delete(id);
    this.#termsOf.delete(id);
    return true;
  }

  async indexEntries(tenant: string, id: string): Promise<number> {
    let n = 0;
    for (const [key, ids] of this.#terms) if (key.startsWith(`${tenant}\u0000`) && ids.has(id)) n++;
    return n;
  }
}
