/**
 * The SQLite side of one group commit: in a single `BEGIN IMMEDIATE … COMMIT`, read the head
 * (inside the transaction, so concurrent writers in other threads or processes never fork the
 * chain), seal every event of the batch onto it and insert it, with its refs in event_refs.
 * Runs on the store's connection (inline writer) or in the writer thread (writer.worker.ts). Throws the raw failure
 * after rolling back; the store turns it into ERR_AUDIT_UNAVAILABLE.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { GENESIS_HASH } from '../../../audit/chain.ts';
import { newEventIds } from '../../../audit/event-ids.ts';
import { sealRecord } from '../../../audit/event-record.ts';
import type { WireEvent } from '../../../audit/event-record.ts';
import { INSERT_REF_SQL, INSERT_SQL } from './schema.ts';

/** What a committed batch became: seqs firstSeq.. in order, chained from prevHash. */
export interface CommitResult {
  firstSeq: number;
  /** prev_hash of the first event of the batch. */
  prevHash: string;
  /** ISO time stamped on every event of the batch. */
  ts: string;
  eventIds: string[];
  hashes: string[];
}

export class SqliteBatchWriter {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #insertRef: StatementSync;
  readonly #head: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare(INSERT_SQL);
    this.#insertRef = db.prepare(INSERT_REF_SQL);
    this.#head = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
  }

  /** Commits the events of a batch, in order (appends already concatenated). */
  commit(events: readonly WireEvent[], ms: number): CommitResult {
    const db = this.#db;
    const ts = new Date(ms).toISOString();
    const count = events.length;
    const eventIds = newEventIds(count, ms);
    const hashes: string[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      const head = this.#head.get() as { seq?: unknown; hash?: unknown } | undefined;
      if (head !== undefined && (typeof head.seq !== 'number' || typeof head.hash !== 'string')) {
        throw new Error('audit head row is malformed');
      }
      const firstSeq = head === undefined ? 1 : (head.seq as number) + 1;
      const firstPrev = head === undefined ? GENESIS_HASH : (head.hash as string);
      let seq = firstSeq;
      let prevHash = firstPrev;
      const insert = this.#insert;
      for (const wire of events) {
        const r = sealRecord(wire, { seq, eventId: eventIds[seq - firstSeq] as string, ts, prevHash });
        insert.run(r.seq, r.event_id, r.ts, r.type, r.request_id, r.action_id, r.parent_action_id, r.session_id, r.trace_id, r.body, r.prev_hash, r.hash);
        for (const ref of wire.refs) this.#insertRef.run(ref, r.seq);
        hashes.push(r.hash);
        prevHash = r.hash;
        seq++;
      }
      db.exec('COMMIT');
      return { firstSeq, prevHash: firstPrev, ts, eventIds, hashes };
    } catch (error) {
      try {
        if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
      } catch {
        // The connection is unusable; the next batch reports it.
      }
      throw error;
    }
  }
}
