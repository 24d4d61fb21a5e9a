/**
 * Sends an OTLP/HTTP export request (a protobuf or JSON body) to the collector: one POST over a kept-alive
 * connection; a refusal the collector marks as passing (429, 502, 503, 504) or a broken
 * connection is retried with exponential backoff (or the collector's Retry-After) while the
 * request's time (`timeoutMs`, all attempts together) lasts — the retry rules of OpenTelemetry's
 * OTLP exporters. Any other status fails the export at once. Used on the span export thread.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface OtlpHttpTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The body's media type: `application/x-protobuf` or `application/json` (the default). */
  contentType?: string;
}

export interface OtlpHttpOptions {
  /** Attempts per export, the first included (default 5). */
  maxAttempts?: number;
  /** The first backoff (default 1 s); each next one is 1.5 times longer, at most 5 s, with ±20% jitter. */
  initialBackoffMs?: number;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);
const MAX_BACKOFF_MS = 5_000;

type Attempt = { ok: true } | { ok: false; retryable: boolean; error: Error; retryAfterMs?: number };

/** Retry-After as milliseconds (seconds, or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface OtlpHttpSender {
  /** Resolves when the collector took the request; rejects with why it did not. */
  send(body: string | Uint8Array): Promise<void>;
  close(): void;
}

export function createOtlpHttpSender(target: OtlpHttpTarget, options: OtlpHttpOptions = {}): OtlpHttpSender {
  const url = new URL(target.url);
  const secure = url.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 2 }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
  const request = secure ? httpsRequest : httpRequest;
  const maxAttempts = options.maxAttempts ?? 5;
  const initialBackoffMs = options.initialBackoffMs ?? 1_000;
  const contentType = target.contentType ?? 'application/json';

  const attempt = (body: Uint8Array, timeoutMs: number): Promise<Attempt> =>
    new Promise((done) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { ...target.headers, 'content-type': contentType, 'content-length': body.byteLength },
          timeout: timeoutMs,
        },
        (res: IncomingMessage) => {
          res.resume();
          res.on('error', () => undefined);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return done({ ok: true });
          const error = new Error(`the collector answered HTTP ${status}`);
          const after = retryAfterMs(res.headers['retry-after']);
          done({ ok: false, retryable: RETRYABLE_STATUS.has(status), error, ...(after === undefined ? {} : { retryAfterMs: after }) });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`the collector did not answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, retryable: RETRYABLE_ERRORS.has(error.code ?? ''), error }));
      req.end(body);
    });

  return {
    async send(content) {
      const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      const deadline = Date.now() + target.timeoutMs;
      let backoff = initialBackoffMs;
      for (let tries = 1; ; tries++) {
        const left = deadline - Date.now();
        const result = await attempt(body, Math.max(1, left));
        if (result.ok) return;
        const wait = result.retryAfterMs ?? backoff * (0.8 + Math.random() * 0.4);
        if (!result.retryable || tries >= maxAttempts || Date.now() + wait >= deadline) throw result.error;
        await new Promise((resume) => setTimeout(resume, wait));
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 1.5);
      }
    },
    close: () => agent.destroy(),
  };
}
