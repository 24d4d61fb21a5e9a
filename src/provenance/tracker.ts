/**
 * ProvenanceTracker: the provenance of every live session, in this process's memory.
 * Registers content (text, trust tier, classification, source) to a session and answers,
 * for a tool call's arguments, which were tainted and the session's labels.
 *
 * Bounded: at most `maxSessions` sessions (the least recently used is dropped) and at most
 * `maxCharsPerSession` characters indexed per session. Losing what a session has seen must
 * never make its calls look clean, so a session that was dropped, or that went over its
 * budget, is *degraded*: from then on every argument of its calls is reported tainted (by
 * the source `provenance:evicted` or `provenance:over_budget`) and `untrusted_seen` is true.
 *
 * On its own the index does not survive a restart and is not shared between replicas. In
 * front of a durable log (durable.ts, `evicted: 'rebuild'`) it is a cache: each cached
 * session remembers the log ordinal it has indexed up to (`cursor`), and a dropped session
 * is forgotten outright, to be rebuilt from the log when next used, instead of degraded.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../core/canonical.ts';
import { newId } from '../core/ids.ts';
import type { ArgumentTaint } from '../core/types.ts';
import type { InstructionRegions, TaintSnippet } from './session.ts';
import { SessionProvenance } from './session.ts';
import { TrustScale } from './trust.ts';

export const DEFAULT_MAX_SESSIONS = 10_000;
export const DEFAULT_MAX_CHARS_PER_SESSION = 16 * 1024 * 1024;
/** Dropped session ids remembered (so their calls stay degraded), beyond which the oldest are forgotten. */
const MAX_REMEMBERED_DROPS = 1_000_000;

export interface ContentRegistration {
  text: string;
  /** Trust tier of the content (a tier of the scale). */
  tier: string;
  classification?: string;
  sourceId?: string;
  /** Use this content id instead of a fresh one (tests). */
  contentId?: string;
  /** Untrusted text only: its parts that speak to the model (graded evidence, session.ts). */
  regions?: InstructionRegions;
  /** Trusted content pointed to this content (the result of a call it named: `names`). */
  pointed?: boolean;
  /**
   * The writer's index of the session was over its character budget: the text (and its
   * regions) were not kept, and the session is over budget from here on wherever it is rebuilt.
   */
  overBudget?: boolean;
}

export interface RegisteredContent {
  content_id: string;
  /** `sha256:<hex>` of the text. */
  hash: string;
  trust: 'trusted' | 'untrusted';
  trust_tier: string;
  chars: number;
}

export interface SessionLabelNames {
  untrusted_seen: boolean;
  /** Least trusted tier seen; the most trusted tier when nothing was registered. */
  lowest_trust: string;
  /** Most sensitive classification seen; the least sensitive when none was. */
  max_classification: string;
}

export interface Trace {
  taint: ArgumentTaint[];
  labels: SessionLabelNames;
}

export type Degradation = 'evicted' | 'over_budget';

export interface ProvenanceTrackerOptions {
  scale?: TrustScale;
  maxSessions?: number;
  maxCharsPerSession?: number;
  /**
   * What happens to a session dropped from memory: `degrade` (default) remembers it and
   * reports every later argument of it tainted; `rebuild` forgets it (a durable log behind
   * the tracker rebuilds it: its `cursor` reads null again).
   */
  evicted?: 'degrade' | 'rebuild';
}

interface Tracked {
  provenance: SessionProvenance;
  degraded?: Degradation;
  /** Log ordinal of the last registration indexed (0: none from the log). */
  ordinal: number;
}

