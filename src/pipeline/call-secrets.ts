/**
 * The secret values in play for one call — the just-in-time credential the gateway minted,
 * and the connector secrets it resolved and put on the wire (HTTP connector headers from
 * secret references, an MCP upstream's resolved headers / environment) — and their removal
 * from whatever comes back: every occurrence, whole value or substring, in any string or key
 * of a result and in an error text, is replaced by a marker. What is recorded about it is a
 * count per kind, never a value. The collector never shows a value through JSON or inspect.
 */
import { inspect } from 'node:util';
import type { JsonValue } from '../core/canonical.ts';

export type SecretKind = 'credential' | 'connector_secret' | 'upstream_secret';

export const SECRET_MARKER = '[redacted secret]';

/** What the result event records about a call's redactions. */
export interface RedactionRecord {
  count: number;
  kinds: Partial<Record<SecretKind, number>>;
}

/** Collects the secret values of one call (connectors report into it through `ConnectorCall.secrets`). */
export class CallSecrets {
  readonly #values = new Map<string, SecretKind>();

  add(kind: SecretKind, value: string): void {
    if (typeof value !== 'string' || value === '') return;
    const needles = [value];
    // Forms an upstream is likely to echo: URL-encoded, and a JWT's signature on its own.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) needles.push(encoded);
    const parts = value.split('.');
    if (kind === 'credential' && parts.length === 3 && (parts[2] ?? '').length >= 16) needles.push(parts[2] as string);
    for (const needle of needles) if (!this.#values.has(needle)) this.#values.set(needle, kind);
  }

  get size(): number {
    return this.#values.size;
  }

  /** Longest first, so a secret containing another is replaced whole. */
  needles(): Array<{ value: string; kind: SecretKind }> {
    return [...this.#values].map(([value, kind]) => ({ value, kind })).sort((a, b) => b.value.length - a.value.length);
  }

  toJSON(): { secrets: number } {
    return { secrets: this.#values.size };
  }

  [inspect.custom](): string {
    return `CallSecrets ${JSON.stringify(this.toJSON())}`;
  }
}

class Tally {
  count = 0;
  readonly kinds: Partial<Record<SecretKind, number>> = {};

  /** One left-to-right pass, longest secret first at each position (no marker is rescanned). */
  text(input: string, needles: Array<{ value: string; kind: SecretKind }>): string {
    const present = needles.filter((n) => input.includes(n.value));
    if (present.length === 0) return input;
    let out = '';
    let i = 0;
    for (;;) {
      // The next occurrence of any secret; at the same position the longest (needles are sorted).
      let at = -1;
      let hit: { value: string; kind: SecretKind } | undefined;
      for (const needle of present) {
        const found = input.indexOf(needle.value, i);
        if (found !== -1 && (at === -1 || found < at)) {
          at = found;
          hit = needle;
        }
      }
      if (hit === undefined) break;
      out += input.slice(i, at) + SECRET_MARKER;
      i = at + hit.value.length;
      this.count += 1;
      this.kinds[hit.kind] = (this.kinds[hit.kind] ?? 0) + 1;
    }
    out += input.slice(i);
    // Fail closed: should a marker and its neighbours ever spell a secret again, drop the whole text.
    return present.some((n) => out.includes(n.value)) ? SECRET_MARKER : out;
  }

  json(value: JsonValue, needles: Array<{ value: string; kind: SecretKind }>): JsonValue {
    if (typeof value === 'string') return this.text(value, needles);
    if (Array.isArray(value)) return value.map((item) => this.json(item, needles));
    if (value !== null && typeof value === 'object') {
      const entries: Array<[string, JsonValue]> = [];
      const names = new Set<string>();
      for (const [key, item] of Object.entries(value)) {
        const base = this.text(key, needles);
        let name = base;
        // Two keys redacted to the same name both stay (a suffix keeps them apart).
        for (let n = 2; names.has(name); n++) name = `${base} (${n})`;
        names.add(name);
        entries.push([name, this.json(item, needles)]);
      }
      // fromEntries defines own properties: a "__proto__" key stays a key.
      return Object.fromEntries(entries) as JsonValue;
    }
    return value;
  }

  record(): RedactionRecord | undefined {
    return this.count === 0 ? undefined : { count: this.count, kinds: { ...this.kinds } };
  }
}

/** The result and error text with every secret of `secrets` replaced, and what was replaced (undefined: nothing). */
export function redactSecrets(
  secrets: CallSecrets,
  result: { value?: JsonValue; error?: string },
): { value?: JsonValue; error?: string; redacted?: RedactionRecord } {
  const needles = secrets.needles();
  if (needles.length === 0) return result;
  const tally = new Tally();
  const out: { value?: JsonValue; error?: string; redacted?: RedactionRecord } = {};
  if (result.value !== undefined) out.value = tally.json(result.value, needles);
  if (result.error !== undefined) out.error = tally.text(result.error, needles);
  const redacted = tally.record();
  if (redacted !== undefined) out.redacted = redacted;
  return out;
}
