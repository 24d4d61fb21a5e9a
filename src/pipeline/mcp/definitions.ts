/**
 * From an upstream tool's pinned definition (plus the config's settings for its upstream
 * and for the tool) to the ToolDefinition the gateway registers, and the gateway's own
 * per-upstream tools for resource reads and prompt fetches.
 *
 * Side-effect class: the tool's own setting in config wins; otherwise the upstream's
 * default (`write` unless configured), raised to `irreversible` when the upstream marks the
 * tool `destructiveHint: true`. Upstream annotations are untrusted hints: they can raise a
 * class, never lower it (`readOnlyHint` does nothing).
 */
import type { JsonSchema, SideEffectClass, ToolDefinition } from '../../core/types.ts';
import type { McpUpstreamConfig } from '../../config/types.ts';
import type { PinnedDefinition } from '../../mcp/index.ts';
import { GET_PROMPT, READ_RESOURCE, adaptInputSchema, gatewayToolName } from '../../mcp/index.ts';

const RANK: Record<SideEffectClass, number> = { none: 0, read: 1, write: 2, irreversible: 3, external_send: 3 };

/** The class a tool is registered with (see the header). */
export function sideEffectOf(upstream: McpUpstreamConfig, definition: PinnedDefinition): SideEffectClass {
  const configured = upstream.tools[definition.name]?.sideEffect;
  if (configured !== undefined) return configured;
  const base = upstream.sideEffect;
  if (definition.annotations?.destructiveHint === true && RANK[base] < RANK.irreversible) return 'irreversible';
  return base;
}

/** The connector of an upstream's tool; an HTTP upstream's URL rides along for `context.tool_call.destination`. */
function mcpConnector(upstream: McpUpstreamConfig, tool: string): ToolDefinition['connector'] {
  return { type: 'mcp', upstream: upstream.prefix, tool, ...(upstream.transport.type === 'http' ? { url: upstream.transport.url } : {}) };
}

/** The registered definition of an upstream tool exposed as `exposed`. */
export function toolDefinition(upstream: McpUpstreamConfig, exposed: string, definition: PinnedDefinition): ToolDefinition {
  const override = upstream.tools[definition.name] ?? {};
  const out: ToolDefinition = {
    name: exposed,
    description: definition.description ?? '',
    inputSchema: adaptInputSchema(definition.inputSchema) as JsonSchema,
    sideEffect: sideEffectOf(upstream, definition),
    // Upstream resources are not tenant-owned records the gateway can resolve; policy scopes them.
    tenantBinding: 'none',
    idempotent: override.idempotent ?? false,
    timeoutMs: override.timeoutMs ?? upstream.timeoutMs,
    connector: mcpConnector(upstream, definition.name),
    outputTrust: override.outputTrust ?? upstream.trust,
  };
  if (override.resource !== undefined) out.resource = { ...override.resource };
  return out;
}

/**
 * The gateway's own tools for one upstream, always registered (so the Cedar schema does not
 * depend on whether an upstream answered at start): `<prefix>:read_resource` (`resources/read`)
 * and `<prefix>:get_prompt` (`prompts/get`). Both are reads whose results carry the
 * upstream's trust tier.
 */
export function gatewayTools(upstream: McpUpstreamConfig): ToolDefinition[] {
  const common = {
    sideEffect: 'read' as const,
    tenantBinding: 'none' as const,
    idempotent: true,
    timeoutMs: upstream.timeoutMs,
    outputTrust: upstream.trust,
  };
  return [
    {
      ...common,
      name: gatewayToolName(upstream.prefix, READ_RESOURCE),
      description: `Read a resource of upstream ${upstream.prefix} (MCP resources/read).`,
      inputSchema: { type: 'object', required: ['uri'], properties: { uri: { type: 'string', minLength: 1, maxLength: 4096 } } },
      resource: { type: 'McpResource', argument: 'uri' },
      connector: mcpConnector(upstream, READ_RESOURCE),
    },
    {
      ...common,
      name: gatewayToolName(upstream.prefix, GET_PROMPT),
      description: `Fetch a prompt of upstream ${upstream.prefix} (MCP prompts/get).`,
      inputSchema: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          arguments: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      resource: { type: 'McpPrompt', argument: 'name' },
      connector: mcpConnector(upstream, GET_PROMPT),
    },
  ];
}

/** Action names a policy bundle mentions (`Airlock::Action::"<name>"`). */
export function referencedActions(files: Record<string, string>): Set<string> {
  const out = new Set<string>();
  for (const text of Object.values(files)) {
    for (const match of text.matchAll(/Action\s*::\s*"((?:[^"\\]|\\.)*)"/g)) out.add(match[1] ?? '');
  }
  return out;
}

/**
 * Placeholders for upstream tools the policy bundle names but that have not been discovered
 * (the upstream was down at start, or has not been reached yet): registered so the bundle
 * validates and the gateway starts, with an open schema, and never admitted — their calls
 * are denied (`mcp.tool_unavailable`) until the upstream lists the tool, when the real
 * definition replaces the placeholder (and the bundle is validated against it).
 */
export function placeholderDefinitions(upstreams: readonly McpUpstreamConfig[], referenced: ReadonlySet<string>, known: ReadonlySet<string>): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  for (const name of referenced) {
    if (known.has(name) || (SIDE_EFFECT_NAMES as readonly string[]).includes(name)) continue;
    const upstream =
      upstreams.find((u) => u.namespace === 'prefixed' && name.startsWith(`${u.prefix}.`)) ??
      (upstreams.length === 1 && upstreams[0]?.namespace === 'none' ? upstreams[0] : undefined);
    if (upstream === undefined) continue;
    const tool = upstream.namespace === 'none' ? name : name.slice(upstream.prefix.length + 1);
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(tool) || !/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/.test(name)) continue;
    out.push({
      name,
      description: `${tool} of upstream ${upstream.prefix}: not discovered yet`,
      inputSchema: { type: 'object' },
      sideEffect: upstream.tools[tool]?.sideEffect ?? upstream.sideEffect,
      tenantBinding: 'none',
      idempotent: false,
      timeoutMs: upstream.timeoutMs,
      connector: mcpConnector(upstream, tool),
      outputTrust: upstream.trust,
    });
  }
  return out;
}

const SIDE_EFFECT_NAMES = ['none', 'read', 'write', 'irreversible', 'external_send'] as const;
