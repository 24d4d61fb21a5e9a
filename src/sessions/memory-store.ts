/**
 * In-memory session store: for tests and the `memory` state configuration. A record is copied
 * and deep-frozen as it is stored and handed out as is (a reader cannot change what the next
 * one gets), as the SQLite store hands out its cached records.
 */
import { deepFreeze } from '../core/freeze.ts';
import type { SessionRecord, SessionStore } from './types.ts';

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, SessionRecord>();

  async create(record: SessionRecord): Promise<void> {
    if (this.#sessions.has(record.id)) throw new Error(`session ${record.id} exists`);
    this.#sessions.set(record.id, deepFreeze(structuredClone(record)));
  }

  async get(id: string): Promise<SessionRecord | null> {
    const found = this.#sessions.get(id);
    return found ?? null;
  }
}
