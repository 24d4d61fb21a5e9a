/**
 * What the MCP hub registers with the gateway, and the registration itself. Per upstream:
 * its two gateway tools, and per upstream tool (live, or approved earlier while its upstream
 * is away) the approved definition if there is one, else the live one — definitions that
 * do not compile are left out and reported. Tools the policy names but no upstream has
 * listed yet are placeholders. Registrations are compared by the pinned hash of each name;
 * the Registrar re-registers (one at a time) when the wanted set differs from the registered one.
 */
import type { Clock } from '../../core/clock.ts';
import { toAirlockError } from '../../core/errors.ts';
import type { AuditEventInput, ToolDefinition } from '../../core/types.ts';
import type { McpUpstreamConfig } from '../../config/types.ts';
import type { PinnedDefinition, PinRecord, PinStore } from '../../mcp/index.ts';
import { exposedName } from '../../mcp/index.ts';
import { loadBundleFromDir } from '../../policy/index.ts';
import { ToolRegistry } from '../../tools/index.ts';
import type { ToolSourceHost } from '../tool-source.ts';
import { gatewayTools, placeholderDefinitions, referencedActions, toolDefinition } from './definitions.ts';
import { firstReport } from './hub-admission.ts';
import type { FaultHandler } from './hub-events.ts';
import { hubEvent } from './hub-events.ts';

/** The pinned hash recorded for a placeholder (a tool named by policy, not discovered yet). */
export const PLACEHOLDER = 'placeholder';

export interface Registered {
  definition: ToolDefinition;
  /** Hash of the pinned definition it was built from (null for the gateway's own tools). */
  pinnedHash: string | null;
}

/** Registered tool name -> its registration, in registration order. */
export type Registration = Map<string, Registered>;

/** A pinned definition that cannot be registered (its registered form does not compile). */
export interface Unregistrable {
  /** Upstream tool name. */
  tool: string;
  pinnedHash: string;
  problem: string;
  /** The refusal reason shown in the upstream's status. */
  reason: string;
}

/**
 * One upstream's registrations, in order: its gateway tools, then each tool it lists now or
 * has an approved definition for. A name outside the MCP character set, or one a config
 * tool has, is skipped; a definition that does not compile is returned as unregistrable.
 */
export function upstreamRegistrations(
  upstream: McpUpstreamConfig,
  live: ReadonlyMap<string, { definition: PinnedDefinition; hash: string }>,
  pinRecords: readonly PinRecord[],
  configTools: ReadonlySet<string>,
): { registered: Array<[string, Registered]>; unregistrable: Unregistrable[] } {
  const registered: Array<[string, Registered]> = [];
  const unregistrable: Unregistrable[] = [];
  for (const definition of gatewayTools(upstream)) registered.push([definition.name, { definition, pinnedHash: null }]);
  const pins = new Map(pinRecords.map((p) => [p.tool, p]));
  const names = new Set([...live.keys(), ...[...pins.values()].filter((p) => p.approved_definition !== null).map((p) => p.tool)]);
  for (const name of names) {
    const pin = pins.get(name);
    const current = live.get(name);
    const pinned = pin?.approved_definition ?? current?.definition;
    const pinnedHash = pin?.approved_definition != null ? pin.approved_hash : (current?.hash ?? null);
    if (pinned === undefined || pinnedHash === null) continue;
    let exposed: string;
    try {
      exposed = exposedName(upstream.prefix, pinned.name, upstream.namespace);
    } catch {
      continue;
    }
    if (configTools.has(exposed)) continue;
    const definition = toolDefinition(upstream, exposed, pinned);
    const problem = compileProblem(definition);
    if (problem !== null) {
      unregistrable.push({ tool: name, pinnedHash, problem, reason: `definition ${pinnedHash.slice(7, 19)} cannot be registered: ${problem}` });
      continue;
    }
    registered.push([exposed, { definition, pinnedHash }]);
  }
  return { registered, unregistrable };
}

export interface DesiredInputs {
  /** Each upstream: its config, what it serves now, and the refusal reasons already reported (updated). */
  upstreams: Iterable<{ config: McpUpstreamConfig; live: ReadonlyMap<string, { definition: PinnedDefinition; hash: string }>; refused: Map<string, string> }>;
  /** The configured upstreams (for placeholders). */
  configured: readonly McpUpstreamConfig[];
  pins: PinStore;
  configTools: ReadonlySet<string>;
  /** The policy bundle, read for the actions it names (an unreadable bundle names none). */
  bundleDir: string;
  record: (events: AuditEventInput[]) => void;
}

/** What should be registered now (see the header); a definition that does not compile is reported once per reason. */
export async function desiredRegistration(inputs: DesiredInputs): Promise<Registration> {
  const out: Registration = new Map();
  for (const u of inputs.upstreams) {
    const pins = await inputs.pins.list({ upstream: u.config.prefix });
    const { registered, unregistrable } = upstreamRegistrations(u.config, u.live, pins, inputs.configTools);
    for (const [name, entry] of registered) out.set(name, entry);
    for (const { tool, pinnedHash, problem, reason } of unregistrable) {
      if (!firstReport(u.refused, tool, reason)) continue;
      inputs.record([hubEvent('mcp.tool.refused', { upstream: u.config.prefix, tool, hash: pinnedHash, code: 'ERR_TOOLS_SCHEMA_INVALID', reason: problem.slice(0, 300) })]);
    }
  }
  // Tools the policies name but no upstream has listed yet: placeholders, never admitted.
  const bundle = await loadBundleFromDir(inputs.bundleDir).catch(() => ({ files: {} }));
  const known = new Set([...out.keys(), ...inputs.configTools]);
  for (const [name, entry] of placeholderRegistrations(inputs.configured, bundle.files, known)) out.set(name, entry);
  return out;
}

