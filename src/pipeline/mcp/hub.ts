/**
 * The MCP hub: the gateway's side of every upstream MCP server. It connects to the
 * upstreams in the config, lists their tools, pins each definition (hash, poisoning scan,
 * pin store, audit events) and offers the gateway — as a ToolSource — a registered tool per
 * upstream tool, a connector that calls the upstream, and the admission check the resolve
 * phase runs before every call:
 *
 *   admitted  <=>  upstream connected, pin approved, the upstream serves exactly the
 *                  approved definition, and that definition is the one registered
 *
 * Re-listing (every `relist_seconds`, and whenever an upstream announces
 * `tools/list_changed`) detects changed definitions (rug pulls): the pin goes back to
 * pending, the tool disappears from listings and its calls are denied
 * (`mcp.definition_changed`, rule `builtin.mcp.pin`), and the change is an audit event.
 * When the set of registered definitions must change (a new tool, a re-approved
 * definition), the hub asks the gateway to re-register (registry and Cedar engine swapped
 * together). The hub also routes resources, prompts and completions to their upstream for
 * the MCP doors.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { CompleteRequest, Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonValue } from '../../core/canonical.ts';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { AirlockError, toAirlockError } from '../../core/errors.ts';
import type { AuditEventInput, Connector, ConnectorCall, RegisteredTool, ToolDefinition } from '../../core/types.ts';
import type { AirlockConfig, McpConfig, McpUpstreamConfig } from '../../config/types.ts';
import type { Finding, PinnedDefinition, PinDecider, PinRecord, PinStore } from '../../mcp/index.ts';
import {
  GET_PROMPT,
  READ_RESOURCE,
  definitionHash,
  exposedName,
  pinnedDefinition,
  scanDefinition,
} from '../../mcp/index.ts';
import { ToolRegistry } from '../../tools/index.ts';
import type { ToolRefusal } from '../env.ts';
import type { ToolSource, ToolSourceHost } from '../tool-source.ts';
import { currentMcpCallContext } from './call-context.ts';
import type { SessionContent, SessionContentSink } from './content.ts';
import { noSessionContent } from './content.ts';
import { loadBundleFromDir } from '../../policy/index.ts';
import { gatewayTools, placeholderDefinitions, referencedActions, toolDefinition } from './definitions.ts';
import type { SecretResolver } from './upstream.ts';
import { UpstreamConnection } from './upstream.ts';
import { GATEWAY_ACTOR, standaloneEvent } from '../events.ts';

export const PIN_RULE = 'builtin.mcp.pin';
/** The pinned hash recorded for a placeholder (a tool named by policy, not discovered yet). */
const PLACEHOLDER = 'placeholder';
export const UPSTREAM_RULE = 'builtin.mcp.upstream';

export const FIRST_USE: PinDecider = { kind: 'first_use', user: 'first-use', tenant: null, issuer: 'airlock', roles: [] };

interface LiveTool {
  definition: PinnedDefinition;
  hash: string;
  exposed: string;
  /** The upstream's listing entry, shown to clients under the exposed name. */
  listing: Tool;
}

interface UpstreamState {
  config: McpUpstreamConfig;
  conn: UpstreamConnection;
  /** Upstream tool name -> what the upstream serves now. */
  live: Map<string, LiveTool>;
  resources: Resource[];
  templates: ResourceTemplate[];
  prompts: Prompt[];
  /** Why a listed tool is not exposed (name -> reason), reported once per reason. */
  refused: Map<string, string>;
  available: boolean;
  syncing: Promise<void> | null;
}

interface Registered {
  definition: ToolDefinition;
  /** Hash of the pinned definition it was built from (null for the gateway's own tools). */
  pinnedHash: string | null;
}

export type HubChange = { kind: 'tools' | 'resources' | 'prompts' } | { kind: 'resource'; uri: string };

