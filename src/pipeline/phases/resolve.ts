/** resolve: look the tool up in the registry; an unknown tool is denied (default deny). */
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

export function resolve(call: CallState, env: PipelineEnv): void {
  const tool = typeof call.request.tool === 'string' ? env.tools.get(call.request.tool) : undefined;
  if (tool === undefined) {
    denyWith(call, 'resolve', 'resolve.unknown_tool', 'builtin.unknown_tool', 'the tool is not registered');
    return;
  }
  call.tool = tool;
}
