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
 *
 * This class holds the hub's state and public API and sequences the work (connect, lost,
 * reconnect, sync, re-register). The parts: hub-upstream.ts (one upstream: listing, call
 * forwarding, reconnect backoff), hub-admission.ts (pinning a listed tool, the admission
 * check), hub-registry.ts (what to register, and re-registration), hub-content.ts
 * (resources, prompts, subscriptions) and hub-events.ts (change notices, audit events).
 */
import type { CompleteRequest, Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonValue } from '../../core/canonical.ts';
import { CallSecrets, redactSecrets } from '../call-secrets.ts';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { AirlockError } from '../../core/errors.ts';
import { redactError, secretScrubber } from '../../core/redact-error.ts';
import type { Connector, RegisteredTool, ToolDefinition } from '../../core/types.ts';
import type { AirlockConfig, McpConfig } from '../../config/types.ts';
import type { PinStore } from '../../mcp/index.ts';
import type { ToolRefusal } from '../env.ts';
import type { ToolSource, ToolSourceHost } from '../tool-source.ts';
import type { SessionContent, SessionContentSink } from './content.ts';
import { noSessionContent } from './content.ts';
import type { LiveTool } from './hub-admission.ts';
import { isGatewayTool, judgePin, upstreamRefusal } from './hub-admission.ts';
import type { PromptOwner } from './hub-content.ts';
import { ResourceSubscriptions, completionTarget, exposedPrompts, indexPrompts, resourceOwner } from './hub-content.ts';
import type { HubChange } from './hub-events.ts';
import { ChangeListeners, HubAuditLog, hubEvent } from './hub-events.ts';
import type { Registration } from './hub-registry.ts';
import { Registrar, desiredRegistration } from './hub-registry.ts';
import type { UpstreamState, UpstreamStatus } from './hub-upstream.ts';
import { egressScope } from './http-transport.ts';
import { ReconnectSchedule, forwardCall, indexTools, listUpstreamContent, listUpstreamTools, newUpstreamState, otherToolNames, upstreamStatus } from './hub-upstream.ts';
import type { SecretResolver } from './upstream.ts';

