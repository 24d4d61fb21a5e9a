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
 * Values of fewer than 3 words that hold no entity are never tainted. The keys of an object
 * inside an argument are values too (reported at the path they name); the arguments' own
 * names are not. A shingle-hash
 * collision can only make a passage look present where it is not: on the untrusted side
 * that over-taints (the safe direction); on the trusted side it would need every shingle of
 * an 8-word (or whole-value) window to collide inside one trusted text.
 *
 * Each tainted argument also carries graded evidence (TaintEvidence, worst over its values):
 * `injected` when a tainting entity or passage also lies in a region of untrusted text the
 * registration marked as instructions addressed to the model; `instructed` when it lies in
 * a region marked as a sentence asking for an action or as a passage carrying an injection,
 * appears nowhere else in untrusted text (outside such regions), and none of the texts it
 * came from was pointed to by trusted content; `directive` when it lies in such a region
 * otherwise; `pointed` when one of the untrusted texts it came from was registered as
 * pointed to by trusted content (and none of the above holds); `unnamed` otherwise. A whole value that injected instructions quote
 * (`delete the file with ID '13'`) is tainted and `injected` however short it is.
 *
 * Everything here is a union over registrations, so the order content arrives in does
 * not change any answer.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { ArgumentTaint, TaintEvidence } from '../core/types.ts';
import { ContentIndex } from './content-index.ts';
import { extractEntities } from './entities.ts';
import { Patterns, insideOthers } from './patterns.ts';
import { SHINGLE_WORDS, fold, shingles, visible, wordHashes } from './text.ts';

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
  /** Trusted content pointed to this content (it is the result of a call trusted content named). */
  pointed?: boolean;
}

/** Parts of an untrusted text that speak to the model (see instructionRegions in the context module). */
export interface InstructionRegions {
  injected?: readonly string[];
  directive?: readonly string[];
  /** Whole passages that carry an injection signal. */
  carrier?: readonly string[];
}

/** The kinds of instruction region a registration may carry. */
export const REGION_KINDS = ['injected', 'directive', 'carrier'] as const;

/** Where a tainted value was found, for a reviewer: the source and the text around the value. */
export interface TaintSnippet {
  source: string;
  text: string;
  /** Where the value is in `text` (UTF-16 offsets, end exclusive), for highlighting it. */
  highlight: { start: number; end: number };
}

/** Characters of context kept on each side of a value in a snippet. */
export const SNIPPET_CONTEXT = 80;
/** Snippets reported per argument. */
export const MAX_SNIPPETS = 3;

