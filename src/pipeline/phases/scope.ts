/**
 * scope: find the target resource and its owner tenant, count the affected resources,
 * and enforce tenant binding. A tenant-bound call whose target is owned by another
 * tenant — or does not exist — is refused the same way, so ids cannot be probed.
 */
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

export async function scope(call: CallState, env: PipelineEnv): Promise<void> {
  const { tool, principal } = call;
  const args = call.arguments;
  if (tool === undefined || principal === undefined || args === undefined) return;
  const resource = await env.tools.scope(tool, args, principal);
  call.resource = resource;
  call.affectedCount = await env.tools.affectedCount(tool, args, principal);
  if (tool.tenantBinding === 'principal' && resource.id !== null && (!resource.exists || resource.tenant !== principal.tenant)) {
    denyWith(
      call,
      'scope',
      'scope.tenant_mismatch',
      'builtin.tenant_binding',
      "the target resource is not in the caller's tenant",
    );
  }
}
