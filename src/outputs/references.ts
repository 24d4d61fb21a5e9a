/**
 * Reference tokens: a data value replaced by `[[ref:<class>:dref_<sealed>]]`, where the
 * sealed part is the value encrypted (AES-256-GCM, random 96-bit nonce) under the gateway's
 * reference key, bound to the tenant and the class (additional data): the model sees only the
 * token, a principal of another tenant cannot open it, and no store is needed — every replica
 * with the key resolves it. Resolving is for authorized principals only (see the pipeline).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AirlockError } from '../core/errors.ts';

const TOKEN = /\[\[ref:([a-z_]{1,32}):dref_([A-Za-z0-9_-]{20,8192})\]\]/g;
const MAX_VALUE_CHARS = 4096;

export interface ReferenceValue {
  cls: string;
  value: string;
}

export class ReferenceTokens {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length < 32) throw new AirlockError('ERR_OUTPUT_REFERENCE_KEY', 'the data reference key needs at least 32 bytes', { status: 500 });
    this.#key = Buffer.from(key.subarray(0, 32));
  }

  /** The token for a value of a tenant; values longer than 4096 characters are not tokenized (null: redact instead). */
  mint(tenant: string, cls: string, value: string): string | null {
    if (value.length > MAX_VALUE_CHARS) return null;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(`${tenant}\u0000${cls}`));
    const sealed = Buffer.concat([iv, cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `[[ref:${cls}:dref_${sealed.toString('base64url')}]]`;
  }

  /** Opens a token for a tenant; ERR_OUTPUT_REFERENCE_UNKNOWN for anything else (malformed, forged, another tenant's). */
  resolve(tenant: string, token: string): ReferenceValue {
    const match = [...token.trim().matchAll(TOKEN)][0];
    if (match === undefined || match[0] !== token.trim()) throw unknown();
    const cls = match[1] as string;
    const sealed = Buffer.from(match[2] as string, 'base64url');
    if (sealed.length < 12 + 16) throw unknown();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${tenant}\u0000${cls}`));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const value = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
      return { cls, value };
    } catch {
      throw unknown();
    }
  }

  /** The reference tokens in a text, in order. */
  static find(text: string): string[] {
    return [...text.matchAll(TOKEN)].map((m) => m[0]);
  }
}

function unknown(): AirlockError {
  return new AirlockError('ERR_OUTPUT_REFERENCE_UNKNOWN', 'no such data reference for this tenant', { status: 404 });
}
