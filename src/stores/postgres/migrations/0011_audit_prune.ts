/** Migration 0011_audit_prune: retention pruning of the audit log (docs/audit.md, "Retention"). */
import type { Migration } from '../migrate.ts';

/**
 * - `audit_prunes`: one row per tombstone written (seq, seq of its `audit.pruned` record, the
 *   tombstone body); append-only like the log.
 * - UPDATE of `audit_events` goes through `audit_prune_guard()` instead of being refused
 *   outright: allowed only when it changes nothing but `body`, to a body an `audit_prunes` row
 *   grants for that seq, whose record is an `audit.pruned` event after it AND is the current
 *   chain head — i.e. only inside the transaction that appended the record while holding the
 *   head lock. DELETE and TRUNCATE stay refused. The application's role keeps its normal
 *   privileges; a superuser or the table owner can still disable triggers, which is why
 *   verifyChain, not the trigger, is the check (docs/audit.md). The function keeps the
 *   search_path it was created with (the Airlock schema), whatever the session's is.
 */
export const migration: Migration = {
  id: '0011_audit_prune',
  description: 'audit retention: prune grants and the guarded update trigger',
  sql: `
CREATE TABLE audit_prunes (
  seq bigint NOT NULL,
  by_seq bigint NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (seq, by_seq)
);
CREATE TRIGGER audit_prunes_append_only BEFORE UPDATE OR DELETE ON audit_prunes
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_prunes_no_truncate BEFORE TRUNCATE ON audit_prunes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE FUNCTION audit_prune_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.seq = OLD.seq AND NEW.event_id = OLD.event_id AND NEW.ts = OLD.ts AND NEW.type = OLD.type
     AND NEW.request_id = OLD.request_id AND NEW.trace_id = OLD.trace_id
     AND NEW.action_id IS NOT DISTINCT FROM OLD.action_id
     AND NEW.parent_action_id IS NOT DISTINCT FROM OLD.parent_action_id
     AND NEW.session_id IS NOT DISTINCT FROM OLD.session_id
     AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
     AND OLD.type <> 'audit.pruned'
     AND EXISTS (
       SELECT 1 FROM audit_prunes p
       JOIN audit_events r ON r.seq = p.by_seq
       JOIN audit_head h ON h.id = 1 AND h.seq = p.by_seq
       WHERE p.seq = OLD.seq AND p.body = NEW.body AND p.by_seq > OLD.seq AND r.type = 'audit.pruned')
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'P0001';
END;
$$;
DROP TRIGGER audit_events_append_only ON audit_events;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_events_guarded_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_prune_guard();
`,
};
