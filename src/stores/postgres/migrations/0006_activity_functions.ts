/**
 * Migration 0006_activity_functions: session activity operations as server-side functions,
 * so each is one round trip instead of BEGIN, the locking statement, the counting statement
 * and COMMIT. A function call is one statement, so one transaction; inside it each statement
 * takes a fresh snapshot (READ COMMITTED, VOLATILE plpgsql), so what is counted after the
 * session row's lock sees everything committed on that session before the lock was granted,
 * exactly as the multi-statement transactions did.
 */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0006_activity_functions',
  description: 'session activity operations as one round trip each',
  sql: `
-- Moves the session's read window to p_now (creating the session row when p_create) and
-- answers the counters; reads gone for good (outside the window and the clock step-back grace
-- of the high-water mark) are deleted.
CREATE FUNCTION airlock_activity_counts(p_session text, p_tool text, p_now bigint, p_window bigint, p_grace bigint, p_call boolean)
RETURNS TABLE (o_calls bigint, o_tool_calls bigint, o_reads bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_calls bigint;
  v_high bigint;
  v_tool bigint;
BEGIN
  IF p_call THEN
    INSERT INTO session_activity AS a (session_id, calls, high_water, last_seen) VALUES (p_session, 1, p_now, p_now)
    ON CONFLICT (session_id) DO UPDATE SET calls = a.calls + 1, high_water = GREATEST(a.high_water, p_now), last_seen = p_now
    RETURNING a.calls, a.high_water INTO v_calls, v_high;
    INSERT INTO session_activity_tools AS t (session_id, tool, calls) VALUES (p_session, p_tool, 1)
    ON CONFLICT (session_id, tool) DO UPDATE SET calls = t.calls + 1
    RETURNING t.calls INTO v_tool;
  ELSE
    UPDATE session_activity AS a SET high_water = GREATEST(a.high_water, p_now) WHERE a.session_id = p_session
    RETURNING a.calls, a.high_water INTO v_calls, v_high;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint;
      RETURN;
    END IF;
    SELECT t.calls INTO v_tool FROM session_activity_tools AS t WHERE t.session_id = p_session AND t.tool = p_tool;
  END IF;
  DELETE FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at <= p_now - p_window AND r.at <= v_high - p_window - p_grace;
  RETURN QUERY SELECT v_calls, COALESCE(v_tool, 0),
    (SELECT COALESCE(SUM(r.count), 0)::bigint FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at > p_now - p_window);
END
$fn$;

-- Counts p_count records read at p_at: stamped no earlier than the latest read kept (the
-- stamps never go back), after dropping the reads gone for good.
CREATE FUNCTION airlock_activity_read(p_session text, p_count bigint, p_at bigint, p_window bigint, p_grace bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_high bigint;
  v_latest bigint;
BEGIN
  INSERT INTO session_activity AS a (session_id, calls, high_water, last_seen) VALUES (p_session, 0, p_at, p_at)
  ON CONFLICT (session_id) DO UPDATE SET high_water = GREATEST(a.high_water, p_at), last_seen = p_at
  RETURNING a.high_water INTO v_high;
  DELETE FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at <= p_at - p_window AND r.at <= v_high - p_window - p_grace;
  SELECT MAX(r.at) INTO v_latest FROM session_activity_reads AS r WHERE r.session_id = p_session;
  INSERT INTO session_activity_reads AS r (session_id, at, count) VALUES (p_session, GREATEST(p_at, COALESCE(v_latest, p_at)), p_count)
  ON CONFLICT (session_id, at) DO UPDATE SET count = r.count + EXCLUDED.count;
END
$fn$;
`,
};
