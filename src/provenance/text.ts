/**
 * Text normalization and word shingles for provenance matching. Text is folded (invisible
 * code points removed, Unicode NFKC, lowercase) before anything is extracted or compared. Words are maximal runs of
 * letters and digits; a shingle is three consecutive words, hashed to a 30-bit integer
 * (a V8 small integer, so the index stays compact and lookups stay fast). A hash collision
 * can only make a phrase look present where it is not; see session.ts for why that is
 * harmless in both directions.
 */

/**
 * Code points a reader never sees (zero-width spaces and joiners, the soft hyphen, word
 * joiner, byte order mark, bidi controls, tag characters, variation selectors: Unicode's
 * Default_Ignorable_Code_Point). Untrusted content could spell a value with them between its
 * characters (`GB82\u200bWEST...`); a model copying the value drops them, and the argument
 * would then match nothing the content was indexed as.
 */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Text as a reader sees it: invisible code points removed, then NFKC. */
export function visible(text: string): string {
  return text.replace(IGNORABLE, '').normalize('NFKC');
}

/** Visible text (see `visible`), lowercase: the form every comparison is made in. */
export function fold(text: string): string {
  return visible(text).toLowerCase();
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Words per shingle. */
export const SHINGLE_WORDS = 3;

const MASK30 = 0x3fffffff;

function wordHash(word: string): number {
  // FNV-1a, 32 bits.
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  h ^= h >>> 15;
  return h & MASK30;
}

/** Hashes of the words of already-folded text, in order. */
export function wordHashes(folded: string): number[] {
  const out: number[] = [];
  for (const match of folded.matchAll(WORD)) out.push(wordHash(match[0]));
  return out;
}

/** Shingle keys of a word-hash sequence: one per position with SHINGLE_WORDS words from it. */
export function shingles(words: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + SHINGLE_WORDS <= words.length; i++) {
    out.push(mix(words[i] as number, words[i + 1] as number, words[i + 2] as number));
  }
  return out;
}

/** Characters that join text into one entity (an address, a URL, a path, a number): letters, digits and `_ - @ % + / \\ ~ #`. */
const JOINS = /[\p{L}\p{N}\p{M}_\-@%+/\\~#]/u;

/** True when the character at `i` of `text` joins what is on its side into one entity: a joiner, or `.`/`:`/`'` followed, away from the echo, by one. */
function joins(text: string, i: number, away: number): boolean {
  const c = text[i];
  if (c === undefined) return false;
  if (JOINS.test(c)) return true;
  if (c !== '.' && c !== ':' && c !== "'" && c !== ',') return false;
  const next = text[i + away];
  return next !== undefined && JOINS.test(next);
}

/**
 * `text` with every occurrence of `echo` that stands on its own cut out (replaced by a line
 * break). An occurrence inside a longer entity stays: `security` in
 * `https://security-portal.example`, `2024` in an IBAN. Cutting it would break the entity the
 * model reads, so it would be indexed as neither.
 */
function cutEcho(text: string, echo: string): string {
  let out = '';
  let from = 0;
  let at = text.indexOf(echo);
  while (at !== -1) {
    const end = at + echo.length;
    if (!joins(text, at - 1, -1) && !joins(text, end, 1)) {
      out += `${text.slice(from, at)}\n`;
      from = end;
      at = text.indexOf(echo, end);
    } else {
      at = text.indexOf(echo, at + 1);
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * The text of a JSON value as provenance indexes it: every object key and every string and
 * number leaf, one per line (so values never run into each other, and no JSON escaping
 * glues words together). Occurrences of the `echoes` strings (of 4 or more characters) that
 * stand on their own are cut out: a tool's result echoing the call's own arguments is not the
 * tool's content. One inside a longer entity is not an echo (see `cutEcho`).
 */
export function textOfJson(value: unknown, echoes: readonly string[] = []): string {
  const lines: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') lines.push(v);
    else if (typeof v === 'number' || typeof v === 'bigint') lines.push(String(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        lines.push(key);
        walk(child);
      }
    }
  };
  walk(value);
  let text = lines.join('\n');
  for (const echo of [...echoes].sort((a, b) => b.length - a.length)) {
    if (echo.length >= 4) text = cutEcho(text, echo);
  }
  return text;
}

/** String and number leaves of a JSON value (the values a call's arguments carry). */
export function leavesOfJson(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number') out.push(String(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}
