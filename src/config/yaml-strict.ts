/**
 * The YAML an airlock.yaml may use, beyond what the parser refuses by itself: every mapping
 * key is a plain scalar (not null, not a collection, not an alias), keys stay distinct after
 * they become JavaScript property names (`1` and `"1"`, `true` and `"true"` are the same
 * property: the parser alone would keep the last one silently), and the parser's warnings
 * (an unknown tag such as `!!js/function`, read as a plain string) are refusals.
 */
import { isAlias, isScalar, visit } from 'yaml';
import type { Document, Node as YamlNode, ParsedNode } from 'yaml';

/** A problem found in the YAML itself, at a source offset. */
export interface YamlProblem {
  offset: number;
  message: string;
}

/** The property name a key becomes (what `toJS` does to it); undefined for keys that are not plain scalars. */
function propertyName(key: unknown): string | undefined {
  if (!isScalar(key) || key.value === null || key.value === undefined) return undefined;
  return String(key.value);
}

/** `uniqueKeys` for the parser: two keys clash when they name the same property. */
export function sameKey(a: ParsedNode, b: ParsedNode): boolean {
  if (a === b) return true;
  const left = propertyName(a);
  return left !== undefined && left === propertyName(b);
}

function offsetOf(node: unknown, fallback: number): number {
  const range = node !== null && typeof node === 'object' ? (node as YamlNode).range : undefined;
  return Array.isArray(range) ? range[0] : fallback;
}

/** Keys that are not plain scalars, and the parser's warnings; empty when the YAML is acceptable. */
export function yamlProblems(doc: Document.Parsed): YamlProblem[] {
  const problems: YamlProblem[] = doc.warnings.map((warning) => ({ offset: warning.pos[0], message: warning.message }));
  visit(doc, {
    Pair(_, pair, path) {
      const key: unknown = pair.key;
      if (propertyName(key) !== undefined) return;
      const parent = path[path.length - 1];
      const at = offsetOf(key, offsetOf(pair.value, offsetOf(parent, 0)));
      const what = isAlias(key) ? 'an alias' : key === null || (isScalar(key) && key.value === null) ? 'empty (null)' : 'a collection';
      problems.push({ offset: at, message: `a mapping key must be a plain name, not ${what}` });
    },
  });
  return problems;
}

/** Where the first alias of the document is (for pointing at an alias bomb). */
export function firstAliasOffset(doc: Document.Parsed): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Alias(_, alias) {
      found = offsetOf(alias, 0);
      return visit.BREAK;
    },
  });
  return found;
}
