/**
 * validate: check the arguments against the tool's input JSON Schema (unknown fields
 * refused), normalize them, check the policy engine can take every value exactly (a value
 * it cannot, e.g. an amount finer than Cedar's four decimal places, is refused as
 * `validate.unrepresentable`, never rounded), and fix their canonical hash and safe summary.
 */
import { isAirlockError } from '../../core/errors.ts';
import type { CallState } from '../call.ts';
import { builtinReason } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

const MAX_REPORTED_ERRORS = 10;

export function validate(call: CallState, env: PipelineEnv): void {
  const tool = call.tool;
  if (tool === undefined) return;
  const checked = env.tools.check(tool, call.request.arguments);
  if (!checked.ok) {
    const errors = checked.errors.slice(0, MAX_REPORTED_ERRORS);
    call.stop = {
      outcome: 'deny',
      code: 'validate.schema',
      phase: 'validate',
      reasons: errors.map((e) =>
        builtinReason('builtin.schema', 'validate.schema', `${e.path || '(arguments)'}: ${e.message}`),
      ),
    };
    return;
  }
  try {
    env.policy().checkArguments?.(tool, checked.value);
  } catch (error) {
    if (!isAirlockError(error) || error.code !== 'ERR_POLICY_UNREPRESENTABLE') throw error;
    call.stop = {
      outcome: 'deny',
      code: 'validate.unrepresentable',
      phase: 'validate',
      reasons: [builtinReason('builtin.unrepresentable', 'validate.unrepresentable', error.message)],
    };
    return;
  }
  call.arguments = checked.value;
  call.argsHash = env.tools.hash(checked.value);
  call.argsSummary = env.tools.summarize(tool, checked.value);
}
