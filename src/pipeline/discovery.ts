/**
 * Which tools a principal gets to see (MCP `tools/list`): the registered tools that no
 * kill switch covers for it, that their tool source admits now (an MCP tool's pinned
 * definition is approved and still served), and that policy could allow it to call
 * (PolicyEngine.mayAllow: Cedar partial evaluation, see src/policy/discovery.ts). Seeing a
 * tool is not being allowed to call it: every call is decided in full.
 */
import type { Principal, RegisteredTool } from '../core/types.ts';
import type { CallState } from './call.ts';
import type { PipelineEnv } from './env.ts';
import { screen } from './phases/screen.ts';

function killed(principal: Principal, tool: RegisteredTool, env: PipelineEnv): boolean {
  // The screen phase itself, on a probe call that has only a principal and a tool name.
  const probe = { principal, request: { tool: tool.name } } as CallState;
  screen(probe, env);
  return probe.stop !== undefined;
}

export async function visibleTools(principal: Principal, tools: readonly RegisteredTool[], env: PipelineEnv): Promise<RegisteredTool[]> {
  const policy = env.policy();
  const out: RegisteredTool[] = [];
  for (const tool of tools) {
    if (killed(principal, tool, env)) continue;
    if ((await env.admitTool?.(tool)) != null) continue;
    if (policy.mayAllow !== undefined && !policy.mayAllow(principal, tool.name)) continue;
    out.push(tool);
  }
  return out;
}