export interface McpHubOptions {
  pins: PinStore;
  clock?: Clock;
  resolveSecret: SecretResolver;
  /** Session content registration hook (see content.ts); default: nothing is registered. */
  sessionContent?: SessionContentSink;
  /** Told about hub faults that are not calls (a listing that failed, an event that could not be written). */
  onFault?: (what: string, error: unknown) => void;
}

export interface McpToolEntry {
  upstream: string;
  tool: string;
  exposed: string;
  listing: Tool;
}

export class McpHub implements ToolSource {
  readonly config: McpConfig;
  readonly #configTools: Set<string>;
  readonly #bundleDir: string;
  readonly #pins: PinStore;
  readonly #clock: Clock;
  readonly #options: McpHubOptions;
  readonly #upstreams = new Map<string, UpstreamState>();
  /** Exposed prompt name -> upstream prefix and upstream prompt name. */
  #promptNames = new Map<string, { prefix: string; name: string }>();
  #desired = new Map<string, Registered>();
  #offered = new Map<string, Registered>();
  #registered = new Map<string, Registered>();
  #host: ToolSourceHost | null = null;
  #buffered: AuditEventInput[] = [];
  #listeners = new Set<(change: HubChange) => void>();
  #timer: NodeJS.Timeout | null = null;
  #reconciling: Promise<void> | null = null;
  #reconcileAgain = false;
  /** The registration last refused (and when): not retried until it changes or a re-list period passed. */
  #refusedRegistration: { signature: string; at: number } | null = null;
  #subscriptions = new Map<string, Set<(uri: string) => void>>();
  /** Exposed name -> its upstream and live tool (rebuilt after every listing). */
  #byExposed = new Map<string, { prefix: string; live: LiveTool }>();
  /** Pending reconnection attempts of lost upstreams, with their next delay. */
  #reconnects = new Map<string, { timer: NodeJS.Timeout; delayMs: number }>();
  #closed = false;

  constructor(config: AirlockConfig, options: McpHubOptions) {
    this.config = config.mcp ?? { relistSeconds: 0, connectTimeoutMs: 10_000, http: { allowedHosts: null, allowedOrigins: null, maxSessions: 1, sessionIdleSeconds: 1 }, upstreams: [] };
    this.#configTools = new Set(config.tools.map((t) => t.name));
    this.#bundleDir = config.policy.bundleDir;
    this.#pins = options.pins;
    this.#clock = options.clock ?? systemClock;
    this.#options = options;
    for (const upstream of this.config.upstreams) {
      const state: UpstreamState = {
        config: upstream,
        live: new Map(),
        resources: [],
        templates: [],
        prompts: [],
        refused: new Map(),
        available: false,
        syncing: null,
        conn: new UpstreamConnection(
          upstream,
          {
            toolsChanged: () => this.#resync(upstream.prefix),
            resourcesChanged: () => void this.#relistContent(upstream.prefix, 'resources'),
            promptsChanged: () => void this.#relistContent(upstream.prefix, 'prompts'),
            resourceUpdated: (uri) => this.#resourceUpdated(uri),
            closed: () => this.#lost(upstream.prefix),
          },
          options.resolveSecret,
        ),
      };
      this.#upstreams.set(upstream.prefix, state);
    }
  }

