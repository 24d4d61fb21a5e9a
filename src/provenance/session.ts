/**
 * SessionProvenance: the content one session has seen and its labels (lowest trust tier,
 * highest classification, whether anything untrusted arrived), and argument provenance:
 * which argument values came from untrusted content only.
 *
 * An argument value is *tainted* when
 * - one of its entities (entities.ts) appears in some untrusted text and in no trusted
 *   text; or
 * - it has at least 3 words and all of them, in order, appear in one untrusted text
 *   (every shingle of the value is held by that text, consecutively) and not in one trusted
 *   text; or
 * - it contains a passage of at least 8 words that appears in one untrusted text and not in
 *   one trusted text (a copied passage inside a longer value).
 * Values of fewer than 3 words that hold no entity are never tainted. A shingle-hash
 * collision can only make a passage look present where it is not: on the untrusted side
 * that over-taints (the safe direction); on the trusted side it would need every shingle of
 * an 8-word (or whole-value) window to collide inside one trusted text.
 *
 * Everything here is a union over registrations, so the order content arrives in does
 * not change any answer.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { ArgumentTaint } from '../core/types.ts';
import { ContentIndex } from './content-index.ts';
import { extractEntities } from './entities.ts';
import { SHINGLE_WORDS, fold, shingles, wordHashes } from './text.ts';

/** Words a copied passage inside a longer value needs to count. */
export const PASSAGE_WORDS = 8;
/** Fewest words a whole value needs to be matched as a phrase. */
export const PHRASE_WORDS = 3;
/** Most sources reported per argument. */
export const MAX_SOURCES = 32;

export interface ContentEntry {
  /** `cnt_...`, unique. */
  contentId: string;
  sourceId?: string;
  trusted: boolean;
  /** Rank of its trust tier (0 = most trusted). */
  tierRank: number;
  /** Rank of its classification (0 = least sensitive), when it has one. */
  classificationRank?: number;
}

export interface SessionLabels {
  untrustedSeen: boolean;
  /** Rank of the least trusted tier seen (null: nothing registered). */
  lowestTrustRank: number | null;
  /** Rank of the most sensitive classification seen (null: none). */
  maxClassificationRank: number | null;
}

interface Run {
  last: number;
  length: number;
}

/** For each shingle position, the longest run of consecutive shingles one text holds, ending there. */
function runsEndingAt(keys: readonly number[], holdersOf: (key: number) => readonly number[], onRun?: (ordinal: number, length: number, at: number) => void): number[] {
  const runs = new Map<number, Run>();
  const longest: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    let best = 0;
    for (const ordinal of holdersOf(keys[i] as number)) {
      let run = runs.get(ordinal);
      if (run === undefined) {
        run = { last: i, length: 1 };
        runs.set(ordinal, run);
      } else {
        run.length = run.last === i - 1 ? run.length + 1 : 1;
        run.last = i;
      }
      if (run.length > best) best = run.length;
      onRun?.(ordinal, run.length, i);
    }
    longest.push(best);
  }
  return longest;
}

export class SessionProvenance {
  readonly #entries: ContentEntry[] = [];
  readonly #trusted = new ContentIndex();
  readonly #untrusted = new ContentIndex();
  #chars = 0;
  #labels: SessionLabels = { untrustedSeen: false, lowestTrustRank: null, maxClassificationRank: null };

  /** Indexes one text. */
  register(entry: ContentEntry, text: string): void {
    const ordinal = this.#entries.length;
    this.#entries.push(entry);
    (entry.trusted ? this.#trusted : this.#untrusted).add(text, ordinal);
    this.#chars += text.length;
    const labels = this.#labels;
    this.#labels = {
      untrustedSeen: labels.untrustedSeen || !entry.trusted,
      lowestTrustRank: Math.max(labels.lowestTrustRank ?? 0, entry.tierRank),
      maxClassificationRank:
        entry.classificationRank === undefined
          ? labels.maxClassificationRank
          : Math.max(labels.maxClassificationRank ?? 0, entry.classificationRank),
    };
  }

  get labels(): SessionLabels {
    return { ...this.#labels };
  }

  /** Characters registered so far. */
  get chars(): number {
    return this.#chars;
  }

  get contents(): number {
    return this.#entries.length;
  }

  /**
   * Arguments whose values came from untrusted content only, with the content and source ids
   * of the texts they came from (sorted, at most MAX_SOURCES). `argument` is the value's dotted
   * path; an array element reports the array's path.
   */
  provenanceOf(args: Record<string, JsonValue>): ArgumentTaint[] {
    if (!this.#labels.untrustedSeen) return [];
    const found = new Map<string, Set<number>>();
    const visit = (value: JsonValue, path: string): void => {
      if (typeof value === 'string' || typeof value === 'number') {
        const sources = this.#sourcesOf(typeof value === 'string' ? value : String(value));
        if (sources.size === 0) return;
        let into = found.get(path);
        if (into === undefined) found.set(path, (into = new Set()));
        for (const s of sources) into.add(s);
      } else if (Array.isArray(value)) {
        for (const item of value) visit(item, path);
      } else if (value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) visit(child, path === '' ? key : `${path}.${key}`);
      }
    };
    for (const [key, value] of Object.entries(args)) visit(value, key);
    return [...found.entries()]
      .map(([argument, ordinals]) => ({ argument, sources: this.#sourceNames(ordinals) }))
      .sort((a, b) => (a.argument < b.argument ? -1 : a.argument > b.argument ? 1 : 0));
  }

  /** Ordinals of the untrusted texts a value came from (empty: not tainted). */
  #sourcesOf(value: string): Set<number> {
    const sources = new Set<number>();
    const folded = fold(value);
    for (const entity of extractEntities(folded)) {
      const holders = this.#untrusted.entityHolders(entity);
      if (holders.length === 0 || this.#trusted.hasEntity(entity)) continue;
      for (const h of holders) sources.add(h);
    }
    const words = wordHashes(folded);
    if (words.length < PHRASE_WORDS) return sources;
    const keys = shingles(words);
    // A window of `need` consecutive shingles: the whole value, or an 8-word passage.
    const need = Math.min(keys.length, PASSAGE_WORDS - SHINGLE_WORDS + 1);
    const cleared = runsEndingAt(keys, (k) => this.#trusted.shingleHolders(k));
    runsEndingAt(
      keys,
      (k) => this.#untrusted.shingleHolders(k),
      (ordinal, length, at) => {
        if (length >= need && (cleared[at] as number) < need) sources.add(ordinal);
      },
    );
    return sources;
  }

  #sourceNames(ordinals: Set<number>): string[] {
    const names = new Set<string>();
    for (const ordinal of ordinals) {
      const entry = this.#entries[ordinal];
      if (entry === undefined) continue;
      names.add(entry.contentId);
      if (entry.sourceId !== undefined) names.add(entry.sourceId);
    }
    return [...names].sort().slice(0, MAX_SOURCES);
  }
}
