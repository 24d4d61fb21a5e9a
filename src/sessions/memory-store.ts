/** In-memory session store: for tests and the `memory` state configuration. */
import type { SessionRecord, SessionStore } from './types.ts';

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, SessionRecord>();

  async create(record: SessionRecord): Promise<void> {
    if (this.#sessions.has(record.id)) throw new Error(`session ${record.id} exists`);
    this.#sessions.set(record.id, structuredClone(record));
  }

  async get(id: string): Promise<SessionRecord | null> {
    const found = this.#sessions.get(id);
    return found === undefined ? null : structuredClone(found);
  }
}
