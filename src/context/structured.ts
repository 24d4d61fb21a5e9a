/**
 * Structured text: the data a text encodes when a tool hands its result over as text - a
 * JSON document, or YAML (the listing of records most agent runtimes show a model:
 * `- sender: ...`, or one mapping of fields). Provenance indexes such a result as the data
 * it encodes, so instruction regions are found per field (one e-mail body, not the whole
 * inbox) and a value folded across YAML lines reads as it was written.
 *
 * Parsing is bounded, since an attacker may write the text: JSON over MAX_STRUCTURED_CHARS,
 * YAML over MAX_YAML_CHARS or MAX_YAML_LINES (a YAML parser costs far more per record than
 * JSON.parse), YAML whose brackets open deeper than MAX_DEPTH, data nested deeper than
 * MAX_DEPTH and YAML with aliases are read as plain text (the safe reading: one passage).
 */
import { isScalar, parseDocument, visit } from 'yaml';

/** Longest text read as JSON, characters. */
export const MAX_STRUCTURED_CHARS = 2 * 1024 * 1024;
/** Longest text read as YAML, characters and lines. */
export const MAX_YAML_CHARS = 128 * 1024;
export const MAX_YAML_LINES = 2_000;

/** A YAML list item, a YAML document start, or a mapping's first `key:` line. */
const YAML_START = /^(?:-[ \t]|---[ \t]*(?:\r?\n|$)|[^\s:#\-'"{[][^:\n]{0,127}:(?:[ \t]|\r?\n|$))/;

/** Deepest nesting of data read out of a text (what indexes it walks recursively). */
export const MAX_DEPTH = 64;

const isData = (value: unknown): value is object => value !== null && typeof value === 'object';

/** At most MAX_YAML_LINES lines and no bracket opened deeper than MAX_DEPTH (quotes ignored: counting too deep only reads text as text). */
function yamlWithinBounds(text: string): boolean {
  let lines = 1;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 && ++lines > MAX_YAML_LINES) return false;
    else if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) return false;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return true;
}

/** True when `value` nests no deeper than MAX_DEPTH (checked without recursion). */
function shallow(value: object): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (!isData(item)) continue;
    if (depth > MAX_DEPTH) return false;
    for (const child of Object.values(item)) if (isData(child)) stack.push([child, depth + 1]);
  }
  return true;
}

/**
 * Members of JSON objects written in `text` (a string followed by `:`), counted in one pass.
 * JSON.parse keeps the last of a key written twice; comparing this count with the keys the
 * parsed data holds finds such a key.
 */
function jsonMembersWritten(text: string): number {
  let members = 0;
  let i = 0;
  while (i < text.length) {
    if (text.charCodeAt(i) !== 34) {
      i++;
      continue;
    }
    i++;
    while (i < text.length && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
    i++;
    // Whitespace after a string is skipped once, by that string: linear.
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
    if (text.charCodeAt(i) === 58) members++;
  }
  return members;
}

/** Keys the objects of `value` hold, all told (iterative). */
function membersHeld(value: object): number {
  let members = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (!isData(item)) continue;
    if (!Array.isArray(item)) members += Object.keys(item).length;
    for (const child of Object.values(item)) if (isData(child)) stack.push(child);
  }
  return members;
}

/** A number as written when it does not read back the same (`12345678901234567890`, `1E4`, `1.50`). */
function asWritten(value: number, source: string): number | string {
  return String(value) === source ? value : source;
}

function json(text: string): object | null {
  try {
    const value: unknown = JSON.parse(text, (_key, v: unknown, context?: { source?: string }) =>
      typeof v === 'number' && typeof context?.source === 'string' ? asWritten(v, context.source) : v,
    );
    if (!isData(value) || !shallow(value)) return null;
    // A key written twice: the data holds only one of its values.
    return membersHeld(value) === jsonMembersWritten(text) ? value : null;
  } catch {
    return null;
  }
}

function yaml(text: string): object | null {
  try {
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true });
    if (doc.errors.length > 0) return null;
    // What the data would not hold: a comment anywhere, a scalar that is not text or a number.
    let whole = !doc.comment && !doc.commentBefore;
    visit(doc, {
      Node(_key, node) {
        if (node.comment || node.commentBefore) whole = false;
        if (!isScalar(node)) return undefined;
        const { value, source } = node as { value: unknown; source?: unknown };
        if (typeof value === 'number' && typeof source === 'string') node.value = asWritten(value, source);
        else if (value !== null && typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number') whole = false;
        return whole ? undefined : visit.BREAK;
      },
    });
    if (!whole) return null;
    const value: unknown = doc.toJS({ maxAliasCount: 0 });
    // A list of lines (a Markdown list in a page) is text: its author wrote every item.
    if (Array.isArray(value) && value.every((item) => !isData(item))) return null;
    return isData(value) && shallow(value) ? value : null;
  } catch {
    return null;
  }
}

/** The object or array `text` encodes as JSON or YAML, or null when it is just text. */
export function structuredData(text: string): object | null {
  if (text.length > MAX_STRUCTURED_CHARS) return null;
  const start = text.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) return json(text);
  if (!YAML_START.test(start) || start.length > MAX_YAML_CHARS || !yamlWithinBounds(start)) return null;
  // One line with a colon is text (`Note: the meeting moved`), not a mapping.
  if (!start.trimEnd().includes('\n')) return null;
  return yaml(start);
}
