/**
 * ProvenanceStore: the durable source of truth of argument provenance, an append-only log
 * per session of every piece of content registered to it, holding exactly what
 * ProvenanceTracker.register consumes (text, tier, classification, source, content id,
 * instruction regions, pointed), so any process can rebuild the session's index, in the
 * same order, from it. Ordinals are per session, 1, 2, 3 ... without gaps, and a reader
 * that sees ordinal n has seen every ordinal below it: a cache that remembers the last
 * ordinal it indexed catches up with one `since` query.
 *
 * Also here: the memory adapter (one process; bounded like the tracker it feeds) and the
 * encoding the database adapters store a registration in.
 */
import { AirlockError } from '../core/errors.ts';
import type { InstructionRegions } from './session.ts';
import { REGION_KINDS } from './session.ts';
import type { ContentRegistration } from './tracker.ts';
import { DEFAULT_MAX_SESSIONS } from './tracker.ts';

/** One logged registration: a ContentRegistration whose content id is fixed. */
export interface LoggedRegistration extends ContentRegistration {
  contentId: string;
}

export interface LogEntry {
  /** Place in the session's log (1 for the first). */
  ordinal: number;
  registration: LoggedRegistration;
}

export interface ProvenanceStore {
  /**
   * Appends one registration to the session's log and returns its ordinal (one more than the
   * last). Resolves once the entry is applied (committed: every later `since`, in any process,
   * returns it, and it outlives a crash of the process); it is durable (outlives a crash of
   * the machine) once `durable()` resolves after it (SQLite fsyncs its WAL afterwards, off the
   * event loop; the pipeline waits for it beside the call's audit commit). Rejects
   * (ERR_STORE_UNAVAILABLE, ERR_STATE_UNAVAILABLE ...) when it could not be written, and
   * then nothing was appended - except that a commit whose answer was lost may have
   * taken effect (the entry then shows up in `since`, which only ever over-taints).
   * Concurrent appends to one session, from any number of processes, get distinct,
   * consecutive ordinals.
   */
  append(sessionId: string, registration: LoggedRegistration): Promise<{ ordinal: number }>;
  /**
   * Every entry of the session with an ordinal above `afterOrdinal`, in ordinal order
   * (empty when there is none: an unknown session has an empty log). What it returns is
   * complete: no entry below the highest ordinal returned is missing. Rejects when the log
   * cannot be read (never answers with less than it holds); ERR_PROVENANCE_EVICTED when the
   * store dropped the session's log (memory adapter only).
   */
  since(sessionId: string, afterOrdinal: number): Promise<LogEntry[]>;
  /**
   * Resolves once every append that resolved before this call is durable (at once for an
   * adapter whose commits are durable by themselves). Rejects (ERR_STATE_UNAVAILABLE ...) when
   * one could not be made durable; from then on every append and `durable()` rejects too.
   */
  durable(): Promise<void>;
}

/** The store dropped this session's log (memory adapter at its bound): what it saw is lost. */
export function provenanceEvicted(sessionId: string): AirlockError {
  return new AirlockError('ERR_PROVENANCE_EVICTED', 'the provenance of this session was dropped from memory', { status: 503, details: { session_id: sessionId } });
}

function corrupt(detail: string): AirlockError {
  return new AirlockError('ERR_PROVENANCE_CORRUPT', `a stored provenance entry is malformed: ${detail}`, { status: 500 });
}

const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** A registration as text (JSON), for a database column. Lossless for any JavaScript string (lone surrogates are escaped). */
export function encodeRegistration(registration: LoggedRegistration): string {
  return JSON.stringify(normalizeRegistration(registration));
}

