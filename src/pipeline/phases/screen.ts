/**
 * screen: kill switches — from config (global, per tenant, per agent, per tool and per
 * connector) and engaged at runtime (those scopes and per session, from the gateway's local
 * snapshot) — checked before anything is resolved or evaluated. A runtime refusal names
 * the switch (`decision.kill_switch_id`); a snapshot that could not be confirmed recently
 * refuses every call with `killswitch.state_unknown` (fail closed).
 */
import type { ConnectorSpec } from '../../core/types.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import type { KillSwitchVerdict } from '../../killswitch/index.ts';

const IDS = new WeakMap<ConnectorSpec, string>();

/**
 * How a connector is named (kill switch list, credential audience): handler name, URL
 * host, `mcp:<upstream prefix>` or `sandbox:<command path>`. Computed once per tool definition (registered tools are frozen).
 */
export function connectorId(spec: ConnectorSpec): string {
  let id = IDS.get(spec);
  if (id === undefined) {
    if (spec.type === 'function') id = spec.handler;
    else if (spec.type === 'mcp') id = `mcp:${spec.upstream}`;
    else if (spec.type === 'sandbox') id = `sandbox:${spec.command[0] ?? ''}`;
    else {
      try {
        id = new URL(spec.url.replace(/\{[^}]*\}/g, 'x')).host;
      } catch {
        id = spec.url;
      }
    }
    IDS.set(spec, id);
  }
  return id;
}

export function screen(call: CallState, env: PipelineEnv): void | Promise<void> {
  const ks = env.killSwitch;
  const principal = call.principal;
  if (principal === undefined) return;
  const toolName = call.request.tool;
  const definition = env.tools.get(toolName);
  const connector = definition === undefined ? null : connectorId(definition.connector);
  let hit: string | null = null;
  if (ks.global) hit = 'global';
  else if (ks.tenants.includes(principal.tenant)) hit = `tenant ${principal.tenant}`;
  else if (principal.agent !== undefined && ks.agents.includes(principal.agent)) hit = `agent ${principal.agent}`;
  else if (ks.tools.includes(toolName)) hit = `tool ${toolName}`;
  // Connector ids ignore case, as a runtime switch does (a URL host is lowercased when the id is made).
  else if (connector !== null && ks.connectors.length > 0 && ks.connectors.some((c) => c.toLowerCase() === connector.toLowerCase())) hit = `connector ${connector}`;
  if (hit !== null) {
    denyWith(call, 'screen', 'screen.kill_switch', 'builtin.kill_switch', `kill switch engaged: ${hit}`);
    return;
  }
  const gate = env.killSwitches;
  if (gate === undefined) return;
  const subject = { tenant: principal.tenant, agent: principal.agent ?? null, tool: toolName, connector, session: call.session?.id ?? null };
  const verdict = gate.check(subject);
  // A snapshot not confirmed recently (the poll did not get a turn, or the store did not answer):
  // confirm it now, once, within the monitor's read bound, and refuse only if that fails too.
  if (verdict.refused && verdict.code === 'killswitch.state_unknown') return gate.refresh().then(() => applyVerdict(call, gate.check(subject)));
  applyVerdict(call, verdict);
}

function applyVerdict(call: CallState, verdict: KillSwitchVerdict): void {
  if (!verdict.refused) return;
  if (verdict.code === 'screen.kill_switch') {
    const s = verdict.killSwitch;
    call.killSwitchId = s.id;
    denyWith(call, 'screen', 'screen.kill_switch', 'builtin.kill_switch', `kill switch ${s.id} engaged: ${s.scope} ${s.target}`);
  } else {
    denyWith(call, 'screen', 'killswitch.state_unknown', 'builtin.kill_switch', 'kill switch state could not be confirmed recently: refusing (fail closed)');
  }
}
