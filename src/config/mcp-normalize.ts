/** Defaults and camelCase for the `mcp:` section (see docs/mcp.md for every default). */
import { isAbsolute, resolve } from 'node:path';
import type { SideEffectClass } from '../core/types.ts';
import { egressRules, sandboxSettings } from './isolation-normalize.ts';
import type { McpConfig, McpToolOverride, McpUpstreamConfig } from './mcp-types.ts';

export const MCP_DEFAULTS = {
  relistSeconds: 300,
  connectTimeoutMs: 10_000,
  timeoutMs: 30_000,
  maxSessions: 1000,
  maxSessionsPerPrincipal: 32,
  sessionIdleSeconds: 1800,
  sideEffect: 'write',
  trust: 'untrusted',
  approval: 'manual',
} as const;

type Raw = Record<string, unknown>;

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

function record(value: unknown): Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
}

function tool(raw: Raw): McpToolOverride {
  const out: McpToolOverride = {};
  if (raw.side_effect !== undefined) out.sideEffect = raw.side_effect as SideEffectClass;
  if (raw.resource !== undefined) {
    const r = record(raw.resource);
    out.resource = { type: r.type as string, ...(r.argument === undefined ? {} : { argument: r.argument as string }) };
  }
  if (raw.output_trust !== undefined) out.outputTrust = raw.output_trust as 'trusted' | 'untrusted';
  if (raw.idempotent !== undefined) out.idempotent = raw.idempotent as boolean;
  if (raw.timeout_ms !== undefined) out.timeoutMs = raw.timeout_ms as number;
  return out;
}

function upstream(raw: Raw, baseDir: string): McpUpstreamConfig {
  const transport: McpUpstreamConfig['transport'] =
    raw.url !== undefined
      ? {
          type: 'http',
          url: raw.url as string,
          headers: { ...(record(raw.headers) as Record<string, string>) },
          ...(raw.egress === undefined ? {} : { egress: egressRules(raw.egress) }),
        }
      : {
          type: 'stdio',
          command: raw.command as string,
          args: [...((raw.args as string[] | undefined) ?? [])],
          env: { ...(record(raw.env) as Record<string, string>) },
          ...(raw.cwd === undefined ? {} : { cwd: isAbsolute(raw.cwd as string) ? (raw.cwd as string) : resolve(baseDir, raw.cwd as string) }),
          ...(raw.sandbox === undefined || raw.sandbox === false ? {} : { sandbox: sandboxSettings(raw.sandbox === true ? {} : raw.sandbox, baseDir) }),
        };
  return {
    prefix: raw.prefix as string,
    namespace: (raw.namespace as 'prefixed' | 'none' | undefined) ?? 'prefixed',
    transport,
    trust: (raw.trust as 'trusted' | 'untrusted' | undefined) ?? MCP_DEFAULTS.trust,
    sideEffect: (raw.side_effect as SideEffectClass | undefined) ?? MCP_DEFAULTS.sideEffect,
    approval: (raw.approval as 'manual' | 'first_use' | undefined) ?? MCP_DEFAULTS.approval,
    timeoutMs: (raw.timeout_ms as number | undefined) ?? MCP_DEFAULTS.timeoutMs,
    tools: Object.fromEntries(Object.entries(record(raw.tools)).map(([name, t]) => [name, tool(record(t))])),
  };
}

/** The `mcp` section with defaults; `serverHost` decides the default Host allowlist of /mcp. */
export function normalizeMcp(raw: unknown, baseDir: string, serverHost: string): McpConfig {
  const mcp = record(raw);
  const http = record(mcp.http);
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(serverHost);
  const out: McpConfig = {
    relistSeconds: (mcp.relist_seconds as number | undefined) ?? MCP_DEFAULTS.relistSeconds,
    connectTimeoutMs: (mcp.connect_timeout_ms as number | undefined) ?? MCP_DEFAULTS.connectTimeoutMs,
    http: {
      // A loopback listener answers loopback names only (DNS rebinding); with any other bind address the operator lists hosts.
      allowedHosts: http.allowed_hosts !== undefined ? [...(http.allowed_hosts as string[])] : loopback ? [...LOOPBACK_HOSTS] : null,
      allowedOrigins: http.allowed_origins !== undefined ? [...(http.allowed_origins as string[])] : null,
      maxSessions: (http.max_sessions as number | undefined) ?? MCP_DEFAULTS.maxSessions,
      maxSessionsPerPrincipal: (http.max_sessions_per_principal as number | undefined) ?? MCP_DEFAULTS.maxSessionsPerPrincipal,
      sessionIdleSeconds: (http.session_idle_seconds as number | undefined) ?? MCP_DEFAULTS.sessionIdleSeconds,
    },
    upstreams: ((mcp.upstreams as Raw[] | undefined) ?? []).map((u) => upstream(record(u), baseDir)),
  };
  if (typeof mcp.identity_token === 'string') out.identityToken = mcp.identity_token;
  return out;
}
