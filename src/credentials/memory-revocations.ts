/** In-memory RevocationStore: for tests and single-process gateways that accept losing revocations on restart. */
import { candidateTargets, covers, mergeEntries, rowKind, targetKey } from './revocation-key.ts';
import type { RevocationEntry, RevocationStore, RevocationSubject, RevocationTarget } from './types.ts';

function mapKey(target: RevocationTarget): string {
  return `${rowKind(target)}:${targetKey(target)}`;
}

export class MemoryRevocationStore implements RevocationStore {
  readonly #entries = new Map<string, RevocationEntry>();

  async revoke(entry: RevocationEntry): Promise<void> {
    const key = mapKey(entry.target);
    this.#entries.set(key, structuredClone(mergeEntries(this.#entries.get(key), entry)));
  }

  async check(subject: RevocationSubject): Promise<RevocationEntry | null> {
    for (const target of candidateTargets(subject)) {
      const entry = this.#entries.get(mapKey(target));
      if (entry !== undefined && covers(entry, subject)) return structuredClone(entry);
    }
    return null;
  }

  async revokedSince(sinceMs: number): Promise<RevocationEntry[]> {
    return [...this.#entries.values()].filter((entry) => entry.revokedAt >= sinceMs).map((entry) => structuredClone(entry));
  }

  async purge(now: number): Promise<number> {
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }
}
