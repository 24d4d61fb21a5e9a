/** In-memory approval request store: for tests and the `memory` state configuration. */
import type { ApprovalPatch, ApprovalRequest, ApprovalStore } from '../core/types.ts';

export class MemoryApprovalStore implements ApprovalStore {
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
