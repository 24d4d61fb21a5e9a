/** Limits: rate limiting per user, tool, tenant and session (in-memory sliding windows). */
export { MemoryRateLimiter, limitKey } from './memory.ts';
export type { LimitName, MemoryRateLimiterOptions } from './memory.ts';
export { SlidingLog } from './sliding-log.ts';
