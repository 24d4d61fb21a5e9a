/**
 * Secret references: config never holds a secret, only `env:NAME` or `file:PATH`.
 * This file parses references and resolves them to bytes at startup. Errors name the
 * variable or file, never the value.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AirlockError } from '../core/errors.ts';

export type ParsedSecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The parsed reference, or null when `ref` is not a well-formed `env:` / `file:` reference. */
export function parseSecretRef(ref: string): ParsedSecretRef | null {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    return ENV_NAME.test(name) ? { kind: 'env', name } : null;
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    return path.trim() === '' || path !== path.trim() ? null : { kind: 'file', path };
  }
  return null;
}

const encoder = new TextEncoder();

function missing(message: string, details: Record<string, unknown>, cause?: unknown): AirlockError {
  return new AirlockError('ERR_CONFIG_SECRET_MISSING', message, { status: 500, details, cause });
}

async function createSecretFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  // Written whole to a private temp file, then linked into place: a concurrent reader never
  // sees a half-written secret, and link() never overwrites one another process created.
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${secret}\n`, { flag: 'wx', mode: 0o600 });
  try {
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
}

async function readSecretFile(path: string, createIfMissing: boolean): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && createIfMissing) {
      await createSecretFile(path);
      return readFile(path, 'utf8');
    }
    if (code === 'ENOENT') throw missing(`secret file ${path} does not exist`, { path }, err);
    throw missing(`secret file ${path} cannot be read (${code ?? 'error'})`, { path }, err);
  }
}

/**
 * Resolves `env:NAME` or `file:PATH` (relative to `baseDir`) to the secret's bytes (UTF-8 of
 * the trimmed value). With `createIfMissing`, a missing `file:` secret is created: parent
 * directory, 32 random bytes as base64url, mode 0600.
 */
export async function resolveSecretRef(
  ref: string,
  baseDir: string,
  options: { createIfMissing?: boolean } = {},
): Promise<Uint8Array> {
  const parsed = parseSecretRef(ref);
  if (parsed === null) {
    throw new AirlockError('ERR_CONFIG_SECRET_REF', 'secret reference must be env:NAME or file:PATH', { status: 500 });
  }
  if (parsed.kind === 'env') {
    const value = process.env[parsed.name];
    if (value === undefined) {
      throw missing(`environment variable ${parsed.name} is not set`, { variable: parsed.name });
    }
    const trimmed = value.trim();
    if (trimmed === '') throw missing(`environment variable ${parsed.name} is empty`, { variable: parsed.name });
    return encoder.encode(trimmed);
  }
  const path = resolve(baseDir, parsed.path);
  const trimmed = (await readSecretFile(path, options.createIfMissing === true)).trim();
  if (trimmed === '') throw missing(`secret file ${path} is empty`, { path });
  return encoder.encode(trimmed);
}
