/**
 * Who may scrape /metrics. Disabled: nobody (404). With a bearer token configured: callers
 * presenting it (compared in constant time), from anywhere. Without one: loopback callers only
 * (127.0.0.0/8, ::1, and IPv4-mapped loopback). Behind a reverse proxy on the same host every
 * caller looks like loopback: configure a token there.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AirlockError } from '../core/errors.ts';
import { metricsError } from './errors.ts';

export interface MetricsAccessPolicy {
  enabled: boolean;
  /** The resolved bearer token; null: loopback callers only. */
  token: string | null;
}

/** True for an address on the loopback interface. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** null when the scrape may proceed, else the error to answer with. */
export function checkMetricsAccess(policy: MetricsAccessPolicy, request: { authorization: string | undefined; remoteAddress: string | undefined }): AirlockError | null {
  if (!policy.enabled) return metricsError('ERR_METRICS_DISABLED');
  if (policy.token === null) return isLoopbackAddress(request.remoteAddress) ? null : metricsError('ERR_METRICS_FORBIDDEN');
  const match = /^Bearer ([^\s]+)$/i.exec(request.authorization ?? '');
  const given = match?.[1];
  if (given === undefined || !timingSafeEqual(digest(given), digest(policy.token))) return metricsError('ERR_METRICS_UNAUTHORIZED');
  return null;
}
