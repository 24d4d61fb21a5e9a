/**
 * inspect: first remove every secret the gateway minted or resolved for this call (the
 * credential, connector secrets) from the result and the error text — an upstream may echo
 * them — wherever it appears, counting what was removed for the result event. Then check
 * the result against the tool's declared output schema (a result that does not match is
 * withheld), and count records read for the session's read budget.
 * Results are handed back labelled with the trust the tool declares (default untrusted), and
 * registered as that session's content at that trust (for argument provenance).
 * A result that cannot be counted in the session's read budget or logged in its provenance
 * is withheld (ERR_ACTIVITY_UNAVAILABLE, ERR_PROVENANCE_UNAVAILABLE): the agent never gets
 * content the session is not known to have seen.
 * Output governance, after the schema check: links that could carry data out are neutralised,
 * configured data classes redacted or tokenized, and the output policies class the result; a
 * blocked result is withheld (ERR_OUTPUT_BLOCKED).
 */
import { canonicalize } from '../../core/canonical.ts';
import { isAirlockError, toAirlockError } from '../../core/errors.ts';
import type { CallState } from '../call.ts';
import { redactSecrets } from '../call-secrets.ts';
import type { PipelineEnv } from '../env.ts';

/** Removes the call's secrets from its result and its error text; records what was removed. */
function redactCallSecrets(call: CallState): void {
  if (call.secrets === undefined || call.secrets.size === 0) return;
  const error = call.resultError;
  const out = redactSecrets(call.secrets, {
    ...(call.result === undefined ? {} : { value: call.result }),
    ...(error === undefined ? {} : { error: error.message }),
  });
  if (out.redacted === undefined) return;
  if (out.value !== undefined) call.result = out.value;
  if (error !== undefined && out.error !== undefined) call.resultError = { code: error.code, message: out.error };
  call.redacted = out.redacted;
}

export async function inspect(call: CallState, env: PipelineEnv): Promise<void> {
  redactCallSecrets(call);
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
  if (env.outputs !== null && env.outputs !== undefined && call.principal !== undefined && call.result !== undefined) {
    const governed = env.outputs.governJson(call.result, call.principal.tenant);
    call.result = governed.value;
    const labels = call.trace?.labels;
    call.output = env.outputs.classify({
      principal: call.principal,
      source: 'tool_result',
      tool,
      trust: tool.outputTrust === 'trusted' ? 'trusted' : 'untrusted',
      proposed: null,
      textChars: canonicalize(call.result).length,
      session: { id: call.session?.id ?? null, untrustedSeen: labels?.untrusted_seen ?? false, lowestTrust: labels?.lowest_trust ?? '', maxClassification: labels?.max_classification ?? '' },
      found: governed,
    });
    if (call.output.class === 'blocked') {
      call.resultError = { code: 'ERR_OUTPUT_BLOCKED', message: `the output policies blocked the result (${call.output.policy_ids.join(', ')}); the result is withheld` };
      delete call.result;
      return;
    }
  }
  if (tool.sideEffect === 'read' && call.session !== undefined) {
    try {
      await env.sessionActivity.recordRead(call.session.id, call.affectedCount ?? 1, env.clock.now());
    } catch (error) {
      withhold(call, 'ERR_ACTIVITY_UNAVAILABLE', 'the records read could not be counted', error);
      return;
    }
  }
  // What the agent is handed becomes session content, at the trust the tool declares.
  if (call.session !== undefined && call.result !== undefined) {
    try {
      call.resultContent = await env.provenance.registerResult(call.session, tool, call.action_id, call.result, call.arguments ?? {});
    } catch (error) {
      withhold(call, 'ERR_PROVENANCE_UNAVAILABLE', "the result could not be logged in the session's provenance", error);
    }
  }
}

function withhold(call: CallState, code: string, message: string, error: unknown): void {
  call.resultError = { code, message: `${message} (${isAirlockError(error) ? error.code : 'fault'}); the result is withheld` };
  delete call.result;
}
