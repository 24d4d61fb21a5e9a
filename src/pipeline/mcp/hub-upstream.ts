/**
 * One upstream as the MCP hub holds it: its connection, the tools it serves now (pinned),
 * its resources, templates and prompts, and why listed tools are refused. Also how it is
 * listed (connecting first when needed, every tool pinned, removals noted), how a call is
 * forwarded to it, and the backoff with which a lost upstream is reconnected.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonValue } from '../../core/canonical.ts';
import type { Clock } from '../../core/clock.ts';
import { toAirlockError } from '../../core/errors.ts';
import type { AuditEventInput, ConnectorCall } from '../../core/types.ts';
import type { EgressConfig, McpUpstreamConfig } from '../../config/types.ts';
import type { PinStore } from '../../mcp/index.ts';
import { GET_PROMPT, READ_RESOURCE } from '../../mcp/index.ts';
import { CallSecrets, redactSecrets } from '../call-secrets.ts';
import { currentMcpCallContext } from './call-context.ts';
import type { LiveTool } from './hub-admission.ts';
import { pinListedTool } from './hub-admission.ts';
import type { UpstreamContent } from './hub-content.ts';
import type { FaultHandler } from './hub-events.ts';
import { hubEvent } from './hub-events.ts';
import type { SecretResolver, UpstreamEvents } from './upstream.ts';
import { UpstreamConnection } from './upstream.ts';

export interface UpstreamState extends UpstreamContent {
  config: McpUpstreamConfig;
  conn: UpstreamConnection;
  /** Upstream tool name -> what the upstream serves now. */
  live: Map<string, LiveTool>;
  /** Why a listed tool is not exposed (name -> reason), reported once per reason. */
  refused: Map<string, string>;
  available: boolean;
  /** The current outage was told to the operator's log (once per outage, not per retry). */
  downLogged: boolean;
  syncing: Promise<void> | null;
}

/** A configured upstream, not connected yet. */
export function newUpstreamState(config: McpUpstreamConfig, events: UpstreamEvents, resolveSecret: SecretResolver, egress?: EgressConfig): UpstreamState {
  return {
    config,
    live: new Map(),
    resources: [],
    templates: [],
    prompts: [],
    refused: new Map(),
    available: false,
    downLogged: false,
    syncing: null,
    conn: new UpstreamConnection(config, events, resolveSecret, egress),
  };
}

export interface ListingEnv {
  connectTimeoutMs: number;
  pins: PinStore;
  clock: Clock;
  configTools: ReadonlySet<string>;
  /** Tool names of the config and of the other upstreams, read when the listing has arrived. */
  otherToolNames: () => string[];
  record: (events: AuditEventInput[]) => void;
  onFault: FaultHandler;
}

/**
 * Connects to the upstream if needed (recording that it connected, or that it is
 * unavailable when that is news) and lists its tools, pinning each. Returns what it serves
 * now and the audit events of the listing (removed tools included), for the caller to
 * install; null when it could not be listed (unreachable, or the listing failed: a fault).
 */
export async function listUpstreamTools(upstream: UpstreamState, env: ListingEnv): Promise<{ live: Map<string, LiveTool>; events: AuditEventInput[] } | null> {
  const prefix = upstream.config.prefix;
  if (!upstream.conn.connected) {
    try {
      await upstream.conn.connect(env.connectTimeoutMs);
    } catch (error) {
      if (upstream.available || upstream.live.size === 0) {
        env.record([hubEvent('mcp.upstream.unavailable', { upstream: prefix, code: toAirlockError(error).code })]);
      }
      // In the operator's log too, once per outage, with the process's stderr tail (secrets redacted).
      if (!upstream.downLogged) {
        upstream.downLogged = true;
        env.onFault(`connect ${prefix}`, error);
      }
      upstream.available = false;
      return null;
    }
    upstream.available = true;
    upstream.downLogged = false;
    env.record([hubEvent('mcp.upstream.connected', { upstream: prefix, transport: upstream.config.transport.type })]);
  }
  let tools: Tool[];
  try {
    tools = await upstream.conn.listTools();
  } catch (error) {
    env.onFault(`list tools of ${prefix}`, error);
    return null;
  }
  const events: AuditEventInput[] = [];
  const context = { upstream: upstream.config, refused: upstream.refused, configTools: env.configTools, otherNames: env.otherToolNames(), pins: env.pins, clock: env.clock };
  const live = new Map<string, LiveTool>();
  for (const listed of tools) {
    const pinned = await pinListedTool(context, listed, events);
    if (pinned !== null) live.set(pinned.definition.name, pinned);
  }
  for (const [name, old] of upstream.live) {
    if (!live.has(name)) events.push(hubEvent('mcp.tool.removed', { upstream: prefix, tool: name, name: old.exposed, hash: old.hash }));
  }
  return { live, events };
}

/** Lists the upstream's resources and templates, or its prompts, into its state (throws when the listing fails). */
export async function listUpstreamContent(upstream: UpstreamState, kind: 'resources' | 'prompts'): Promise<void> {
  if (kind === 'resources') {
    upstream.resources = await upstream.conn.listResources();
    upstream.templates = await upstream.conn.listResourceTemplates();
  } else {
    upstream.prompts = await upstream.conn.listPrompts();
  }
}

