/**
 * Namespacing: how upstream tools, prompts and the gateway's own per-upstream tools are
 * named towards clients and policy. An upstream tool `read_file` of the upstream with
 * prefix `fs` is exposed as `fs.read_file`; two upstreams can therefore never shadow each
 * other. An upstream may be exposed without a prefix (`namespace: none`) only when it is
 * the only upstream; any clash — between upstreams, or with a tool of the config — is a
 * configuration error, never resolved by order.
 *
 * MCP tool names never contain `:`, so the gateway's own per-upstream tools
 * (`<prefix>:read_resource`, `<prefix>:get_prompt`) cannot collide with an upstream's.
 */
import { mcpError } from './errors.ts';

/** Upstream prefix: a letter, then letters, digits, `_` or `-` (at most 32). */
export const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/** What Airlock's registry accepts as a tool name. */
const EXPOSED_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/** Characters an upstream tool (or prompt) name may use (MCP SEP-986 plus `/`-free). */
const UPSTREAM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export type NamespaceMode = 'prefixed' | 'none';

/** The gateway's own tools for an upstream: resource reads and prompt fetches go through the pipeline too. */
export const READ_RESOURCE = 'read_resource';
export const GET_PROMPT = 'get_prompt';

export function isValidPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

/**
 * The exposed name of an upstream tool or prompt, or an ERR_MCP_NAME_INVALID error when it
 * cannot be exposed (characters outside the MCP set, or too long once prefixed).
 */
export function exposedName(prefix: string, name: string, mode: NamespaceMode = 'prefixed'): string {
  if (!UPSTREAM_NAME.test(name)) throw mcpError('ERR_MCP_NAME_INVALID', { upstream: prefix, name: name.slice(0, 200) });
  const exposed = mode === 'none' ? name : `${prefix}.${name}`;
  if (!EXPOSED_PATTERN.test(exposed)) throw mcpError('ERR_MCP_NAME_INVALID', { upstream: prefix, name });
  return exposed;
}

/** The name of one of the gateway's own tools for an upstream (`fs:read_resource`). */
export function gatewayToolName(prefix: string, tool: typeof READ_RESOURCE | typeof GET_PROMPT): string {
  return `${prefix}:${tool}`;
}

/**
 * Assigns exposed names and refuses clashes. `taken` holds names already in use (the
 * config's tools). Returns exposed name -> owner; throws ERR_MCP_NAME_COLLISION naming both
 * owners on the first clash.
 */
export function assignNames<T extends { upstream: string; name: string }>(
  entries: readonly T[],
  modes: ReadonlyMap<string, NamespaceMode>,
  taken: ReadonlySet<string> = new Set(),
): Map<string, T> {
  const out = new Map<string, T>();
  for (const entry of entries) {
    const exposed = exposedName(entry.upstream, entry.name, modes.get(entry.upstream) ?? 'prefixed');
    const previous = out.get(exposed);
    if (previous !== undefined || taken.has(exposed)) {
      throw mcpError('ERR_MCP_NAME_COLLISION', {
        name: exposed,
        owners: [previous === undefined ? 'config' : `${previous.upstream}:${previous.name}`, `${entry.upstream}:${entry.name}`],
      });
    }
    out.set(exposed, entry);
  }
  return out;
}
