/**
 * Admission of upstream MCP tools. Two halves, both taking the hub's state as input:
 *
 * - pinning a listed tool: its exposed name (or why it cannot be exposed), its hash and
 *   scanner findings, the observation recorded in the pin store with the matching audit
 *   event, and first-use approval of a clean new definition (`approval: first_use`);
 * - the check the resolve phase runs before every call: what the upstream's state refuses
 *   (not connected, capability not served, tool no longer listed), then the judgement of
 *   the tool's pin against the definition served now and the one registered.
 */
import type { ServerCapabilities, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonValue } from '../../core/canonical.ts';
import type { Clock } from '../../core/clock.ts';
import { toAirlockError } from '../../core/errors.ts';
import type { AuditEventInput } from '../../core/types.ts';
import type { McpUpstreamConfig } from '../../config/types.ts';
import type { Finding, ObservationChange, PinnedDefinition, PinDecider, PinRecord, PinStore } from '../../mcp/index.ts';
import { GET_PROMPT, READ_RESOURCE, definitionHash, exposedName, pinnedDefinition, scanDefinition } from '../../mcp/index.ts';
import type { ToolRefusal } from '../env.ts';
import { hubEvent } from './hub-events.ts';

export const PIN_RULE = 'builtin.mcp.pin';
export const UPSTREAM_RULE = 'builtin.mcp.upstream';

export const FIRST_USE: PinDecider = { kind: 'first_use', user: 'first-use', tenant: null, issuer: 'airlock', roles: [] };

/** An upstream tool as served now, pinned and named. */
export interface LiveTool {
  definition: PinnedDefinition;
  hash: string;
  exposed: string;
  /** The upstream's listing entry, shown to clients under the exposed name. */
  listing: Tool;
}

// ---------------------------------------------------------------------------------------
// Admission at resolve
// ---------------------------------------------------------------------------------------

/** The gateway's own per-upstream tools (resources/read, prompts/get): admitted on capability, not on a pin. */
export function isGatewayTool(tool: string): boolean {
  return tool === READ_RESOURCE || tool === GET_PROMPT;
}

/** What admission needs to know about an upstream (null: not configured). */
export interface UpstreamAdmissionView {
  connected: boolean;
  capabilities: ServerCapabilities;
  /** Whether the upstream lists `tool` now. */
  lists: boolean;
}

/**
 * The refusal the upstream's state gives a call of `tool` (an upstream tool name or a
 * gateway tool), or null. For a gateway tool null admits; for an upstream tool the pin
 * must still be judged.
 */
export function upstreamRefusal(prefix: string, tool: string, upstream: UpstreamAdmissionView | null): ToolRefusal | null {
  if (upstream === null || !upstream.connected) {
    return { code: 'mcp.upstream_unavailable', rule: UPSTREAM_RULE, reason: `upstream ${prefix} is not connected` };
  }
  if (isGatewayTool(tool)) {
    const capability = tool === READ_RESOURCE ? upstream.capabilities.resources : upstream.capabilities.prompts;
    return capability === undefined
      ? { code: 'mcp.not_supported', rule: UPSTREAM_RULE, reason: `upstream ${prefix} serves no ${tool === READ_RESOURCE ? 'resources' : 'prompts'}` }
      : null;
  }
  if (!upstream.lists) {
    return { code: 'mcp.tool_unavailable', rule: UPSTREAM_RULE, reason: `upstream ${prefix} no longer lists ${tool}` };
  }
  return null;
}

export interface PinJudgement {
  refusal: ToolRefusal | null;
  /** Approved (e.g. by the CLI) but not registered here yet: the hub should re-register (the call is refused meanwhile). */
  reregister: boolean;
}

/**
 * Admitted only when the pin is approved, the upstream serves exactly the approved
 * definition (`liveHash`), and that definition is the registered one (`registeredHash`).
 */
export function judgePin(pin: PinRecord | null, liveHash: string, registeredHash: string | null | undefined): PinJudgement {
  const changed: ToolRefusal = {
    code: 'mcp.definition_changed',
    rule: PIN_RULE,
    reason: 'the upstream changed this tool\'s definition since it was approved; an operator must review the new one (airlock mcp tools pending)',
  };
  if (pin === null || (pin.state === 'pending' && pin.approved_hash === null)) {
    return {
      refusal: { code: 'mcp.definition_pending', rule: PIN_RULE, reason: 'this tool\'s definition has not been approved by an operator (airlock mcp tools pending)' },
      reregister: false,
    };
  }
  if (pin.state === 'rejected') return { refusal: { code: 'mcp.definition_rejected', rule: PIN_RULE, reason: 'an operator rejected this tool\'s definition' }, reregister: false };
  if (pin.state === 'pending' || pin.approved_hash !== liveHash) return { refusal: changed, reregister: false };
  if (registeredHash !== pin.approved_hash) return { refusal: changed, reregister: true };
  return { refusal: null, reregister: false };
}

