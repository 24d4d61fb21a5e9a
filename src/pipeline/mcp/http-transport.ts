/**
 * The gateway's streamable-HTTP client transport to an upstream MCP server: the SDK's
 * transport, with the POST of a JSON-RPC request sent on a pooled keep-alive connection
 * (node:http / node:https) and its answer — a JSON body or an SSE stream — read directly.
 * A tool call is the gateway's hot path; the SDK's transport goes through fetch and web
 * streams, which costs about as much again as the rest of the round trip.
 *
 * Everything else stays with the SDK's transport: `initialize` and the session id it
 * returns, notifications and responses the gateway sends, the standalone GET stream that
 * carries the upstream's notifications (tools/list_changed: the rug-pull defence), redirects,
 * session termination, and resuming a request's stream that ended before its response (the
 * SDK's resumption with Last-Event-ID). Messages from both paths reach `onmessage` validated
 * against the JSON-RPC schema, in the order they arrive on each stream.
 *
 * Egress (docs/egress.md): both paths reach only what the upstream's egress policy admits.
 * The pooled connections vet the destination and connect to the vetted address (a pinning
 * socket lookup; an IP literal is vetted at start); the SDK's requests go through the egress
 * client (redirects re-checked hop by hop). Each POST is reported, with its bytes, to the
 * telemetry of the call it serves (`egressScope`, set around a tool call by the hub).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { createParser } from 'eventsource-parser';
import type { EgressHop } from '../../core/types.ts';
import type { EgressClientOptions } from '../../tools/index.ts';
import { createEgressFetch, pinningLookup, vetDestination } from '../../tools/index.ts';

/** The egress reporter of the tool call being forwarded (set by the hub around the call). */
export const egressScope = new AsyncLocalStorage<(hop: EgressHop) => void>();

/** Most bytes of a JSON (not streamed) answer read before the request fails. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** Most bytes of one SSE event. */
const MAX_EVENT_BYTES = 64 * 1024 * 1024;
/** Wait before resuming a request's stream that ended early, unless the server said otherwise (`retry:`). */
const DEFAULT_RESUME_MS = 1000;
/**
 * Idle pooled connections are closed after this long (as fetch does), or earlier when the
 * server announces a shorter keep-alive, so a request rarely meets a connection the server
 * has just closed. A call in progress is not affected, however long it runs.
 */
const IDLE_SOCKET_MS = 4000;

export interface UpstreamHttpTransportOptions {
  /** Headers sent on every request (resolved secrets: never logged). */
  headers: Record<string, string>;
  /** The upstream's egress policy (and resolver); hops are reported to the current call's scope too. */
  egress: EgressClientOptions;
}

function mediaType(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: string | number; method: string } {
  const m = message as { id?: unknown; method?: unknown };
  return typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number');
}

function isResponseTo(message: JSONRPCMessage, id: string | number): boolean {
  const m = message as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
  return m.method === undefined && m.id === id && ('result' in m || 'error' in m);
}

export class UpstreamHttpTransport implements Transport {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #inner: StreamableHTTPClientTransport;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #open = new Set<http.ClientRequest>();
  readonly #egress: EgressClientOptions;
  readonly #report: ((hop: EgressHop) => void) | undefined;
  readonly #egressFetch: ReturnType<typeof createEgressFetch>;
  #protocolVersion: string | undefined;
  #retryMs: number | undefined;
  #closed = false;
  #resumeTimers = new Set<NodeJS.Timeout>();

  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  constructor(url: URL, options: UpstreamHttpTransportOptions) {
    this.#url = url;
    this.#headers = options.headers;
    const report = options.egress.onRecord;
    this.#report = report;
    this.#egress = {
      ...options.egress,
      onRecord: (hop) => {
        report?.(hop);
        egressScope.getStore()?.(hop);
      },
    };

