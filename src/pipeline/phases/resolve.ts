/**
 * resolve: look the tool up in the registry; an unknown tool is denied (default deny). A
 * tool from a tool source (an MCP upstream) must also be admitted now: its pinned
 * definition approved and still the one the upstream serves.
 */
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv, ToolRefusal } from '../env.ts';

export function resolve(call: CallState, env: PipelineEnv): void | Promise<void> {
  const tool = typeof call.request.tool === 'string' ? env.tools.get(call.request.tool) : undefined;
  if (tool === undefined) {
    denyWith(call, 'resolve', 'resolve.unknown_tool', 'builtin.unknown_tool', 'the tool is not registered');
    return;
  }
  call.tool = tool;
  const admission = env.admitTool?.(tool);
  if (admission === undefined || admission === null) return;
  const refuse = (refusal: ToolRefusal | null) => {
    if (refusal !== null) denyWith(call, 'resolve', refusal.code, refusal.rule, refusal.reason);
  };
  if (admission instanceof Promise) return admission.then(refuse);
  refuse(admission);
}
