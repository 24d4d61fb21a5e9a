/**
 * Wires just-in-time credentials: the broker (key, issuer, TTL cap), its revocation store
 * (in the state database), the header an HTTP upstream receives the credential in, and the
 * HTTP connector headers written as secret references.
 */
import type { Clock } from '../core/clock.ts';
import type { ConnectorCall, ToolDefinition } from '../core/types.ts';
import type { AirlockConfig } from '../config/types.ts';
import type { RevocationStore } from '../credentials/index.ts';
import { CredentialBroker, DEFAULT_CREDENTIAL_HEADER } from '../credentials/index.ts';
import { gatewayKey } from './keys.ts';

export async function createCredentialBroker(
  config: AirlockConfig,
  revocations: RevocationStore,
  clock: Clock,
): Promise<{ broker: CredentialBroker; revocations: RevocationStore }> {
  const broker = new CredentialBroker({
    key: await gatewayKey(config, config.credentials.signingKey, 'credential-signing.key'),
    issuer: config.credentials.issuer,
    maxTtlSeconds: config.credentials.maxTtlSeconds,
    clock,
    revocations,
  });
  return { broker, revocations };
}

/**
 * Resolves every HTTP connector header written as a secret reference among `tools` now, and
 * returns the resolver the connectors use per call (answered from what was resolved).
 */
export async function connectorSecretResolver(
  tools: readonly ToolDefinition[],
  resolve: (ref: string) => Promise<Uint8Array>,
): Promise<(ref: string) => Promise<string>> {
  const decoder = new TextDecoder();
  const resolved = new Map<string, string>();
  for (const tool of tools) {
    if (tool.connector.type !== 'http') continue;
    for (const value of Object.values(tool.connector.headers ?? {})) {
      if ((value.startsWith('env:') || value.startsWith('file:')) && !resolved.has(value)) {
        resolved.set(value, decoder.decode(await resolve(value)));
      }
    }
  }
  return async (ref) => resolved.get(ref) ?? decoder.decode(await resolve(ref));
}

/** Header hook for HTTP connectors: the call's credential, when one was minted. */
export async function credentialHeader(call: ConnectorCall): Promise<Record<string, string>> {
  return call.credential === undefined ? {} : { [DEFAULT_CREDENTIAL_HEADER]: call.credential };
}
