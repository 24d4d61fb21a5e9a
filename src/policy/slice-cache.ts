/**
 * The request-slice cache of one bundle: request slices (slices.ts) keyed by tool and
 * principal facts, least recently used first out, each holding a preparsed Cedar policy
 * set of its specialized policies (specialize.ts). Request slices with the same members
 * share one preparsed set.
 *
 * cedar-wasm keeps preparsed sets in a per-thread cache with no way to drop one;
 * re-preparsing an id replaces it. So the cache owns a pool of ids `<prefix>:<n>` (never
 * more than its capacity), overwrites a set with an empty one as soon as no cached request
 * slice uses it (giving its memory back) and reuses the id, and empties every id it filled
 * when it is cleared.
 */
import { emptySet, preparse } from './slices.ts';
import type { SliceMember } from './slices.ts';
import { specializeSlice } from './specialize.ts';
import type { SpecializedSlice } from './specialize.ts';
import type { CompiledPolicy } from './types.ts';

export interface PreparedSet {
  /** Preparsed set id handed to `statefulIsAuthorized`. */
  id: string;
  /** Number of policies in the set. */
  size: number;
  /** The members (bundle order). */
  members: CompiledPolicy[];
  /** What was preparsed, and what it needs of a request. */
  slice: SpecializedSlice;
}

interface SharedSet extends PreparedSet {
  key: string;
  refs: number;
}

export interface SliceCacheStats {
  capacity: number;
  /** Cached request slices. */
  entries: number;
  /** Preparsed sets in use (request slices with the same members share one). */
  sets: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Sets preparsed since the bundle was loaded. */
  preparsed: number;
}

export class SliceCache<V> {
  readonly #prefix: string;
  readonly #capacity: number;
  readonly #entries = new Map<string, { value: V; set: SharedSet; used: number }>();
  readonly #sets = new Map<string, SharedSet>();
  readonly #free: string[] = [];
  readonly #ids: string[] = [];
  #clock = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #preparsed = 0;

  constructor(prefix: string, capacity: number) {
    this.#prefix = prefix;
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /** The cached value for `key` (now the most recently used), counting a hit or a miss. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    entry.used = ++this.#clock;
    return entry.value;
  }

  /**
   * Caches a request slice of `members` under `key`: specializes and preparses them
   * (unless a cached request slice has the same members, folded alike), then builds the
   * cached value from the set. Each member's guard must hold, and its first `fold`
   * conjuncts be true, for the requests the request slice serves. Evicts the least
   * recently used request slice when the cache is full.
   */
  add(key: string, members: SliceMember[], build: (set: PreparedSet) => V): V {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#release(previous.set);
    }
    // Eviction scans for the least recently used entry: it happens only on a miss, which
    // preparses (milliseconds) anyway, and keeps a hit to one lookup.
    while (this.#entries.size >= this.#capacity) {
      let oldest: string | undefined;
      let oldestUse = Infinity;
      for (const [k, entry] of this.#entries) {
        if (entry.used < oldestUse) {
          oldest = k;
          oldestUse = entry.used;
        }
      }
      const entry = oldest === undefined ? undefined : this.#entries.get(oldest);
      if (oldest === undefined || entry === undefined) break;
      this.#entries.delete(oldest);
      this.#evictions++;
      this.#release(entry.set);
    }
    const set = this.#acquire(members);
    let value: V;
    try {
      value = build(set);
    } catch (error) {
      this.#release(set);
      throw error;
    }
    this.#entries.set(key, { value, set, used: ++this.#clock });
    return value;
  }

  stats(): SliceCacheStats {
    return {
      capacity: this.#capacity,
      entries: this.#entries.size,
      sets: this.#sets.size,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      preparsed: this.#preparsed,
    };
  }

  /** Empties every preparsed set this cache filled. The cache can be used again afterwards. */
  clear(): void {
    for (const id of this.#ids) emptySet(id);
    this.#entries.clear();
    this.#sets.clear();
    this.#free.length = 0;
    this.#ids.length = 0;
  }

  #acquire(sliceMembers: SliceMember[]): SharedSet {
    const key = sliceMembers.map((m) => `${m.policy.index}:${m.fold}`).join(',');
    const members = sliceMembers.map((m) => m.policy);
    const shared = this.#sets.get(key);
    if (shared !== undefined) {
      shared.refs++;
      return shared;
    }
    let id = this.#free.pop();
    if (id === undefined) {
      id = `${this.#prefix}:${this.#ids.length}`;
      this.#ids.push(id);
    }
    let slice: SpecializedSlice;
    try {
      slice = specializeSlice(sliceMembers);
      preparse(id, slice.policies);
    } catch (error) {
      this.#free.push(id);
      throw error;
    }
    this.#preparsed++;
    const set: SharedSet = { id, key, size: members.length, members, slice, refs: 1 };
    this.#sets.set(key, set);
    return set;
  }

  #release(set: SharedSet): void {
    set.refs--;
    if (set.refs > 0) return;
    this.#sets.delete(set.key);
    emptySet(set.id);
    this.#free.push(set.id);
  }
}
