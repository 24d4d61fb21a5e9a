/**
 * Runs a list of named phases over one call, in order, recording when each finished.
 * A phase that stops the call ends the run. A phase that throws is a fault: identity
 * faults propagate (the door answers 401); any other fault before execution becomes a
 * deny with a reason code (fail closed); a fault after the connector ran is kept as
 * `call.fault` so the door can report it without pretending the call did not happen.
 */
import { microsSince } from '../core/clock.ts';
import { isAirlockError } from '../core/errors.ts';
import type { CallState } from './call.ts';
import { builtinReason } from './call.ts';
import type { PipelineEnv } from './env.ts';

export interface Phase {
  name: string;
  run(call: CallState, env: PipelineEnv): void | Promise<void>;
}

const FAULT_CODES: Record<string, string> = {
  ERR_SCOPE_RESOLVER: 'scope.resolver_failed',
  ERR_STATE_UNAVAILABLE: 'state.unavailable',
  ERR_STORE_UNAVAILABLE: 'state.unavailable',
  ERR_STORE_CLOSED: 'state.unavailable',
  // The revocation store (state) did not answer: no credential is minted, the call is refused.
  ERR_CREDENTIAL_UNAVAILABLE: 'state.unavailable',
  ERR_AUDIT_UNAVAILABLE: 'audit.unavailable',
  ERR_POLICY_UNREPRESENTABLE: 'validate.unrepresentable',
  ERR_CANONICAL_UNSUPPORTED: 'validate.unrepresentable',
};

export function faultCode(phase: string, error: unknown): string {
  if (isAirlockError(error)) return FAULT_CODES[error.code] ?? `${phase}.fault`;
  return `${phase}.fault`;
}

export async function runPhases(phases: readonly Phase[], call: CallState, env: PipelineEnv): Promise<void> {
  for (const phase of phases) {
    // A replay of a recorded answer ends the run too (nothing more is decided or executed).
    if (call.stop !== undefined || call.fault !== undefined || call.replay !== undefined) return;
    const span = call.tracing.startPhase(phase.name);
    let errorType: string | undefined;
    try {
      await phase.run(call, env);
      if (phase.name === 'execute' && call.resultError !== undefined) errorType = call.resultError.code;
    } catch (error) {
      errorType = isAirlockError(error) ? error.code : 'fault';
      if (isAirlockError(error) && error.code.startsWith('ERR_IDENTITY_')) throw error;
      if (call.executed) {
        call.fault = error;
        return;
      }
      const code = faultCode(phase.name, error);
      const detail = isAirlockError(error) ? `${error.code}: ${error.message}` : 'unexpected fault';
      call.stop = { outcome: 'deny', code, phase: phase.name, reasons: [builtinReason('builtin.fail_closed', code, `${phase.name} failed (${detail})`)] };
    } finally {
      call.timings[phase.name] = Math.round(microsSince(call.startedNs));
      span.end(errorType);
    }
  }
}
