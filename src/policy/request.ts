/**
 * The parts of what Cedar sees for one call: the entities (the principal `User`, the
 * `Tool` resource, the tool's action with its class group as parent), the principal's
 * attributes, and the full context record of docs/policy-model.md. Per-tool parts are
 * prepared once (`ToolBinding`); plan.ts picks what a request slice needs. Strings Cedar
 * cannot take (not well-formed unicode) are refused here, before Cedar is asked.
 */
import { AirlockError } from '../core/errors.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { AuthorizationRequest, ConnectorSpec, Principal, RegisteredTool } from '../core/types.ts';
import { ACTION_TYPE, TOOL_TYPE, USER_TYPE } from './schema.ts';
import { parametersShape, toCedarValue, unrepresentable } from './shapes.ts';
import type { CedarShape, CedarValue } from './shapes.ts';

export interface EntityUid {
  type: string;
  id: string;
}

export interface CedarEntity {
  uid: EntityUid;
  attrs: Record<string, CedarValue>;
  parents: EntityUid[];
}

/** Everything about one tool that does not change between requests. */
export interface ToolBinding {
  name: string;
  version: string;
  sideEffect: string;
  /** Host the tool's connector sends to (`context.tool_call.destination`); "" when it has none. */
  destination: string;
  parameters: CedarShape & { kind: 'Record' };
  action: EntityUid;
  resource: EntityUid;
  toolEntity: CedarEntity;
  actionEntity: CedarEntity;
}

/**
 * The destination host of a tool's connector, lowercase: the host of an HTTP connector's URL
 * (fixed: a template cannot place an argument in the host) or of an MCP HTTP upstream; "" for
 * connectors that send nowhere (functions, stdio upstreams, sandboxed commands).
 */
export function destinationOf(connector: ConnectorSpec): string {
  const url = connector.type === 'http' ? connector.url : connector.type === 'mcp' ? connector.url : undefined;
  if (url === undefined) return '';
  try {
    return new URL(url.replace(/\{[^}]*\}/g, 'x')).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

export function bindTool(tool: RegisteredTool): ToolBinding {
  const action = { type: ACTION_TYPE, id: tool.name };
  const resource = { type: TOOL_TYPE, id: tool.name };
  return {
    name: tool.name,
    version: tool.version,
    sideEffect: tool.sideEffect,
    destination: destinationOf(tool.connector),
    parameters: parametersShape(tool.inputSchema),
    action,
    resource,
    toolEntity: {
      uid: resource,
      attrs: { name: tool.name, side_effect: tool.sideEffect, tenant_bound: tool.tenantBinding === 'principal' },
      parents: [],
    },
    actionEntity: { uid: action, attrs: {}, parents: [{ type: ACTION_TYPE, id: tool.sideEffect }] },
  };
}

const bindings = new WeakMap<RegisteredTool, ToolBinding>();

function bindingOf(tool: RegisteredTool): ToolBinding {
  let binding = bindings.get(tool);
  if (binding === undefined) {
    binding = bindTool(tool);
    bindings.set(tool, binding);
  }
  return binding;
}

/**
 * The Cedar value of `context.tool_call.parameters` for a tool's normalized arguments.
 * Numbers become decimals; arguments with no Cedar type are left out; a value Cedar cannot
 * hold (e.g. more than four fractional digits) throws ERR_POLICY_UNREPRESENTABLE (400).
 */
export function toCedarParameters(tool: RegisteredTool, args: Record<string, JsonValue>): Record<string, CedarValue> {
  return parametersValue(bindingOf(tool), args);
}

export function parametersValue(binding: ToolBinding, args: Record<string, JsonValue>): Record<string, CedarValue> {
  return toCedarValue(binding.parameters, args, 'parameters') as Record<string, CedarValue>;
}

export function userUid(principal: Principal): EntityUid {
  return { type: USER_TYPE, id: `${principal.tenant}/${principal.user}` };
}

/** `principal.delegated`: the token carries a delegation. */
export function isDelegated(principal: Principal): boolean {
  return principal.delegation.length > 0 || principal.agent !== undefined;
}

/** Every attribute of the User entity (docs/policy-model.md). */
export const USER_ATTRIBUTES: readonly string[] = ['id', 'tenant', 'roles', 'agent', 'delegated'];

/** One attribute of the User entity (undefined: `agent` when there is none, or no such attribute). */
export function userAttribute(principal: Principal, name: string): CedarValue | undefined {
  switch (name) {
    case 'id':
      return principal.user;
    case 'tenant':
      return principal.tenant;
    case 'roles':
      return principal.roles;
    case 'delegated':
      return isDelegated(principal);
    case 'agent':
      return principal.agent;
    default:
      return undefined;
  }
}

/** The principal's attributes (all of them, or only those `names` lists) as Cedar values. */
export function userAttrs(principal: Principal, names: readonly string[] | null): Record<string, CedarValue> {
  const attrs: Record<string, CedarValue> = {};
  for (const name of names ?? USER_ATTRIBUTES) {
    const value = userAttribute(principal, name);
    if (value !== undefined) attrs[name] = value;
  }
  return attrs;
}

/** The User entity with only the attributes `names` lists (null: all of them). */
export function leanUserEntity(principal: Principal, names: readonly string[] | null): CedarEntity {
  return { uid: userUid(principal), attrs: userAttrs(principal, names), parents: [] };
}

export function userEntity(principal: Principal): CedarEntity {
  return leanUserEntity(principal, null);
}

/** Session attributes as Cedar values: declared ones only; a type mismatch is refused. */
export function sessionAttributesValue(
  shape: CedarShape & { kind: 'Record' },
  attributes: Record<string, JsonValue>,
): Record<string, CedarValue> {
  const out: Record<string, CedarValue> = {};
  for (const [name, attr] of Object.entries(shape.attributes)) {
    if (!Object.hasOwn(attributes, name)) continue;
    const value = attributes[name];
    if (value === undefined || value === null) continue;
    out[name] = toCedarValue(attr.shape, value, `session.attributes.${name}`);
  }
  return out;
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new AirlockError('ERR_POLICY_CONTEXT', `${name} is not an integer`, { status: 500, details: { field: name } });
  }
  return value;
}

