/**
 * Signing keys the gateway needs for its own tokens (approval tokens, just-in-time
 * credentials): from a secret reference in the config, or by default a key file created
 * beside the SQLite state database, or — with memory state — a key that lives as long as
 * the process (and so do the requests and credentials it signs).
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { AirlockConfig, SecretRef } from '../config/types.ts';
import { resolveSecretRef } from '../config/index.ts';

export async function gatewayKey(config: AirlockConfig, ref: SecretRef | undefined, defaultFile: string): Promise<Uint8Array> {
  if (ref !== undefined) return resolveSecretRef(ref, config.baseDir, { createIfMissing: ref.startsWith('file:') });
  if (config.state.type === 'sqlite') {
    return resolveSecretRef(`file:${join(dirname(config.state.path), defaultFile)}`, config.baseDir, { createIfMissing: true });
  }
  return randomBytes(32);
}