export function contentHash(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

export class ProvenanceTracker {
  readonly scale: TrustScale;
  readonly #maxSessions: number;
  readonly #maxChars: number;
  /** Insertion order = least recently used first. */
  readonly #sessions = new Map<string, Tracked>();
  readonly #dropped = new Set<string>();
  readonly #rebuild: boolean;

  constructor(options: ProvenanceTrackerOptions = {}) {
    this.scale = options.scale ?? new TrustScale();
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#maxChars = options.maxCharsPerSession ?? DEFAULT_MAX_CHARS_PER_SESSION;
    this.#rebuild = options.evicted === 'rebuild';
  }

  /**
   * Indexes `content` for `sessionId`. Throws for an unknown tier or classification (and
   * then indexes nothing). `ordinal`: the content's place in the session's durable log; the
   * session's cursor moves to it.
   */
  register(sessionId: string, content: ContentRegistration, ordinal?: number): RegisteredContent {
    const tierRank = this.scale.tierRank(content.tier);
    const classificationRank = content.classification === undefined ? undefined : this.scale.classificationRank(content.classification);
    const trusted = this.scale.isTrusted(content.tier);
    const contentId = content.contentId ?? newId('cnt');
    const tracked = this.#touch(sessionId);
    if (ordinal !== undefined) tracked.ordinal = ordinal;
    const provenance = tracked.provenance;
    if (tracked.degraded === undefined && (content.overBudget === true || provenance.chars + content.text.length > this.#maxChars)) tracked.degraded = 'over_budget';
    provenance.register(
      {
        contentId,
        trusted,
        tierRank,
        ...(content.sourceId === undefined ? {} : { sourceId: content.sourceId }),
        ...(classificationRank === undefined ? {} : { classificationRank }),
        ...(content.pointed === true && !trusted ? { pointed: true } : {}),
      },
      // Over budget: the labels still count, the text is no longer indexed.
      tracked.degraded === undefined ? content.text : '',
      tracked.degraded === undefined ? content.regions : undefined,
    );
    return {
      content_id: contentId,
      hash: contentHash(content.text),
      trust: trusted ? 'trusted' : 'untrusted',
      trust_tier: content.tier,
      chars: content.text.length,
    };
  }

  /**
   * The log ordinal a cached session has indexed up to (0: nothing from the log yet); null
   * when the session is not in memory (never seen, or dropped). Does not count as a use.
   */
  cursor(sessionId: string): number | null {
    return this.#sessions.get(sessionId)?.ordinal ?? null;
  }

  /** Argument provenance and labels for one call (no session: nothing seen, nothing tainted). */
  trace(sessionId: string | null, args: Record<string, JsonValue>): Trace {
    if (sessionId === null) return { taint: [], labels: this.#labelNames(undefined) };
    const tracked = this.#sessions.get(sessionId);
    const degraded = tracked?.degraded ?? (this.#dropped.has(sessionId) ? 'evicted' : undefined);
    if (degraded !== undefined) return this.degradedTrace(sessionId, args, degraded);
    if (tracked !== undefined) {
      this.#sessions.delete(sessionId);
      this.#sessions.set(sessionId, tracked);
    }
    return { taint: tracked?.provenance.provenanceOf(args) ?? [], labels: this.#labelNames(tracked?.provenance) };
  }

  /**
   * The trace of a session whose provenance is incomplete: every argument tainted by the
   * source `provenance:<why>` (graded `unnamed`), `untrusted_seen` true, the other labels
   * as far as they are known.
   */
  degradedTrace(sessionId: string, args: Record<string, JsonValue>, why: Degradation): Trace {
    const source = `provenance:${why}`;
    return {
      taint: Object.keys(args)
        .sort()
        .map((argument) => ({ argument, sources: [source], evidence: 'unnamed' as const })),
      labels: { ...this.#labelNames(this.#sessions.get(sessionId)?.provenance), untrusted_seen: true },
    };
  }

  /**
   * The taint of `args` with, per argument, the text around its values in their sources
   * (for a reviewer; never for the audit log). Empty for a session that is unknown or degraded.
   */
  explain(sessionId: string | null, args: Record<string, JsonValue>): Array<ArgumentTaint & { snippets: TaintSnippet[] }> {
    if (sessionId === null) return [];
    const tracked = this.#sessions.get(sessionId);
    if (tracked === undefined || tracked.degraded !== undefined) return [];
    return tracked.provenance.explain(args);
  }

  /** True when the session's trusted content names one of `values` (SessionProvenance.names); false for a degraded session. */
  names(sessionId: string, values: readonly string[]): boolean {
    const tracked = this.#sessions.get(sessionId);
    if (tracked === undefined || tracked.degraded !== undefined) return false;
    return tracked.provenance.names(values);
  }

  /** The labels of a session. */
  labels(sessionId: string): SessionLabelNames {
    const tracked = this.#sessions.get(sessionId);
    const labels = this.#labelNames(tracked?.provenance);
    return tracked?.degraded !== undefined || this.#dropped.has(sessionId) ? { ...labels, untrusted_seen: true } : labels;
  }

  /** Why a session's provenance is incomplete, if it is. */
  degradation(sessionId: string): Degradation | null {
    return this.#sessions.get(sessionId)?.degraded ?? (this.#dropped.has(sessionId) ? 'evicted' : null);
  }

  stats(): { sessions: number; dropped: number } {
    return { sessions: this.#sessions.size, dropped: this.#dropped.size };
  }

  #labelNames(provenance: SessionProvenance | undefined): SessionLabelNames {
    const labels = provenance?.labels;
    return {
      untrusted_seen: labels?.untrustedSeen ?? false,
      lowest_trust: this.scale.tierAt(labels?.lowestTrustRank ?? 0),
      max_classification: this.scale.classificationAt(labels?.maxClassificationRank ?? 0),
    };
  }

  #touch(sessionId: string): Tracked {
    let tracked = this.#sessions.get(sessionId);
    if (tracked !== undefined) {
      this.#sessions.delete(sessionId);
    } else {
      tracked = { provenance: new SessionProvenance(), ordinal: 0 };
      if (this.#dropped.has(sessionId)) tracked.degraded = 'evicted';
      while (this.#sessions.size >= this.#maxSessions) this.#drop();
    }
    this.#sessions.set(sessionId, tracked);
    return tracked;
  }

  #drop(): void {
    const oldest = this.#sessions.keys().next();
    if (oldest.done === true) return;
    this.#sessions.delete(oldest.value);
    if (this.#rebuild) return;
    if (this.#dropped.size >= MAX_REMEMBERED_DROPS) {
      const first = this.#dropped.values().next();
      if (first.done !== true) this.#dropped.delete(first.value);
    }
    this.#dropped.add(oldest.value);
  }
}