  /** Connects to every upstream and pins what they serve; upstreams that do not answer are retried at each re-list. */
  async start(): Promise<void> {
    await Promise.all([...this.#upstreams.values()].map((u) => this.#sync(u)));
    this.#desired = await this.#computeDesired();
    if (this.config.relistSeconds > 0) {
      this.#timer = setInterval(() => void this.relist(), this.config.relistSeconds * 1000);
      this.#timer.unref();
    }
  }

  /** Re-lists every upstream now (also reconnecting lost ones) and re-registers if needed. */
  async relist(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#upstreams.values()].map((u) => this.#sync(u)));
    await this.#reconcile();
  }

  // ---------------------------------------------------------------------------------------
  // ToolSource
  // ---------------------------------------------------------------------------------------

  definitions(): ToolDefinition[] {
    this.#offered = new Map(this.#desired);
    return [...this.#desired.values()].map((r) => r.definition);
  }

  attach(host: ToolSourceHost): void {
    this.#host = host;
    this.#registered = new Map(this.#offered);
    const buffered = this.#buffered;
    this.#buffered = [];
    if (buffered.length > 0) void this.#append(buffered);
  }

  connector(tool: RegisteredTool): Connector {
    const spec = tool.connector;
    if (spec.type !== 'mcp') throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'not an mcp tool', { status: 500 });
    return { execute: (call) => this.#execute(spec.upstream, spec.tool, call) };
  }

  async admit(tool: RegisteredTool): Promise<ToolRefusal | null> {
    const spec = tool.connector;
    if (spec.type !== 'mcp') return null;
    const upstream = this.#upstreams.get(spec.upstream);
    if (upstream === undefined || !upstream.conn.connected) {
      return { code: 'mcp.upstream_unavailable', rule: UPSTREAM_RULE, reason: `upstream ${spec.upstream} is not connected` };
    }
    if (spec.tool === READ_RESOURCE || spec.tool === GET_PROMPT) {
      const capability = spec.tool === READ_RESOURCE ? upstream.conn.capabilities.resources : upstream.conn.capabilities.prompts;
      return capability === undefined
        ? { code: 'mcp.not_supported', rule: UPSTREAM_RULE, reason: `upstream ${spec.upstream} serves no ${spec.tool === READ_RESOURCE ? 'resources' : 'prompts'}` }
        : null;
    }
    const live = upstream.live.get(spec.tool);
    if (live === undefined) {
      return { code: 'mcp.tool_unavailable', rule: UPSTREAM_RULE, reason: `upstream ${spec.upstream} no longer lists ${spec.tool}` };
    }
    const pin = await this.#pins.get(spec.upstream, spec.tool);
    return this.#judge(tool, live, pin);
  }

  #judge(tool: RegisteredTool, live: LiveTool, pin: PinRecord | null): ToolRefusal | null {
    const changed: ToolRefusal = {
      code: 'mcp.definition_changed',
      rule: PIN_RULE,
      reason: 'the upstream changed this tool\'s definition since it was approved; an operator must review the new one (airlock mcp tools pending)',
    };
    if (pin === null || (pin.state === 'pending' && pin.approved_hash === null)) {
      return { code: 'mcp.definition_pending', rule: PIN_RULE, reason: 'this tool\'s definition has not been approved by an operator (airlock mcp tools pending)' };
    }
    if (pin.state === 'rejected') return { code: 'mcp.definition_rejected', rule: PIN_RULE, reason: 'an operator rejected this tool\'s definition' };
    if (pin.state === 'pending' || pin.approved_hash !== live.hash) return changed;
    if (this.#registered.get(tool.name)?.pinnedHash !== pin.approved_hash) {
      // Approved elsewhere (e.g. by the CLI) but not registered here yet: re-register, refuse meanwhile.
      void this.#reconcile();
      return changed;
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------
  // For the MCP doors
  // ---------------------------------------------------------------------------------------

  /** The upstream tool behind an exposed name, with its listing entry (null for other tools). */
  tool(exposed: string): McpToolEntry | null {
    const found = this.#byExposed.get(exposed);
    return found === undefined ? null : { upstream: found.prefix, tool: found.live.definition.name, exposed, listing: found.live.listing };
  }

  /** Trust tier of an upstream's content. */
  trustOf(prefix: string): 'trusted' | 'untrusted' {
    return this.#upstreams.get(prefix)?.config.trust ?? 'untrusted';
  }

  upstreamPrefixes(): string[] {
    return [...this.#upstreams.keys()];
  }

  resources(prefixes: readonly string[]): Resource[] {
    return prefixes.flatMap((p) => this.#upstreams.get(p)?.resources ?? []);
  }

  resourceTemplates(prefixes: readonly string[]): ResourceTemplate[] {
    return prefixes.flatMap((p) => this.#upstreams.get(p)?.templates ?? []);
  }

  /** Prompts of these upstreams, under their exposed names. */
  prompts(prefixes: readonly string[]): Prompt[] {
    const out: Prompt[] = [];
    for (const [exposed, owner] of this.#promptNames) {
      if (!prefixes.includes(owner.prefix)) continue;
      const prompt = this.#upstreams.get(owner.prefix)?.prompts.find((p) => p.name === owner.name);
      if (prompt !== undefined) out.push({ ...prompt, name: exposed });
    }
    return out;
  }

  promptOwner(exposed: string): { prefix: string; name: string } | null {
    return this.#promptNames.get(exposed) ?? null;
  }

  /**
   * The upstream serving a resource URI: the one that listed it, else the one whose template
   * matches, else the only upstream with resources. Null when none or more than one could.
   */
  resourceOwner(uri: string): string | null {
    const withResources = [...this.#upstreams.values()].filter((u) => u.conn.connected && u.conn.capabilities.resources !== undefined);
    const listed = withResources.filter((u) => u.resources.some((r) => r.uri === uri));
    if (listed.length > 0) return listed.length === 1 ? (listed[0]?.config.prefix ?? null) : null;
    const templated = withResources.filter((u) => u.templates.some((t) => matches(t.uriTemplate, uri)));
    if (templated.length > 0) return templated.length === 1 ? (templated[0]?.config.prefix ?? null) : null;
    return withResources.length === 1 ? (withResources[0]?.config.prefix ?? null) : null;
  }

  /** Forwards a completion request to the upstream owning the prompt or resource template. */
  async complete(params: CompleteRequest['params'], visible: readonly string[]): Promise<JsonValue> {
    const ref = params.ref;
    let prefix: string | null;
    let forwarded = params;
    if (ref.type === 'ref/prompt') {
      const owner = this.promptOwner(ref.name);
      prefix = owner?.prefix ?? null;
      if (owner !== null) forwarded = { ...params, ref: { ...ref, name: owner.name } };
    } else {
      prefix = this.resourceOwner(ref.uri) ?? [...this.#upstreams.values()].find((u) => u.templates.some((t) => t.uriTemplate === ref.uri))?.config.prefix ?? null;
    }
    const upstream = prefix === null || !visible.includes(prefix) ? undefined : this.#upstreams.get(prefix);
    if (upstream === undefined || upstream.conn.capabilities.completions === undefined) return { completion: { values: [] } };
    return upstream.conn.complete(forwarded);
  }

  /** Subscribes `listener` to updates of `uri` (the upstream subscription is shared). */
  async subscribe(prefix: string, uri: string, listener: (uri: string) => void): Promise<void> {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined) return;
    let listeners = this.#subscriptions.get(uri);
    if (listeners === undefined) {
      listeners = new Set();
      this.#subscriptions.set(uri, listeners);
      if (upstream.conn.capabilities.resources?.subscribe === true) await upstream.conn.subscribe(uri);
    }
    listeners.add(listener);
  }

  async unsubscribe(prefix: string, uri: string, listener: (uri: string) => void): Promise<void> {
    const listeners = this.#subscriptions.get(uri);
    if (listeners === undefined) return;
    listeners.delete(listener);
    if (listeners.size > 0) return;
    this.#subscriptions.delete(uri);
    const upstream = this.#upstreams.get(prefix);
    if (upstream?.conn.capabilities.resources?.subscribe === true) await upstream.conn.unsubscribe(uri).catch(() => undefined);
  }

  /** Listens for changes the doors pass on to their clients (`list_changed`, resource updates). */
  onChange(listener: (change: HubChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Registers resource or prompt content with the caller's session (hook; see content.ts). */
  async registerSessionContent(content: SessionContent): Promise<void> {
    await (this.#options.sessionContent ?? noSessionContent)(content);
  }

  /** Per-upstream status for operators: connected, tools served, tools refused and why. */
  status(): Array<{ prefix: string; connected: boolean; tools: number; refused: Record<string, string> }> {
    return [...this.#upstreams.values()].map((u) => ({
      prefix: u.config.prefix,
      connected: u.conn.connected,
      tools: u.live.size,
      refused: Object.fromEntries(u.refused),
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    for (const { timer } of this.#reconnects.values()) clearTimeout(timer);
    await Promise.all([...this.#upstreams.values()].map((u) => u.conn.close()));
  }

  // ---------------------------------------------------------------------------------------
  // Calls
  // ---------------------------------------------------------------------------------------

  async #execute(prefix: string, tool: string, call: ConnectorCall): Promise<JsonValue> {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined) throw new AirlockError('ERR_MCP_UPSTREAM_UNAVAILABLE', `upstream ${prefix} is not configured`, { status: 502 });
    const context = currentMcpCallContext();
    const signal = context?.signal === undefined ? call.signal : AbortSignal.any([call.signal, context.signal]);
    const options = {
      signal,
      timeout: call.tool.timeoutMs,
      ...(context?.onProgress === undefined ? {} : { onprogress: context.onProgress, resetTimeoutOnProgress: false }),
    };
    const args = call.arguments;
    if (tool === READ_RESOURCE) return upstream.conn.readResource(String(args.uri), options);
    if (tool === GET_PROMPT) {
      const promptArgs = (args.arguments ?? {}) as Record<string, string>;
      return upstream.conn.getPrompt({ name: String(args.name), arguments: promptArgs }, options);
    }
    // The caller's token never goes upstream: only the validated arguments and the gateway's ids.
    return upstream.conn.callTool({ name: tool, arguments: args, _meta: { 'airlock/action_id': call.actionId } }, options);
  }

  // ---------------------------------------------------------------------------------------
  // Listing, pinning, registration
  // ---------------------------------------------------------------------------------------

  #resync(prefix: string): void {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined || this.#closed) return;
    void this.#sync(upstream).then(() => this.#reconcile());
  }

  #lost(prefix: string): void {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined || this.#closed) return;
    upstream.available = false;
    this.#record([this.#event('mcp.upstream.disconnected', { upstream: prefix })]);
    this.#emit({ kind: 'tools' });
    this.#scheduleReconnect(prefix, 1000);
  }

  /** Retries a lost upstream with exponential backoff (1 s doubling, at most 60 s) until it answers. */
  #scheduleReconnect(prefix: string, delayMs: number): void {
    if (this.#closed || this.#reconnects.has(prefix)) return;
    const timer = setTimeout(() => {
      this.#reconnects.delete(prefix);
      const upstream = this.#upstreams.get(prefix);
      if (upstream === undefined || this.#closed) return;
      void this.#sync(upstream)
        .then(() => this.#reconcile())
        .then(() => {
          if (!upstream.conn.connected) this.#scheduleReconnect(prefix, Math.min(60_000, delayMs * 2));
        });
    }, delayMs);
    timer.unref();
    this.#reconnects.set(prefix, { timer, delayMs });
  }

  /** Lists one upstream (connecting first if needed) and records what changed. Serialized per upstream. */
  async #sync(upstream: UpstreamState): Promise<void> {
    while (upstream.syncing !== null) await upstream.syncing;
    const run = this.#syncOnce(upstream).catch((error: unknown) => this.#options.onFault?.(`sync ${upstream.config.prefix}`, error));
    upstream.syncing = run.finally(() => {
      upstream.syncing = null;
    });
    await upstream.syncing;
  }

  async #syncOnce(upstream: UpstreamState): Promise<void> {
    const prefix = upstream.config.prefix;
    if (!upstream.conn.connected) {
      try {
        await upstream.conn.connect(this.config.connectTimeoutMs);
      } catch (error) {
        if (upstream.available || upstream.live.size === 0) {
          this.#record([this.#event('mcp.upstream.unavailable', { upstream: prefix, code: toAirlockError(error).code })]);
        }
        upstream.available = false;
        return;
      }
      upstream.available = true;
      this.#record([this.#event('mcp.upstream.connected', { upstream: prefix, transport: upstream.config.transport.type })]);
    }
    let tools: Tool[];
    try {
      tools = await upstream.conn.listTools();
    } catch (error) {
      this.#options.onFault?.(`list tools of ${prefix}`, error);
      return;
    }
    const events: AuditEventInput[] = [];
    const otherNames = this.#otherToolNames(prefix);
    const next = new Map<string, LiveTool>();
    for (const listed of tools) {
      const live = await this.#pin(upstream, listed, otherNames, events);
      if (live !== null) next.set(live.definition.name, live);
    }
    for (const [name, old] of upstream.live) {
      if (!next.has(name)) events.push(this.#event('mcp.tool.removed', { upstream: prefix, tool: name, name: old.exposed, hash: old.hash }));
    }
    const changed = events.length > 0 || next.size !== upstream.live.size;
    upstream.live = next;
    this.#indexTools();
    this.#record(events);
    await this.#relistContent(prefix, 'resources', false);
    await this.#relistContent(prefix, 'prompts', false);
    if (changed) this.#emit({ kind: 'tools' });
  }

  /** Pins one listed tool; null when it cannot be exposed (the reason is recorded once). */
  async #pin(upstream: UpstreamState, listed: Tool, otherNames: string[], events: AuditEventInput[]): Promise<LiveTool | null> {
    const prefix = upstream.config.prefix;
    const refuse = (name: string, reason: string, code: string) => {
      if (upstream.refused.get(name) === reason) return null;
      upstream.refused.set(name, reason);
      events.push(this.#event('mcp.tool.refused', { upstream: prefix, tool: name.slice(0, 200), code, reason }));
      return null;
    };
    const rawName = typeof listed.name === 'string' ? listed.name : '(unnamed)';
    let definition: PinnedDefinition;
    let exposed: string;
    try {
      definition = pinnedDefinition(listed);
      exposed = exposedName(prefix, definition.name, upstream.config.namespace);
    } catch (error) {
      const failure = toAirlockError(error);
      return refuse(rawName, String(failure.details?.reason ?? failure.message), failure.code);
    }
    if (this.#configTools.has(exposed)) return refuse(rawName, `${exposed} is a tool of the config`, 'ERR_MCP_NAME_COLLISION');
    const hash = definitionHash(definition);
    const findings = scanDefinition(definition, { otherToolNames: otherNames });
    const now = this.#clock.now();
    const observed = await this.#pins.observe({ upstream: prefix, tool: definition.name, hash, definition, findings, now });
    const common = { upstream: prefix, tool: definition.name, name: exposed, hash, findings: findingsJson(findings) };
    if (observed.change === 'new') {
      events.push(this.#event('mcp.tool.discovered', { ...common, state: observed.record.state }));
      if (upstream.config.approval === 'first_use' && findings.length === 0) {
        await this.#pins.decide({ upstream: prefix, tool: definition.name, hash, verdict: 'approve', by: FIRST_USE, justification: 'first use (config: approval first_use)', now });
        events.push(this.#event('mcp.tool.approved', { upstream: prefix, tool: definition.name, name: exposed, hash, by: 'first_use' }));
      }
    } else if (observed.change === 'changed') {
      events.push(
        this.#event('mcp.tool.changed', {
          ...common,
          previous_hash: observed.previous_hash,
          approved_hash: observed.record.approved_hash,
          state: observed.record.state,
        }),
      );
    }
    upstream.refused.delete(rawName);
    // Clients see exactly the pinned definition (under its exposed name), nothing unpinned.
    return { definition, hash, exposed, listing: { ...definition, name: exposed } as Tool };
  }

  #indexTools(): void {
    const index = new Map<string, { prefix: string; live: LiveTool }>();
    for (const u of this.#upstreams.values()) for (const live of u.live.values()) index.set(live.exposed, { prefix: u.config.prefix, live });
    this.#byExposed = index;
  }

  #otherToolNames(prefix: string): string[] {
    const names = [...this.#configTools];
    for (const u of this.#upstreams.values()) {
      if (u.config.prefix !== prefix) for (const name of u.live.keys()) names.push(name);
    }
    return names;
  }

  async #relistContent(prefix: string, kind: 'resources' | 'prompts', notify = true): Promise<void> {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined || !upstream.conn.connected) return;
    try {
      if (kind === 'resources') {
        upstream.resources = await upstream.conn.listResources();
        upstream.templates = await upstream.conn.listResourceTemplates();
      } else {
        upstream.prompts = await upstream.conn.listPrompts();
        this.#indexPrompts();
      }
    } catch (error) {
      this.#options.onFault?.(`list ${kind} of ${prefix}`, error);
      return;
    }
    if (notify) this.#emit({ kind });
  }

  #indexPrompts(): void {
    const names = new Map<string, { prefix: string; name: string }>();
    for (const u of this.#upstreams.values()) {
      for (const prompt of u.prompts) {
        try {
          const exposed = exposedName(u.config.prefix, prompt.name, u.config.namespace);
          if (!names.has(exposed)) names.set(exposed, { prefix: u.config.prefix, name: prompt.name });
        } catch {
          // A prompt name outside the MCP character set is not exposed.
        }
      }
    }
    this.#promptNames = names;
  }

  /**
   * What should be registered: per upstream its two gateway tools, and per upstream tool
   * (live, or approved earlier while its upstream is away) the approved definition if
   * there is one, else the live one. Definitions that do not compile are left out.
   */
  async #computeDesired(): Promise<Map<string, Registered>> {
    const out = new Map<string, Registered>();
    for (const u of this.#upstreams.values()) {
      for (const definition of gatewayTools(u.config)) out.set(definition.name, { definition, pinnedHash: null });
      const pins = new Map((await this.#pins.list({ upstream: u.config.prefix })).map((p) => [p.tool, p]));
      const names = new Set([...u.live.keys(), ...[...pins.values()].filter((p) => p.approved_definition !== null).map((p) => p.tool)]);
      for (const name of names) {
        const pin = pins.get(name);
        const live = u.live.get(name);
        const pinned = pin?.approved_definition ?? live?.definition;
        const pinnedHash = pin?.approved_definition != null ? pin.approved_hash : (live?.hash ?? null);
        if (pinned === undefined || pinnedHash === null) continue;
        let exposed: string;
        try {
          exposed = exposedName(u.config.prefix, pinned.name, u.config.namespace);
        } catch {
          continue;
        }
        if (this.#configTools.has(exposed)) continue;
        const definition = toolDefinition(u.config, exposed, pinned);
        const problem = compileProblem(definition);
        if (problem !== null) {
          const key = `${name}`;
          const reason = `definition ${pinnedHash.slice(7, 19)} cannot be registered: ${problem}`;
          if (u.refused.get(key) !== reason) {
            u.refused.set(key, reason);
            this.#record([this.#event('mcp.tool.refused', { upstream: u.config.prefix, tool: name, hash: pinnedHash, code: 'ERR_TOOLS_SCHEMA_INVALID', reason: problem.slice(0, 300) })]);
          }
          continue;
        }
        out.set(exposed, { definition, pinnedHash });
      }
    }
    // Tools the policies name but no upstream has listed yet: placeholders, never admitted.
    const bundle = await loadBundleFromDir(this.#bundleDir).catch(() => ({ files: {} }));
    const known = new Set([...out.keys(), ...this.#configTools]);
    for (const definition of placeholderDefinitions(this.config.upstreams, referencedActions(bundle.files), known)) {
      out.set(definition.name, { definition, pinnedHash: PLACEHOLDER });
    }
    return out;
  }

  /** Re-registers when the desired definitions differ from the registered ones (one at a time). */
  async #reconcile(): Promise<void> {
    if (this.#reconciling !== null) {
      this.#reconcileAgain = true;
      return this.#reconciling;
    }
    this.#reconciling = (async () => {
      do {
        this.#reconcileAgain = false;
        await this.#reconcileOnce();
      } while (this.#reconcileAgain && !this.#closed);
    })()
      .catch((error: unknown) => this.#options.onFault?.('re-register mcp tools', error))
      .finally(() => {
        this.#reconciling = null;
      });
    return this.#reconciling;
  }

  async #reconcileOnce(): Promise<void> {
    this.#desired = await this.#computeDesired();
    const host = this.#host;
    if (host === null || sameRegistration(this.#desired, this.#registered)) return;
    const signature = JSON.stringify([...this.#desired].map(([name, r]) => [name, r.pinnedHash]));
    const retryAfter = Math.max(60, this.config.relistSeconds) * 1000;
    if (this.#refusedRegistration !== null && this.#refusedRegistration.signature === signature && this.#clock.now() - this.#refusedRegistration.at < retryAfter) return;
    const before = this.#registered;
    try {
      const { version } = await host.refresh();
      this.#registered = new Map(this.#offered);
      const added = [...this.#registered.keys()].filter((n) => !before.has(n));
      const removed = [...before.keys()].filter((n) => !this.#registered.has(n));
      const changed = [...this.#registered.keys()].filter((n) => before.has(n) && before.get(n)?.pinnedHash !== this.#registered.get(n)?.pinnedHash);
      this.#record([this.#event('mcp.tools.registered', { added, removed, changed, policy_version: version })]);
      this.#emit({ kind: 'tools' });
    } catch (error) {
      const failure = toAirlockError(error);
      this.#refusedRegistration = { signature, at: this.#clock.now() };
      this.#record([this.#event('mcp.tools.refused', { code: failure.code, message: failure.message.slice(0, 300) })]);
      throw failure;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------

  #resourceUpdated(uri: string): void {
    for (const listener of this.#subscriptions.get(uri) ?? []) listener(uri);
  }

  #emit(change: HubChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#options.onFault?.('change listener', error);
      }
    }
  }

  #event(type: string, data: Record<string, JsonValue>): AuditEventInput {
    return standaloneEvent(type, GATEWAY_ACTOR, data);
  }

  #record(events: AuditEventInput[]): void {
    if (events.length === 0) return;
    if (this.#host === null) this.#buffered.push(...events);
    else void this.#append(events);
  }

  async #append(events: AuditEventInput[]): Promise<void> {
    try {
      await this.#host?.audit.append(events);
    } catch (error) {
      this.#options.onFault?.('record mcp events', error);
    }
  }

  /** Waits for re-registration in progress (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#reconciling !== null) await this.#reconciling;
    await Promise.all([...this.#upstreams.values()].map((u) => u.syncing));
  }
}

function findingsJson(findings: Finding[]): JsonValue {
  return findings.map((f) => ({ rule: f.rule, path: f.path, excerpt: f.excerpt }));
}

function sameRegistration(a: Map<string, Registered>, b: Map<string, Registered>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, entry] of a) if (b.get(name)?.pinnedHash !== entry.pinnedHash) return false;
  return true;
}

function compileProblem(definition: ToolDefinition): string | null {
  try {
    new ToolRegistry([definition]);
    return null;
  } catch (error) {
    return toAirlockError(error).message;
  }
}

function matches(template: string, uri: string): boolean {
  try {
    return new UriTemplate(template).match(uri) !== null;
  } catch {
    return false;
  }
}
