/**
 * The MCP tools a gateway would register at start, as far as can be known without
 * connecting to the upstreams: each upstream's own gateway tools, plus every upstream tool
 * whose definition is pinned in the state database (the approved definition, else the one
 * last observed), plus placeholders for tools the policy bundle names that were never seen. `airlock config check`, `policy check` and `policy schema` validate the
 * policy bundle against these, so policies naming MCP tools check offline. The state
 * database is only read (and not created when it does not exist yet).
 */
import type { ToolDefinition } from '../../core/types.ts';
import type { AirlockConfig } from '../../config/types.ts';
import { exposedName } from '../../mcp/index.ts';
import { readStoredPins } from '../../stores/index.ts';
import { ToolRegistry } from '../../tools/index.ts';
import { loadBundleFromDir } from '../../policy/index.ts';
import { gatewayTools, placeholderDefinitions, referencedActions, toolDefinition } from './definitions.ts';

export async function storedMcpDefinitions(config: AirlockConfig): Promise<ToolDefinition[]> {
  const upstreams = config.mcp?.upstreams ?? [];
  if (upstreams.length === 0) return [];
  const taken = new Set(config.tools.map((t) => t.name));
  const pins = await readStoredPins(config);
  const out: ToolDefinition[] = [];
  for (const upstream of upstreams) {
    out.push(...gatewayTools(upstream));
    for (const pin of pins.filter((p) => p.upstream === upstream.prefix)) {
      const pinned = pin.approved_definition ?? pin.definition;
      let name: string;
      try {
        name = exposedName(upstream.prefix, pinned.name, upstream.namespace);
      } catch {
        continue;
      }
      if (taken.has(name)) continue;
      const definition = toolDefinition(upstream, name, pinned);
      try {
        new ToolRegistry([definition]);
      } catch {
        continue;
      }
      taken.add(name);
      out.push(definition);
    }
  }
  const bundle = await loadBundleFromDir(config.policy.bundleDir).catch(() => ({ files: {} }));
  return [...out, ...placeholderDefinitions(upstreams, referencedActions(bundle.files), new Set([...taken, ...out.map((d) => d.name)]))];
}
