/**
 * The SQLite side of one prune batch (audit/retention/store.ts): in a single
 * `BEGIN IMMEDIATE … COMMIT` — the same write lock appends take, so the writer thread's
 * batches queue behind it and the chain never forks — read the head, check every target row
 * still holds the hash and body the plan saw, append the `audit.pruned` record, record each
 * tombstone in `event_prunes` (the grant the guarded update trigger of migration 0002 checks)
 * and replace the bodies. Throws the raw failure after rolling back.
 */
import type { DatabaseSync } from 'node:sqlite';
import { preparePruneWrite, pruneConflict } from '../../../audit/retention/store.ts';
import type { PruneBatch, PruneWrite } from '../../../audit/retention/store.ts';
import { INSERT_SQL } from './schema.ts';

export function commitPrune(db: DatabaseSync, batch: PruneBatch, ms: number): PruneWrite {
  db.exec('BEGIN IMMEDIATE');
  try {
    const head = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const current = db.prepare('SELECT hash, body FROM events WHERE seq = ?');
    for (const target of batch.targets) {
      const row = current.get(target.seq) as { hash?: unknown; body?: unknown } | undefined;
      if (row?.hash !== target.hash || row.body !== target.body) throw pruneConflict(target.seq);
    }
    const write = preparePruneWrite(batch, head === undefined ? null : { seq: head.seq, hash: head.hash }, ms);
    const r = write.record;
    db.prepare(INSERT_SQL).run(r.seq, r.event_id, r.ts, r.type, r.request_id, r.action_id, r.parent_action_id, r.session_id, r.trace_id, r.body, r.prev_hash, r.hash);
    const grant = db.prepare('INSERT INTO event_prunes (seq, by_seq, body) VALUES (?, ?, ?)');
    const update = db.prepare('UPDATE events SET body = ? WHERE seq = ?');
    for (const [seq, body] of write.tombstones) {
      grant.run(seq, r.seq, body);
      update.run(body, seq);
    }
    db.exec('COMMIT');
    return write;
  } catch (error) {
    try {
      if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
    } catch {
      // The connection is unusable; the caller reports the failure.
    }
    throw error;
  }
}
