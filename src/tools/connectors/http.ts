/**
 * HttpConnector: one HTTP request per call. The URL comes from the tool's template
 * (url-template.ts); arguments not used by the template travel as the JSON body for
 * non-GET methods and are not sent at all for GET. Headers: `accept`, `idempotency-key`,
 * `content-type` (with a body), then the spec's headers (values written as secret references
 * resolved through `resolveSecret`), then the call's W3C `traceparent`/`tracestate`, then the
 * optional credential hook's headers. Every
 * secret value put on the wire is reported to `call.secrets`, so the pipeline can remove it
 * from what comes back. The request goes through the egress client (../egress): only
 * destinations the connector's egress policy admits are reached, at the address that was
 * vetted, redirects are followed one checked hop at a time, and every hop (with its bytes) is
 * reported to `call.telemetry`; without a policy nothing is reachable. The response must be 2xx JSON
 * (`application/json` or `+json`) within `maxResponseBytes`; 204/205 yield null.
 * Errors: non-2xx → ERR_CONNECTOR_UPSTREAM with the status and at most 200 characters of
 * the body (redacted if it looks like a credential); a destination the policy refuses →
 * ERR_EGRESS_DENIED (details: reason, rule); 3xx left unfollowed → ERR_CONNECTOR_REDIRECT; bad
 * body → ERR_CONNECTOR_RESPONSE; transport failure → ERR_CONNECTOR_NETWORK; abort →
 * the signal's reason (ERR_CONNECTOR_TIMEOUT under executeWithTimeout).
 */
import http from 'node:http';
import https from 'node:https';
import type { JsonValue } from '../../core/canonical.ts';
import { AirlockError } from '../../core/errors.ts';
import type { Connector, ConnectorCall, ConnectorSpec } from '../../core/types.ts';
import { toPlainJson } from '../json.ts';
import { looksLikeSecret } from '../secrets.ts';
import { createEgressFetch } from '../egress/client.ts';
import type { EgressResolver } from '../egress/client.ts';
import type { EgressPolicy } from '../egress/policy.ts';
import { compileEgressPolicy } from '../egress/policy.ts';
import { abortError } from './abort.ts';
import type { CredentialHeaderHook } from './types.ts';
import type { UrlTemplate } from './url-template.ts';
import { parseUrlTemplate } from './url-template.ts';

export type HttpConnectorSpec = Extract<ConnectorSpec, { type: 'http' }>;

export interface HttpConnectorOptions {
  credentialHeader?: CredentialHeaderHook;
  /**
   * Resolves a header value written as a secret reference (`env:NAME`, `file:PATH`). A spec
   * with such a header and no resolver is refused at construction (never sent literally).
   */
  resolveSecret?: (ref: string) => Promise<string>;
  /** Largest response body accepted, bytes. Default 8 MiB. */
  maxResponseBytes?: number;
  /** Destinations this connector may reach (docs/egress.md). Default: none. */
  egress?: EgressPolicy;
  /** Resolver the egress client uses (tests: a rebinding resolver). Default: the system resolver. */
  egressResolver?: EgressResolver;
  /**
   * Replaces the egress client entirely (unit tests of the request and response handling).
   * Nothing in the gateway sets it: every configured connector goes through the egress client.
   */
  fetch?: typeof fetch;
}

const NO_EGRESS = compileEgressPolicy([]);
/** Idle pooled connections close after this long (as fetch's do). */
const POOL = { keepAlive: true, timeout: 4000 };

export const UPSTREAM_EXCERPT_CHARS = 200;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

/** A header value written as a secret reference (resolved per call, never sent as written). */
function isSecretRef(value: string): boolean {
  return value.startsWith('env:') || value.startsWith('file:');
}

function upstreamError(code: `ERR_${string}`, message: string, details: Record<string, unknown>, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { status: 502, details, ...(cause === undefined ? {} : { cause }) });
}

async function readBody(response: Response, limit: number, onOverflow: 'throw' | 'truncate'): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      if (onOverflow === 'throw') {
        throw upstreamError('ERR_CONNECTOR_RESPONSE', `upstream response is larger than ${limit} bytes`, { limit });
      }
      break;
    }
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

async function excerpt(response: Response): Promise<string> {
  try {
    const bytes = await readBody(response, 4 * UPSTREAM_EXCERPT_CHARS, 'truncate');
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).slice(0, UPSTREAM_EXCERPT_CHARS);
    return looksLikeSecret(text) ? '[redacted]' : text;
  } catch {
    return '';
  }
}

export class HttpConnector implements Connector {
  readonly #spec: HttpConnectorSpec;
  readonly #url: UrlTemplate;
  readonly #headers: Headers;
  /** Header name -> secret reference, resolved per call (the resolver may cache). */
  readonly #secretHeaders: Array<[string, string]>;
  readonly #options: HttpConnectorOptions;
  #agent: http.Agent | undefined;

