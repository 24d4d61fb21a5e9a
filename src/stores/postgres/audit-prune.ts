/**
 * The PostgreSQL side of one prune batch (audit/retention/store.ts), inside the caller's
 * transaction: lock the chain head (`audit_head ... FOR UPDATE`, the lock every append takes,
 * so replicas' appends wait and the chain never forks), check every target row still holds
 * the hash and body the plan saw, append the `audit.pruned` record and move the head (and the
 * signed checkpoint, with a key) onto it, insert the grants (`audit_prunes`) the guarded update
 * trigger of migration 0011 checks, and replace the bodies.
 */
import { AirlockError } from '../../core/errors.ts';
import { signCheckpoint } from '../../audit/checkpoint.ts';
import { preparePruneWrite, pruneConflict } from '../../audit/retention/store.ts';
import type { PruneBatch, PruneWrite } from '../../audit/retention/store.ts';
import type { PostgresTx } from './database.ts';

const COLUMNS = 'seq, event_id, ts, type, request_id, action_id, parent_action_id, session_id, trace_id, body, prev_hash, hash';

export async function commitPrunePostgres(tx: PostgresTx, batch: PruneBatch, ms: number, key: Uint8Array | undefined): Promise<PruneWrite> {
  const locked = (await tx.query(`SELECT seq, hash, current_setting('synchronous_commit') AS synchronous_commit FROM audit_head WHERE id = 1 FOR UPDATE`))[0];
  const headSeq = Number(locked?.seq);
  if (locked === undefined || !Number.isSafeInteger(headSeq) || typeof locked.hash !== 'string') {
    throw new AirlockError('ERR_AUDIT_SCHEMA', 'audit_head row is missing or malformed (are the postgresql migrations applied?)', { status: 503 });
  }
  if (locked.synchronous_commit === 'off') throw new AirlockError('ERR_AUDIT_DURABILITY', 'postgresql synchronous_commit is off on this connection; refusing to prune', { status: 503 });
  const seqs = batch.targets.map((t) => t.seq);
  const rows = await tx.query(`SELECT seq, hash, body FROM audit_events WHERE seq = ANY($1::bigint[])`, [seqs]);
  const current = new Map(rows.map((r) => [Number(r.seq), r]));
  for (const target of batch.targets) {
    const row = current.get(target.seq);
    if (row?.hash !== target.hash || row.body !== target.body) throw pruneConflict(target.seq);
  }
  const write = preparePruneWrite(batch, headSeq === 0 ? null : { seq: headSeq, hash: locked.hash }, ms);
  const r = write.record;
  await tx.query(`INSERT INTO audit_events (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
    r.seq, r.event_id, r.ts, r.type, r.request_id, r.action_id, r.parent_action_id, r.session_id, r.trace_id, r.body, r.prev_hash, r.hash,
  ]);
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [r.seq, r.hash]);
  if (key !== undefined) {
    const signed = signCheckpoint({ seq: r.seq, hash: r.hash, ts: r.ts }, key);
    await tx.query(
      `INSERT INTO audit_checkpoint (id, seq, hash, ts, mac) VALUES (1, $1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, ts = EXCLUDED.ts, mac = EXCLUDED.mac
       WHERE audit_checkpoint.seq < EXCLUDED.seq`,
      [signed.seq, signed.hash, signed.ts, signed.mac],
    );
  }
  const tombSeqs = write.tombstones.map(([seq]) => seq);
  const bodies = write.tombstones.map(([, body]) => body);
  await tx.query(`INSERT INTO audit_prunes (seq, by_seq, body) SELECT u.seq, $2, u.body FROM unnest($1::bigint[], $3::text[]) AS u(seq, body)`, [tombSeqs, r.seq, bodies]);
  await tx.query(`UPDATE audit_events e SET body = u.body FROM unnest($1::bigint[], $2::text[]) AS u(seq, body) WHERE e.seq = u.seq`, [tombSeqs, bodies]);
  return write;
}
