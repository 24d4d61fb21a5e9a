/**
 * ContentIndex: what a set of registered texts contains, built once at registration so a
 * lookup never scans text. Two maps from key to the ordinals of the texts holding it:
 * entities (exact normalized strings, entities.ts) and word shingles (30-bit hashes,
 * text.ts). A key held by one text stores its ordinal as a number; by several, an array.
 */
import { extractEntities } from './entities.ts';
import { fold, shingles, wordHashes } from './text.ts';

type Holders = number | number[];

function add<K>(map: Map<K, Holders>, key: K, ordinal: number): void {
  const held = map.get(key);
  if (held === undefined) map.set(key, ordinal);
  else if (typeof held === 'number') {
    if (held !== ordinal) map.set(key, [held, ordinal]);
  } else if (held[held.length - 1] !== ordinal) held.push(ordinal);
}

function holders(held: Holders | undefined): readonly number[] {
  if (held === undefined) return [];
  return typeof held === 'number' ? [held] : held;
}

export class ContentIndex {
  readonly #entities = new Map<string, Holders>();
  readonly #shingles = new Map<number, Holders>();

  /** Indexes one text under `ordinal` (ordinals are unique per index). */
  add(text: string, ordinal: number): void {
    const folded = fold(text);
    for (const entity of extractEntities(folded)) add(this.#entities, entity, ordinal);
    for (const key of shingles(wordHashes(folded))) add(this.#shingles, key, ordinal);
  }

  /** Ordinals of the texts holding this entity. */
  entityHolders(entity: string): readonly number[] {
    return holders(this.#entities.get(entity));
  }

  hasEntity(entity: string): boolean {
    return this.#entities.has(entity);
  }

  /** Ordinals of the texts holding this shingle. */
  shingleHolders(key: number): readonly number[] {
    return holders(this.#shingles.get(key));
  }

  get size(): { entities: number; shingles: number } {
    return { entities: this.#entities.size, shingles: this.#shingles.size };
  }
}
