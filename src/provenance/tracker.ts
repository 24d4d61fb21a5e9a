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
 * The index does not survive a restart and is not shared between replicas.
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
}

interface Tracked {
  provenance: SessionProvenance;
  degraded?: Degradation;
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

  constructor(options: ProvenanceTrackerOptions = {}) {
    this.scale = options.scale ?? new TrustScale();
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#maxChars = options.maxCharsPerSession ?? DEFAULT_MAX_CHARS_PER_SESSION;
  }

  /** Indexes `content` for `sessionId`. Throws for an unknown tier or classification. */
  register(sessionId: string, content: ContentRegistration): RegisteredContent {
    const tierRank = this.scale.tierRank(content.tier);
    const classificationRank = content.classification === undefined ? undefined : this.scale.classificationRank(content.classification);
    const trusted = this.scale.isTrusted(content.tier);
    const contentId = content.contentId ?? newId('cnt');
    const tracked = this.#touch(sessionId);
    const provenance = tracked.provenance;
    if (tracked.degraded === undefined && provenance.chars + content.text.length > this.#maxChars) tracked.degraded = 'over_budget';
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

  /** Argument provenance and labels for one call (no session: nothing seen, nothing tainted). */
  trace(sessionId: string | null, args: Record<string, JsonValue>): Trace {
    if (sessionId === null) return { taint: [], labels: this.#labelNames(undefined) };
    const tracked = this.#sessions.get(sessionId);
    const degraded = tracked?.degraded ?? (this.#dropped.has(sessionId) ? 'evicted' : undefined);
    if (degraded !== undefined) {
      const source = `provenance:${degraded}`;
      return {
        taint: Object.keys(args)
          .sort()
          .map((argument) => ({ argument, sources: [source], evidence: 'unnamed' as const })),
        labels: { ...this.#labelNames(tracked?.provenance), untrusted_seen: true },
      };
    }
    if (tracked !== undefined) {
      this.#sessions.delete(sessionId);
      this.#sessions.set(sessionId, tracked);
    }
    return { taint: tracked?.provenance.provenanceOf(args) ?? [], labels: this.#labelNames(tracked?.provenance) };
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
      tracked = { provenance: new SessionProvenance() };
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
    if (this.#dropped.size >= MAX_REMEMBERED_DROPS) {
      const first = this.#dropped.values().next();
      if (first.done !== true) this.#dropped.delete(first.value);
    }
    this.#dropped.add(oldest.value);
  }
}
