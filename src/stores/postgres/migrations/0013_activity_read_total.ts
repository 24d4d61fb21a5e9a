/**
 * Migration 0013_activity_read_total: the session row keeps its read window's running total
 * (`read_since`, `read_total`: the sum of the reads stamped after `read_since`), as the memory
 * adapter does, so counting a call no longer sums every read of the last ten minutes. Moving
 * the window to `p_now` sums only the reads between the old and the new start (those leaving
 * it, or coming back when the clock stepped back); a row without a total (from before this
 * migration) has it summed once. The session row is locked by the first statement of each
 * function, as before, so the total is moved by one transaction at a time. The functions keep
 * their signatures: a replica not yet upgraded calls them unchanged.
 */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0013_activity_read_total',
  description: "session activity keeps its read window's total",
  sql: `
ALTER TABLE session_activity ADD COLUMN read_since bigint, ADD COLUMN read_total bigint;

-- The window's total once it starts at p_since, from the row's total (p_total, reads after
-- p_before) by the reads in between, or summed whole when the row has none. Reads dropped
-- for good were outside the window when they were dropped, so they are in no total.
CREATE FUNCTION airlock_activity_window(p_session text, p_since bigint, p_before bigint, p_total bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  IF p_before IS NULL OR p_total IS NULL THEN
    RETURN (SELECT COALESCE(SUM(r.count), 0)::bigint FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at > p_since);
  ELSIF p_since > p_before THEN
    RETURN p_total - (SELECT COALESCE(SUM(r.count), 0)::bigint FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at > p_before AND r.at <= p_since);
  ELSIF p_since < p_before THEN
    RETURN p_total + (SELECT COALESCE(SUM(r.count), 0)::bigint FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at > p_since AND r.at <= p_before);
  END IF;
  RETURN p_total;
END
$fn$;

CREATE OR REPLACE FUNCTION airlock_activity_counts(p_session text, p_tool text, p_now bigint, p_window bigint, p_grace bigint, p_call boolean)
RETURNS TABLE (o_calls bigint, o_tool_calls bigint, o_reads bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_calls bigint;
  v_high bigint;
  v_tool bigint;
  v_before bigint;
  v_total bigint;
BEGIN
  IF p_call THEN
    INSERT INTO session_activity AS a (session_id, calls, high_water, last_seen) VALUES (p_session, 1, p_now, p_now)
    ON CONFLICT (session_id) DO UPDATE SET calls = a.calls + 1, high_water = GREATEST(a.high_water, p_now), last_seen = p_now
    RETURNING a.calls, a.high_water, a.read_since, a.read_total INTO v_calls, v_high, v_before, v_total;
    INSERT INTO session_activity_tools AS t (session_id, tool, calls) VALUES (p_session, p_tool, 1)
    ON CONFLICT (session_id, tool) DO UPDATE SET calls = t.calls + 1
    RETURNING t.calls INTO v_tool;
  ELSE
    UPDATE session_activity AS a SET high_water = GREATEST(a.high_water, p_now) WHERE a.session_id = p_session
    RETURNING a.calls, a.high_water, a.read_since, a.read_total INTO v_calls, v_high, v_before, v_total;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint;
      RETURN;
    END IF;
    SELECT t.calls INTO v_tool FROM session_activity_tools AS t WHERE t.session_id = p_session AND t.tool = p_tool;
  END IF;
  v_total := airlock_activity_window(p_session, p_now - p_window, v_before, v_total);
  UPDATE session_activity AS a SET read_since = p_now - p_window, read_total = v_total WHERE a.session_id = p_session;
  DELETE FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at <= p_now - p_window AND r.at <= v_high - p_window - p_grace;
  RETURN QUERY SELECT v_calls, COALESCE(v_tool, 0), v_total;
END
$fn$;

-- Counts p_count records read at p_at: stamped no earlier than the latest read kept (the
-- stamps never go back, and never before the window that starts at p_at - p_window).
CREATE OR REPLACE FUNCTION airlock_activity_read(p_session text, p_count bigint, p_at bigint, p_window bigint, p_grace bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_high bigint;
  v_latest bigint;
  v_before bigint;
  v_total bigint;
BEGIN
  INSERT INTO session_activity AS a (session_id, calls, high_water, last_seen) VALUES (p_session, 0, p_at, p_at)
  ON CONFLICT (session_id) DO UPDATE SET high_water = GREATEST(a.high_water, p_at), last_seen = p_at
  RETURNING a.high_water, a.read_since, a.read_total INTO v_high, v_before, v_total;
  v_total := airlock_activity_window(p_session, p_at - p_window, v_before, v_total);
  DELETE FROM session_activity_reads AS r WHERE r.session_id = p_session AND r.at <= p_at - p_window AND r.at <= v_high - p_window - p_grace;
  SELECT MAX(r.at) INTO v_latest FROM session_activity_reads AS r WHERE r.session_id = p_session;
  INSERT INTO session_activity_reads AS r (session_id, at, count) VALUES (p_session, GREATEST(p_at, COALESCE(v_latest, p_at)), p_count)
  ON CONFLICT (session_id, at) DO UPDATE SET count = r.count + EXCLUDED.count;
  UPDATE session_activity AS a SET read_since = p_at - p_window, read_total = v_total + p_count WHERE a.session_id = p_session;
END
$fn$;
`,
};
