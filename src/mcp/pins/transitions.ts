/**
 * The pin state machine as pure functions, shared by every PinStore adapter so they cannot
 * disagree:
 *
 * - observe, no record            -> pending (change `new`)
 * - observe, same hash            -> unchanged (findings refreshed)
 * - observe, other hash           -> `approved` if it is the approved hash, else `pending`;
 *                                    the decision about the old hash no longer applies (`changed`)
 * - approve hash (still observed) -> approved; approved_hash := hash
 * - reject hash (still observed)  -> rejected; an approval of that same hash is revoked
 *
 * Invariant: `state === 'approved'` exactly when `hash === approved_hash`.
 */
import { mcpError } from '../errors.ts';
import type { Observation, ObservationResult, PinDecision, PinRecord } from './types.ts';

function sameFindings(a: PinRecord['findings'], b: PinRecord['findings']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function applyObservation(current: PinRecord | null, o: Observation): ObservationResult & { write: boolean } {
  if (current === null) {
    const record: PinRecord = {
      upstream: o.upstream,
      tool: o.tool,
      state: 'pending',
      hash: o.hash,
      definition: o.definition,
      findings: o.findings,
      approved_hash: null,
      approved_definition: null,
      first_seen_at: o.now,
      observed_at: o.now,
    };
    return { record, change: 'new', previous_hash: null, write: true };
  }
  if (current.hash === o.hash) {
    if (sameFindings(current.findings, o.findings)) return { record: current, change: 'unchanged', previous_hash: null, write: false };
    return { record: { ...current, findings: o.findings }, change: 'unchanged', previous_hash: null, write: true };
  }
  const restored = current.approved_hash === o.hash;
  const record: PinRecord = {
    upstream: current.upstream,
    tool: current.tool,
    state: restored ? 'approved' : 'pending',
    hash: o.hash,
    definition: o.definition,
    findings: o.findings,
    approved_hash: current.approved_hash,
    approved_definition: current.approved_definition,
    first_seen_at: current.first_seen_at,
    observed_at: o.now,
  };
  return { record, change: 'changed', previous_hash: current.hash, write: true };
}

export function applyDecision(current: PinRecord | null, d: PinDecision): PinRecord {
  if (current === null) throw mcpError('ERR_MCP_PIN_NOT_FOUND', { upstream: d.upstream, tool: d.tool });
  if (current.hash !== d.hash) {
    throw mcpError('ERR_MCP_PIN_STALE', { upstream: d.upstream, tool: d.tool, reviewed: d.hash, observed: current.hash });
  }
  const decided = { decided_at: d.now, decided_by: d.by, justification: d.justification };
  if (d.verdict === 'approve') {
    return { ...current, ...decided, state: 'approved', approved_hash: current.hash, approved_definition: current.definition };
  }
  const revoked = current.approved_hash === current.hash;
  return {
    ...current,
    ...decided,
    state: 'rejected',
    approved_hash: revoked ? null : current.approved_hash,
    approved_definition: revoked ? null : current.approved_definition,
  };
}
