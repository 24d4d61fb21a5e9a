/**
 * credential: mint a just-in-time credential for an allowed call whose deciding policy
 * names a `@credential_scope` — lifetime from `@credential_ttl` (capped by config), audience
 * the tool's connector, bound to the call's action hash and to its tool, target resource and
 * normalized arguments (claims an upstream can check against the request it serves), and to
 * the session the call is made in (`sid`: a session revocation reaches it). The token is handed to the connector
 * (in decide mode: to the calling runtime) and never recorded; only its jti, scope and expiry are.
 * In-process function connectors run inside the gateway with no credential to present, so
 * none is minted for them in execute mode; nor for MCP upstreams, which authenticate the
 * gateway with the credentials configured for them (never the caller's token).
 */
import type { CallState } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { actionHash } from './approve.ts';
import { connectorId } from './screen.ts';

export async function credential(call: CallState, env: PipelineEnv): Promise<void> {
  const { tool, principal, evaluation, resource } = call;
  const scope = evaluation?.obligations.credentialScope;
  if (tool === undefined || principal === undefined || scope === undefined || call.arguments === undefined) return;
  if (call.mode === 'execute' && (tool.connector.type === 'function' || tool.connector.type === 'mcp')) return;
  const ttl = evaluation?.obligations.credentialTtlSeconds;
  call.credential = await env.credentials.mint({
    scope,
    ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
    audience: connectorId(tool.connector),
    actionHash: actionHash(call),
    // The upstream checks the request it serves against these (tool, target, arguments hash).
    target: { tool: tool.name, resource: { type: resource?.type ?? 'none', id: resource?.id ?? null }, arguments: call.arguments },
    principal: { user: principal.user, tenant: principal.tenant, ...(principal.agent === undefined ? {} : { agent: principal.agent }) },
    // The session (claim `sid`), so a session kill switch revokes the credential in flight.
    ...(call.session === undefined ? {} : { session: call.session.id }),
  });
}
