/** The error a connector reports when its call's signal was aborted. */
import { AirlockError } from '../../core/errors.ts';

/** The signal's reason when it is an AirlockError (e.g. ERR_CONNECTOR_TIMEOUT), else ERR_CONNECTOR_ABORTED. */
export function abortError(signal: AbortSignal): AirlockError {
  const reason: unknown = signal.reason;
  if (reason instanceof AirlockError) return reason;
  return new AirlockError('ERR_CONNECTOR_ABORTED', 'connector call was aborted', { status: 503, cause: reason });
}
