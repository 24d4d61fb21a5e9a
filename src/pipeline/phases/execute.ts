/**
 * execute: call the tool's connector with a deadline and an idempotency key. Only the
 * pipeline ever holds a connector (invariant 1). A connector fault is a result, not a
 * crash: it is recorded and reported as a failed call. The connector reports the secrets it
 * puts on the wire into the call's `secrets` (with the credential), for the inspect phase.
 *
 * Retries, with limits: a tool declared `idempotent: true` with `retries: N` is called again,
 * up to N more times, when an attempt timed out or lost its connection (the outcome unknown)
 * — each attempt with the full deadline, its signal aborted when the deadline passes, and the
 * same idempotency key. A tool that is not idempotent is never retried (the config refuses
 * `retries` on one). Any other failure is final. The attempts are counted in the result event.
 */
import { AirlockError, toAirlockError } from '../../core/errors.ts';
import type { JsonValue } from '../../core/canonical.ts';
import type { CallState } from '../call.ts';
import { CallSecrets } from '../call-secrets.ts';
import type { PipelineEnv } from '../env.ts';
import { UNKNOWN_OUTCOME_CODES } from './idempotency.ts';
import { RETRY_PAUSE_MS, attemptsOf } from './attempts.ts';

export async function execute(call: CallState, env: PipelineEnv): Promise<void> {
  const { tool, principal } = call;
  const args = call.arguments;
  if (tool === undefined || principal === undefined || args === undefined) return;
  call.executed = true;
  const secrets = (call.secrets ??= new CallSecrets());
  if (call.credential !== undefined) secrets.add('credential', call.credential.token);
  // What the connector reports crossing the boundary (egress hops, sandbox runs), for the result event.
  const boundary = (call.boundary ??= { egress: [], sandbox: [] });
  const attempts = attemptsOf(tool);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    call.attempts = attempt;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AirlockError('ERR_CONNECTOR_TIMEOUT', `tool timed out after ${tool.timeoutMs} ms`, { status: 504 })),
      tool.timeoutMs,
    );
    try {
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      const result: JsonValue = await Promise.race([
        env.connector(tool).execute({
          tool,
          arguments: args,
          principal,
          actionId: call.action_id,
          idempotencyKey: call.request.idempotency_key ?? call.action_id,
          signal: controller.signal,
          secrets,
          telemetry: { egress: (hop) => boundary.egress.push(hop), sandbox: (report) => boundary.sandbox.push(report) },
          ...(call.credential === undefined ? {} : { credential: call.credential.token }),
          traceHeaders: call.tracing.outgoing(),
        }),
        aborted,
      ]);
      call.result = result;
      delete call.resultError;
      return;
    } catch (error) {
      const failure = toAirlockError(error, 'ERR_CONNECTOR_FAILED');
      call.resultError = { code: failure.code, message: failure.message };
      if (!UNKNOWN_OUTCOME_CODES.has(failure.code)) return;
    } finally {
      clearTimeout(timer);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
  }
}
