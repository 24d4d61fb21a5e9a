/**
 * Policy-aware discovery: could *some* call of a tool by this principal be allowed (or held
 * for approval)? Used to show a principal only the tools policy could let it call.
 *
 * Method: Cedar partial evaluation (`isAuthorizedPartial`, which cedar-wasm exposes) over
 * the tool's request slice for the principal (action slice cut by the principal's guard
 * facts: the policies that can match this principal and action at all). The principal, the
 * action (with its class group) and the Tool resource are known; everything about the call
 * is unknown: `context.tool_call.parameters`, `.resource` and `.affected_count`, the whole
 * `context.session` and `context.environment`, and `context.intent`, which is optional, so
 * it is evaluated once present (unknown value) and once absent. `context.tool_call.tool`
 * `.class` and `.destination` are known. The tool is hidden only when, in both evaluations:
 *
 * - a `forbid` without `@approval` is satisfied whatever the unknowns are (the call is
 *   certainly denied), or
 * - no `permit` is satisfied or has a residual (no call could ever be permitted).
 *
 * Anything else shows the tool. This errs on the side of showing: a policy whose
 * evaluation errors is treated as "could go either way" (a permit may allow, a forbid does
 * not hide); `@approval` forbids never hide (they hold, and the holder can approve); a
 * condition on values the call carries always leaves a residual. So a shown tool may still
 * be denied when called — every call is decided in full by the pipeline — but a hidden
 * tool is one no call could run. Discovery never replaces the decision.
 */
import type { PartialAuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { isAuthorizedPartial } from '@cedar-policy/cedar-wasm/nodejs';
import type { Principal } from '../core/types.ts';
import type { ToolBinding } from './request.ts';
import { userEntity, userUid } from './request.ts';
import type { CompiledPolicy } from './types.ts';

const unknown = (name: string) => ({ __extn: { fn: 'unknown', arg: name } });

function context(binding: ToolBinding, withIntent: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tool_call: {
      tool: binding.name,
      class: binding.sideEffect,
      affected_count: unknown('affected_count'),
      destination: binding.destination,
      resource: unknown('resource'),
      parameters: unknown('parameters'),
    },
    session: unknown('session'),
    environment: unknown('environment'),
  };
  if (withIntent) out.intent = unknown('intent');
  return out;
}

/** Whether one evaluation leaves room for an allow (see the header). */
function leavesRoom(answer: PartialAuthorizationAnswer, byId: ReadonlyMap<string, CompiledPolicy>): boolean {
  if (answer.type === 'failure') return true; // cannot tell: show
  const { satisfied, errored, nontrivialResiduals } = answer.response;
  for (const id of satisfied) {
    const policy = byId.get(id);
    if (policy?.effect === 'forbid' && policy.approval === undefined) return false;
  }
  const possible = new Set([...satisfied, ...nontrivialResiduals, ...errored]);
  for (const id of possible) if (byId.get(id)?.effect === 'permit') return true;
  return false;
}

/** Could some call of the bound tool by `principal` be allowed or held, given the slice's policies? */
export function couldAllow(members: readonly CompiledPolicy[], binding: ToolBinding, principal: Principal): boolean {
  if (!members.some((p) => p.effect === 'permit')) return false;
  const byId = new Map(members.map((p) => [p.id, p]));
  const staticPolicies = Object.fromEntries(members.map((p) => [p.id, p.text]));
  const entities = [userEntity(principal), binding.toolEntity, binding.actionEntity];
  for (const withIntent of [true, false]) {
    const answer = isAuthorizedPartial({
      principal: userUid(principal),
      action: binding.action,
      resource: binding.resource,
      context: context(binding, withIntent) as never,
      policies: { staticPolicies },
      entities: entities as never,
    });
    if (leavesRoom(answer, byId)) return true;
  }
  return false;
}
