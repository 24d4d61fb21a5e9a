/** Stable error codes of the metrics endpoint and their HTTP statuses. */
import type { AirlockError } from '../core/errors.ts';
import { errorFrom } from '../core/errors.ts';

export const METRICS_ERRORS = {
  ERR_METRICS_DISABLED: { status: 404, message: 'metrics are disabled' },
  ERR_METRICS_UNAUTHORIZED: { status: 401, message: 'the metrics bearer token is missing or wrong' },
  ERR_METRICS_FORBIDDEN: { status: 403, message: 'metrics are served to loopback callers only (configure server.metrics.token for remote scrapers)' },
} as const;

export type MetricsErrorCode = keyof typeof METRICS_ERRORS;

export function metricsError(code: MetricsErrorCode): AirlockError {
  return errorFrom(METRICS_ERRORS, code);
}
