/**
 * Numbered migrations of the SQLite audit schema after the base schema (schema.ts, version 1).
 * Each runs once, inside ensureSchema's transaction, and moves `audit_meta.schema_version` on.
 * A migration, once released, never changes.
 *
 * 0002_prune (version 2): retention pruning (docs/audit.md, "Retention").
 * - `event_prunes`: one row per tombstone written (seq, seq of its `audit.pruned` record, the
 *   tombstone body); append-only like the log.
 * - `events_no_update` is replaced by a guarded trigger: an UPDATE of an event is refused unless
 *   it changes only `body`, to a body an `event_prunes` row grants for that seq, whose record is
 *   an `audit.pruned` event after it AND is still the head of the log — i.e. only in the
 *   transaction that appends the record. Deletes stay refused. This keeps the store's own
 *   append path from rewriting history; whoever can run arbitrary SQL on the file can drop the
 *   trigger, which is why verifyChain, not the trigger, is the check (see docs/audit.md).
 */
import type { DatabaseSync } from 'node:sqlite';

export interface SqliteAuditMigration {
  version: string;
  id: string;
  sql: string;
}

export const SQLITE_AUDIT_MIGRATIONS: readonly SqliteAuditMigration[] = [
  {
    version: '2',
    id: '0002_prune',
    sql: `
CREATE TABLE IF NOT EXISTS event_prunes (
  seq INTEGER NOT NULL,
  by_seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (seq, by_seq)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS event_prunes_no_update BEFORE UPDATE ON event_prunes
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS event_prunes_no_delete BEFORE DELETE ON event_prunes
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
DROP TRIGGER IF EXISTS events_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  WHEN NOT (
    NEW.seq IS OLD.seq AND NEW.event_id IS OLD.event_id AND NEW.ts IS OLD.ts AND NEW.type IS OLD.type
    AND NEW.request_id IS OLD.request_id AND NEW.action_id IS OLD.action_id AND NEW.parent_action_id IS OLD.parent_action_id
    AND NEW.session_id IS OLD.session_id AND NEW.trace_id IS OLD.trace_id AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash
    AND OLD.type <> 'audit.pruned'
    AND EXISTS (
      SELECT 1 FROM event_prunes p JOIN events r ON r.seq = p.by_seq
      WHERE p.seq = OLD.seq AND p.body = NEW.body AND p.by_seq > OLD.seq AND r.type = 'audit.pruned'
        AND NOT EXISTS (SELECT 1 FROM events n WHERE n.seq > p.by_seq)
    )
  )
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
`,
  },
];

/** The schema version after every migration. */
export const LATEST_AUDIT_SCHEMA = SQLITE_AUDIT_MIGRATIONS.at(-1)?.version ?? '1';

/** Applies the migrations after `version` (call inside a write transaction); returns the new version. */
export function migrateAuditSchema(db: DatabaseSync, version: string): string {
  let now = version;
  for (const migration of SQLITE_AUDIT_MIGRATIONS) {
    if (Number(migration.version) <= Number(now)) continue;
    db.exec(migration.sql);
    db.prepare(`UPDATE audit_meta SET value = ? WHERE key = 'schema_version'`).run(migration.version);
    now = migration.version;
  }
  return now;
}
