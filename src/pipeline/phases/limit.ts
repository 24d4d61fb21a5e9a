/**
 * limit: rate limits per user, tool, tenant and session (none when unconfigured). A limiter
 * whose store does not answer (ERR_LIMITS_UNAVAILABLE, e.g. Redis down or slow past its
 * bound) refuses the call with `limit.unavailable` (fail closed).
 */
import { isAirlockError } from '../../core/errors.ts';
import type { RateLimitVerdict } from '../../core/types.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

export async function limit(call: CallState, env: PipelineEnv): Promise<void> {
  const { principal, tool } = call;
  if (env.limiter === null || principal === undefined || tool === undefined) return;
  let verdict: RateLimitVerdict;
  try {
    verdict = await env.limiter.take({
      user: `${principal.tenant}/${principal.user}`,
      tenant: principal.tenant,
      tool: tool.name,
      session: call.session?.id ?? null,
    });
  } catch (error) {
    if (isAirlockError(error) && error.code === 'ERR_LIMITS_UNAVAILABLE') {
      denyWith(call, 'limit', 'limit.unavailable', 'builtin.rate_limit', 'rate limit state unavailable: refusing (fail closed)');
      return;
    }
    throw error;
  }
  if (!verdict.allowed) {
    const retry = verdict.retryAfterMs === undefined ? '' : `; retry after ${Math.ceil(verdict.retryAfterMs / 1000)} s`;
    denyWith(call, 'limit', 'limit.rate', 'builtin.rate_limit', `rate limit exceeded (${verdict.limit ?? 'limit'})${retry}`);
  }
}
