/**
 * DurableProvenance: argument provenance whose source of truth is a ProvenanceStore (an
 * append-only log per session) and whose ProvenanceTracker is only a cache of it.
 *
 * - Registering content appends it to the log first (durable) and only then indexes it here.
 * - Every question about a session (trace, explain, names) first catches the cache up with
 *   the log: one `since(session, cursor)` read, usually empty. So content registered by
 *   another process (a second replica, or this one before a restart) counts here, in the
 *   order of the log.
 * - A session the cache dropped, or never held, is rebuilt from the log: its seed (the
 *   session's own attributes, trusted, never logged: every process derives it from the
 *   session record) first, then every entry in ordinal order. The character budget still
 *   holds: text the writer would not index is logged as `overBudget` without its text, and
 *   every rebuild degrades the session at the same entry.
 * - When the log cannot be read, the questions reject (the caller refuses the call: never
 *   clean); a log the memory store dropped (ERR_PROVENANCE_EVICTED) degrades the session's
 *   trace, as an evicted session always did.
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import type { ArgumentTaint } from '../core/types.ts';
import type { TaintSnippet } from './session.ts';
import type { LogEntry, LoggedRegistration, ProvenanceStore } from './store.ts';
import { normalizeRegistration } from './store.ts';
import type { ContentRegistration, ProvenanceTrackerOptions, Trace } from './tracker.ts';
import { ProvenanceTracker } from './tracker.ts';
import type { TrustScale } from './trust.ts';

/** Reads of the log one catch-up may take when the cache moves under it (another caller rebuilt the session meanwhile). */
const MAX_CATCH_UP_ROUNDS = 8;

export class DurableProvenance {
  /** The cache (drops sessions to be rebuilt, never degrades them for it). */
  readonly tracker: ProvenanceTracker;
  readonly #store: ProvenanceStore;

  constructor(store: ProvenanceStore, options: Omit<ProvenanceTrackerOptions, 'evicted'> = {}) {
    this.#store = store;
    this.tracker = new ProvenanceTracker({ ...options, evicted: 'rebuild' });
  }

  get scale(): TrustScale {
    return this.tracker.scale;
  }

  /**
   * Brings the cached index of `sessionId` up to the log (rebuilding it, `seed` first, when it
   * is not cached). Rejects when the log cannot be read or holds an entry that cannot be
   * indexed (an unknown tier): the cache then answers nothing for the session until a catch-up succeeds.
   */
  async sync(sessionId: string, seed?: ContentRegistration): Promise<void> {
    for (let round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
      const entries = await this.#store.since(sessionId, this.tracker.cursor(sessionId) ?? 0);
      if (this.#apply(sessionId, entries, seed)) return;
    }
    throw new AirlockError('ERR_PROVENANCE_UNAVAILABLE', 'the provenance cache could not catch up with its log', { status: 503 });
  }

  /**
   * Logs `registration` for the session (applied when this resolves, durable once `durable()`
   * resolves after it), then indexes it. Rejects,
   * having logged nothing, when the store could not write it. Once logged it counts: a cache
   * that cannot catch up right away does so at the session's next question.
   */
  async append(sessionId: string, registration: LoggedRegistration, seed?: ContentRegistration): Promise<void> {
    const entry = normalizeRegistration(registration);
    if (this.tracker.degradation(sessionId) === 'over_budget') {
      entry.text = '';
      delete entry.regions;
      entry.overBudget = true;
    }
    const { ordinal } = await this.#store.append(sessionId, entry);
    if (this.tracker.cursor(sessionId) === ordinal - 1) {
      this.tracker.register(sessionId, entry, ordinal);
      return;
    }
    // The entry is durable; if catching the cache up fails now, the next trace catches up or
    // refuses the call (provenance.unavailable): nothing is traced from a stale cache.
    await this.sync(sessionId, seed).catch(() => undefined);
  }

  /** Resolves once every append that resolved before this call is durable (ProvenanceStore.durable). */
  durable(): Promise<void> {
    return this.#store.durable();
  }

  /** Argument provenance and labels for one call, after catching up (see the header for failures). */
  async trace(sessionId: string | null, args: Record<string, JsonValue>, seed?: ContentRegistration): Promise<Trace> {
    if (sessionId === null) return this.tracker.trace(null, args);
    try {
      await this.sync(sessionId, seed);
    } catch (error) {
      if (isAirlockError(error) && error.code === 'ERR_PROVENANCE_EVICTED') return this.tracker.degradedTrace(sessionId, args, 'evicted');
      throw error;
    }
    return this.tracker.trace(sessionId, args);
  }

  /** ProvenanceTracker.explain after catching up; rejects when the log cannot be read. */
  async explain(sessionId: string | null, args: Record<string, JsonValue>, seed?: ContentRegistration): Promise<Array<ArgumentTaint & { snippets: TaintSnippet[] }>> {
    if (sessionId === null) return [];
    await this.sync(sessionId, seed);
    return this.tracker.explain(sessionId, args);
  }

  /** ProvenanceTracker.names after catching up; rejects when the log cannot be read. */
  async names(sessionId: string, values: readonly string[], seed?: ContentRegistration): Promise<boolean> {
    await this.sync(sessionId, seed);
    return this.tracker.names(sessionId, values);
  }

  /**
   * Indexes the entries that follow the cache's cursor, in order. False when they do not
   * follow it (the session was dropped and rebuilt meanwhile): the caller reads again.
   */
  #apply(sessionId: string, entries: readonly LogEntry[], seed: ContentRegistration | undefined): boolean {
    if (this.tracker.cursor(sessionId) === null && seed !== undefined) this.tracker.register(sessionId, seed, 0);
    for (const { ordinal, registration } of entries) {
      const cursor = this.tracker.cursor(sessionId) ?? 0;
      if (ordinal <= cursor) continue;
      if (ordinal !== cursor + 1) return false;
      this.tracker.register(sessionId, registration, ordinal);
    }
    return true;
  }
}