export { FIRST_USE, PIN_RULE, UPSTREAM_RULE } from './hub-admission.ts';
export type { HubChange } from './hub-events.ts';

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
  /** Reports a background failure (listing, re-registration, audit) to the owner; never throws. */
  readonly #onFault: (what: string, error: unknown) => void;
  readonly #upstreams = new Map<string, UpstreamState>();
  /** Exposed prompt name -> upstream prefix and upstream prompt name. */
  #promptNames = new Map<string, PromptOwner>();
  readonly #registrar: Registrar;
  readonly #audit: HubAuditLog;
  readonly #listeners: ChangeListeners;
  #timer: NodeJS.Timeout | null = null;
  readonly #subscriptions = new ResourceSubscriptions();
  /** Exposed name -> its upstream and live tool (rebuilt after every listing). */
  #byExposed = new Map<string, { prefix: string; live: LiveTool }>();
  /** Pending reconnection attempts of lost upstreams. */
  readonly #reconnects = new ReconnectSchedule();
  #closed = false;

  constructor(config: AirlockConfig, options: McpHubOptions) {
    this.config = config.mcp ?? { relistSeconds: 0, connectTimeoutMs: 10_000, http: { allowedHosts: null, allowedOrigins: null, maxSessions: 1, maxSessionsPerPrincipal: 1, sessionIdleSeconds: 1 }, upstreams: [] };
    this.#configTools = new Set(config.tools.map((t) => t.name));
    this.#bundleDir = config.policy.bundleDir;
    this.#pins = options.pins;
    this.#clock = options.clock ?? systemClock;
    this.#options = options;
    // Faults go to the operator's log: an upstream's answer quoted in one (a listing's error echoing
    // the key it was sent) is scrubbed of every secret any upstream connection presents.
    const onFault = (what: string, error: unknown) => {
      const secrets = [...this.#upstreams.values()].flatMap((u) => u.conn.secretValues);
      this.#options.onFault?.(what, secrets.length === 0 ? error : redactError(error, secretScrubber(secrets, '[redacted]')));
    };
    this.#onFault = onFault;
    this.#audit = new HubAuditLog(onFault);
    this.#listeners = new ChangeListeners(onFault);
    this.#registrar = new Registrar({
      desired: () => this.#computeDesired(),
      clock: this.#clock,
      relistSeconds: this.config.relistSeconds,
      record: (events) => this.#audit.record(events),
      registered: () => this.#listeners.emit({ kind: 'tools' }),
      onFault,
      closed: () => this.#closed,
    });
    for (const upstream of this.config.upstreams) {
      const events = {
        toolsChanged: () => this.#resync(upstream.prefix),
        resourcesChanged: () => void this.#relistContent(upstream.prefix, 'resources'),
        promptsChanged: () => void this.#relistContent(upstream.prefix, 'prompts'),
        resourceUpdated: (uri: string) => this.#subscriptions.notify(uri),
        closed: () => this.#lost(upstream.prefix),
      };
      this.#upstreams.set(upstream.prefix, newUpstreamState(upstream, events, options.resolveSecret, config.egress));
    }
  }

  /** Connects to every upstream and pins what they serve; upstreams that do not answer are retried at each re-list. */
  async start(): Promise<void> {
    await Promise.all([...this.#upstreams.values()].map((u) => this.#sync(u)));
    await this.#registrar.prepare();
    if (this.config.relistSeconds > 0) {
      this.#timer = setInterval(() => void this.relist(), this.config.relistSeconds * 1000);
      this.#timer.unref();
    }
  }

  /** Re-lists every upstream now (also reconnecting lost ones) and re-registers if needed. */
  async relist(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#upstreams.values()].map((u) => this.#sync(u)));
    await this.#registrar.reconcile();
  }

  // ---------------------------------------------------------------------------------------
  // ToolSource
  // ---------------------------------------------------------------------------------------

  definitions(): ToolDefinition[] {
    return this.#registrar.definitions();
  }

  attach(host: ToolSourceHost): void {
    this.#registrar.attach(host);
    this.#audit.attach(host.audit);
  }

  connector(tool: RegisteredTool): Connector {
    const spec = tool.connector;
    if (spec.type !== 'mcp') throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'not an mcp tool', { status: 500 });
    return {
      execute: async (call) => {
        const upstream = this.#upstreams.get(spec.upstream);
        if (upstream === undefined) throw new AirlockError('ERR_MCP_UPSTREAM_UNAVAILABLE', `upstream ${spec.upstream} is not configured`, { status: 502 });
        // The upstream may echo what it was given: the inspect phase scrubs these from the result.
        for (const value of upstream.conn.secretValues) call.secrets?.add('upstream_secret', value);
        // Outbound hops of this call (HTTP upstreams) are reported to its telemetry, for the result event.
        const telemetry = call.telemetry;
        return telemetry === undefined ? forwardCall(upstream.conn, spec.tool, call) : egressScope.run((hop) => telemetry.egress(hop), () => forwardCall(upstream.conn, spec.tool, call));
      },
    };
  }

  async pendingDefinitions(): Promise<number> {
    return (await this.#pins.list({ state: 'pending' })).length;
  }

  async admit(tool: RegisteredTool): Promise<ToolRefusal | null> {
    const spec = tool.connector;
    if (spec.type !== 'mcp') return null;
    const upstream = this.#upstreams.get(spec.upstream);
    const live = upstream?.live.get(spec.tool);
    const view = upstream === undefined ? null : { connected: upstream.conn.connected, capabilities: upstream.conn.capabilities, lists: live !== undefined };
    const refusal = upstreamRefusal(spec.upstream, spec.tool, view);
    if (refusal !== null || isGatewayTool(spec.tool) || live === undefined) return refusal;
    const pin = await this.#pins.get(spec.upstream, spec.tool);
    const judgement = judgePin(pin, live.hash, this.#registrar.registeredHash(tool.name));
    // Approved elsewhere (e.g. by the CLI) but not registered here yet: re-register, refuse meanwhile.
    if (judgement.reregister) void this.#registrar.reconcile();
    return judgement.refusal;
  }

  // ---------------------------------------------------------------------------------------
  // For the MCP doors
  // ---------------------------------------------------------------------------------------

  /** The upstream tool behind an exposed name, with its listing entry (null for other tools). */
  tool(exposed: string): McpToolEntry | null {
    const found = this.#byExposed.get(exposed);
    return found === undefined ? null : { upstream: found.prefix, tool: found.live.definition.name, exposed, listing: found.live.listing };
  }

  /**
   * What `tools/list` shows for an exposed name: the upstream's listing, only while it is the
   * registered definition (null otherwise). Admission was checked before; a re-list landing
   * since then must not put a changed, unreviewed definition in front of the model.
   */
  listing(exposed: string): Tool | null {
    const found = this.#byExposed.get(exposed);
    return found === undefined || this.#registrar.registeredHash(exposed) !== found.live.hash ? null : found.live.listing;
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
    return exposedPrompts(this.#promptNames, this.#upstreams, prefixes);
  }

  promptOwner(exposed: string): PromptOwner | null {
    return this.#promptNames.get(exposed) ?? null;
  }

  /**
   * The upstream serving a resource URI: the one that listed it, else the one whose template
   * matches, else the only upstream with resources. Null when none or more than one could.
   */
  resourceOwner(uri: string): string | null {
    return resourceOwner(this.#servingResources(), uri);
  }

  /** Forwards a completion request to the upstream owning the prompt or resource template. */
  async complete(params: CompleteRequest['params'], visible: readonly string[]): Promise<JsonValue> {
    const { prefix, forwarded } = completionTarget(params, this.#promptNames, this.#servingResources(), this.#upstreams.values());
    const upstream = prefix === null || !visible.includes(prefix) ? undefined : this.#upstreams.get(prefix);
    if (upstream === undefined || upstream.conn.capabilities.completions === undefined) return { completion: { values: [] } };
    // Completions do not run the pipeline: the upstream's own secrets are scrubbed here.
    const secrets = new CallSecrets();
    for (const value of upstream.conn.secretValues) secrets.add('upstream_secret', value);
    const answer = await upstream.conn.complete(forwarded);
    return redactSecrets(secrets, { value: answer }).value ?? answer;
  }

  /** Subscribes `listener` to updates of `uri` (the upstream subscription is shared). */
  async subscribe(prefix: string, uri: string, listener: (uri: string) => void): Promise<void> {
    const upstream = this.#upstreams.get(prefix);
    if (upstream !== undefined) await this.#subscriptions.add(upstream.conn, uri, listener);
  }

  async unsubscribe(prefix: string, uri: string, listener: (uri: string) => void): Promise<void> {
    await this.#subscriptions.remove(this.#upstreams.get(prefix)?.conn, uri, listener);
  }

  /** Listens for changes the doors pass on to their clients (`list_changed`, resource updates). */
  onChange(listener: (change: HubChange) => void): () => void {
    return this.#listeners.add(listener);
  }

  /** Registers resource or prompt content with the caller's session (hook; see content.ts). */
  async registerSessionContent(content: SessionContent): Promise<void> {
    await (this.#options.sessionContent ?? noSessionContent)(content);
  }

  /** Per-upstream status for operators: connected, tools served, tools refused and why. */
  status(): UpstreamStatus[] {
    return [...this.#upstreams.values()].map(upstreamStatus);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#reconnects.close();
    await Promise.all([...this.#upstreams.values()].map((u) => u.conn.close()));
  }

  /** Waits for re-registration in progress (tests, shutdown). */
  async settled(): Promise<void> {
    await this.#registrar.settled();
    await Promise.all([...this.#upstreams.values()].map((u) => u.syncing));
  }

  // ---------------------------------------------------------------------------------------
  // Upstream lifecycle: connect, lose, reconnect, list
  // ---------------------------------------------------------------------------------------

  #resync(prefix: string): void {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined || this.#closed) return;
    void this.#sync(upstream).then(() => this.#registrar.reconcile());
  }

  #lost(prefix: string): void {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined || this.#closed) return;
    upstream.available = false;
    this.#audit.record([hubEvent('mcp.upstream.disconnected', { upstream: prefix })]);
    this.#listeners.emit({ kind: 'tools' });
    // Retried with exponential backoff (1 s doubling, at most 60 s) until it answers.
    this.#reconnects.schedule(prefix, 1000, async () => {
      await this.#sync(upstream);
      await this.#registrar.reconcile();
      return upstream.conn.connected;
    });
  }

  /** Lists one upstream (connecting first if needed) and records what changed. Serialized per upstream. */
  async #sync(upstream: UpstreamState): Promise<void> {
    while (upstream.syncing !== null) await upstream.syncing;
    const run = this.#syncOnce(upstream).catch((error: unknown) => this.#onFault(`sync ${upstream.config.prefix}`, error));
    upstream.syncing = run.finally(() => {
      upstream.syncing = null;
    });
    await upstream.syncing;
  }

  async #syncOnce(upstream: UpstreamState): Promise<void> {
    const prefix = upstream.config.prefix;
    const listed = await listUpstreamTools(upstream, {
      connectTimeoutMs: this.config.connectTimeoutMs,
      pins: this.#pins,
      clock: this.#clock,
      configTools: this.#configTools,
      otherToolNames: () => otherToolNames(this.#upstreams.values(), this.#configTools, prefix),
      record: (events) => this.#audit.record(events),
      onFault: this.#onFault,
    });
    if (listed === null) return;
    const changed = listed.events.length > 0 || listed.live.size !== upstream.live.size;
    upstream.live = listed.live;
    this.#byExposed = indexTools(this.#upstreams.values());
    this.#audit.record(listed.events);
    await this.#relistContent(prefix, 'resources', false);
    await this.#relistContent(prefix, 'prompts', false);
    if (changed) this.#listeners.emit({ kind: 'tools' });
  }

  async #relistContent(prefix: string, kind: 'resources' | 'prompts', notify = true): Promise<void> {
    const upstream = this.#upstreams.get(prefix);
    if (upstream === undefined || !upstream.conn.connected) return;
    try {
      await listUpstreamContent(upstream, kind);
      if (kind === 'prompts') this.#promptNames = indexPrompts(this.#upstreams.values());
    } catch (error) {
      this.#onFault(`list ${kind} of ${prefix}`, error);
      return;
    }
    if (notify) this.#listeners.emit({ kind });
  }

  /** Upstreams connected and serving resources now. */
  #servingResources(): UpstreamState[] {
    return [...this.#upstreams.values()].filter((u) => u.conn.connected && u.conn.capabilities.resources !== undefined);
  }

  /** What should be registered now (see hub-registry.ts). */
  #computeDesired(): Promise<Registration> {
    return desiredRegistration({
      upstreams: this.#upstreams.values(),
      configured: this.config.upstreams,
      pins: this.#pins,
      configTools: this.#configTools,
      bundleDir: this.#bundleDir,
      record: (events) => this.#audit.record(events),
    });
  }
}
