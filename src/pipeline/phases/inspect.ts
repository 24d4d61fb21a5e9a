/**
 * inspect: check the result against the tool's declared output schema (a result that
 * does not match is withheld), and count records read for the session's read budget.
 * Results are handed back labelled with the trust the tool declares (default untrusted), and
 * registered as that session's content at that trust (for argument provenance).
 */
import { toAirlockError } from '../../core/errors.ts';
import type { CallState } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

export function inspect(call: CallState, env: PipelineEnv): void {
  const tool = call.tool;
  if (tool === undefined || call.resultError !== undefined) return;
  try {
    env.tools.checkResult(tool, call.result);
  } catch (error) {
    const failure = toAirlockError(error, 'ERR_TOOLS_RESULT_SCHEMA');
    call.resultError = { code: failure.code, message: failure.message };
    delete call.result;
    return;
  }
  if (tool.sideEffect === 'read' && call.session !== undefined) {
    env.sessionActivity.recordRead(call.session.id, call.affectedCount ?? 1);
  }
  // What the agent is handed becomes session content, at the trust the tool declares.
  if (call.session !== undefined && call.result !== undefined) {
    call.resultContent = env.provenance.registerResult(call.session, tool, call.action_id, call.result, call.arguments ?? {});
  }
}
