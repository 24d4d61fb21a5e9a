/**
 * Idempotency keys, in three steps of an executed call (docs/runtime-controls.md):
 * - `idempotency` (after admission, before limits and policy): a key already on record is
 *   answered from the record — the same action: its recorded result is replayed (nothing runs
 *   again); another action: refused (`idempotency.key_reused`, 409); still running:
 *   `idempotency.in_progress` (409); an unknown outcome (the connector timed out, or the call
 *   that claimed the key vanished past its lease): the tool's authoritative status check is
 *   asked when it declares one, else `idempotency.outcome_unknown` (409) — never a blind retry.
 * - `claim` (after the credential, before the intent is recorded): the key is claimed
 *   atomically in the shared store; a concurrent duplicate that lost the claim is answered
 *   from the winner's record as above. A call stopped after its claim and before its
 *   connector ran gives the key back (`releaseUnexecuted`).
 * - `settle` (after inspection, before the result is recorded): what came of the call —
 *   `completed` with the inspected result, `failed` with the error, or `outcome_unknown` when
 *   the connector timed out or lost its connection after the request may have left.
 * A store that cannot answer refuses the call (fail closed) before anything runs.
 */
import { canonicalize, type JsonValue } from '../../core/canonical.ts';
import { newId } from '../../core/ids.ts';
import type { IdempotencyOutcome, IdempotencyRecord } from '../../idempotency/index.ts';
import { effectiveState, fingerprintOf, isValidKey, scopeOf } from '../../idempotency/index.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { executionBoundMs } from './attempts.ts';

/** Connector failures after which the request may have reached the tool: the outcome is unknown. */
export const UNKNOWN_OUTCOME_CODES: ReadonlySet<string> = new Set(['ERR_CONNECTOR_TIMEOUT', 'ERR_CONNECTOR_NETWORK']);

const RULE = 'builtin.idempotency';

export async function idempotencyCheck(call: CallState, env: PipelineEnv): Promise<void> {
  const key = call.request.idempotency_key;
  const control = env.idempotency;
  const { principal, tool, arguments: args } = call;
  if (key === undefined || control === null || control === undefined || principal === undefined || tool === undefined || args === undefined) return;
  if (!isValidKey(key)) {
    denyWith(call, 'idempotency', 'idempotency.key_invalid', RULE, 'an idempotency key is 1 to 255 characters with no control characters');
    return;
  }
  const owner = { tenant: principal.tenant, issuer: principal.issuer, user: principal.user, agent: principal.agent ?? null };
  call.idempotency = {
    key,
    owner,
    scope: scopeOf(owner, key),
    fingerprint: fingerprintOf({ tool: tool.name, arguments: args, resource: { type: call.resource?.type ?? null, id: call.resource?.id ?? null } }),
  };
  const existing = await control.store.find(call.idempotency.scope);
  if (existing !== null) await answerFromRecord(call, env, existing);
}

export async function idempotencyClaim(call: CallState, env: PipelineEnv): Promise<void> {
  const control = env.idempotency;
  const state = call.idempotency;
  if (state === undefined || control === null || control === undefined || call.tool === undefined) return;
  const now = env.clock.now();
  // One more round when a status check freed the key a concurrent call had claimed.
  for (let round = 0; round < 2; round++) {
    const record: IdempotencyRecord = {
      id: newId('idm'),
      scope: state.scope,
      owner: state.owner,
      key: state.key,
      tool: call.tool.name,
      fingerprint: state.fingerprint,
      state: 'pending',
      request_id: call.request_id,
      action_id: call.action_id,
      session_id: call.session?.id ?? null,
      created_at: now,
      updated_at: now,
      // Past every attempt the call may make (retries included): a live call never reads as an unknown outcome.
      lease_until: now + executionBoundMs(call.tool) + control.leaseGraceMs,
    };
    const claim = await control.store.claim(record);
    if (claim.claimed) {
      state.claimed = claim.record;
      return;
    }
    await answerFromRecord(call, env, claim.record);
    if (call.stop !== undefined || call.replay !== undefined) return;
  }
  denyWith(call, 'idempotency', 'idempotency.in_progress', RULE, 'another call holds this idempotency key; retry later');
}

