/**
 * In-memory CredentialUseStore: the default one-time replay guard of a verifier, for a
 * single upstream process that accepts forgetting uses on restart (a one-time credential
 * still alive then is accepted once more; use a durable adapter to prevent that). Bounded:
 * when full of unexpired jtis it refuses new ones (ERR_CREDENTIAL_UNAVAILABLE) instead of
 * forgetting one, because forgetting would let that credential be replayed.
 */
import { credentialError } from './errors.ts';
import type { CredentialUseStore } from './types.ts';

export const DEFAULT_MAX_TRACKED_CREDENTIALS = 100_000;

export class MemoryCredentialUseStore implements CredentialUseStore {
  readonly #capacity: number;
  /** jti -> expiry (epoch seconds). */
  readonly #seen = new Map<string, number>();

  constructor(capacity = DEFAULT_MAX_TRACKED_CREDENTIALS) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw credentialError('ERR_CREDENTIAL_CONFIG', 'max tracked credentials must be a positive whole number');
    }
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records the jti (synchronously, so concurrent calls are ordered and exactly one of them
   * records it). When full, expired entries are purged first; still full: refused.
   */
  async use(jti: string, expiresAtSeconds: number, nowSeconds: number): Promise<void> {
    if (this.#seen.has(jti)) throw credentialError('ERR_CREDENTIAL_REPLAYED', 'credential was already used');
    if (this.#seen.size >= this.#capacity) this.#purge(nowSeconds);
    if (this.#seen.size >= this.#capacity) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'too many one-time credentials in flight');
    }
    this.#seen.set(jti, expiresAtSeconds);
  }

  /** Drops the entries that expired before `nowSeconds`; how many. */
  async purge(nowSeconds: number): Promise<number> {
    return this.#purge(nowSeconds);
  }

  #purge(nowSeconds: number): number {
    let dropped = 0;
    for (const [jti, exp] of this.#seen) {
      if (exp < nowSeconds) {
        this.#seen.delete(jti);
        dropped++;
      }
    }
    return dropped;
  }
}