// ---------------------------------------------------------------------------------------
// Pinning a listed tool
// ---------------------------------------------------------------------------------------

export type NamedListing =
  | { ok: true; name: string; definition: PinnedDefinition; exposed: string; hash: string }
  | { ok: false; name: string; reason: string; code: string };

/**
 * The pinned definition, exposed name and hash of a listed tool, or why it cannot be
 * exposed (an invalid definition or name, or a name a config tool already has). `name` is
 * the listed name, as the upstream sent it.
 */
export function nameListedTool(upstream: McpUpstreamConfig, listed: Tool, configTools: ReadonlySet<string>): NamedListing {
  const rawName = typeof listed.name === 'string' ? listed.name : '(unnamed)';
  let definition: PinnedDefinition;
  let exposed: string;
  try {
    definition = pinnedDefinition(listed);
    exposed = exposedName(upstream.prefix, definition.name, upstream.namespace);
  } catch (error) {
    const failure = toAirlockError(error);
    return { ok: false, name: rawName, reason: String(failure.details?.reason ?? failure.message), code: failure.code };
  }
  if (configTools.has(exposed)) return { ok: false, name: rawName, reason: `${exposed} is a tool of the config`, code: 'ERR_MCP_NAME_COLLISION' };
  return { ok: true, name: rawName, definition, exposed, hash: definitionHash(definition) };
}

/** First-use trust approves a definition only when it is new and the scanner found nothing in it. */
export function approvesOnFirstUse(upstream: McpUpstreamConfig, change: ObservationChange, findings: readonly Finding[]): boolean {
  return change === 'new' && upstream.approval === 'first_use' && findings.length === 0;
}

/**
 * Records `reason` for `name` in `refused` (the reasons a listed tool is not exposed);
 * true when it is new for that name, i.e. when it should be reported.
 */
export function firstReport(refused: Map<string, string>, name: string, reason: string): boolean {
  if (refused.get(name) === reason) return false;
  refused.set(name, reason);
  return true;
}

export interface PinContext {
  upstream: McpUpstreamConfig;
  /** Why listed tools are not exposed (name -> reason); updated here. */
  refused: Map<string, string>;
  configTools: ReadonlySet<string>;
  /** Tool names of the config and of the other upstreams (for the shadowing scan). */
  otherNames: string[];
  pins: PinStore;
  clock: Clock;
}

/**
 * Pins one listed tool: records the observation (and a first-use approval) in the pin
 * store and pushes the audit events onto `events`. Null when the tool cannot be exposed
 * (the reason is reported once per reason).
 */
export async function pinListedTool(context: PinContext, listed: Tool, events: AuditEventInput[]): Promise<LiveTool | null> {
  const { upstream, refused, pins } = context;
  const prefix = upstream.prefix;
  const named = nameListedTool(upstream, listed, context.configTools);
  if (!named.ok) {
    if (firstReport(refused, named.name, named.reason)) {
      events.push(hubEvent('mcp.tool.refused', { upstream: prefix, tool: named.name.slice(0, 200), code: named.code, reason: named.reason }));
    }
    return null;
  }
  const { definition, exposed, hash } = named;
  const findings = scanDefinition(definition, { otherToolNames: context.otherNames });
  const now = context.clock.now();
  const observed = await pins.observe({ upstream: prefix, tool: definition.name, hash, definition, findings, now });
  const common = { upstream: prefix, tool: definition.name, name: exposed, hash, findings: findingsJson(findings) };
  if (observed.change === 'new') {
    events.push(hubEvent('mcp.tool.discovered', { ...common, state: observed.record.state }));
    if (approvesOnFirstUse(upstream, observed.change, findings)) {
      await pins.decide({ upstream: prefix, tool: definition.name, hash, verdict: 'approve', by: FIRST_USE, justification: 'first use (config: approval first_use)', now });
      events.push(hubEvent('mcp.tool.approved', { upstream: prefix, tool: definition.name, name: exposed, hash, by: 'first_use' }));
    }
  } else if (observed.change === 'changed') {
    events.push(
      hubEvent('mcp.tool.changed', {
        ...common,
        previous_hash: observed.previous_hash,
        approved_hash: observed.record.approved_hash,
        state: observed.record.state,
      }),
    );
  }
  refused.delete(named.name);
  // Clients see exactly the pinned definition (under its exposed name), nothing unpinned.
  return { definition, hash, exposed, listing: { ...definition, name: exposed } as Tool };
}

function findingsJson(findings: Finding[]): JsonValue {
  return findings.map((f) => ({ rule: f.rule, path: f.path, excerpt: f.excerpt }));
}
