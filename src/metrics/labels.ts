/**
 * Bounded label values. Every label value a metric carries comes from a closed or
 * operator-controlled set (registered tools, policy ids, verified tenants); on top of that a
 * BoundedLabel admits at most `max` distinct values and counts the rest under `(other)`, so
 * no caller can grow the exposition without bound.
 */

export const OTHER = '(other)';
export const UNKNOWN = '(unknown)';
export const NONE = '(none)';

export class BoundedLabel {
  readonly #max: number;
  readonly #seen = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The value itself when already seen or while there is room; `(other)` once the set is full. */
  value(raw: string): string {
    if (this.#seen.has(raw)) return raw;
    if (this.#seen.size >= this.#max) return OTHER;
    this.#seen.add(raw);
    return raw;
  }
}

/** Median of a list of numbers (0 for an empty list). */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
