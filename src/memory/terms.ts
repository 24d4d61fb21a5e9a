/**
 * The derived search index of a memory: lowercase words (letters and digits, 3-64
 * characters) of its content's keys and string and number values, plus `kind:<kind>`. At
 * most 256 terms per memory; a query uses at most 8 and matches memories holding all of them.
 */
import type { JsonValue } from '../core/canonical.ts';

const WORD = /[\p{L}\p{N}]{3,64}/gu;
const MAX_TERMS = 256;
const MAX_QUERY_TERMS = 8;

/** Keys and string / number leaves, one per line (for term extraction and secret scanning). */
export function textOfContent(value: JsonValue): string {
  const lines: string[] = [];
  const walk = (v: JsonValue): void => {
    if (typeof v === 'string') lines.push(v);
    else if (typeof v === 'number') lines.push(String(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        lines.push(key);
        walk(child);
      }
    }
  };
  walk(value);
  return lines.join('\n');
}

function words(text: string): string[] {
  return [...text.normalize('NFKC').toLowerCase().matchAll(WORD)].map((m) => m[0]);
}

export function indexTerms(kind: string, content: JsonValue): string[] {
  return [...new Set([`kind:${kind}`, ...words(textOfContent(content))])].slice(0, MAX_TERMS);
}

export function queryTerms(q: string): string[] {
  return [...new Set(words(q))].slice(0, MAX_QUERY_TERMS);
}
