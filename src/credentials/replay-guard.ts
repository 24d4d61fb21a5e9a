/**
 * Seen-jti memory for one-time credentials: a jti is remembered until its credential
 * expires. Bounded: when full of unexpired jtis it refuses new ones (ERR_CREDENTIAL_UNAVAILABLE)
 * instead of forgetting one, because forgetting would let that credential be replayed.
 */
import { credentialError } from './errors.ts';

export class ReplayGuard {
  readonly #capacity: number;
  /** jti -> expiry (epoch seconds); insertion order is kept by Map. */
  readonly #seen = new Map<string, number>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Records the jti; throws ERR_CREDENTIAL_REPLAYED when it was seen and has not expired. */
  use(jti: string, exp: number, nowSeconds: number): void {
    const known = this.#seen.get(jti);
    if (known !== undefined && known >= nowSeconds) {
      throw credentialError('ERR_CREDENTIAL_REPLAYED', 'credential was already used');
    }
    if (this.#seen.size >= this.#capacity) this.#sweep(nowSeconds);
    if (this.#seen.size >= this.#capacity) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'too many one-time credentials in flight');
    }
    this.#seen.set(jti, exp);
  }

  #sweep(nowSeconds: number): void {
    for (const [jti, exp] of this.#seen) {
      if (exp < nowSeconds) this.#seen.delete(jti);
    }
  }
}
