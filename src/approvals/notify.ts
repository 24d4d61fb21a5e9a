/**
 * Approval notification webhook: when a request is created, POST a signed, summary-only
 * `approval.requested` message to one configured URL so a human can review it out of band.
 * Delivery runs in the background (the caller never waits on the network), retries
 * transient failures with capped exponential backoff and jitter, and reports every final
 * failure to `onFailure` as a typed ERR_APPROVAL_NOTIFY_* error. Receivers check messages
 * with `verifyWebhookSignature` (Stripe-style `v1=` HMAC-SHA256 over `<timestamp>.<body>`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../core/clock.ts';
import type { AirlockError } from '../core/errors.ts';
import { errorFrom } from '../core/errors.ts';
import type { ApprovalRequest } from './types.ts';

export const WEBHOOK_HEADERS = {
  timestamp: 'x-airlock-timestamp',
  signature: 'x-airlock-signature',
  delivery: 'x-airlock-delivery',
  event: 'x-airlock-event',
} as const;

export const DEFAULT_NOTIFY_TIMEOUT_MS = 5_000;
export const DEFAULT_NOTIFY_RETRIES = 3;
export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;
export const DEFAULT_MAX_IN_FLIGHT = 1_000;
export const DEFAULT_TOLERANCE_SECONDS = 300;
const MIN_SECRET_BYTES = 32;
const MAX_RETRIES = 10;

export const APPROVAL_NOTIFY_ERRORS = {
  ERR_APPROVAL_NOTIFY_URL: { status: 500, message: 'notification url must be https, or http on a loopback address, without credentials' },
  ERR_APPROVAL_NOTIFY_SECRET: { status: 500, message: `notification secret must have at least ${MIN_SECRET_BYTES} bytes` },
  ERR_APPROVAL_NOTIFY_OPTIONS: { status: 500, message: 'notification options are invalid' },
  ERR_APPROVAL_NOTIFY_PAYLOAD: { status: 500, message: 'approval request could not be turned into a notification' },
  ERR_APPROVAL_NOTIFY_OVERLOADED: { status: 503, message: 'too many notifications in flight; this one was dropped' },
  ERR_APPROVAL_NOTIFY_REJECTED: { status: 502, message: 'the receiver refused the notification' },
  ERR_APPROVAL_NOTIFY_UNAVAILABLE: { status: 502, message: 'the receiver kept failing; retries exhausted' },
  ERR_APPROVAL_NOTIFY_TIMEOUT: { status: 504, message: 'the receiver did not answer in time; retries exhausted' },
  ERR_APPROVAL_NOTIFY_NETWORK: { status: 502, message: 'the receiver could not be reached; retries exhausted' },
} as const;

export type ApprovalNotifyErrorCode = keyof typeof APPROVAL_NOTIFY_ERRORS;

function notifyError(code: ApprovalNotifyErrorCode, details?: Record<string, unknown>, cause?: unknown): AirlockError {
  return errorFrom(APPROVAL_NOTIFY_ERRORS, code, details, cause);
}

/** The JSON body of an `approval.requested` notification. Times are epoch milliseconds. */
export interface ApprovalRequestedMessage {
  type: 'approval.requested';
  approval_id: string;
  tenant: string;
  tool: string;
  required_role: string;
  summary: string;
  affected_count: number;
  reasons: { policy_id: string; reason: string }[];
  requester: { user: string; agent: string | null };
  created_at: number;
  expires_at: number;
  action_hash: string;
}

export interface NotifyDelivered {
  approval_id: string;
  delivery_id: string;
  status: number;
  attempts: number;
}

export interface ApprovalNotifierOptions {
  /** Receiver URL: https, or http only on a loopback address. Never logged or put in errors. */
  url: string;
  /** HMAC key shared with the receiver, at least 32 bytes. */
  secret: Uint8Array;
  /** Per-attempt timeout (connect to response headers). Default 5000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 5xx / 408 / 429 / network errors / timeouts. Default 3, at most 10. */
  retries?: number;
  /** Backoff before retry n is a random value in [d/2, d], d = min(maxMs, baseMs * 2^(n-1)). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Deliveries running at once; beyond this a notification is dropped and reported. Default 1000. */
  maxInFlight?: number;
  fetch?: typeof globalThis.fetch;
  /** Source of the signature timestamp. Default: the system clock. */
  clock?: Clock;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** Called once per notification that was not delivered. Exceptions it throws are swallowed. */
  onFailure?: (error: AirlockError) => void;
  /** Called once per delivered notification. Exceptions it throws are swallowed. */
  onDelivered?: (info: NotifyDelivered) => void;
}

