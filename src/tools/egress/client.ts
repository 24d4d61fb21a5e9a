/**
 * The egress client: a fetch-shaped function that reaches only what an EgressPolicy admits.
 * For every request and every redirect hop: check the URL (policy.ts), resolve the name,
 * check every address it resolved to, then connect to the vetted address itself — the
 * socket's `lookup` answers with that address, so a second DNS answer (rebinding) is never
 * consulted. Redirects are followed here, one checked hop at a time (at most
 * policy.maxRedirects); credentials set by the caller are dropped when a hop leaves the
 * origin; a redirect's body is read at most MAX_REDIRECT_BODY_BYTES (then its connection is closed). Each hop is reported to `onRecord` with the rule that admitted or denied it and
 * the bytes written to and read from the socket.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { AirlockError } from '../../core/errors.ts';
import type { EgressHop } from '../../core/types.ts';
import type { EgressDeny, EgressPolicy } from './policy.ts';
import { BUILTIN_RULES, checkAddress, checkDestination } from './policy.ts';

/** Resolves a host name to every address it has (the system resolver by default). */
export type EgressResolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** One outbound hop, as the audit event records it (reason codes are EgressReason values). */
export type EgressRecord = EgressHop;

export interface EgressClientOptions {
  policy: EgressPolicy;
  resolver?: EgressResolver;
  /** Told about every hop (allowed or denied), in order. */
  onRecord?: (record: EgressRecord) => void;
  /** Keep-alive agents for repeated calls to the same destination (the MCP transport); default: one connection per request. */
  keepAlive?: boolean;
  /** A caller's pool to share (used for destinations of its protocol); its sockets still connect only to vetted addresses. */
  agent?: http.Agent;
}

export type EgressFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const systemResolver: EgressResolver = async (host) => dnsLookup(host, { all: true, verbatim: true });

/** Headers that may carry credentials or session state: not sent to a different origin after a redirect. */
const SAFE_ACROSS_ORIGINS = new Set(['accept', 'accept-language', 'content-type', 'content-length', 'user-agent', 'idempotency-key', 'mcp-protocol-version']);

export function egressDenied(deny: EgressDeny, hop: number): AirlockError {
  return new AirlockError('ERR_EGRESS_DENIED', deny.message, {
    status: 403,
    details: { reason: deny.reason, rule: deny.rule, hop, ...(deny.address === undefined ? {} : { address: deny.address, range: deny.range }) },
  });
}

function pinnedLookup(address: string, family: number): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all === true) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}

export interface Vetted {
  url: URL;
  address: string;
  family: number;
  rule: string;
}

/** Checks `url`, resolves its host and checks every address: the address to connect to, or ERR_EGRESS_DENIED (reported to onRecord). */
export async function vetDestination(url: URL, client: EgressClientOptions, hop: number): Promise<Vetted> {
  const record = (deny: EgressDeny, host: string, port: number): never => {
    client.onRecord?.({ destination: `${url.protocol}//${url.host}`, host, port, allowed: false, rule: deny.rule, reason: deny.reason, bytes_out: 0, bytes_in: 0, hop, ...(deny.address === undefined ? {} : { address: deny.address }) });
    throw egressDenied(deny, hop);
  };
  const check = checkDestination(url, client.policy);
  if (!check.allowed) return record(check, url.hostname, Number(url.port) || 0);
  const { destination, rules } = check;
  let answers: Array<{ address: string; family: number }>;
  if (destination.literal) {
    answers = [{ address: destination.host, family: destination.host.includes(':') ? 6 : 4 }];
  } else {
    try {
      answers = await (client.resolver ?? systemResolver)(destination.host);
    } catch {
      answers = [];
    }
    if (answers.length === 0) {
      return record({ allowed: false, reason: 'egress.resolution_failed', rule: BUILTIN_RULES.resolution, message: `${destination.host} did not resolve` }, destination.host, destination.port);
    }
  }
  // Every address must pass: a name that resolves to one public and one private address is refused.
  let first: { address: string; family: number; rule: string } | undefined;
  for (const answer of answers) {
    const verdict = checkAddress(answer.address, rules);
    if (!verdict.allowed) return record(verdict, destination.host, destination.port);
    first ??= { address: verdict.address, family: verdict.address.includes(':') ? 6 : 4, rule: verdict.rule };
  }
  const chosen = first as { address: string; family: number; rule: string };
  return { url, address: chosen.address, family: chosen.family, rule: chosen.rule };
}