/** Placeholders for the tools a policy bundle (`files`) names that are not `known` (registered or of the config). */
export function placeholderRegistrations(upstreams: readonly McpUpstreamConfig[], files: Record<string, string>, known: ReadonlySet<string>): Array<[string, Registered]> {
  return placeholderDefinitions(upstreams, referencedActions(files), known).map((definition) => [definition.name, { definition, pinnedHash: PLACEHOLDER }]);
}

/** Why a definition would not register (the tool registry refuses it), or null. */
export function compileProblem(definition: ToolDefinition): string | null {
  try {
    new ToolRegistry([definition]);
    return null;
  } catch (error) {
    return toAirlockError(error).message;
  }
}

/** Same names with the same pinned hashes (the order does not matter). */
export function sameRegistration(a: Registration, b: Registration): boolean {
  if (a.size !== b.size) return false;
  for (const [name, entry] of a) if (b.get(name)?.pinnedHash !== entry.pinnedHash) return false;
  return true;
}

/** Identifies a registration attempt (names and pinned hashes, in order). */
export function registrationSignature(registration: Registration): string {
  return JSON.stringify([...registration].map(([name, r]) => [name, r.pinnedHash]));
}

/** Names added, removed, and registered with another pinned hash, from `before` to `after`. */
export function registrationChanges(before: Registration, after: Registration): { added: string[]; removed: string[]; changed: string[] } {
  return {
    added: [...after.keys()].filter((n) => !before.has(n)),
    removed: [...before.keys()].filter((n) => !after.has(n)),
    changed: [...after.keys()].filter((n) => before.has(n) && before.get(n)?.pinnedHash !== after.get(n)?.pinnedHash),
  };
}

/**
 * Whether a registration the gateway refused is still not to be retried: the same
 * signature, refused less than a re-list period (at least a minute) ago.
 */
export function refusalHolds(refused: { signature: string; at: number } | null, signature: string, now: number, relistSeconds: number): boolean {
  const retryAfter = Math.max(60, relistSeconds) * 1000;
  return refused !== null && refused.signature === signature && now - refused.at < retryAfter;
}

export interface RegistrarOptions {
  /** What should be registered now. */
  desired: () => Promise<Registration>;
  clock: Clock;
  relistSeconds: number;
  record: (events: AuditEventInput[]) => void;
  /** Told when the gateway registered a new set. */
  registered: () => void;
  onFault: FaultHandler;
  /** True once the hub is closed: a re-registration asked for meanwhile is not run. */
  closed: () => boolean;
}

/**
 * The hub's side of registration with the gateway (a ToolSource): the registration it
 * wants, the one it last offered (`definitions()`, read by the gateway when it builds its
 * registry), and the one the gateway registered (the offered one, once attached or
 * refreshed). Re-registration runs one at a time; asked for meanwhile, it runs once more.
 */
export class Registrar {
  readonly #options: RegistrarOptions;
  #desired: Registration = new Map();
  #offered: Registration = new Map();
  #registered: Registration = new Map();
  #host: ToolSourceHost | null = null;
  #reconciling: Promise<void> | null = null;
  #reconcileAgain = false;
  /** The registration last refused (and when): not retried until it changes or a re-list period passed. */
  #refusedRegistration: { signature: string; at: number } | null = null;

  constructor(options: RegistrarOptions) {
    this.#options = options;
  }

  /** Computes the wanted registration (before the gateway first asks for definitions). */
  async prepare(): Promise<void> {
    this.#desired = await this.#options.desired();
  }

  /** The wanted definitions, recorded as offered. */
  definitions(): ToolDefinition[] {
    this.#offered = new Map(this.#desired);
    return [...this.#desired.values()].map((r) => r.definition);
  }

  /** The gateway registered what was offered. */
  attach(host: ToolSourceHost): void {
    this.#host = host;
    this.#registered = new Map(this.#offered);
  }

  /** The pinned hash a tool is registered with (undefined: not registered). */
  registeredHash(name: string): string | null | undefined {
    return this.#registered.get(name)?.pinnedHash;
  }

  /** Re-registers when the wanted definitions differ from the registered ones (one at a time). */
  async reconcile(): Promise<void> {
    if (this.#reconciling !== null) {
      this.#reconcileAgain = true;
      return this.#reconciling;
    }
    this.#reconciling = (async () => {
      do {
        this.#reconcileAgain = false;
        await this.#reconcileOnce();
      } while (this.#reconcileAgain && !this.#options.closed());
    })()
      .catch((error: unknown) => this.#options.onFault('re-register mcp tools', error))
      .finally(() => {
        this.#reconciling = null;
      });
    return this.#reconciling;
  }

  /** Waits for re-registration in progress. */
  async settled(): Promise<void> {
    while (this.#reconciling !== null) await this.#reconciling;
  }

  async #reconcileOnce(): Promise<void> {
    const { clock, record } = this.#options;
    this.#desired = await this.#options.desired();
    const host = this.#host;
    if (host === null || sameRegistration(this.#desired, this.#registered)) return;
    const signature = registrationSignature(this.#desired);
    if (refusalHolds(this.#refusedRegistration, signature, clock.now(), this.#options.relistSeconds)) return;
    const before = this.#registered;
    try {
      const { version } = await host.refresh();
      this.#registered = new Map(this.#offered);
      record([hubEvent('mcp.tools.registered', { ...registrationChanges(before, this.#registered), policy_version: version })]);
      this.#options.registered();
    } catch (error) {
      const failure = toAirlockError(error);
      this.#refusedRegistration = { signature, at: clock.now() };
      record([hubEvent('mcp.tools.refused', { code: failure.code, message: failure.message.slice(0, 300) })]);
      throw failure;
    }
  }
}
