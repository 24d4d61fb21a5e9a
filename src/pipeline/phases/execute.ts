/**
 * execute: call the tool's connector with a deadline and an idempotency key. Only the
 * pipeline ever holds a connector (invariant 1). A connector fault is a result, not a
 * crash: it is recorded and reported as a failed call. The connector reports the secrets it
 * puts on the wire into the call's `secrets` (with the credential), for the inspect phase.
 */
import { AirlockError, toAirlockError } from '../../core/errors.ts';
import type { CallState } from '../call.ts';
import { CallSecrets } from '../call-secrets.ts';
import type { PipelineEnv } from '../env.ts';

export async function execute(call: CallState, env: PipelineEnv): Promise<void> {
  const { tool, principal } = call;
  const args = call.arguments;
  if (tool === undefined || principal === undefined || args === undefined) return;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new AirlockError('ERR_CONNECTOR_TIMEOUT', `tool timed out after ${tool.timeoutMs} ms`, { status: 504 })),
    tool.timeoutMs,
  );
  call.executed = true;
  const secrets = (call.secrets ??= new CallSecrets());
  if (call.credential !== undefined) secrets.add('credential', call.credential.token);
  const boundary = (call.boundary ??= { egress: [], sandbox: [] });
  try {
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    call.result = await Promise.race([
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
  } catch (error) {
    const failure = toAirlockError(error, 'ERR_CONNECTOR_FAILED');
    call.resultError = { code: failure.code, message: failure.message };
  } finally {
    clearTimeout(timer);
  }
}