/** Cedar takes text as UTF-8: a string with a lone surrogate cannot be sent (cedar-wasm fails on it). */
function text(value: string, path: string): string {
  if (!value.isWellFormed()) unrepresentable(path, 'not well-formed unicode');
  return value;
}

/** Refuses a principal whose strings Cedar cannot take (ERR_POLICY_UNREPRESENTABLE). */
export function checkPrincipal(principal: Principal): void {
  text(principal.user, 'principal.id');
  text(principal.tenant, 'principal.tenant');
  principal.roles.forEach((role, i) => text(role, `principal.roles[${i}]`));
  if (principal.agent !== undefined) text(principal.agent, 'principal.agent');
}

/**
 * The context record of a request. `request.environment.now` is epoch milliseconds (the
 * Clock's unit); Cedar sees epoch seconds and the UTC hour and weekday. `taint`, `scope` and
 * the session's provenance labels are always present (clean defaults when the request has none).
 */
export function buildContext(
  binding: ToolBinding,
  sessionAttributes: CedarShape & { kind: 'Record' },
  request: AuthorizationRequest,
): Record<string, CedarValue> {
  const resource: Record<string, CedarValue> = {
    type: text(request.resource.type, 'tool_call.resource.type'),
    exists: request.resource.exists,
  };
  if (request.resource.id !== null) resource.id = text(request.resource.id, 'tool_call.resource.id');
  if (request.resource.tenant !== null) resource.tenant = text(request.resource.tenant, 'tool_call.resource.tenant');
  const session: Record<string, CedarValue> = {
    call_count: count(request.session.callCount, 'session.call_count'),
    tool_call_count: count(request.session.toolCallCount, 'session.tool_call_count'),
    records_read_last_10m: count(request.session.recordsReadLast10m, 'session.records_read_last_10m'),
    attributes: sessionAttributesValue(sessionAttributes, request.session.attributes),
  };
  if (request.session.id !== null) session.id = text(request.session.id, 'session.id');
  const labels = request.session.labels;
  session.untrusted_seen = labels?.untrustedSeen ?? false;
  session.lowest_trust = text(labels?.lowestTrust ?? 'system', 'session.lowest_trust');
  session.max_classification = text(labels?.maxClassification ?? 'public', 'session.max_classification');
  if (labels?.manifestHash !== undefined) session.manifest_hash = text(labels.manifestHash, 'session.manifest_hash');
  const taintedArguments = request.taint?.arguments ?? [];
  const nowMs = request.environment.now;
  const date = new Date(nowMs);
  if (!Number.isFinite(nowMs) || Number.isNaN(date.getTime())) {
    throw new AirlockError('ERR_POLICY_CONTEXT', 'environment.now is not a valid time', { status: 500 });
  }
  const context: Record<string, CedarValue> = {
    tool_call: {
      tool: binding.name,
      class: binding.sideEffect,
      affected_count: count(request.affectedCount, 'affected_count'),
      destination: binding.destination,
      resource,
      parameters: parametersValue(binding, request.arguments),
    },
    session,
    taint: {
      any: taintedArguments.length > 0,
      arguments: taintedArguments.map((a, i) => text(a, `taint.arguments[${i}]`)),
      sources: (request.taint?.sources ?? []).map((s, i) => text(s, `taint.sources[${i}]`)),
      // Absent grades (an engine caller that does not grade): every tainted path counts as unnamed.
      injected: (request.taint?.injected ?? []).map((a, i) => text(a, `taint.injected[${i}]`)),
      instructed: (request.taint?.instructed ?? request.taint?.injected ?? []).map((a, i) => text(a, `taint.instructed[${i}]`)),
      directive: (request.taint?.directive ?? []).map((a, i) => text(a, `taint.directive[${i}]`)),
      unnamed: (request.taint?.unnamed ?? taintedArguments).map((a, i) => text(a, `taint.unnamed[${i}]`)),
    },
    scope: {
      targets_declared: request.scope !== undefined,
      outside: (request.scope?.outside ?? []).map((a, i) => text(a, `scope.outside[${i}]`)),
    },
    environment: {
      now: Math.floor(nowMs / 1000),
      hour_utc: date.getUTCHours(),
      weekday_utc: date.getUTCDay(),
    },
  };
  if (request.intent !== undefined) context.intent = text(request.intent, 'intent');
  return context;
}
