/** Migration 0003_audit: the audit log, its chain head and reference index. */
import type { Migration } from '../migrate.ts';

/**
 * - `audit_events`: one row per event; `body` is the canonical JSON the hash covers (text, never
 *   jsonb: the bytes must come back exactly as hashed), `ts` the ISO time inside that body.
 *   Columns beside the body repeat fields of it for the lookups; reads check they agree.
 * - `audit_refs`: the other ids an event records (`refs`), one row per (ref, seq), for findRelated.
 * - `audit_head`: one row, the chain head (seq 0 and the genesis hash while the log is empty).
 *   Every appending transaction locks it (`SELECT ... FOR UPDATE`), so replicas append one
 *   batch at a time and never fork the chain.
 * - `audit_checkpoint`: at most one row, the signed head (HMAC under the checkpoint key), kept
 *   by stores that have a key.
 * The log tables refuse UPDATE, DELETE and TRUNCATE (a guard against accidents; the chain is
 * what catches an owner who drops the guard).
 */
export const migration: Migration = {
  id: '0003_audit',
  description: 'the audit log, its chain head and reference index',
  sql: `
CREATE TABLE audit_events (
  seq bigint PRIMARY KEY CHECK (seq >= 1),
  event_id text NOT NULL UNIQUE,
  ts text NOT NULL,
  type text NOT NULL,
  request_id text NOT NULL,
  action_id text,
  parent_action_id text,
  session_id text,
  trace_id text NOT NULL,
  body text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_events_request_id ON audit_events (request_id);
CREATE INDEX audit_events_action_id ON audit_events (action_id) WHERE action_id IS NOT NULL;
CREATE INDEX audit_events_parent_action_id ON audit_events (parent_action_id) WHERE parent_action_id IS NOT NULL;
CREATE INDEX audit_events_session_id ON audit_events (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX audit_events_trace_id ON audit_events (trace_id);

CREATE TABLE audit_refs (
  ref text NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (ref, seq)
);

CREATE TABLE audit_head (
  id smallint PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL CHECK (seq >= 0),
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'sha256:0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_checkpoint (
  id smallint PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL CHECK (seq >= 0),
  hash text NOT NULL,
  ts text NOT NULL,
  mac text NOT NULL
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'P0001';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_refs_append_only BEFORE UPDATE OR DELETE ON audit_refs
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_refs_no_truncate BEFORE TRUNCATE ON audit_refs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
`,
};