/** A quoted value (1-200 characters, one line) inside instructions: `'13'`, `"Intro with Mark"`. */
const QUOTED = /(['"`\u2018\u201c])([^'"`\u2018\u2019\u201c\u201d\n]{1,200})(['"`\u2019\u201d])/gu;

/** Quoted values remembered from trusted content, per session. */
const MAX_QUOTED = 10_000;

const SEVERITY: Record<TaintEvidence, number> = { injected: 4, instructed: 3, directive: 2, unnamed: 1, pointed: 0 };

/** The worse of two grades. */
export function worseEvidence(a: TaintEvidence, b: TaintEvidence): TaintEvidence {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

interface Match {
  sources: Set<number>;
  injected: boolean;
  /** It lies in a sentence asking for an action or in a passage carrying an injection. */
  directive: boolean;
  /** Some tainting entity or passage lies only there: nowhere else in untrusted text. */
  solely: boolean;
  /** Folded strings that matched (entities, or the value itself for a passage). */
  needles: string[];
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

const NAME = /[\p{L}\p{N}]+/gu;
const UPPER = /^\p{Lu}/u;

/**
 * Capitalized words of 3 or more characters that do not open a sentence or a line, folded:
 * the names a text uses (`Bob`, `Alice`, `Paris`), not the first word of a sentence.
 */
export function properNames(text: string): string[] {
  const normalized = visible(text);
  const out: string[] = [];
  for (const match of normalized.matchAll(NAME)) {
    const word = match[0];
    if (word.length < 3 || !UPPER.test(word)) continue;
    let i = match.index - 1;
    while (i >= 0 && (normalized[i] === ' ' || normalized[i] === '\t')) i--;
    if (i < 0 || /[.!?\n\r:]/.test(normalized[i] as string)) continue;
    out.push(word.toLowerCase());
  }
  return out;
}

/**
 * `text` with every occurrence of every instruction region cut out (a region that is not found
 * verbatim stays: the safe direction, less certainty). All regions are found in one pass
 * (patterns.ts): one search per region cost the number of regions times the text's length,
 * minutes for a megabyte of one-line requests.
 */
function outside(text: string, regions: InstructionRegions): string {
  const cut = [...new Set([...(regions.injected ?? []), ...(regions.directive ?? []), ...(regions.carrier ?? [])])].filter((r) => r !== '');
  return new Patterns(cut).cut(text, '\n');
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
  readonly #injected = new ContentIndex();
  readonly #directive = new ContentIndex();
  /**
   * What third parties state rather than ask: the untrusted texts that have instruction
   * regions, with the regions cut out (`#regioned` names them); the other untrusted texts
   * are plain as a whole.
   */
  readonly #plain = new ContentIndex();
  readonly #regioned = new Set<number>();
  /** Values trusted content quotes (folded): `the 'general' channel`. */
  readonly #trustedQuoted = new Set<string>();
  /** Names trusted content uses (folded): capitalized words inside a sentence (`in Alice's inbox`). */
  readonly #trustedNames = new Set<string>();
  /** Values quoted inside injected regions (folded), with the texts quoting them. */
  readonly #quoted = new Map<string, number[]>();
  /** Untrusted texts by ordinal (for snippets). */
  readonly #texts = new Map<number, string>();
  #chars = 0;
  #labels: SessionLabels = { untrustedSeen: false, lowestTrustRank: null, maxClassificationRank: null };

  /** Indexes one text (and, for untrusted text, its instruction regions). */
  register(entry: ContentEntry, text: string, regions: InstructionRegions = {}): void {
    const ordinal = this.#entries.length;
    this.#entries.push(entry);
    (entry.trusted ? this.#trusted : this.#untrusted).add(text, ordinal);
    if (entry.trusted) {
      for (const match of fold(text).matchAll(QUOTED)) {
        const value = (match[2] as string).trim();
        if (value !== '' && this.#trustedQuoted.size < MAX_QUOTED) this.#trustedQuoted.add(value);
      }
      for (const name of properNames(text)) if (this.#trustedNames.size < MAX_QUOTED) this.#trustedNames.add(name);
    } else {
      if (text !== '') this.#texts.set(ordinal, text);
      for (const region of regions.injected ?? []) {
        this.#injected.add(region, ordinal);
        for (const match of fold(region).matchAll(QUOTED)) {
          const value = (match[2] as string).trim();
          if (value === '') continue;
          const holders = this.#quoted.get(value);
          if (holders === undefined) this.#quoted.set(value, [ordinal]);
          else if (holders[holders.length - 1] !== ordinal) holders.push(ordinal);
        }
      }
      for (const region of [...(regions.directive ?? []), ...(regions.carrier ?? [])]) this.#directive.add(region, ordinal);
      if ((regions.injected?.length ?? 0) + (regions.directive?.length ?? 0) + (regions.carrier?.length ?? 0) > 0) {
        this.#regioned.add(ordinal);
        this.#plain.add(outside(text, regions), ordinal);
      }
    }
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
   * of the texts they came from (sorted, at most MAX_SOURCES) and the worst evidence over
   * their values. `argument` is the value's dotted path; an array element reports the array's path.
   */
  provenanceOf(args: Record<string, JsonValue>): ArgumentTaint[] {
    return this.#trace(args).map(({ argument, sources, evidence }) => ({ argument, sources, evidence }));
  }

  /** Like provenanceOf, with up to MAX_SNIPPETS snippets per argument (the text around each value in its sources). */
  explain(args: Record<string, JsonValue>): Array<ArgumentTaint & { snippets: TaintSnippet[] }> {
    return this.#trace(args).map(({ argument, sources, evidence, matches }) => {
      const snippets: TaintSnippet[] = [];
      for (const match of matches) {
        for (const ordinal of match.sources) {
          if (snippets.length >= MAX_SNIPPETS) break;
          const snippet = this.#snippet(ordinal, match.needles);
          if (snippet !== null && !snippets.some((s) => s.source === snippet.source && s.text === snippet.text)) snippets.push(snippet);
        }
      }
      return { argument, sources, evidence, snippets };
    });
  }

  /**
   * True when trusted content names one of `values`: one of its entities is in trusted
   * content, trusted content quotes the whole value (`the 'general' channel`) or uses it as
   * a name (a capitalized word inside a sentence: `in Alice's inbox`), or it has at
   * least PHRASE_WORDS words that all appear, in order, in one trusted text. (A call whose
   * arguments are named this way was pointed to by the user.) A value that is tainted names
   * nothing, whatever part of it trusted content holds: in `https://github.com/attacker/x`,
   * copied from a page the user pointed to, the user named the host, the attacker the page
   * (pointing is one hop).
   */
  names(values: readonly string[]): boolean {
    for (const value of values) {
      if (this.#labels.untrustedSeen && this.#match(value).sources.size > 0) continue;
      const folded = fold(value);
      if (this.#trustedQuoted.has(folded.trim()) || this.#trustedNames.has(folded.trim())) return true;
      for (const entity of extractEntities(folded)) if (this.#trusted.hasEntity(entity)) return true;
      const words = wordHashes(folded);
      if (words.length < PHRASE_WORDS) continue;
      const keys = shingles(words);
      const runs = runsEndingAt(keys, (k) => this.#trusted.shingleHolders(k));
      if ((runs[keys.length - 1] as number) >= keys.length) return true;
    }
    return false;
  }

  #trace(args: Record<string, JsonValue>): Array<ArgumentTaint & { evidence: TaintEvidence; matches: Match[] }> {
    if (!this.#labels.untrustedSeen) return [];
    const found = new Map<string, { sources: Set<number>; evidence: TaintEvidence; matches: Match[] }>();
    const check = (text: string, path: string): void => {
      const match = this.#match(text);
      if (match.sources.size === 0) return;
      const evidence = this.#grade(match);
      let into = found.get(path);
      if (into === undefined) found.set(path, (into = { sources: new Set(), evidence, matches: [] }));
      into.evidence = worseEvidence(into.evidence, evidence);
      into.matches.push(match);
      for (const s of match.sources) into.sources.add(s);
    };
    const visit = (value: JsonValue, path: string): void => {
      if (typeof value === 'string' || typeof value === 'number') {
        check(typeof value === 'string' ? value : String(value), path);
      } else if (Array.isArray(value)) {
        for (const item of value) visit(item, path);
      } else if (value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          const at = path === '' ? key : `${path}.${key}`;
          // A key inside an argument is data the call carries (`{files: {"/home/a/.ssh/authorized_keys": ...}}`);
          // the arguments' own names are the tool's.
          if (path !== '') check(key, at);
          visit(child, at);
        }
      }
    };
    for (const [key, value] of Object.entries(args)) visit(value, key);
    return [...found.entries()]
      .map(([argument, { sources, evidence, matches }]) => ({ argument, sources: this.#sourceNames(sources), evidence, matches }))
      .sort((a, b) => (a.argument < b.argument ? -1 : a.argument > b.argument ? 1 : 0));
  }

  #grade(match: Match): TaintEvidence {
    if (match.injected) return 'injected';
    const pointed = [...match.sources].some((ordinal) => this.#entries[ordinal]?.pointed === true);
    if (match.directive) return match.solely && !pointed ? 'instructed' : 'directive';
    return pointed ? 'pointed' : 'unnamed';
  }

  /** The untrusted texts a value came from (empty: not tainted), and whether it lies in an instruction region. */
  #match(value: string): Match {
    const match: Match = { sources: new Set(), injected: false, directive: false, solely: false, needles: [] };
    const folded = fold(value);
    const entities = [...extractEntities(folded)];
    const regional: Array<{ entity: string; holders: readonly number[] }> = [];
    for (const entity of entities) {
      const holders = this.#untrusted.entityHolders(entity);
      if (holders.length === 0 || this.#trusted.hasEntity(entity)) continue;
      for (const h of holders) match.sources.add(h);
      match.needles.push(entity);
      if (this.#injected.hasEntity(entity) || this.#directive.hasEntity(entity)) regional.push({ entity, holders });
    }
    // Grades go by whole entities: the domain of `dora@mail.example` in instructions naming
    // `eve@mail.example` says nothing about Dora's address. (Found in one pass: comparing every
    // entity with every other was quadratic in the value's length.)
    const inside = insideOthers(
      regional.map((r) => r.entity),
      entities,
    );
    for (const { entity, holders } of regional) {
      if (inside.has(entity)) continue;
      if (this.#injected.hasEntity(entity)) match.injected = true;
      if (this.#directive.hasEntity(entity)) {
        match.directive = true;
        if (!this.#plain.hasEntity(entity) && holders.every((h) => this.#regioned.has(h))) match.solely = true;
      }
    }
    // A whole value the injected instructions quote (an id, a title) is theirs, however short.
    const quotedBy = this.#quoted.get(folded.trim());
    if (quotedBy !== undefined && !this.#trusted.hasEntity(folded.trim())) {
      for (const h of quotedBy) match.sources.add(h);
      match.injected = true;
      match.needles.push(folded.trim());
    }
    const words = wordHashes(folded);
    if (words.length < PHRASE_WORDS) return match;
    const keys = shingles(words);
    // A window of `need` consecutive shingles: the whole value, or an 8-word passage.
    const need = Math.min(keys.length, PASSAGE_WORDS - SHINGLE_WORDS + 1);
    const cleared = runsEndingAt(keys, (k) => this.#trusted.shingleHolders(k));
    const passage = (index: ContentIndex, hit: (ordinal: number) => void): void => {
      runsEndingAt(
        keys,
        (k) => index.shingleHolders(k),
        (ordinal, length, at) => {
          if (length >= need && (cleared[at] as number) < need) hit(ordinal);
        },
      );
    };
    const before = match.sources.size;
    passage(this.#untrusted, (ordinal) => match.sources.add(ordinal));
    if (match.sources.size > before) match.needles.push(folded.trim());
    passage(this.#injected, () => (match.injected = true));
    const directiveBefore = match.directive;
    passage(this.#directive, () => (match.directive = true));
    if (match.directive && !directiveBefore) {
      let plain = false;
      passage(this.#plain, () => (plain = true));
      passage(this.#untrusted, (ordinal) => (plain ||= !this.#regioned.has(ordinal)));
      if (!plain) match.solely = true;
    }
    return match;
  }

  /** The text around the first needle found in one untrusted text. */
  #snippet(ordinal: number, needles: readonly string[]): TaintSnippet | null {
    const text = this.#texts.get(ordinal);
    const entry = this.#entries[ordinal];
    if (text === undefined || entry === undefined) return null;
    const normalized = visible(text);
    const folded = fold(text);
    const shown = normalized.length === folded.length ? normalized : folded;
    for (const needle of needles) {
      const at = folded.indexOf(needle.slice(0, 200));
      if (at === -1) continue;
      const valueEnd = at + Math.min(needle.length, 200);
      const start = Math.max(0, at - SNIPPET_CONTEXT);
      const end = Math.min(shown.length, valueEnd + SNIPPET_CONTEXT);
      const collapse = (part: string) => part.replace(/\s+/g, ' ');
      const lead = start > 0 ? '...' : '';
      const before = collapse(shown.slice(start, at)).trimStart();
      const value = collapse(shown.slice(at, valueEnd));
      const after = collapse(shown.slice(valueEnd, end)).trimEnd();
      const from = lead.length + before.length;
      return {
        source: entry.sourceId ?? entry.contentId,
        text: `${lead}${before}${value}${after}${end < shown.length ? '...' : ''}`,
        highlight: { start: from, end: from + value.length },
      };
    }
    return null;
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