    const secure = url.protocol === 'https:';
    const pool = { keepAlive: true, timeout: IDLE_SOCKET_MS, lookup: pinningLookup(url, this.#egress) };
    this.#agent = secure ? new https.Agent(pool) : new http.Agent(pool);
    // The SDK's requests share the pool (and its pinning lookup) through the egress client.
    this.#egressFetch = createEgressFetch({ ...this.#egress, keepAlive: true, agent: this.#agent });
    this.#inner = new StreamableHTTPClientTransport(url, { requestInit: { headers: options.headers }, fetch: this.#egressFetch });
    this.#inner.onmessage = (message: JSONRPCMessage) => this.onmessage?.(message);
    this.#inner.onerror = (error) => this.onerror?.(error);
    this.#inner.onclose = () => this.onclose?.();
    this.#request = secure ? https.request : http.request;
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
    this.#inner.setProtocolVersion(version);
  }

  async start(): Promise<void> {
    // Refused destinations fail here, before anything is sent (and IP literals, which skip lookup, are vetted).
    await vetDestination(this.#url, this.#egress, 0);
    await this.#inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed || options?.resumptionToken !== undefined || !isRequest(message) || message.method === 'initialize') {
      return this.#inner.send(message, options);
    }
    return this.#post(message, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#resumeTimers) clearTimeout(timer);
    this.#resumeTimers.clear();
    for (const request of this.#open) request.destroy();
    this.#open.clear();
    this.#agent.destroy();
    this.#egressFetch.close();
    await this.#inner.close();
  }

  /** Resolves once the answer's status and headers are in (as the SDK's send does); the body is read after. */
  #post(message: JSONRPCMessage & { id: string | number }, options: TransportSendOptions | undefined): Promise<void> {
    const body = JSON.stringify(message);
    const headers: Record<string, string> = {
      ...this.#headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'content-length': String(Buffer.byteLength(body)),
    };
    const sessionId = this.#inner.sessionId;
    if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
    if (this.#protocolVersion !== undefined) headers['mcp-protocol-version'] = this.#protocolVersion;
    return new Promise<void>((resolve, reject) => {
      let answered = false;
      const request = this.#request(this.#url, { method: 'POST', agent: this.#agent, headers }, (response) => {
        answered = true;
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          // Redirects are the SDK's (followed within the origin); nothing was processed yet.
          response.resume();
          this.#inner.send(message, options).then(resolve, reject);
          return;
        }
        if (status < 200 || status >= 300) {
          readAll(response, 64 * 1024).then(
            (text) => reject(this.#failed(new StreamableHTTPError(status, `Error POSTing to endpoint: ${text}`))),
            () => reject(this.#failed(new StreamableHTTPError(status, 'Error POSTing to endpoint'))),
          );
          return;
        }
        const type = mediaType(response.headers['content-type']);
        if (status === 202 || (type !== 'text/event-stream' && type !== 'application/json')) {
          response.resume();
          if (status === 202) resolve();
          else reject(this.#failed(new StreamableHTTPError(-1, `Unexpected content type: ${String(response.headers['content-type'])}`)));
          return;
        }
        resolve();
        if (type === 'application/json') this.#readJson(response);
        else this.#readSse(response, message, options);
      });
      this.#open.add(request);
      this.#countBytes(request);
      request.on('close', () => this.#open.delete(request));
      // Before the answer: the send fails. After it, a broken connection is the body reader's to report.
      request.on('error', (error) => {
        if (!answered) reject(this.#failed(error));
      });
      request.end(body);
    });
  }

  /** Reports one POST as an egress hop with the bytes its (pooled) socket carried for it. */
  #countBytes(request: http.ClientRequest): void {
    const report = egressScope.getStore();
    let base = { out: 0, in: 0 };
    let status: number | undefined;
    request.on('socket', (socket) => {
      base = { out: socket.bytesWritten, in: socket.bytesRead };
    });
    request.on('response', (response) => {
      status = response.statusCode;
      response.once('close', () => {
        const socket = request.socket;
        const hop: EgressHop = {
          destination: `${this.#url.protocol}//${this.#url.host}`,
          host: this.#url.hostname,
          port: Number(this.#url.port) || (this.#url.protocol === 'https:' ? 443 : 80),
          ...(socket?.remoteAddress === undefined ? {} : { address: socket.remoteAddress }),
          allowed: true,
          rule: 'upstream',
          bytes_out: socket === null ? 0 : socket.bytesWritten - base.out,
          bytes_in: socket === null ? 0 : socket.bytesRead - base.in,
          ...(status === undefined ? {} : { status }),
          hop: 0,
        };
        this.#report?.(hop);
        report?.(hop);
      });
    });
  }

  #failed(error: Error): Error {
    this.onerror?.(error);
    return error;
  }

  /** Validates one message from the upstream and hands it on; null when it is not JSON-RPC. */
  #deliver(value: unknown): JSONRPCMessage | null {
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.onerror?.(new Error(`invalid JSON-RPC message from the upstream: ${parsed.error.message.slice(0, 200)}`));
      return null;
    }
    this.onmessage?.(parsed.data);
    return parsed.data;
  }

  #readJson(response: IncomingMessage): void {
    readAll(response, MAX_JSON_BYTES).then(
      (text) => {
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch (error) {
          this.onerror?.(error as Error);
          return;
        }
        for (const item of Array.isArray(data) ? data : [data]) this.#deliver(item);
      },
      (error: unknown) => this.onerror?.(error as Error),
    );
  }

  #readSse(response: IncomingMessage, message: JSONRPCMessage & { id: string | number }, options: TransportSendOptions | undefined): void {
    let answered = false;
    let lastEventId: string | undefined;
    // The SDK's own SSE parser library (what its transport reads streams with).
    const parser = createParser({
      maxBufferSize: MAX_EVENT_BYTES,
      onRetry: (ms) => {
        this.#retryMs = ms;
      },
      onError: (error) => {
        // Unknown fields and bad `retry` values are ignored, as the SSE spec says; an
        // event beyond the size limit ends the stream.
        if (error.type === 'max-buffer-size-exceeded') response.destroy(error);
      },
      onEvent: (event) => {
        if (event.id !== undefined) {
          lastEventId = event.id;
          options?.onresumptiontoken?.(event.id);
        }
        if ((event.event ?? 'message') !== 'message' || event.data === '') return; // priming events, keep-alives
        let value: unknown;
        try {
          value = JSON.parse(event.data);
        } catch (error) {
          this.onerror?.(error as Error);
          return;
        }
        // Marked before it is handed on: the caller may close the transport on its answer.
        if (isResponseTo(value as JSONRPCMessage, message.id)) answered = true;
        this.#deliver(value);
      },
    });
    response.setEncoding('utf8');
    let done = false;
    const ended = (error?: Error) => {
      if (done) return;
      done = true;
      if (answered || this.#closed) return;
      if (lastEventId !== undefined) {
        // The server ended the stream before the answer (e.g. to have the client poll): resume it.
        const timer = setTimeout(() => {
          this.#resumeTimers.delete(timer);
          if (!this.#closed) this.#inner.send(message, { ...options, resumptionToken: lastEventId }).catch((error: unknown) => this.onerror?.(error as Error));
        }, this.#retryMs ?? DEFAULT_RESUME_MS);
        this.#resumeTimers.add(timer);
        return;
      }
      this.onerror?.(new Error(`SSE stream disconnected${error === undefined ? '' : `: ${error.message}`}`));
    };
    response.on('data', (chunk: string) => {
      parser.feed(chunk);
    });
    response.on('end', () => ended());
    response.on('error', (error) => ended(error));
  }
}

function readAll(response: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        response.destroy(new Error('response too large'));
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}
