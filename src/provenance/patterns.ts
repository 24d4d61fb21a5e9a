/**
 * Many strings searched for at once in other strings (an Aho-Corasick automaton), in time
 * linear in the total length of the patterns and of the texts searched. Searching for each
 * pattern in turn costs their product, and both sides may be written by an attacker: the
 * instruction regions of a registered text (cut out of that text) and the entities of an
 * argument value (each looked for inside the others). A megabyte of either must not hold
 * the event loop for minutes.
 */

/** UTF-16 code units: a transition's key is `state * UNITS + unit`. */
const UNITS = 0x10000;

export class Patterns {
  readonly #goto = new Map<number, number>();
  /** Failure link of each state (the longest proper suffix of its string that is a state too). */
  readonly #fail: number[] = [0];
  /** Length of the longest pattern that ends each state's string (0: none). */
  readonly #longest: number[] = [0];
  /** States in breadth-first order (every state after its failure link). */
  readonly #order: number[];
  /** The state of each pattern (0 for an empty pattern, which never counts). */
  readonly #nodes: number[] = [];

  constructor(patterns: readonly string[]) {
    const children: number[][] = [[]];
    for (const pattern of patterns) {
      let state = 0;
      for (let i = 0; i < pattern.length; i++) {
        const key = state * UNITS + pattern.charCodeAt(i);
        let next = this.#goto.get(key);
        if (next === undefined) {
          next = this.#fail.length;
          this.#goto.set(key, next);
          this.#fail.push(0);
          this.#longest.push(0);
          children.push([]);
          (children[state] as number[]).push(pattern.charCodeAt(i), next);
        }
        state = next;
      }
      this.#nodes.push(state);
      if (state !== 0) this.#longest[state] = pattern.length;
    }
    const order = [0];
    for (let q = 0; q < order.length; q++) {
      const state = order[q] as number;
      const out = children[state] as number[];
      for (let j = 0; j < out.length; j += 2) {
        const child = out[j + 1] as number;
        if (state !== 0) this.#fail[child] = this.#step(this.#fail[state] as number, out[j] as number);
        this.#longest[child] = Math.max(this.#longest[child] as number, this.#longest[this.#fail[child] as number] as number);
        order.push(child);
      }
    }
    this.#order = order;
  }

  #step(state: number, unit: number): number {
    let s = state;
    for (;;) {
      const next = this.#goto.get(s * UNITS + unit);
      if (next !== undefined) return next;
      if (s === 0) return 0;
      s = this.#fail[s] as number;
    }
  }

  /** For each pattern (in the order given), how many times it occurs in `texts`, overlapping occurrences included. */
  counts(texts: Iterable<string>): number[] {
    const hits = new Array<number>(this.#fail.length).fill(0);
    for (const text of texts) {
      let state = 0;
      for (let i = 0; i < text.length; i++) {
        state = this.#step(state, text.charCodeAt(i));
        hits[state] = (hits[state] as number) + 1;
      }
    }
    // A pattern occurs wherever the state reached ends with it: sum each state into its failure links.
    for (let q = this.#order.length - 1; q > 0; q--) {
      const state = this.#order[q] as number;
      const fail = this.#fail[state] as number;
      hits[fail] = (hits[fail] as number) + (hits[state] as number);
    }
    return this.#nodes.map((state) => (state === 0 ? 0 : (hits[state] as number)));
  }

  /** `text` with every occurrence of every pattern replaced by `replacement` (occurrences that overlap or touch are replaced once, together). */
  cut(text: string, replacement: string): string {
    const edges = new Int32Array(text.length + 1);
    let state = 0;
    let found = false;
    for (let i = 0; i < text.length; i++) {
      state = this.#step(state, text.charCodeAt(i));
      const length = this.#longest[state] as number;
      if (length > 0) {
        edges[i + 1 - length] = (edges[i + 1 - length] as number) + 1;
        edges[i + 1] = (edges[i + 1] as number) - 1;
        found = true;
      }
    }
    if (!found) return text;
    let out = '';
    let depth = 0;
    let from = 0;
    for (let i = 0; i <= text.length; i++) {
      const before = depth;
      depth += edges[i] as number;
      if (before === 0 && depth > 0) out += text.slice(from, i) + replacement;
      else if (before > 0 && depth === 0) from = i;
    }
    return out + text.slice(from);
  }
}

/** The `patterns` that occur inside some string of `texts` other than themselves (each pattern is one of `texts`, which holds no string twice). */
export function insideOthers(patterns: readonly string[], texts: readonly string[]): Set<string> {
  if (patterns.length === 0) return new Set();
  const counts = new Patterns(patterns).counts(texts);
  return new Set(patterns.filter((_, i) => (counts[i] as number) >= 2));
}