export interface ApprovalNotifier {
  /** Starts delivery in the background and resolves at once. Never rejects. */
  notify(request: ApprovalRequest): Promise<void>;
  /** Resolves when every delivery started so far has finished (delivered or reported). Never rejects. */
  drain(): Promise<void>;
}

/** Summary-only message for a request: no argument values, no tokens, no reviewer data. */
export function approvalRequestedMessage(request: ApprovalRequest): ApprovalRequestedMessage {
  return {
    type: 'approval.requested',
    approval_id: String(request.id),
    tenant: String(request.tenant),
    tool: String(request.tool),
    required_role: String(request.required_role),
    summary: String(request.summary),
    affected_count: Number(request.affected_count),
    reasons: request.reasons.map((r) => ({ policy_id: String(r.policy_id), reason: String(r.reason) })),
    requester: { user: String(request.requester.user), agent: request.requester.agent ?? null },
    created_at: Number(request.created_at),
    expires_at: Number(request.expires_at),
    action_hash: String(request.action_hash),
  };
}

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function signWebhook(secret: Uint8Array, timestamp: number | string, body: string | Uint8Array): string {
  return `v1=${hmacHex(secret, String(timestamp), body)}`;
}

function hmacHex(secret: Uint8Array, timestamp: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** Delay before retry `retry` (1-based): uniformly in [d/2, d], d = min(maxMs, baseMs * 2^(retry-1)). */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(ceiling / 2 + (ceiling / 2) * r);
}

const LOOPBACK_NAMES = new Set(['localhost']);

function isLoopback(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (LOOPBACK_NAMES.has(host.toLowerCase())) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Refuses anything but https, or http on loopback; refuses URLs carrying credentials. */
export function checkNotifyUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw notifyError('ERR_APPROVAL_NOTIFY_URL', undefined, error);
  }
  const allowed = parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(parsed.hostname));
  if (!allowed || parsed.username !== '' || parsed.password !== '') throw notifyError('ERR_APPROVAL_NOTIFY_URL');
  return parsed;
}

function checkSecret(secret: unknown): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SECRET_BYTES) throw notifyError('ERR_APPROVAL_NOTIFY_SECRET');
  return secret;
}

function checkCount(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw notifyError('ERR_APPROVAL_NOTIFY_OPTIONS', { option: name });
  return v;
}

type Attempt =
  | { kind: 'delivered'; status: number }
  | { kind: 'rejected'; status: number }
  | { kind: 'retryable'; status: number; retryAfterMs: number | undefined }
  | { kind: 'timeout' }
  | { kind: 'network'; cause: unknown };

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

