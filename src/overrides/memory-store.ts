/** In-memory override store: for tests and the `memory` state configuration. */
import type { Override, OverrideRevocation, OverrideStore } from './types.ts';

export class MemoryOverrideStore implements OverrideStore {
  readonly #overrides = new Map<string, Override>();

  async create(override: Override): Promise<void> {
    if (this.#overrides.has(override.id)) throw new Error(`override ${override.id} exists`);
    this.#overrides.set(override.id, structuredClone(override));
  }

  async get(id: string): Promise<Override | null> {
    const found = this.#overrides.get(id);
    return found === undefined ? null : structuredClone(found);
  }

  async list(filter: { tenant: string }): Promise<Override[]> {
    return sorted([...this.#overrides.values()].filter((o) => o.scope.tenant === filter.tenant));
  }

  async candidates(query: { tenant: string; actionHash: string; tool: string }): Promise<Override[]> {
    return sorted(
      [...this.#overrides.values()].filter(
        (o) =>
          o.scope.tenant === query.tenant &&
          o.revoked_at === undefined &&
          o.expired_at === undefined &&
          (o.scope.kind === 'action' ? o.scope.action_hash === query.actionHash : o.scope.tool === query.tool),
      ),
    );
  }

  /** Each mutation checks and sets in one synchronous step: no other caller interleaves. */
  async revoke(id: string, revocation: OverrideRevocation): Promise<boolean> {
    const found = this.#overrides.get(id);
    if (found === undefined || !isOpen(found, revocation.revoked_at)) return false;
    this.#overrides.set(id, { ...found, ...structuredClone(revocation) });
    return true;
  }

  async markExpired(id: string, at: number): Promise<boolean> {
    const found = this.#overrides.get(id);
    if (found === undefined || found.revoked_at !== undefined || found.expired_at !== undefined || found.expires_at > at) return false;
    this.#overrides.set(id, { ...found, expired_at: at });
    return true;
  }

  async recordUse(id: string, at: number): Promise<Override | null> {
    const found = this.#overrides.get(id);
    if (found === undefined || !isOpen(found, at)) return null;
    const used = { ...found, uses: found.uses + 1 };
    this.#overrides.set(id, used);
    return structuredClone(used);
  }

  async openAt(at: number): Promise<Array<{ tenant: string; created_at: number }>> {
    return [...this.#overrides.values()].filter((o) => isOpen(o, at)).map((o) => ({ tenant: o.scope.tenant, created_at: o.created_at }));
  }
}

function isOpen(o: Override, at: number): boolean {
  return o.revoked_at === undefined && o.expired_at === undefined && o.expires_at > at;
}

function sorted(list: Override[]): Override[] {
  return list
    .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((o) => structuredClone(o));
}
