/**
 * Source positions for config paths: walks the parsed YAML document (which keeps node
 * ranges) to find the line and column of a value, of a key, or of the nearest existing
 * ancestor, so every config error can point at the line a person has to edit.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node as YamlNode, Pair } from 'yaml';

export type PathSegment = string | number;

export interface SourcePosition {
  line: number;
  column: number;
}

/** `tools[2].side_effect`; keys that are not identifiers are quoted: `headers["x-api-key"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function findPair(node: unknown, key: PathSegment): Pair<unknown, unknown> | undefined {
  if (!isMap(node)) return undefined;
  for (const item of node.items) {
    const k: unknown = item.key;
    const name = isScalar(k) ? k.value : k;
    if (name !== null && name !== undefined && String(name) === String(key)) return item;
  }
  return undefined;
}

function startOf(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const range = (node as YamlNode).range;
  return Array.isArray(range) ? range[0] : undefined;
}

interface Step {
  /** The value node reached. */
  node: unknown;
  /** The map pair whose value it is, when reached through a map key. */
  pair: Pair<unknown, unknown> | undefined;
}

/** Walks as far along `path` as the document goes; returns every step taken (root first). */
function walk(doc: Document, path: readonly PathSegment[]): Step[] {
  const steps: Step[] = [{ node: doc.contents, pair: undefined }];
  let current: unknown = doc.contents;
  for (const segment of path) {
    if (isAlias(current)) break;
    if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment];
      if (item === undefined) break;
      steps.push({ node: item, pair: undefined });
      current = item;
      continue;
    }
    const pair = findPair(current, segment);
    if (pair === undefined) break;
    steps.push({ node: pair.value, pair });
    current = pair.value;
  }
  return steps;
}

export type LocateTarget =
  /** The value at the path (falls back to its key when the value is empty). */
  | 'value'
  /** The key naming the last segment (for unknown keys). */
  | 'key'
  /** The parent's key (for a missing property): the last existing ancestor. */
  | 'parent';

export class SourceLocator {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  position(offset: number): SourcePosition {
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }

  locate(path: readonly PathSegment[], target: LocateTarget = 'value'): SourcePosition {
    const wanted = target === 'parent' ? path.slice(0, -1) : path;
    const steps = walk(this.#doc, wanted);
    const reachedAll = steps.length === wanted.length + 1;
    // Walk back from the deepest step reached to the first one with a usable position.
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i];
      if (step === undefined) continue;
      const exact = reachedAll && i === steps.length - 1;
      const preferKey = target === 'key' || target === 'parent' || !exact;
      const candidates = preferKey ? [step.pair?.key, step.node] : [step.node, step.pair?.key];
      for (const candidate of candidates) {
        if (isScalar(candidate) && candidate.value === null && candidate !== step.pair?.key) {
          // An empty value (`key:`) has a zero-width range after the key; point at the key.
          continue;
        }
        const offset = startOf(candidate);
        if (offset !== undefined) return this.position(offset);
      }
    }
    return { line: 1, column: 1 };
  }

  /** Every key node named `name` under `path` (document order), for pointing inside JSON Schemas. */
  findKey(path: readonly PathSegment[], name: string): SourcePosition | undefined {
    const steps = walk(this.#doc, path);
    if (steps.length !== path.length + 1) return undefined;
    const found = searchKey(steps[steps.length - 1]?.node, name);
    return found === undefined ? undefined : this.position(found);
  }
}

function searchKey(node: unknown, name: string): number | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k: unknown = item.key;
      if (isScalar(k) && String(k.value) === name) {
        const offset = startOf(k);
        if (offset !== undefined) return offset;
      }
      const inner = searchKey(item.value, name);
      if (inner !== undefined) return inner;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const inner = searchKey(item, name);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