export function createApprovalNotifier(options: ApprovalNotifierOptions): ApprovalNotifier {
  const url = checkNotifyUrl(options.url).href;
  const secret = Uint8Array.from(checkSecret(options.secret));
  const timeoutMs = checkCount('timeoutMs', options.timeoutMs, DEFAULT_NOTIFY_TIMEOUT_MS, 1, 600_000);
  const retries = checkCount('retries', options.retries, DEFAULT_NOTIFY_RETRIES, 0, MAX_RETRIES);
  const baseMs = checkCount('backoff.baseMs', options.backoff?.baseMs, DEFAULT_BACKOFF.baseMs, 0, 600_000);
  const maxMs = checkCount('backoff.maxMs', options.backoff?.maxMs, DEFAULT_BACKOFF.maxMs, 0, 600_000);
  const maxInFlight = checkCount('maxInFlight', options.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000);
  const doFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const inFlight = new Set<Promise<void>>();

  const report = (error: AirlockError): void => {
    try {
      options.onFailure?.(error);
    } catch {
      // A failing failure handler must not turn into an unhandled rejection.
    }
  };

  async function attempt(body: string, deliveryId: string): Promise<Attempt> {
    const timestamp = String(Math.floor(clock.now() / 1000));
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'airlock-approval-notifier/1',
          [WEBHOOK_HEADERS.event]: 'approval.requested',
          [WEBHOOK_HEADERS.delivery]: deliveryId,
          [WEBHOOK_HEADERS.timestamp]: timestamp,
          [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, body),
        },
        body,
      });
    } catch (error) {
      return signal.aborted ? { kind: 'timeout' } : { kind: 'network', cause: error };
    }
    // The response body is never read: only the status matters.
    response.body?.cancel().catch(() => undefined);
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (isRetryableStatus(status)) return { kind: 'retryable', status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
    return { kind: 'rejected', status };
  }

  async function deliver(body: string, approvalId: string): Promise<void> {
    const deliveryId = `dlv_${randomBytes(16).toString('base64url')}`;
    const ids = { approval_id: approvalId, delivery_id: deliveryId };
    let last: Attempt = { kind: 'network', cause: undefined };
    for (let n = 0; n <= retries; n++) {
      if (n > 0) {
        const hinted = last.kind === 'retryable' && last.retryAfterMs !== undefined ? Math.min(last.retryAfterMs, maxMs) : 0;
        await sleep(Math.max(backoffDelay(n, baseMs, maxMs, random), hinted));
      }
      last = await attempt(body, deliveryId);
      const attempts = n + 1;
      if (last.kind === 'delivered') {
        try {
          options.onDelivered?.({ ...ids, status: last.status, attempts });
        } catch {
          // Swallowed, like onFailure.
        }
        return;
      }
      if (last.kind === 'rejected') {
        report(notifyError('ERR_APPROVAL_NOTIFY_REJECTED', { ...ids, status: last.status, attempts }));
        return;
      }
    }
    const attempts = retries + 1;
    if (last.kind === 'timeout') report(notifyError('ERR_APPROVAL_NOTIFY_TIMEOUT', { ...ids, attempts, timeout_ms: timeoutMs }));
    else if (last.kind === 'retryable') report(notifyError('ERR_APPROVAL_NOTIFY_UNAVAILABLE', { ...ids, attempts, status: last.status }));
    else report(notifyError('ERR_APPROVAL_NOTIFY_NETWORK', { ...ids, attempts }, last.kind === 'network' ? last.cause : undefined));
  }

  function notify(request: ApprovalRequest): Promise<void> {
    let body: string;
    let approvalId: string;
    try {
      const message = approvalRequestedMessage(request);
      approvalId = message.approval_id;
      body = JSON.stringify(message);
    } catch (error) {
      report(notifyError('ERR_APPROVAL_NOTIFY_PAYLOAD', undefined, error));
      return Promise.resolve();
    }
    if (inFlight.size >= maxInFlight) {
      report(notifyError('ERR_APPROVAL_NOTIFY_OVERLOADED', { approval_id: approvalId, max_in_flight: maxInFlight }));
      return Promise.resolve();
    }
    const running: Promise<void> = deliver(body, approvalId)
      .catch((error: unknown) => report(notifyError('ERR_APPROVAL_NOTIFY_NETWORK', { approval_id: approvalId }, error)))
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
    return Promise.resolve();
  }

  async function drain(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  return { notify, drain };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface VerifyWebhookInput {
  secret: Uint8Array;
  /** The raw request body exactly as received (before any JSON parsing). */
  body: string | Uint8Array;
  /** Value of the `x-airlock-timestamp` header. */
  timestamp: string | null | undefined;
  /** Value of the `x-airlock-signature` header; several comma-separated `v1=` entries are accepted. */
  signature: string | null | undefined;
  /** Largest accepted distance between the timestamp and `now`, seconds. Default 300. */
  toleranceSeconds?: number;
  /** Receiver's time, epoch milliseconds. Default Date.now(). */
  now?: number;
}

export type VerifyWebhookResult = { valid: true; timestamp: number } | { valid: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a received notification: well-formed headers, timestamp within the tolerance of
 * `now` (either direction), and a `v1=` signature equal in constant time to the expected
 * HMAC. The receiver should also remember delivery ids inside the window to drop replays.
 */
export function verifyWebhookSignature(input: VerifyWebhookInput): VerifyWebhookResult {
  const secret = checkSecret(input.secret);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw notifyError('ERR_APPROVAL_NOTIFY_OPTIONS', { option: 'toleranceSeconds' });
  const { timestamp, signature } = input;
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return { valid: false, reason: 'malformed' };
  if (typeof signature !== 'string' || signature.length > 4096) return { valid: false, reason: 'malformed' };
  const candidates = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
    .filter((hex) => /^[0-9a-fA-F]{64}$/.test(hex));
  if (candidates.length === 0) return { valid: false, reason: 'malformed' };
  const seconds = Number(timestamp);
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - seconds) > tolerance) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(secret, timestamp, input.body), 'hex');
  let matched = false;
  for (const hex of candidates) {
    // Every candidate is compared (no early exit) so timing says nothing about which matched.
    if (timingSafeEqual(expected, Buffer.from(hex, 'hex'))) matched = true;
  }
  return matched ? { valid: true, timestamp: seconds } : { valid: false, reason: 'mismatch' };
}
