/**
 * The `mcp:` section of airlock.yaml after normalization: the upstream MCP servers the
 * gateway fronts, how their tools are classed and admitted, and the MCP doors' settings.
 */
import type { EgressRuleConfig, SideEffectClass } from '../core/types.ts';
import type { SandboxSettings } from './types.ts';

/** Per-tool settings for one upstream tool (keyed by the upstream's own tool name). */
export interface McpToolOverride {
  sideEffect?: SideEffectClass;
  /** Target resource: its Cedar type and the argument naming it. */
  resource?: { type: string; argument?: string };
  outputTrust?: 'trusted' | 'untrusted';
  idempotent?: boolean;
  timeoutMs?: number;
}

export type McpTransportConfig =
  /** `env` values are literal or secret references (`env:NAME`, `file:PATH`), resolved at start. */
  | {
      type: 'stdio';
      command: string;
      args: string[];
      env: Record<string, string>;
      cwd?: string;
      /** Run the upstream under the bubblewrap sandbox (docs/sandbox.md); absent: unsandboxed. */
      sandbox?: SandboxSettings;
    }
  /** Streamable HTTP. Header values that carry credentials are secret references. */
  | { type: 'http'; url: string; headers: Record<string, string>; /** Own egress allowlist (replaces the global `egress.allow`). */ egress?: EgressRuleConfig[] };

export interface McpUpstreamConfig {
  /** Namespace of the upstream's tools (`<prefix>.<tool>`), its pins and its connector id (`mcp:<prefix>`). */
  prefix: string;
  /** `none` exposes tool and prompt names unprefixed; allowed only for a single upstream. */
  namespace: 'prefixed' | 'none';
  transport: McpTransportConfig;
  /** Trust tier of everything read from this upstream (tool results, resources, prompts). */
  trust: 'trusted' | 'untrusted';
  /** Side-effect class of tools without an override (upstream annotations can only raise it). */
  sideEffect: SideEffectClass;
  /** `manual`: every definition waits for an operator. `first_use`: a new, clean definition is admitted when first seen. */
  approval: 'manual' | 'first_use';
  timeoutMs: number;
  tools: Record<string, McpToolOverride>;
}

export interface McpConfig {
  /** Token of the principal the stdio door (`airlock mcp`) acts as (secret reference). */
  identityToken?: string;
  /** Re-list every upstream's tools this often (0: only when an upstream announces a change). */
  relistSeconds: number;
  connectTimeoutMs: number;
  http: {
    /** Host header values accepted on /mcp (DNS rebinding protection); null: any. */
    allowedHosts: string[] | null;
    /** Origin header values accepted on /mcp when a request carries one; null: any. */
    allowedOrigins: string[] | null;
    maxSessions: number;
    /** Sessions one principal may hold; opening one more closes its least recently used. */
    maxSessionsPerPrincipal: number;
    sessionIdleSeconds: number;
  };
  upstreams: McpUpstreamConfig[];
}
