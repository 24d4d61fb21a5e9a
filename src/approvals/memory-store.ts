/** In-memory approval request store: for tests and the `memory` state configuration. */
import type { ApprovalBacklog, ApprovalPatch, ApprovalRequest, ApprovalStore } from './types.ts';

export class MemoryApprovalStore implements ApprovalStore, ApprovalBacklog {
  readonly #requests = new Map<string, ApprovalRequest>();

  async create(request: ApprovalRequest): Promise<void> {
    if (this.#requests.has(request.id)) throw new Error(`approval ${request.id} exists`);
    this.#requests.set(request.id, structuredClone(request));
  }

  async get(id: string): Promise<ApprovalRequest | null> {
    const found = this.#requests.get(id);
    return found === undefined ? null : structuredClone(found);
  }

  async list(filter: { tenant: string; state?: ApprovalRequest['state'] }): Promise<ApprovalRequest[]> {
    return [...this.#requests.values()]
      .filter((r) => r.tenant === filter.tenant && (filter.state === undefined || r.state === filter.state))
      .sort((a, b) => a.created_at - b.created_at)
      .map((r) => structuredClone(r));
  }

  async pendingByTenant(now: number): Promise<Array<{ tenant: string; count: number; oldestCreatedAt: number }>> {
    const byTenant = new Map<string, { tenant: string; count: number; oldestCreatedAt: number }>();
    for (const r of this.#requests.values()) {
      if (r.state !== 'pending' || r.expires_at <= now) continue;
      const seen = byTenant.get(r.tenant);
      if (seen === undefined) byTenant.set(r.tenant, { tenant: r.tenant, count: 1, oldestCreatedAt: r.created_at });
      else byTenant.set(r.tenant, { tenant: r.tenant, count: seen.count + 1, oldestCreatedAt: Math.min(seen.oldestCreatedAt, r.created_at) });
    }
    return [...byTenant.values()].sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  }

  /** Check and set run in one synchronous step: no other caller can interleave between them. */
  async transition(
    id: string,
    from: ApprovalRequest['state'],
    to: ApprovalRequest['state'],
    patch: ApprovalPatch = {},
  ): Promise<boolean> {
    const found = this.#requests.get(id);
    if (found === undefined || found.state !== from) return false;
    this.#requests.set(id, { ...found, ...structuredClone(patch), state: to });
    return true;
  }
}
