/** Test helpers for the credentials module: a broker and a verifier sharing a key and a manual clock. */
import { ManualClock } from '../core/clock.ts';
import { CredentialBroker } from './broker.ts';
import { MemoryRevocationStore } from './memory-revocations.ts';
import type { MintRequest } from './types.ts';
import { createCredentialVerifier, type CredentialVerifierOptions } from './verifier.ts';

export const KEY = new TextEncoder().encode('k'.repeat(16) + 'test-credential-key-0123456789');
export const OTHER_KEY = new TextEncoder().encode('o'.repeat(16) + 'other-credential-key-987654321');
export const ISSUER = 'airlock-test';

export function request(overrides: Partial<MintRequest> = {}): MintRequest {
  return {
    scope: 'crm.customer.read',
    ttlSeconds: 300,
    audience: 'crm',
    actionHash: 'sha256:action-1',
    principal: { user: 'sam', tenant: 'acme', agent: 'support-agent' },
    ...overrides,
  };
}

export function setup(verifierOptions: Partial<CredentialVerifierOptions> = {}, maxTtlSeconds = 600) {
  const clock = new ManualClock();
  const revocations = new MemoryRevocationStore();
  const broker = new CredentialBroker({ key: KEY, issuer: ISSUER, maxTtlSeconds, clock, revocations });
  const verifier = createCredentialVerifier({
    key: KEY,
    issuer: ISSUER,
    audience: 'crm',
    revocations,
    clock,
    ...verifierOptions,
  });
  return { clock, revocations, broker, verifier };
}
