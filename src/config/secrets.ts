/**
 * Secret references: config never holds a secret, only `env:NAME` or `file:PATH`.
 * This file parses references and resolves them to bytes at startup. Errors name the
 * variable or file, never the value.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, unlink, writeFile } from 'node:fs/promises';
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

/** The largest secret file read: every secret Airlock reads is a key, a token or a URL. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

function insecure(message: string, details: Record<string, unknown>): AirlockError {
  return new AirlockError('ERR_CONFIG_SECRET_INSECURE', message, { status: 500, details });
}

const warnedExposed = new Set<string>();

/**
 * Reads a secret file through one descriptor (the mode checked is the mode of the file read):
 * a regular file (not a FIFO or a device that would block or never end), at most 64 KiB, not
 * writable by every user (whoever can write a signing key can forge what it signs). A file
 * its group may write or any local user may read is used with a process warning, once per path.
 */
async function readSecretFileOnce(path: string): Promise<string> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer before the type check refuses it.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw insecure(`secret file ${path} is not a regular file`, { path });
    if (info.size > MAX_SECRET_FILE_BYTES) throw insecure(`secret file ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes`, { path });
    const mode = info.mode & 0o777;
    const octal = mode.toString(8).padStart(4, '0');
    if ((mode & 0o002) !== 0) {
      throw insecure(`secret file ${path} is writable by every user (mode ${octal}): chmod 600 it`, { path, mode: octal });
    }
    const exposure = [(mode & 0o020) !== 0 ? 'writable by its group' : '', (mode & 0o004) !== 0 ? 'readable by every user' : ''].filter((w) => w !== '');
    if (exposure.length > 0 && !warnedExposed.has(path)) {
      warnedExposed.add(path);
      process.emitWarning(`secret file ${path} is ${exposure.join(' and ')} (mode ${octal}): chmod 600 it`, { code: 'AIRLOCK_SECRET_FILE_EXPOSED' });
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function readSecretFile(path: string, createIfMissing: boolean): Promise<string> {
  try {
    return await readSecretFileOnce(path);
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && createIfMissing) {
      await createSecretFile(path);
      return readSecretFileOnce(path);
    }
    if (code === 'ENOENT') throw missing(`secret file ${path} does not exist`, { path }, err);
    throw missing(`secret file ${path} cannot be read (${code ?? 'error'})`, { path }, err);
  }
}

/**
 * Resolves `env:NAME` or `file:PATH` (relative to `baseDir`) to the secret's bytes (UTF-8 of
 * the trimmed value). With `createIfMissing`, a missing `file:` secret is created: parent
 * directory, 32 random bytes as base64url, mode 0600. A `file:` secret that is not a regular
 * file, or that every user may write, is refused (ERR_CONFIG_SECRET_INSECURE).
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