function headerRecord(headers: RequestInit['headers']): Headers {
  return new Headers(headers ?? {});
}

async function bodyBytes(body: RequestInit['body']): Promise<Uint8Array | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('the operation was aborted', 'AbortError');
}

/** Sends one request to a vetted address; resolves with the response head (the body streams). */
function send(vetted: Vetted, method: string, headers: Headers, body: Uint8Array | undefined, signal: AbortSignal | undefined, agent: http.Agent | false): Promise<{ response: IncomingMessage; counts: () => { out: number; in: number } }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const outgoing: Record<string, string> = {};
    headers.forEach((value, name) => {
      outgoing[name] = value;
    });
    if (body !== undefined) outgoing['content-length'] = String(body.byteLength);
    const secure = vetted.url.protocol === 'https:';
    const options: http.RequestOptions & { autoSelectFamily: boolean } = {
      method,
      headers: outgoing,
      agent,
      lookup: pinnedLookup(vetted.address, vetted.family),
      // Happy eyeballs would call lookup for more families; there is one vetted address.
      autoSelectFamily: false,
      ...(signal === undefined ? {} : { signal }),
    };
    const request = (secure ? https : http).request(vetted.url, options);
    let socketOut = 0;
    let socketIn = 0;
    let baseOut = 0;
    let baseIn = 0;
    let socket: Socket | undefined;
    request.on('socket', (s) => {
      socket = s;
      baseOut = s.bytesWritten;
      baseIn = s.bytesRead;
    });
    const counts = () => {
      if (socket !== undefined) {
        socketOut = Math.max(socketOut, socket.bytesWritten - baseOut);
        socketIn = Math.max(socketIn, socket.bytesRead - baseIn);
      }
      return { out: socketOut, in: socketIn };
    };
    request.on('response', (response) => resolve({ response, counts }));
    request.on('error', (error) => reject(signal?.aborted === true ? abortReason(signal) : error));
    request.end(body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** How long a cancelled body may take to finish draining before its socket is closed instead of reused. */
const DRAIN_MS = 1000;

/**
 * The body as a web stream. Cancelling it drains what is left (an empty or finished body
 * keeps its keep-alive socket, as fetch does) and closes the socket if the rest does not
 * arrive promptly (an endless stream).
 */
function bodyStream(response: IncomingMessage): ReadableStream<Uint8Array> {
  const web = Readable.toWeb(response) as ReadableStream<Uint8Array>;
  const reader = web.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel() {
      reader.releaseLock();
      // Read to the end (also a body already complete but not yet consumed: its socket is freed at 'end').
      response.resume();
      if (response.complete) return;
      const timer = setTimeout(() => response.destroy(), DRAIN_MS);
      timer.unref();
      response.once('end', () => clearTimeout(timer));
      response.once('close', () => clearTimeout(timer));
    },
  });
}

/** Largest redirect body read before its connection is closed instead of reused (nobody reads it). */
export const MAX_REDIRECT_BODY_BYTES = 64 * 1024;

/**
 * Reads a redirect's body to its end so a keep-alive socket can be reused — at most
 * MAX_REDIRECT_BODY_BYTES and DRAIN_MS: an endless or slow body closes the connection
 * instead (a hostile server must not make the client read without bound).
 */
function drainRedirect(response: IncomingMessage): Promise<void> {
  return new Promise<void>((done) => {
    let read = 0;
    const timer = setTimeout(() => response.destroy(), DRAIN_MS);
    const finish = () => {
      clearTimeout(timer);
      done();
    };
    response.on('data', (chunk: Buffer) => {
      read += chunk.byteLength;
      if (read > MAX_REDIRECT_BODY_BYTES) response.destroy();
    });
    response.once('end', finish);
    response.once('close', finish);
    response.once('error', finish);
    response.resume();
  });
}

function toResponse(response: IncomingMessage, url: URL, onEnd: () => void): Response {
  const status = response.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    try {
      headers.append(response.rawHeaders[i] as string, response.rawHeaders[i + 1] as string);
    } catch {
      // a header fetch would refuse is dropped
    }
  }
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  response.on('end', end);
  response.on('close', end);
  // An empty body is drained at once, so a keep-alive socket returns to its pool even if nobody reads it.
  const nullBody = NULL_BODY.has(status) || response.headers['content-length'] === '0';
  if (nullBody) response.resume();
  const body = nullBody ? null : bodyStream(response);
  const out = new Response(body, { status: status < 200 || status > 599 ? 502 : status, headers });
  Object.defineProperty(out, 'url', { value: url.href });
  return out;
}

