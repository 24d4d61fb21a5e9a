/** limit: rate limits per user, tool, tenant and session (none when unconfigured). */
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

export function limit(call: CallState, env: PipelineEnv): void {
  const { principal, tool } = call;
  if (env.limiter === null || principal === undefined || tool === undefined) return;
  const verdict = env.limiter.take({
    user: `${principal.tenant}/${principal.user}`,
    tenant: principal.tenant,
    tool: tool.name,
    session: call.session?.id ?? null,
  });
  if (!verdict.allowed) {
    const retry = verdict.retryAfterMs === undefined ? '' : `; retry after ${Math.ceil(verdict.retryAfterMs / 1000)} s`;
    denyWith(call, 'limit', 'limit.rate', 'builtin.rate_limit', `rate limit exceeded (${verdict.limit ?? 'limit'})${retry}`);
  }
}