/** Reads back `encodeRegistration`; ERR_PROVENANCE_CORRUPT when the text is not one (a corrupt log never reads as less content). */
export function decodeRegistration(text: string): LoggedRegistration {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt('not json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw corrupt('not an object');
  const r = value as Record<string, unknown>;
  if (typeof r.text !== 'string' || typeof r.tier !== 'string' || typeof r.contentId !== 'string') throw corrupt('text, tier and contentId are required');
  for (const key of ['classification', 'sourceId'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string') throw corrupt(`${key} must be a string`);
  }
  if (r.pointed !== undefined && typeof r.pointed !== 'boolean') throw corrupt('pointed must be a boolean');
  if (r.overBudget !== undefined && typeof r.overBudget !== 'boolean') throw corrupt('overBudget must be a boolean');
  let regions: InstructionRegions | undefined;
  if (r.regions !== undefined) {
    const g = r.regions as Record<string, unknown> | null;
    if (g === null || typeof g !== 'object' || REGION_KINDS.some((kind) => g[kind] !== undefined && !isStrings(g[kind]))) {
      throw corrupt('regions must hold lists of strings');
    }
    regions = Object.fromEntries(REGION_KINDS.filter((kind) => g[kind] !== undefined).map((kind) => [kind, g[kind] as string[]]));
  }
  return normalizeRegistration({
    contentId: r.contentId,
    text: r.text,
    tier: r.tier,
    ...(r.classification === undefined ? {} : { classification: r.classification as string }),
    ...(r.sourceId === undefined ? {} : { sourceId: r.sourceId as string }),
    ...(regions === undefined ? {} : { regions }),
    ...(r.pointed === undefined ? {} : { pointed: r.pointed as boolean }),
    ...(r.overBudget === undefined ? {} : { overBudget: r.overBudget as boolean }),
  });
}

/** A fresh copy holding only the fields of a registration (no aliasing with the caller's object). */
export function normalizeRegistration(r: LoggedRegistration): LoggedRegistration {
  return {
    contentId: r.contentId,
    text: r.text,
    tier: r.tier,
    ...(r.classification === undefined ? {} : { classification: r.classification }),
    ...(r.sourceId === undefined ? {} : { sourceId: r.sourceId }),
    ...(r.regions === undefined
      ? {}
      : {
          regions: Object.fromEntries(REGION_KINDS.flatMap((kind) => (r.regions?.[kind] === undefined ? [] : [[kind, [...(r.regions[kind] as string[])]]]))),
        }),
    ...(r.pointed === undefined ? {} : { pointed: r.pointed }),
    ...(r.overBudget === undefined ? {} : { overBudget: r.overBudget }),
  };
}

/** Dropped session ids remembered by the memory store (their logs read as evicted), beyond which the oldest are forgotten. */
const MAX_REMEMBERED_DROPS = 1_000_000;

/**
 * The log in this process's memory: today's behaviour of a gateway without a state database.
 * It lives and dies with the process (durable only in the sense that nothing it acknowledged is
 * lost while the process runs). Bounded like the tracker it feeds: at most `maxSessions` logs,
 * the least recently used dropped first; a dropped session's `since` rejects with
 * ERR_PROVENANCE_EVICTED (its calls are then degraded, never clean). The per-session character
 * budget is applied by the writer (DurableProvenance logs text it would not index as `overBudget`, without the text).
 */
export class MemoryProvenanceStore implements ProvenanceStore {
  readonly #logs = new Map<string, LoggedRegistration[]>();
  readonly #dropped = new Set<string>();
  readonly #maxSessions: number;

  constructor(options: { maxSessions?: number } = {}) {
    this.#maxSessions = Math.max(1, options.maxSessions ?? DEFAULT_MAX_SESSIONS);
  }

  /** Atomic (one synchronous step); never fails; kept until the session is dropped or the process ends. */
  async append(sessionId: string, registration: LoggedRegistration): Promise<{ ordinal: number }> {
    const log = this.#touch(sessionId, true) as LoggedRegistration[];
    log.push(normalizeRegistration(registration));
    return { ordinal: log.length };
  }

  /** Nothing to wait for: the log lives (and dies) with the process. */
  async durable(): Promise<void> {}

  /** Copies of the entries after `afterOrdinal`; ERR_PROVENANCE_EVICTED for a dropped session. */
  async since(sessionId: string, afterOrdinal: number): Promise<LogEntry[]> {
    const log = this.#touch(sessionId, false);
    if (log === undefined) return [];
    const from = Math.max(0, Math.floor(afterOrdinal));
    return log.slice(from).map((registration, i) => ({ ordinal: from + i + 1, registration: normalizeRegistration(registration) }));
  }

  #touch(sessionId: string, create: boolean): LoggedRegistration[] | undefined {
    if (this.#dropped.has(sessionId)) throw provenanceEvicted(sessionId);
    let log = this.#logs.get(sessionId);
    if (log !== undefined) {
      this.#logs.delete(sessionId);
      this.#logs.set(sessionId, log);
      return log;
    }
    if (!create) return undefined;
    while (this.#logs.size >= this.#maxSessions) {
      const oldest = this.#logs.keys().next();
      if (oldest.done === true) break;
      this.#logs.delete(oldest.value);
      if (this.#dropped.size >= MAX_REMEMBERED_DROPS) {
        const first = this.#dropped.values().next();
        if (first.done !== true) this.#dropped.delete(first.value);
      }
      this.#dropped.add(oldest.value);
    }
    log = [];
    this.#logs.set(sessionId, log);
    return log;
  }
}
