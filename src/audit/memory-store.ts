/**
 * MemoryAuditStore: the in-memory AuditStore for tests. It seals and stores events exactly
 * like the durable adapters (canonical bodies, hash chain, decode on read), so tests that
 * use it exercise the real chain; it can be told to fail appends to test fail-closed paths.
 */
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import type { AuditEvent, AuditEventInput } from '../core/types.ts';
import type { AuditStore } from './types.ts';
import { GENESIS_HASH } from './chain.ts';
import type { ChainHead } from './chain.ts';
import { newEventIds } from './event-ids.ts';
import { decodeStoredEvent, prepareAppend, sealEvent } from './event-record.ts';
import type { PreparedInput, StoredEventRecord } from './event-record.ts';
import { relatesTo } from './related.ts';
import { finishSearch, matchesSearch, normalizeSearch, planSearch } from './search.ts';
import { preparePruneWrite, pruneConflict } from './retention/store.ts';
import type { PrunableAuditStore, PruneBatch } from './retention/store.ts';
import type { AuditSearchPage, AuditSearchQuery } from './search.ts';

function unavailable(message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_UNAVAILABLE', message, { status: 503 });
}

export class MemoryAuditStore implements AuditStore, PrunableAuditStore {
  readonly #clock: Clock;
  #records: StoredEventRecord[] = [];
  /** ref -> seqs of the events whose `refs` hold it (the event_refs table of the SQLite store). */
  readonly #refs = new Map<string, Set<number>>();
  #closed = false;
  #unavailable = false;

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** While true, every append rejects with ERR_AUDIT_UNAVAILABLE and writes nothing. */
  setUnavailable(unavailableNow: boolean): void {
    this.#unavailable = unavailableNow;
  }

  /** Copies of the stored records (tests inspect or tamper with them). */
  records(): StoredEventRecord[] {
    return this.#records.map((r) => ({ ...r }));
  }

  /** Replaces the stored records wholesale: a test stand-in for someone editing the storage. */
  replaceRecords(records: StoredEventRecord[]): void {
    this.#records = records.map((r) => ({ ...r }));
  }

  async append(events: AuditEventInput[]): Promise<AuditEvent[]> {
    if (this.#closed) throw unavailable('audit store is closed');
    const prepared: PreparedInput[] = prepareAppend(events);
    if (prepared.length === 0) return [];
    if (this.#unavailable) throw unavailable('audit store could not commit events');
    const last = this.#records.at(-1);
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    const ms = this.#clock.now();
    const ts = new Date(ms).toISOString();
    const ids = newEventIds(prepared.length, ms);
    const sealed: AuditEvent[] = [];
    const records: StoredEventRecord[] = [];
    for (const [i, input] of prepared.entries()) {
      seq++;
      const { event, record } = sealEvent(input, { seq, eventId: ids[i] as string, ts, prevHash });
      prevHash = record.hash;
      for (const ref of input.wire.refs) {
        let seqs = this.#refs.get(ref);
        if (seqs === undefined) this.#refs.set(ref, (seqs = new Set()));
        seqs.add(seq);
      }
      sealed.push(event);
      records.push(record);
    }
    this.#records.push(...records);
    return sealed;
  }

  /** One prune batch, atomically (retention/store.ts): checked, then the record appended and the bodies replaced. */
  async prune(batch: PruneBatch): Promise<AuditEvent> {
    this.#assertOpen();
    if (this.#unavailable) throw unavailable('audit store could not commit the prune');
    for (const target of batch.targets) {
      const record = this.#records[target.seq - 1];
      if (record?.seq !== target.seq || record.hash !== target.hash || record.body !== target.body) throw pruneConflict(target.seq);
    }
    const last = this.#records.at(-1);
    const write = preparePruneWrite(batch, last === undefined ? null : { seq: last.seq, hash: last.hash }, this.#clock.now());
    for (const [seq, body] of write.tombstones) (this.#records[seq - 1] as StoredEventRecord).body = body;
    this.#records.push(write.record);
    return write.event;
  }

  async read(options: { fromSeq?: number; limit?: number } = {}): Promise<AuditEvent[]> {
    this.#assertOpen();
    const fromSeq = Number.isFinite(options.fromSeq) ? Math.max(1, Math.floor(options.fromSeq as number)) : 1;
    const limit = options.limit === undefined ? Infinity : Math.max(0, Math.floor(options.limit));
    const out: AuditEvent[] = [];
    for (const record of this.#records) {
      if (out.length >= limit) break;
      if (record.seq >= fromSeq) out.push(decodeStoredEvent(record));
    }
    return out;
  }

  async findRelated(id: string): Promise<AuditEvent[]> {
    this.#assertOpen();
    if (typeof id !== 'string' || id.length === 0) return [];
    const byRef = this.#refs.get(id);
    return this.#records
      .filter(
        (r) =>
          r.request_id === id ||
          r.action_id === id ||
          r.parent_action_id === id ||
          r.session_id === id ||
          r.trace_id === id ||
          r.event_id === id ||
          byRef?.has(r.seq) === true,
      )
      .map(decodeStoredEvent)
      .filter((event) => relatesTo(event, id));
  }

  /** One page of matching events (see search.ts); examines only the plan's seq window. */
  async search(query: AuditSearchQuery): Promise<AuditSearchPage> {
    this.#assertOpen();
    const q = normalizeSearch(query);
    const headSeq = this.#records.at(-1)?.seq ?? 0;
    const plan = planSearch(q, headSeq);
    const candidates: AuditEvent[] = [];
    if (plan !== null) {
      // Seqs are contiguous from 1, so seq n is at index n - 1.
      for (let seq = plan.descending ? plan.hi : plan.lo; seq >= plan.lo && seq <= plan.hi && candidates.length < q.limit; seq += plan.descending ? -1 : 1) {
        const at = this.#records[seq - 1];
        const record = at?.seq === seq ? at : this.#records.find((r) => r.seq === seq);
        if (record === undefined) continue;
        const event = decodeStoredEvent(record);
        if (matchesSearch(event, q)) candidates.push(event);
      }
    }
    return finishSearch(q, plan, headSeq, candidates);
  }

  async head(): Promise<ChainHead | null> {
    this.#assertOpen();
    const last = this.#records.at(-1);
    return last === undefined ? null : { seq: last.seq, hash: last.hash };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw unavailable('audit store is closed');
  }
}
