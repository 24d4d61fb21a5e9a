/**
 * The broker's revocation check of a credential it is about to mint, without a store query per
 * credential.
 *
 * A fresh credential has a fresh random jti, so only a wider revocation (user, tenant,
 * connector, agent, tool, session, global) can cover it, and only one made at or after the
 * start of its `iat` second (revocation-key.ts `covers`). So the check reads the entries revoked
 * since that second once (`revokedSince`) and answers from them, in memory, for every credential
 * minted in that second or later. The snapshot is refreshed when it is older than
 * `MINT_CHECK_REFRESH_MS` (revocations another process or replica stored reach this broker's
 * mint check that late at most); a revocation made through this broker is added to it at once.
 * A read that fails rejects the mint (ERR_CREDENTIAL_UNAVAILABLE): it never answers "not
 * revoked" when it could not ask. Verifiers are unaffected: they ask the store on every
 * presentation.
 */
import type { Clock } from '../core/clock.ts';
import { candidateTargets, covers, rowKind, targetKey } from './revocation-key.ts';
import type { RevocationEntry, RevocationStore, RevocationSubject, RevocationTarget } from './types.ts';

/** Longest a snapshot of recent revocations is used before it is read again. */
export const MINT_CHECK_REFRESH_MS = 250;

interface Snapshot {
  /** Entries revoked at or after this (epoch ms). */
  since: number;
  /** clock.now() when the read started. */
  readAt: number;
  entries: RevocationEntry[];
}

const keyOf = (target: RevocationTarget): string => `${rowKind(target)}\u0000${targetKey(target)}`;

export class MintRevocationCheck {
  readonly #store: RevocationStore;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  #snapshot: Snapshot | null = null;
  /** A read under way, and the generation it belongs to. */
  #reading: { since: number; generation: number; promise: Promise<Snapshot> } | null = null;
  /** Bumped by every revocation made here: reads started before it are not reused. */
  #generation = 0;

  constructor(store: RevocationStore, clock: Clock, refreshMs = MINT_CHECK_REFRESH_MS) {
    this.#store = store;
    this.#clock = clock;
    this.#refreshMs = refreshMs;
  }

  /** The entry covering a credential about to be minted for `subject` (fresh jti), or null. */
  async check(subject: RevocationSubject): Promise<RevocationEntry | null> {
    const since = subject.issuedAt * 1000;
    let snapshot = this.#snapshot;
    if (snapshot === null || snapshot.since > since || this.#clock.now() - snapshot.readAt > this.#refreshMs) snapshot = await this.#read(since);
    if (snapshot.entries.length === 0) return null;
    const candidates = new Set(candidateTargets(subject).map(keyOf));
    for (const entry of snapshot.entries) {
      if (candidates.has(keyOf(entry.target)) && covers(entry, subject)) return entry;
    }
    return null;
  }

  /** Called after a revocation through this broker was stored: mints from now on see it. */
  revoked(entry: RevocationEntry): void {
    this.#generation++;
    this.#reading = null;
    const snapshot = this.#snapshot;
    if (snapshot !== null && entry.revokedAt >= snapshot.since) {
      this.#snapshot = { ...snapshot, entries: [...snapshot.entries, entry] };
    }
  }

  #read(since: number): Promise<Snapshot> {
    const reading = this.#reading;
    if (reading !== null && reading.generation === this.#generation && reading.since <= since) return reading.promise;
    const generation = this.#generation;
    const readAt = this.#clock.now();
    const promise = this.#store.revokedSince(since).then(
      (entries) => {
        const snapshot = { since, readAt, entries };
        // A revocation made here while reading may be missing from what was read: not kept.
        if (generation === this.#generation) this.#snapshot = snapshot;
        if (this.#reading?.promise === promise) this.#reading = null;
        return snapshot;
      },
      (error: unknown) => {
        if (this.#reading?.promise === promise) this.#reading = null;
        throw error;
      },
    );
    this.#reading = { since, generation, promise };
    return promise;
  }
}
