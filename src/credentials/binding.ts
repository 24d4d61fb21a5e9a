/**
 * Target binding: what a credential says about the one request it may serve — the tool
 * (`tool`), the target resource (`res`) and the hash of the tool with its normalized
 * arguments (`argh`) — and the check an upstream runs against the request in front of it.
 * An upstream that names what it expects and gets a credential minted for something else
 * (or one that names no target at all) refuses it; the refusal names which part differed,
 * never a value.
 */
import { canonicalHash, type JsonValue } from '../core/canonical.ts';
import { credentialError } from './errors.ts';
import type { CredentialClaims, CredentialResource } from './types.ts';

/** What an upstream expects of the credential for the request it serves (any subset). */
export interface CredentialBinding {
  /** The target resource this request acts on: must equal the credential's `res`. */
  resource?: CredentialResource;
  /** The tool this request serves: must equal the credential's `tool`. */
  tool?: string;
  /**
   * The normalized arguments this request carries (needs `tool`): the hash of the tool with
   * them must equal the credential's `argh`.
   */
  arguments?: Record<string, JsonValue>;
  /** The action hash, when the upstream has it: must equal the credential's `ah`. */
  actionHash?: string;
}

export type BindingMismatch = 'resource' | 'tool' | 'arguments' | 'action_hash';

/** The `argh` claim: canonical hash of the tool name with its normalized arguments. */
export function argumentsHash(tool: string, args: Record<string, JsonValue>): string {
  return canonicalHash({ tool, arguments: args });
}

function refuse(mismatch: BindingMismatch, message: string): never {
  const code = mismatch === 'resource' ? 'ERR_CREDENTIAL_TARGET_MISMATCH' : 'ERR_CREDENTIAL_ACTION_MISMATCH';
  throw credentialError(code, message, { details: { mismatch } });
}

function sameResource(a: CredentialResource, b: CredentialResource): boolean {
  return a.type === b.type && a.id === b.id;
}

/** Throws ERR_CREDENTIAL_TARGET_MISMATCH / ERR_CREDENTIAL_ACTION_MISMATCH when the claims do not fit the binding. */
export function checkBinding(claims: CredentialClaims, binding: CredentialBinding): void {
  if (binding.arguments !== undefined && binding.tool === undefined) {
    throw credentialError('ERR_CREDENTIAL_CONFIG', 'an arguments binding needs the tool');
  }
  if (binding.actionHash !== undefined && binding.actionHash !== claims.ah) {
    refuse('action_hash', 'credential was minted for another action');
  }
  if (binding.tool !== undefined && binding.tool !== claims.tool) {
    refuse('tool', claims.tool === undefined ? 'credential names no tool' : 'credential was minted for another tool');
  }
  if (binding.resource !== undefined) {
    if (claims.res === undefined) refuse('resource', 'credential names no target resource');
    if (!sameResource(binding.resource, claims.res)) refuse('resource', 'credential was minted for another target resource');
  }
  if (binding.arguments !== undefined && binding.tool !== undefined) {
    if (claims.argh === undefined) refuse('arguments', 'credential names no arguments hash');
    if (argumentsHash(binding.tool, binding.arguments) !== claims.argh) {
      refuse('arguments', 'credential was minted for other arguments');
    }
  }
}
