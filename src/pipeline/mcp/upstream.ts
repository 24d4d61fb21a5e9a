/**
 * One upstream MCP server, reached with the official SDK client over stdio (a child
 * process) or streamable HTTP (the SDK's transport with a faster path for requests,
 * http-transport.ts). The gateway is the client: it declares no sampling,
 * elicitation or roots capability, so an untrusted upstream can neither drive the caller's
 * model nor question the user in the gateway's name. Credentials come only from the
 * config's secret references (stdio: environment variables, resolved here; HTTP: headers);
 * a child process gets those and the SDK's minimal default environment, never the
 * gateway's own. Listings are paginated and bounded (an upstream is untrusted input).
 */
import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolRequest,
  CompleteRequest,
  JSONRPCMessage,
  MessageExtraInfo,
  GetPromptRequest,
  Prompt,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { JsonValue } from '../../core/canonical.ts';
import { UpstreamHttpTransport } from './http-transport.ts';
import { AirlockError } from '../../core/errors.ts';
import { redactError, secretScrubber } from '../../core/redact-error.ts';
import { CallSecrets, redactSecrets } from '../call-secrets.ts';
import type { EgressConfig, McpUpstreamConfig } from '../../config/types.ts';
import { connectorEgressPolicy } from '../../tools/index.ts';
import { sandboxedStdio } from './sandboxed-stdio.ts';

/** Most entries taken from one listing, and most pages followed. */
export const MAX_LISTED = 2000;
const MAX_PAGES = 50;
const STDERR_TAIL = 2048;

export interface UpstreamEvents {
  toolsChanged(): void;
  resourcesChanged(): void;
  promptsChanged(): void;
  resourceUpdated(uri: string): void;
  closed(): void;
}

export type SecretResolver = (ref: string) => Promise<string>;

/** A JSON copy of an SDK result (zod output may hold undefined-valued keys). */
export function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

function unavailable(prefix: string, message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_MCP_UPSTREAM_UNAVAILABLE', `upstream ${prefix}: ${message}`, { status: 502, details: { upstream: prefix }, cause });
}

export class UpstreamConnection {
  readonly config: McpUpstreamConfig;
  #client: Client | null = null;
  /** Set by close(): this connection never connects again. */
  #shut = false;
  #stderr = '';
  #lastError: string | null = null;
  /** Progress listeners by the progress token the gateway put on the call. */
  readonly #progress = new Map<string, (progress: { progress: number; total?: number; message?: string }) => void>();
  #progressSerial = 0;
  #events: UpstreamEvents;
  #resolveSecret: SecretResolver;
  /** Values resolved from the config's secret references for the current connection. */
  #secrets: string[] = [];

  /** The global egress allowlist (config `egress`), for an HTTP upstream without its own list; absent: nothing reachable. */
  readonly #egressConfig: EgressConfig | undefined;

  constructor(config: McpUpstreamConfig, events: UpstreamEvents, resolveSecret: SecretResolver, egress?: EgressConfig) {
    this.config = config;
    this.#events = events;
    this.#resolveSecret = resolveSecret;
    this.#egressConfig = egress;
  }

  get prefix(): string {
    return this.config.prefix;
  }

  /**
   * The secret values this connection presents to the upstream (resolved header / environment
   * references): what comes back from it is scrubbed of them.
   */
  get secretValues(): readonly string[] {
    return this.#secrets;
  }

  get connected(): boolean {
    return this.#client !== null;
  }

  get capabilities(): ServerCapabilities {
    return this.#client?.getServerCapabilities() ?? {};
  }

