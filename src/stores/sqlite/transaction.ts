/**
 * One write transaction on an embedded state database: `BEGIN IMMEDIATE` (the write lock is
 * taken before anything is read, so a read-then-write is atomic against other connections and
 * processes on the same file), the body, `COMMIT` (durable when it returns: WAL +
 * synchronous=FULL). Any fault rolls back and is `ERR_STATE_UNAVAILABLE` (503) with `message`.
 */
import type { DatabaseSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';

export function immediateTransaction<T>(db: DatabaseSync, message: string, body: () => T): T {
  let began = false;
  try {
    db.exec('BEGIN IMMEDIATE');
    began = true;
    const value = body();
    db.exec('COMMIT');
    return value;
  } catch (cause) {
    if (began) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // the transaction is already gone (the failed COMMIT ended it)
      }
    }
    throw new AirlockError('ERR_STATE_UNAVAILABLE', message, { cause, status: 503 });
  }
}