/**
 * A socket `lookup` for connections to `url` (a keep-alive agent's): every new connection
 * vets the destination again and connects to the address it vetted. Node does not call
 * lookup for IP literals: vet those with vetDestination before connecting.
 */
export function pinningLookup(url: URL, options: EgressClientOptions): LookupFunction {
  return ((_host: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    vetDestination(url, options, 0).then(
      ({ address, family }) => {
        if (lookupOptions?.all === true) callback(null, [{ address, family }]);
        else callback(null, address, family);
      },
      (error: unknown) => callback(error),
    );
  }) as LookupFunction;
}

/** A fetch-shaped function that reaches only what `options.policy` admits (see the module comment). */
export function createEgressFetch(options: EgressClientOptions): EgressFetch & { close(): void } {
  const agents = options.keepAlive === true ? { http: new http.Agent({ keepAlive: true, timeout: 4000 }), https: new https.Agent({ keepAlive: true, timeout: 4000 }) } : null;
  const egressFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : null;
    let url: URL;
    try {
      url = new URL(request?.url ?? String(input));
    } catch {
      const deny: EgressDeny = { allowed: false, reason: 'egress.invalid_url', rule: BUILTIN_RULES.url, message: 'the destination is not a valid url' };
      options.onRecord?.({ destination: 'invalid', host: '', port: 0, allowed: false, rule: deny.rule, reason: deny.reason, bytes_out: 0, bytes_in: 0, hop: 0 });
      throw egressDenied(deny, 0);
    }
    let method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    let headers = headerRecord(init.headers ?? request?.headers);
    let body = await bodyBytes(init.body ?? (request?.body === null || request === null ? undefined : await request.arrayBuffer()));
    const signal = init.signal ?? request?.signal ?? undefined;
    const redirect = init.redirect ?? 'follow';
    for (let hop = 0; ; hop++) {
      const vetted = await vetDestination(url, options, hop);
      const shared = options.agent !== undefined && (options.agent as { protocol?: string }).protocol === url.protocol ? options.agent : undefined;
      const agent = shared ?? (agents === null ? false : url.protocol === 'https:' ? agents.https : agents.http);
      let sent: Awaited<ReturnType<typeof send>>;
      try {
        sent = await send(vetted, method, headers, body, signal, agent);
      } catch (error) {
        options.onRecord?.({ destination: `${url.protocol}//${url.host}`, host: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80), address: vetted.address, allowed: true, rule: vetted.rule, bytes_out: 0, bytes_in: 0, hop });
        throw error;
      }
      const { response, counts } = sent;
      const status = response.statusCode ?? 0;
      const base = { destination: `${url.protocol}//${url.host}`, host: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80), address: vetted.address, allowed: true, rule: vetted.rule, status, hop };
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined && redirect !== 'manual') {
        await drainRedirect(response);
        const { out, in: read } = counts();
        options.onRecord?.({ ...base, bytes_out: out, bytes_in: read });
        if (redirect === 'error') throw new TypeError('redirect refused (redirect: error)');
        if (hop >= options.policy.maxRedirects) {
          const deny: EgressDeny = { allowed: false, reason: 'egress.redirect_limit', rule: BUILTIN_RULES.redirects, message: `more than ${options.policy.maxRedirects} redirects` };
          throw egressDenied(deny, hop + 1);
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw egressDenied({ allowed: false, reason: 'egress.redirect_invalid', rule: BUILTIN_RULES.redirects, message: 'the redirect location is not a valid url' }, hop + 1);
        }
        if (next.origin !== url.origin) {
          const kept = new Headers();
          headers.forEach((value, name) => {
            if (SAFE_ACROSS_ORIGINS.has(name)) kept.set(name, value);
          });
          headers = kept;
        }
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
          headers.delete('content-type');
          headers.delete('content-length');
        }
        url = next;
        continue;
      }
      return toResponse(response, url, () => {
        const { out, in: read } = counts();
        options.onRecord?.({ ...base, bytes_out: out, bytes_in: read });
      });
    }
  };
  return Object.assign(egressFetch, {
    close() {
      agents?.http.destroy();
      agents?.https.destroy();
    },
  });
}