  /**
   * The last characters the child process wrote to stderr, with every secret value this
   * connection resolved (environment, headers) replaced by `[redacted]`: safe for logs and status.
   */
  get stderrTail(): string {
    return this.scrub(this.#stderr);
  }

  /** `text` with every secret value this connection resolved (and its URL-encoded form) replaced by `[redacted]`. */
  scrub(text: string): string {
    return secretScrubber(this.#secrets, '[redacted]')(text);
  }

  /**
   * A copy of an error from this upstream (its SDK, its transport) safe for logs and status: an
   * upstream's answer quoted in a message (a 401 body echoing the key it was sent) is scrubbed,
   * in the message, the stack, the details and every cause.
   */
  redactError(error: unknown): unknown {
    return this.#secrets.length === 0 ? error : redactError(error, (text) => this.scrub(text));
  }

  /** Why the last connection attempt failed, or null when it succeeded (or none was made). */
  get lastError(): string | null {
    return this.#lastError;
  }

  async connect(timeoutMs: number): Promise<void> {
    if (this.#client !== null) return;
    if (this.#shut) throw unavailable(this.prefix, 'the connection is closed');
    const client = new Client({ name: 'airlock-gateway', version: '0.1.0' }, { capabilities: {} });
    const transport = await this.#transport();
    client.onclose = () => {
      if (this.#client === client) {
        this.#client = null;
        this.#events.closed();
      }
    };
    client.onerror = () => undefined;
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), timeoutMs);
    try {
      await Promise.race([
        client.connect(transport, { timeout: timeoutMs }),
        new Promise((_, reject) => timer.signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)))),
      ]);
    } catch (error) {
      await client.close().catch(() => undefined);
      // The SDK quotes the upstream's answer (an HTTP error body) in its message: scrubbed before it is cut or kept.
      const cause = this.redactError(error);
      const failure = unavailable(this.prefix, `cannot connect (${cause instanceof Error ? cause.message.slice(0, 200) : 'error'})`, cause);
      this.#lastError = failure.message;
      // What the process said before it failed (a missing key, a bad flag) is the operator's first clue.
      const tail = this.stderrTail.trim();
      if (tail !== '') (failure.details as Record<string, unknown>).stderr_tail = tail;
      throw failure;
    } finally {
      clearTimeout(timeout);
    }
    if (this.#shut) {
      // Closed while connecting (gateway shutdown): the new connection, and its process, end here.
      await client.close().catch(() => undefined);
      throw unavailable(this.prefix, 'the connection is closed');
    }
    this.#lastError = null;
    this.#relayProgressInOrder(transport);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.#events.toolsChanged());
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => this.#events.resourcesChanged());
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => this.#events.promptsChanged());
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => this.#events.resourceUpdated(n.params.uri));
    this.#client = client;
  }

  async #transport(): Promise<StdioClientTransport | UpstreamHttpTransport> {
    const t = this.config.transport;
    const secrets = new Set<string>();
    const resolve = async (values: Record<string, string>) => {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(values)) {
        if (value.startsWith('env:') || value.startsWith('file:')) {
          out[name] = await this.#resolveSecret(value);
          secrets.add(out[name]);
        } else {
          out[name] = value;
        }
      }
      return out;
    };
    const resolved = t.type === 'http' ? await resolve(t.headers) : await resolve(t.env);
    this.#secrets = [...secrets];
    if (t.type === 'http') {
      return new UpstreamHttpTransport(new URL(t.url), { headers: resolved, egress: { policy: connectorEgressPolicy(t, this.#egressConfig) } });
    }
    const transport = new StdioClientTransport(
      t.sandbox === undefined
        ? { command: t.command, args: t.args, env: { ...defaultEnvironment(), ...resolved }, ...(t.cwd === undefined ? {} : { cwd: t.cwd }), stderr: 'pipe' }
        : { ...sandboxedStdio({ command: [t.command, ...t.args], env: resolved, ...t.sandbox }), stderr: 'pipe' },
    );
    (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    return transport;
  }

  #require(): Client {
    if (this.#client === null) throw unavailable(this.prefix, 'not connected');
    return this.#client;
  }

  async listTools(): Promise<Tool[]> {
    return this.#paginate(async (cursor) => {
      const page = await this.#require().listTools(cursor === undefined ? {} : { cursor });
      return { items: page.tools, next: page.nextCursor };
    });
  }

  async listResources(): Promise<Resource[]> {
    if (this.capabilities.resources === undefined) return [];
    return this.#paginate(async (cursor) => {
      const page = await this.#require().listResources(cursor === undefined ? {} : { cursor });
      return { items: page.resources, next: page.nextCursor };
    });
  }

  async listResourceTemplates(): Promise<ResourceTemplate[]> {
    if (this.capabilities.resources === undefined) return [];
    return this.#paginate(async (cursor) => {
      const page = await this.#require().listResourceTemplates(cursor === undefined ? {} : { cursor });
      return { items: page.resourceTemplates, next: page.nextCursor };
    });
  }

  async listPrompts(): Promise<Prompt[]> {
    if (this.capabilities.prompts === undefined) return [];
    return this.#paginate(async (cursor) => {
      const page = await this.#require().listPrompts(cursor === undefined ? {} : { cursor });
      return { items: page.prompts, next: page.nextCursor };
    });
  }

  async callTool(params: CallToolRequest['params'], options: RequestOptions): Promise<JsonValue> {
    const { onprogress, ...rest } = options;
    if (onprogress === undefined) return toJson(await this.#require().callTool(params, undefined, rest));
    const token = `airlock-${++this.#progressSerial}`;
    this.#progress.set(token, onprogress);
    try {
      return toJson(await this.#require().callTool({ ...params, _meta: { ...(params._meta ?? {}), progressToken: token } }, undefined, rest));
    } finally {
      this.#progress.delete(token);
    }
  }

  /**
   * The SDK client dispatches notifications a microtask later than responses, so a progress
   * notification that arrives just before its call's result would find the call already
   * finished and be dropped. Progress for the gateway's own tokens is taken off the
   * transport as it arrives, in order, before the result.
   */
  #relayProgressInOrder(transport: { onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void }): void {
    const dispatch = transport.onmessage;
    if (dispatch === undefined) return;
    transport.onmessage = (message, extra) => {
      const m = message as { method?: string; params?: { progressToken?: unknown; progress?: unknown; total?: unknown; message?: unknown } };
      const listener = m.method === 'notifications/progress' && typeof m.params?.progressToken === 'string' ? this.#progress.get(m.params.progressToken) : undefined;
      if (listener !== undefined && typeof m.params?.progress === 'number') {
        listener({
          progress: m.params.progress,
          ...(typeof m.params.total === 'number' ? { total: m.params.total } : {}),
          ...(typeof m.params.message === 'string' ? { message: m.params.message } : {}),
        });
        return;
      }
      dispatch.call(transport, message, extra);
    };
  }

  async readResource(uri: string, options: RequestOptions): Promise<JsonValue> {
    return toJson(await this.#require().readResource({ uri }, options));
  }

  async getPrompt(params: GetPromptRequest['params'], options: RequestOptions): Promise<JsonValue> {
    return toJson(await this.#require().getPrompt(params, options));
  }

  async complete(params: CompleteRequest['params']): Promise<JsonValue> {
    return toJson(await this.#require().complete(params));
  }

  async subscribe(uri: string): Promise<void> {
    await this.#require().subscribeResource({ uri });
  }

  async unsubscribe(uri: string): Promise<void> {
    await this.#client?.unsubscribeResource({ uri });
  }

  /** Closes the connection for good: a connect in progress ends its new connection, later ones are refused. */
  async close(): Promise<void> {
    this.#shut = true;
    const client = this.#client;
    this.#client = null;
    await client?.close().catch(() => undefined);
  }

  /**
   * A listing (tools, resources, templates, prompts) is text the agent's model reads (names,
   * descriptions, schemas): every secret this connection presents is replaced in it, as in a
   * call's result. Pins are taken of what is served, so a rotated secret changes no pin.
   */
  #scrubListing<T>(items: T[]): T[] {
    if (this.#secrets.length === 0) return items;
    const secrets = new CallSecrets();
    for (const value of this.#secrets) secrets.add('upstream_secret', value);
    const scrubbed = redactSecrets(secrets, { value: toJson(items) });
    return scrubbed.redacted === undefined ? items : (scrubbed.value as unknown as T[]);
  }

  async #paginate<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const { items, next } = await page(cursor);
      out.push(...items);
      if (out.length > MAX_LISTED) throw unavailable(this.prefix, `lists more than ${MAX_LISTED} entries`);
      if (next === undefined || next === cursor) return this.#scrubListing(out);
      cursor = next;
    }
    throw unavailable(this.prefix, `listing did not end within ${MAX_PAGES} pages`);
  }
}

/** What a child process inherits from the gateway's environment: the basics a program needs, no secrets. */
function defaultEnvironment(): Record<string, string> {
  const keep = process.platform === 'win32' ? ['APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PATH', 'PROCESSOR_ARCHITECTURE', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'USERNAME', 'USERPROFILE'] : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'TMPDIR', 'LANG'];
  const out: Record<string, string> = {};
  for (const key of keep) {
    const value = process.env[key];
    if (value !== undefined && !value.startsWith('()')) out[key] = value;
  }
  return out;
}
