/**
 * executeWithTimeout: runs a connector call under a deadline. At the deadline the call's
 * signal is aborted with ERR_CONNECTOR_TIMEOUT (504) and the returned promise rejects
 * with it, even if the connector ignores its signal. An abort of the caller's own signal
 * is passed through the same way.
 */
import type { JsonValue } from '../../core/canonical.ts';
import { AirlockError } from '../../core/errors.ts';
import type { Connector, ConnectorCall } from '../../core/types.ts';
import { abortError } from './abort.ts';

export async function executeWithTimeout(connector: Connector, call: ConnectorCall, timeoutMs: number): Promise<JsonValue> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new AirlockError('ERR_CONNECTOR_TIMEOUT_INVALID', 'timeout must be a positive number of milliseconds', { status: 500 });
  }
  if (call.signal.aborted) throw abortError(call.signal);
  const controller = new AbortController();
  const forward = () => controller.abort(call.signal.reason);
  call.signal.addEventListener('abort', forward, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new AirlockError('ERR_CONNECTOR_TIMEOUT', `connector timed out after ${timeoutMs} ms`, { status: 504 }));
  }, timeoutMs);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(abortError(controller.signal)), { once: true });
  });
  try {
    return await Promise.race([connector.execute({ ...call, signal: controller.signal }), aborted]);
  } finally {
    clearTimeout(timer);
    call.signal.removeEventListener('abort', forward);
  }
}
