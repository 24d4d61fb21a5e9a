/**
 * Resources, resource templates and prompts of the upstreams, as the MCP doors see them:
 * prompts under their exposed names (and back to their upstream), which upstream serves a
 * resource URI (the one that listed it, else the one whose URI template matches, else the
 * only one with resources), and where a completion request goes. The hub keeps each
 * upstream's lists; these functions take them as input. Also the resource subscriptions
 * of the doors' clients, one upstream subscription per URI.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { CompleteRequest, Prompt, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import type { McpUpstreamConfig } from '../../config/types.ts';
import { exposedName } from '../../mcp/index.ts';
import type { UpstreamConnection } from './upstream.ts';

/** What an upstream lists besides tools. */
export interface UpstreamContent {
  config: Pick<McpUpstreamConfig, 'prefix' | 'namespace'>;
  resources: Resource[];
  templates: ResourceTemplate[];
  prompts: Prompt[];
}

/** The upstream and upstream prompt name behind an exposed prompt name. */
export interface PromptOwner {
  prefix: string;
  name: string;
}

/**
 * Exposed prompt name -> its owner. When two upstreams expose the same name the first
 * upstream keeps it; a prompt name outside the MCP character set is not exposed.
 */
export function indexPrompts(upstreams: Iterable<UpstreamContent>): Map<string, PromptOwner> {
  const names = new Map<string, PromptOwner>();
  for (const u of upstreams) {
    for (const prompt of u.prompts) {
      try {
        const exposed = exposedName(u.config.prefix, prompt.name, u.config.namespace);
        if (!names.has(exposed)) names.set(exposed, { prefix: u.config.prefix, name: prompt.name });
      } catch {
        // A prompt name outside the MCP character set is not exposed.
      }
    }
  }
  return names;
}

/** The prompts of the upstreams `prefixes`, under their exposed names. */
export function exposedPrompts(index: ReadonlyMap<string, PromptOwner>, upstreams: ReadonlyMap<string, UpstreamContent>, prefixes: readonly string[]): Prompt[] {
  const out: Prompt[] = [];
  for (const [exposed, owner] of index) {
    if (!prefixes.includes(owner.prefix)) continue;
    const prompt = upstreams.get(owner.prefix)?.prompts.find((p) => p.name === owner.name);
    if (prompt !== undefined) out.push({ ...prompt, name: exposed });
  }
  return out;
}

/**
 * The upstream serving a resource URI, among those serving resources now: the one that
 * listed it, else the one whose template matches, else the only one. Null when none or
 * more than one could.
 */
export function resourceOwner(serving: readonly UpstreamContent[], uri: string): string | null {
  const listed = serving.filter((u) => u.resources.some((r) => r.uri === uri));
  if (listed.length > 0) return listed.length === 1 ? (listed[0]?.config.prefix ?? null) : null;
  const templated = serving.filter((u) => u.templates.some((t) => matchesTemplate(t.uriTemplate, uri)));
  if (templated.length > 0) return templated.length === 1 ? (templated[0]?.config.prefix ?? null) : null;
  return serving.length === 1 ? (serving[0]?.config.prefix ?? null) : null;
}

/**
 * The upstream a completion request goes to (null: none), and the request as forwarded (a
 * prompt reference renamed to the upstream's prompt name). A resource reference goes to
 * the owner of its URI, else to an upstream (serving or not) that lists it as a template.
 */
export function completionTarget(
  params: CompleteRequest['params'],
  prompts: ReadonlyMap<string, PromptOwner>,
  serving: readonly UpstreamContent[],
  all: Iterable<UpstreamContent>,
): { prefix: string | null; forwarded: CompleteRequest['params'] } {
  const ref = params.ref;
  if (ref.type === 'ref/prompt') {
    const owner = prompts.get(ref.name) ?? null;
    return { prefix: owner?.prefix ?? null, forwarded: owner === null ? params : { ...params, ref: { ...ref, name: owner.name } } };
  }
  const prefix = resourceOwner(serving, ref.uri) ?? [...all].find((u) => u.templates.some((t) => t.uriTemplate === ref.uri))?.config.prefix ?? null;
  return { prefix, forwarded: params };
}

/** Whether `uri` matches the RFC 6570 URI template `template` (false for a template that does not parse). */
export function matchesTemplate(template: string, uri: string): boolean {
  try {
    return new UriTemplate(template).match(uri) !== null;
  } catch {
    return false;
  }
}

/** Listeners per resource URI; the upstream is subscribed for the first and unsubscribed after the last (when it supports subscriptions). */
export class ResourceSubscriptions {
  readonly #listeners = new Map<string, Set<(uri: string) => void>>();
  /** The upstream subscription being made for a URI's first listener; later listeners wait for it. */
  readonly #subscribing = new Map<string, Promise<void>>();

  /**
   * Adds a listener. The first listener of `uri` subscribes the upstream; when that fails, the
   * failure reaches every listener that was waiting for it, nothing stays registered, and the
   * next subscription to `uri` asks the upstream again.
   */
  async add(conn: UpstreamConnection, uri: string, listener: (uri: string) => void): Promise<void> {
    let listeners = this.#listeners.get(uri);
    if (listeners === undefined) {
      const fresh = new Set<(uri: string) => void>();
      listeners = fresh;
      this.#listeners.set(uri, fresh);
      if (conn.capabilities.resources?.subscribe === true) {
        const subscribing = conn.subscribe(uri);
        this.#subscribing.set(uri, subscribing);
        try {
          await subscribing;
        } catch (error) {
          if (this.#listeners.get(uri) === fresh) this.#listeners.delete(uri);
          throw error;
        } finally {
          if (this.#subscribing.get(uri) === subscribing) this.#subscribing.delete(uri);
        }
      }
    } else {
      await this.#subscribing.get(uri);
    }
    listeners.add(listener);
  }

  /** Removes a listener; after the last one of `uri`, `conn` is unsubscribed from it (errors ignored). */
  async remove(conn: UpstreamConnection | undefined, uri: string, listener: (uri: string) => void): Promise<void> {
    const listeners = this.#listeners.get(uri);
    if (listeners === undefined) return;
    listeners.delete(listener);
    if (listeners.size > 0) return;
    this.#listeners.delete(uri);
    if (conn?.capabilities.resources?.subscribe === true) await conn.unsubscribe(uri).catch(() => undefined);
  }

  /** Tells the listeners of `uri` that it was updated. */
  notify(uri: string): void {
    for (const listener of this.#listeners.get(uri) ?? []) listener(uri);
  }
}