export async function idempotencySettle(call: CallState, env: PipelineEnv): Promise<void> {
  const control = env.idempotency;
  const claimed = call.idempotency?.claimed;
  if (claimed === undefined || control === null || control === undefined || !call.executed) return;
  const error = call.resultError;
  const trust = call.tool?.outputTrust === 'trusted' ? 'trusted' : 'untrusted';
  let outcome: IdempotencyOutcome;
  let state: 'completed' | 'failed' | 'outcome_unknown';
  if (error !== undefined) {
    state = UNKNOWN_OUTCOME_CODES.has(error.code) ? 'outcome_unknown' : 'failed';
    outcome = { error: { code: error.code, message: error.message.slice(0, 300) } };
  } else {
    state = 'completed';
    const result = call.result ?? null;
    const fits = Buffer.byteLength(canonicalize(result)) <= control.maxResultBytes;
    outcome = fits ? { result, result_trust: trust } : { result_omitted: true, result_trust: trust };
    // The class the result got is part of the answer a replay gives again.
    if (call.output !== undefined) outcome.output = call.output as unknown as JsonValue;
  }
  const settled = await control.store.settle(claimed.id, call.action_id, { state, outcome, at: env.clock.now() });
  // Null: the record was resolved meanwhile (its lease passed and an operator settled it); that word stands.
  if (settled !== null) call.idempotency = { ...(call.idempotency as NonNullable<CallState['idempotency']>), claimed: settled };
}

/** Gives the key back when the call stopped after claiming it and before its connector ran (best effort). */
export async function releaseUnexecuted(call: CallState, env: PipelineEnv): Promise<void> {
  const claimed = call.idempotency?.claimed;
  if (claimed === undefined || call.executed || env.idempotency === null || env.idempotency === undefined) return;
  try {
    await env.idempotency.store.release(claimed.id, call.action_id);
  } catch (error) {
    // The claim stays pending until its lease passes, then reads as an unknown outcome: never a blind run.
    env.faults.onUnrecorded?.({ request_id: call.request_id, code: 'idempotency.release_failed', error });
  }
}

/** A key on record: replay, refuse, or (status check said it never ran) let the call go on. */
async function answerFromRecord(call: CallState, env: PipelineEnv, record: IdempotencyRecord): Promise<void> {
  const state = call.idempotency as NonNullable<CallState['idempotency']>;
  state.found = record;
  if (record.fingerprint !== state.fingerprint) {
    denyWith(call, 'idempotency', 'idempotency.key_reused', RULE, `the idempotency key was first used for another action (${record.action_id})`);
    return;
  }
  const now = env.clock.now();
  const reported = effectiveState(record, now);
  if (reported === 'completed' || reported === 'failed') {
    call.replay = record;
    return;
  }
  if (reported === 'pending') {
    denyWith(call, 'idempotency', 'idempotency.in_progress', RULE, `the call that holds this idempotency key (${record.action_id}) is still running; retry later`);
    return;
  }
  const checked = await statusCheck(call, env, record);
  if (checked === 'executed') return;
  if (checked === 'not_executed') {
    delete state.found;
    return;
  }
  denyWith(call, 'idempotency', 'idempotency.outcome_unknown', RULE, `the outcome of ${record.action_id} is unknown; it will not run again until an operator or a status check resolves it`);
}

/** Asks the tool's authoritative status check about an unknown outcome and records its answer. */
async function statusCheck(call: CallState, env: PipelineEnv, record: IdempotencyRecord): Promise<'executed' | 'not_executed' | 'unknown'> {
  const control = env.idempotency;
  if (control === null || control === undefined || call.tool === undefined || call.principal === undefined) return 'unknown';
  const verdict = await control.checkStatus(call.tool, record, call.principal);
  if (verdict === 'unknown') return 'unknown';
  const now = env.clock.now();
  const resolved = await control.store.resolve(record.id, { via: 'status_check', outcome: verdict, by: null, justification: `status check of ${call.tool.name}`, at: now }, now);
  if (resolved === null) {
    // Someone resolved it first: read what stands now.
    const current = await control.store.find(record.scope);
    if (current === null) return 'not_executed';
    if (current.state === 'completed' || current.state === 'failed') {
      call.replay = current;
      return 'executed';
    }
    return 'unknown';
  }
  await control.onResolved(resolved, null);
  if (verdict === 'executed') call.replay = resolved;
  return verdict;
}
