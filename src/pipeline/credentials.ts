/**
 * Wires just-in-time credentials: the broker (key, issuer, TTL cap), its revocation store
 * (in the state database), and the header an HTTP upstream receives the credential in.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../core/clock.ts';
import type { ConnectorCall } from '../core/types.ts';
import type { AirlockConfig } from '../config/types.ts';
import type { RevocationStore } from '../credentials/index.ts';
import { CredentialBroker, DEFAULT_CREDENTIAL_HEADER, MemoryRevocationStore, SqliteRevocationStore } from '../credentials/index.ts';
import { gatewayKey } from './keys.ts';

export async function createCredentialBroker(
  config: AirlockConfig,
  stateDb: DatabaseSync | null,
  clock: Clock,
): Promise<{ broker: CredentialBroker; revocations: RevocationStore }> {
  const revocations: RevocationStore = stateDb === null ? new MemoryRevocationStore() : new SqliteRevocationStore(stateDb);
  const broker = new CredentialBroker({
    key: await gatewayKey(config, config.credentials.signingKey, 'credential-signing.key'),
    issuer: config.credentials.issuer,
    maxTtlSeconds: config.credentials.maxTtlSeconds,
    clock,
    revocations,
  });
  return { broker, revocations };
}

/** Header hook for HTTP connectors: the call's credential, when one was minted. */
export async function credentialHeader(call: ConnectorCall): Promise<Record<string, string>> {
  return call.credential === undefined ? {} : { [DEFAULT_CREDENTIAL_HEADER]: call.credential };
}
