/**
 * Break-glass: a policy deny or an approval hold is lifted when an open override of the
 * caller's tenant covers this exact action hash, or the tool. Gateway-enforced refusals
 * (identity, kill switch, schema, tenant binding, rate limit) and policy evaluation errors
 * are never lifted. In simulate mode the override is only looked up, never counted.
 * Called by `authorize` (denies) and `approve` (holds without an approval token).
 */
import type { CallState } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { actionHash } from './approve.ts';

/** True when an open override now covers the call (its use is counted, except in simulate mode). */
export async function breakGlass(call: CallState, env: PipelineEnv): Promise<boolean> {
  const overrides = env.overrides;
  const { principal, tool, evaluation } = call;
  if (overrides === null || principal === undefined || tool === undefined || evaluation === undefined) return false;
  if (evaluation.errors.length > 0) return false;
  const hash = actionHash(call);
  call.actionHash = hash;
  const found = await overrides.match({ tenant: principal.tenant, tool: tool.name, actionHash: hash });
  if (found === null) return false;
  if (call.mode !== 'simulate') {
    // The override may have closed between the lookup and now: only a counted use lets the call through.
    const used = await overrides.recordUse(found.id, principal);
    if (used === null) return false;
  }
  call.overrideId = found.id;
  return true;
}