/** Exposed name -> its upstream and live tool, over every upstream. */
export function indexTools(upstreams: Iterable<UpstreamState>): Map<string, { prefix: string; live: LiveTool }> {
  const index = new Map<string, { prefix: string; live: LiveTool }>();
  for (const u of upstreams) for (const live of u.live.values()) index.set(live.exposed, { prefix: u.config.prefix, live });
  return index;
}

/**
 * The config's tool names and the tool names every other upstream serves, each as the
 * upstream calls it and as clients see it (`mail.send_email`), for the shadowing scan of
 * `prefix`'s tools.
 */
export function otherToolNames(upstreams: Iterable<UpstreamState>, configTools: ReadonlySet<string>, prefix: string): string[] {
  const names = [...configTools];
  for (const u of upstreams) {
    if (u.config.prefix !== prefix) for (const [name, live] of u.live) names.push(name, ...(live.exposed === name ? [] : [live.exposed]));
  }
  return names;
}

export interface UpstreamStatus {
  prefix: string;
  connected: boolean;
  tools: number;
  refused: Record<string, string>;
  /** When not connected: why the last attempt failed, and what the process wrote to stderr (secrets redacted). */
  last_error?: string;
  stderr_tail?: string;
}

/** An upstream's status for operators: connected, tools served, tools refused and why; why it is not connected. */
export function upstreamStatus(u: UpstreamState): UpstreamStatus {
  const status: UpstreamStatus = { prefix: u.config.prefix, connected: u.conn.connected, tools: u.live.size, refused: Object.fromEntries(u.refused) };
  if (!u.conn.connected) {
    if (u.conn.lastError !== null) status.last_error = u.conn.lastError;
    const tail = u.conn.stderrTail.trim();
    if (tail !== '') status.stderr_tail = tail;
  }
  return status;
}

type ProgressListener = (progress: { progress: number; total?: number; message?: string }) => void;

/**
 * The door's progress listener behind a scrub of the upstream's progress message: it is
 * upstream text relayed to the caller as it arrives (the inspect phase never sees it), so
 * the secrets the gateway presents to the upstream are replaced there as in a result.
 */
export function scrubbedProgress(secretValues: readonly string[], listener: ProgressListener): ProgressListener {
  const secrets = new CallSecrets();
  for (const value of secretValues) secrets.add('upstream_secret', value);
  if (secrets.size === 0) return listener;
  return (p) => {
    if (p.message === undefined) return listener(p);
    const message = redactSecrets(secrets, { value: p.message }).value;
    listener({ ...p, message: typeof message === 'string' ? message : '' });
  };
}

/**
 * Forwards a call of `tool` (an upstream tool, or the gateway's resources/read or
 * prompts/get) to the upstream, cancelled by the call's signal or the MCP door's, with the
 * door's progress reporting when there is one (its messages scrubbed of the upstream's secrets).
 */
export async function forwardCall(conn: UpstreamConnection, tool: string, call: ConnectorCall): Promise<JsonValue> {
  const context = currentMcpCallContext();
  const signal = context?.signal === undefined ? call.signal : AbortSignal.any([call.signal, context.signal]);
  const options = {
    signal,
    timeout: call.tool.timeoutMs,
    ...(context?.onProgress === undefined ? {} : { onprogress: scrubbedProgress(conn.secretValues, context.onProgress), resetTimeoutOnProgress: false }),
  };
  const args = call.arguments;
  if (tool === READ_RESOURCE) return conn.readResource(String(args.uri), options);
  if (tool === GET_PROMPT) {
    const promptArgs = (args.arguments ?? {}) as Record<string, string>;
    return conn.getPrompt({ name: String(args.name), arguments: promptArgs }, options);
  }
  // The caller's token never goes upstream: only the validated arguments and the gateway's ids.
  // W3C trace context travels in _meta, as the MCP semantic conventions propose.
  return conn.callTool({ name: tool, arguments: args, _meta: { 'airlock/action_id': call.actionId, ...call.traceHeaders } }, options);
}

/** Reconnection attempts, per upstream: one pending at a time, the delay doubling (at most `maxDelayMs`) until one connects. */
export class ReconnectSchedule {
  readonly #pending = new Map<string, NodeJS.Timeout>();
  readonly #maxDelayMs: number;
  #closed = false;

  constructor(maxDelayMs = 60_000) {
    this.#maxDelayMs = maxDelayMs;
  }

  /**
   * Runs `attempt` for `prefix` in `delayMs` (unless an attempt is already pending); when it
   * resolves false (still not connected) the next one follows after twice the delay.
   */
  schedule(prefix: string, delayMs: number, attempt: () => Promise<boolean>): void {
    if (this.#closed || this.#pending.has(prefix)) return;
    const timer = setTimeout(() => {
      this.#pending.delete(prefix);
      if (this.#closed) return;
      void attempt().then((connected) => {
        if (!connected) this.schedule(prefix, Math.min(this.#maxDelayMs, delayMs * 2), attempt);
      });
    }, delayMs);
    timer.unref();
    this.#pending.set(prefix, timer);
  }

  /** Cancels pending attempts; none is scheduled afterwards. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#pending.values()) clearTimeout(timer);
  }
}
