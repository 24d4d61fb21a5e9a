/**
 * Middleware for upstream services: reads the credential from a header (default
 * `x-airlock-credential`, a raw token or `Bearer <token>`), verifies it, and either calls
 * `next()` with the claims available through `verifiedCredential(req)` or answers
 * 401 / 403 / 503 with `{"error": {"code", "message"}}` (plus `reason` on a binding
 * mismatch). With `bind`, the credential must have been minted for the request's own target. The header is removed from the
 * request once read (`headers`, `headersDistinct` and `rawHeaders`), so later handlers and request loggers never see the token.
 * `node:http` shape `(req, res, next)` (also fits connect / express); a hono variant below.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { toAirlockError } from '../core/errors.ts';
import { credentialError } from './errors.ts';
import type { CredentialClaims } from './types.ts';
import type { CredentialBinding } from './binding.ts';
import type { CredentialVerifier, VerifyOptions } from './verifier.ts';

export const DEFAULT_CREDENTIAL_HEADER = 'x-airlock-credential';

export interface CredentialMiddlewareOptions<Req> {
  /** Header carrying the credential (case-insensitive). */
  header?: string;
  /** Per-request checks, e.g. the action hash the upstream computes from the request. */
  verifyOptions?: (req: Req) => VerifyOptions | Promise<VerifyOptions>;
  /**
   * What this request is: its target resource, and optionally its tool and normalized
   * arguments (or action hash). The credential must have been minted for exactly that, or the
   * request is refused (403 ERR_CREDENTIAL_TARGET_MISMATCH / ERR_CREDENTIAL_ACTION_MISMATCH,
   * `reason` naming what differed). Returning null — the request names no target the upstream
   * can bind — refuses it too. Without `bind`, a valid credential for this audience and scope
   * passes whatever URL it is presented on.
   */
  bind?: (req: Req) => CredentialBinding | null | Promise<CredentialBinding | null>;
}

const verified = new WeakMap<object, CredentialClaims>();

/** The claims the middleware verified for this request, or undefined. */
export function verifiedCredential(req: object): CredentialClaims | undefined {
  return verified.get(req);
}

/** Removes the credential header from every view `node:http` keeps of the request's headers. */
function stripHeader(req: IncomingMessage, header: string): void {
  // `headers` and `headersDistinct` are built from `rawHeaders` on first read: both first, then the raw list.
  delete req.headers[header];
  // Absent on request-like objects that are not a parsed IncomingMessage.
  const distinct = req.headersDistinct as IncomingMessage['headersDistinct'] | undefined;
  if (distinct !== undefined) delete distinct[header];
  const raw = req.rawHeaders as string[] | undefined;
  if (raw !== undefined) {
    for (let i = raw.length - 2; i >= 0; i -= 2) {
      if (raw[i]?.toLowerCase() === header) raw.splice(i, 2);
    }
  }
}

function tokenFrom(value: string | string[] | undefined): string {
  if (value === undefined || value === '') throw credentialError('ERR_CREDENTIAL_MISSING', 'no credential was presented');
  if (Array.isArray(value)) throw credentialError('ERR_CREDENTIAL_MALFORMED', 'more than one credential was presented');
  return /^bearer /i.test(value) ? value.slice(7).trim() : value.trim();
}

/** The verify options for one request: `verifyOptions`, then the `bind` binding over them. */
async function checksFor<Req>(options: CredentialMiddlewareOptions<Req>, req: Req): Promise<VerifyOptions> {
  const base = (await options.verifyOptions?.(req)) ?? {};
  if (options.bind === undefined) return base;
  const binding = await options.bind(req);
  if (binding === null) {
    throw credentialError('ERR_CREDENTIAL_TARGET_MISMATCH', 'the request names no target the credential can be bound to', {
      details: { mismatch: 'resource' },
    });
  }
  return { ...base, ...binding };
}

function errorBody(err: unknown): { status: number; body: string } {
  const error = toAirlockError(err, 'ERR_CREDENTIAL_UNAVAILABLE');
  const known = error.code.startsWith('ERR_CREDENTIAL_');
  const code = known ? error.code : 'ERR_CREDENTIAL_UNAVAILABLE';
  const message = known ? error.message : 'credential could not be checked';
  const status = known ? error.status : 503;
  const reason = known ? error.details?.mismatch : undefined;
  return { status, body: JSON.stringify({ error: { code, message, ...(typeof reason === 'string' ? { reason } : {}) } }) };
}

export function createCredentialMiddleware(
  verifier: CredentialVerifier,
  options: CredentialMiddlewareOptions<IncomingMessage> = {},
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const header = (options.header ?? DEFAULT_CREDENTIAL_HEADER).toLowerCase();
  return (req, res, next) => {
    void (async () => {
      try {
        const raw = req.headers[header];
        stripHeader(req, header);
        const token = tokenFrom(raw);
        const claims = await verifier.verify(token, await checksFor(options, req));
        verified.set(req, claims);
      } catch (err) {
        const { status, body } = errorBody(err);
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        if (status === 401) res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
        res.end(body);
        return;
      }
      next();
    })();
  };
}

/** hono variant: the verified claims are in `c.get('airlockCredential')`. */
export function createHonoCredentialMiddleware(
  verifier: CredentialVerifier,
  options: CredentialMiddlewareOptions<Request> = {},
): MiddlewareHandler<{ Variables: { airlockCredential: CredentialClaims } }> {
  const header = options.header ?? DEFAULT_CREDENTIAL_HEADER;
  return async (c, next) => {
    let claims: CredentialClaims;
    try {
      const token = tokenFrom(c.req.header(header));
      claims = await verifier.verify(token, await checksFor(options, c.req.raw));
    } catch (err) {
      const { status, body } = errorBody(err);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 401) headers['www-authenticate'] = 'Bearer error="invalid_token"';
      return new Response(body, { status, headers });
    }
    c.set('airlockCredential', claims);
    await next();
  };
}