  constructor(spec: HttpConnectorSpec, options: HttpConnectorOptions = {}) {
    this.#spec = spec;
    this.#url = parseUrlTemplate(spec.url);
    const entries = Object.entries(spec.headers ?? {});
    this.#secretHeaders = entries.filter(([, value]) => isSecretRef(value));
    if (this.#secretHeaders.length > 0 && options.resolveSecret === undefined) {
      throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'connector headers name secret references but no secret resolver was given', {
        status: 500,
      });
    }
    try {
      this.#headers = new Headers(entries.filter(([, value]) => !isSecretRef(value)));
    } catch (error) {
      throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'connector headers are not valid http headers', { status: 500, cause: error });
    }
    this.#options = options;
  }

  async execute(call: ConnectorCall): Promise<JsonValue> {
    const { signal } = call;
    if (signal.aborted) throw abortError(signal);
    const url = this.#url.expand(call.arguments);
    const method = this.#spec.method;
    const headers = new Headers({ accept: 'application/json', 'idempotency-key': call.idempotencyKey });
    let body: string | undefined;
    if (method !== 'GET') {
      const rest = Object.fromEntries(Object.entries(call.arguments).filter(([name]) => !this.#url.names.has(name)));
      body = JSON.stringify(rest);
      headers.set('content-type', 'application/json');
    }
    for (const [name, value] of this.#headers) headers.set(name, value);
    // The execute span (or the caller's traceparent, passed through) is the upstream's parent.
    for (const [name, value] of Object.entries(call.traceHeaders ?? {})) if (value !== undefined) headers.set(name, value);
    await this.#addCredentials(call, headers);

    let response: Response;
    try {
      response = await this.#fetch(call)(url, { method, headers, body, redirect: this.#options.fetch === undefined ? 'follow' : 'manual', signal });
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (error instanceof AirlockError) throw error;
      throw upstreamError('ERR_CONNECTOR_NETWORK', 'upstream request failed', {}, error);
    }
    try {
      return await this.#readResult(response);
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      throw error;
    }
  }

  #fetch(call: ConnectorCall): (url: string, init: RequestInit) => Promise<Response> {
    if (this.#options.fetch !== undefined) return this.#options.fetch;
    // One keep-alive pool per connector and scheme (as fetch pools): a pooled socket was vetted
    // and pinned when it was opened; new ones are vetted again.
    const scheme = new URL(this.#spec.url.replace(/\{[^}]*\}/g, 'x')).protocol;
    this.#agent ??= scheme === 'https:' ? new https.Agent(POOL) : new http.Agent(POOL);
    return createEgressFetch({
      policy: this.#options.egress ?? NO_EGRESS,
      ...(this.#options.egressResolver === undefined ? {} : { resolver: this.#options.egressResolver }),
      onRecord: (hop) => call.telemetry?.egress(hop),
      agent: this.#agent,
    });
  }

  async #addCredentials(call: ConnectorCall, headers: Headers): Promise<void> {
    const hook = this.#options.credentialHeader;
    const resolveSecret = this.#options.resolveSecret;
    try {
      for (const [name, ref] of this.#secretHeaders) {
        const value = await (resolveSecret as (ref: string) => Promise<string>)(ref);
        call.secrets?.add('connector_secret', value);
        headers.set(name, value);
      }
      const extra = hook === undefined ? {} : await hook(call);
      for (const [name, value] of Object.entries(extra)) {
        if (typeof value !== 'string') throw new TypeError('credential header values must be strings');
        call.secrets?.add('credential', value);
        headers.set(name, value);
      }
    } catch (error) {
      if (call.signal.aborted) throw abortError(call.signal);
      // The cause stays attached for debugging, but no credential text enters the message.
      throw upstreamError('ERR_CONNECTOR_CREDENTIAL', 'credential headers could not be added', {}, error);
    }
  }

  async #readResult(response: Response): Promise<JsonValue> {
    const status = response.status;
    if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      throw upstreamError('ERR_CONNECTOR_REDIRECT', `upstream answered with a redirect (${status}); redirects are not followed`, {
        status,
      });
    }
    if (status < 200 || status > 299) {
      throw upstreamError('ERR_CONNECTOR_UPSTREAM', `upstream answered ${status}`, { status, body: await excerpt(response) });
    }
    if (status === 204 || status === 205) {
      await response.body?.cancel().catch(() => undefined);
      return null;
    }
    const type = response.headers.get('content-type') ?? '';
    if (!JSON_TYPE.test(type)) {
      await response.body?.cancel().catch(() => undefined);
      throw upstreamError('ERR_CONNECTOR_RESPONSE', 'upstream response is not json', { status });
    }
    const bytes = await readBody(response, this.#options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, 'throw');
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      throw upstreamError('ERR_CONNECTOR_RESPONSE', 'upstream response is not valid json', { status }, error);
    }
    const copied = toPlainJson(parsed);
    if (!copied.ok) throw upstreamError('ERR_CONNECTOR_RESPONSE', 'upstream response is not representable json', { status });
    return copied.value;
  }
}
