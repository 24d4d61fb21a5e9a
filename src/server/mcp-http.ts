/**
 * The streamable-HTTP MCP door at `/mcp` (POST, GET, DELETE), on the SDK's web-standard
 * transport. Every request:
 *
 * 1. passes DNS-rebinding protection: its Host (and Origin, when sent) must be allowed —
 *    by default a loopback listener answers loopback names only (`mcp.http`), else 403;
 * 2. carries `Authorization: Bearer <JWT>`, verified like every /v1 call (401 otherwise).
 *    The token's principal is the caller of everything in that request; the token is never
 *    passed to an upstream;
 * 3. belongs to an MCP session (`Mcp-Session-Id`, created by `initialize`) that is bound to
 *    the principal that opened it (issuer, tenant, user and acting agent): another principal
 *    presenting the id gets 404, exactly as for an unknown session. Sessions are capped
 *    (`max_sessions`, and `max_sessions_per_principal` per principal: opening one more closes
 *    that principal's least recently used) and closed when idle.
 */
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import type { Context } from 'hono';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isAirlockError } from '../core/errors.ts';
import type { Principal } from '../core/types.ts';
import type { Gateway, McpHub } from '../pipeline/index.ts';
import { parseBearer } from '../pipeline/index.ts';
import type { McpDoorSession } from './mcp-door.ts';
import { createMcpDoorSession } from './mcp-door.ts';
import { SessionEventStore } from './mcp-events.ts';
import { hostnameOf } from './host.ts';

export interface McpHttpOptions {
  hub: McpHub;
  /** Base URL shown to callers for approvals (default: the request's own origin). */
  approvalsBaseUrl?: string;
}

interface HttpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  door: McpDoorSession;
  owner: string;
  lastSeen: number;
}

/**
 * Who an MCP session belongs to: issuer, tenant, user and acting agent, the same four the
 * gateway's own sessions are bound to (sessions/owner.ts) — so the same user acting as another
 * agent (or with no agent) can neither use, read the stream of, nor end this session.
 */
function ownerKey(principal: Principal): string {
  return JSON.stringify([principal.issuer, principal.tenant, principal.user, principal.agent ?? null]);
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** DNS-rebinding check: null when the request's Host and Origin are acceptable, else why not. */
export function rebindingProblem(request: Request, allowedHosts: string[] | null, allowedOrigins: string[] | null): string | null {
  const host = request.headers.get('host');
  if (allowedHosts !== null && (host === null || !allowedHosts.includes(hostnameOf(host)))) return 'host not allowed';
  const origin = request.headers.get('origin');
  if (origin === null) return null;
  if (allowedOrigins !== null) return allowedOrigins.includes(origin) ? null : 'origin not allowed';
  if (allowedHosts === null) return null;
  try {
    const url = new URL(origin);
    return allowedHosts.includes(url.hostname.toLowerCase()) || allowedHosts.includes(`[${url.hostname.toLowerCase()}]`) ? null : 'origin not allowed';
  } catch {
    return 'origin not allowed';
  }
}

export function mountMcp(app: Hono<never>, gateway: Gateway, options: McpHttpOptions): { close(): Promise<void> } {
  const http = options.hub.config.http;
  const sessions = new Map<string, HttpSession>();
  const closeSession = async (id: string) => {
    const session = sessions.get(id);
    if (session === undefined) return;
    sessions.delete(id);
    await session.door.dispose();
    await session.transport.close().catch(() => undefined);
  };
  const sweep = setInterval(() => {
    const idleBefore = Date.now() - http.sessionIdleSeconds * 1000;
    for (const [id, session] of sessions) if (session.lastSeen < idleBefore) void closeSession(id);
  }, Math.min(60_000, http.sessionIdleSeconds * 1000));
  sweep.unref();

  const handle = async (c: Context): Promise<Response> => {
    const request = c.req.raw;
    const problem = rebindingProblem(request, http.allowedHosts, http.allowedOrigins);
    if (problem !== null) return jsonRpcError(403, -32000, `forbidden: ${problem}`);

    let token: string;
    let principal: Principal;
    try {
      token = parseBearer(request.headers.get('authorization') ?? undefined);
      principal = await gateway.authenticate(token);
    } catch (error) {
      if (isAirlockError(error) && error.status === 401) {
        return jsonRpcError(401, -32001, `unauthorized (${error.code})`, { 'www-authenticate': 'Bearer realm="airlock"' });
      }
      throw error;
    }
    const owner = ownerKey(principal);
    const authInfo = { token, clientId: principal.user, scopes: [], extra: { tenant: principal.tenant } };

    const id = request.headers.get('mcp-session-id');
    if (id !== null) {
      const session = sessions.get(id);
      if (session === undefined || session.owner !== owner) return jsonRpcError(404, -32001, 'session not found');
      session.lastSeen = Date.now();
      const response = await session.transport.handleRequest(request, { authInfo });
      if (request.method === 'DELETE') await closeSession(id);
      return response;
    }

    if (request.method !== 'POST') return jsonRpcError(400, -32000, 'bad request: no mcp session id');
    // One principal's sessions are bounded on their own: opening one more closes its least
    // recently used (a client that reconnects without ending its sessions only displaces its
    // own), so no single principal can fill the gateway-wide cap and lock every tenant out.
    const held = [...sessions].filter(([, s]) => s.owner === owner);
    if (held.length >= http.maxSessionsPerPrincipal) {
      const [oldest] = held.reduce((a, b) => (b[1].lastSeen < a[1].lastSeen ? b : a));
      await closeSession(oldest);
    }
    if (sessions.size >= http.maxSessions) return jsonRpcError(503, -32000, 'too many mcp sessions', { 'retry-after': '5' });
    const base = options.approvalsBaseUrl ?? new URL(request.url).origin;
    const door = createMcpDoorSession({
      gateway,
      hub: options.hub,
      approvalsBaseUrl: base,
      token: (extra) => {
        const given = extra.authInfo?.token;
        if (typeof given !== 'string') throw new Error('no token on this request');
        return given;
      },
    });
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: gateway.config.server.bodyLimitBytes,
      // Resumable streams: a client that lost its stream reconnects with Last-Event-ID.
      eventStore: new SessionEventStore(),
      retryInterval: 1000,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, door, owner, lastSeen: Date.now() });
      },
      onsessionclosed: (sessionId) => void closeSession(sessionId),
    });
    await door.server.connect(transport);
    const response = await transport.handleRequest(request, { authInfo });
    if (transport.sessionId === undefined) {
      // Not an initialize request (or a refused one): nothing to keep.
      await door.dispose();
      await transport.close().catch(() => undefined);
    }
    return response;
  };

  app.all('/mcp', handle);
  return {
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.keys()].map((id) => closeSession(id)));
    },
  };
}
