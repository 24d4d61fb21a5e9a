/**
 * Signed checkpoints: the head of the log (seq, hash, time) under an HMAC-SHA256, kept in a
 * file beside the database (`<db path>.checkpoint`) so that cutting events off the end of
 * the log is detectable. Files are replaced atomically (write tmp, fsync, rename, fsync dir).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { canonicalize } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';

export interface Checkpoint {
  seq: number;
  hash: string;
  /** ISO-8601 time the checkpoint was signed. */
  ts: string;
  /** `hmac-sha256:<hex>` over the canonical JSON of {kind, seq, hash, ts}. */
  mac: string;
}

export const MIN_CHECKPOINT_KEY_BYTES = 32;
const MAC_PREFIX = 'hmac-sha256:';

export function assertCheckpointKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.byteLength < MIN_CHECKPOINT_KEY_BYTES) {
    throw new AirlockError('ERR_AUDIT_CHECKPOINT_KEY', `checkpoint key must be at least ${MIN_CHECKPOINT_KEY_BYTES} bytes`, {
      status: 500,
    });
  }
}

function macOf(seq: number, hash: string, ts: string, key: Uint8Array): string {
  const payload = canonicalize({ kind: 'airlock.audit.checkpoint.v1', seq, hash, ts });
  return MAC_PREFIX + createHmac('sha256', key).update(payload).digest('hex');
}

export function signCheckpoint(head: { seq: number; hash: string; ts: string }, key: Uint8Array): Checkpoint {
  assertCheckpointKey(key);
  return { seq: head.seq, hash: head.hash, ts: head.ts, mac: macOf(head.seq, head.hash, head.ts, key) };
}

export function isCheckpointShape(value: unknown): value is Checkpoint {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.seq === 'number' &&
    Number.isSafeInteger(c.seq) &&
    c.seq >= 0 &&
    typeof c.hash === 'string' &&
    typeof c.ts === 'string' &&
    typeof c.mac === 'string'
  );
}

/** True when the checkpoint is well formed and its MAC is valid under `key` (constant-time compare). */
export function verifyCheckpointSignature(checkpoint: unknown, key: Uint8Array): boolean {
  assertCheckpointKey(key);
  if (!isCheckpointShape(checkpoint) || !checkpoint.mac.startsWith(MAC_PREFIX)) return false;
  const expected = Buffer.from(macOf(checkpoint.seq, checkpoint.hash, checkpoint.ts, key));
  const given = Buffer.from(checkpoint.mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function checkpointPathFor(dbPath: string): string {
  return `${dbPath}.checkpoint`;
}

function serialize(checkpoint: Checkpoint): string {
  return `${JSON.stringify({ seq: checkpoint.seq, hash: checkpoint.hash, ts: checkpoint.ts, mac: checkpoint.mac }, null, 2)}\n`;
}

/** Reads a checkpoint file; null when it does not exist. Throws ERR_AUDIT_CHECKPOINT when unreadable or malformed. */
export function readCheckpointFile(path: string): Checkpoint | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AirlockError('ERR_AUDIT_CHECKPOINT', 'checkpoint file cannot be read', { status: 503, cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new AirlockError('ERR_AUDIT_CHECKPOINT', 'checkpoint file is not json', { status: 503, cause });
  }
  if (!isCheckpointShape(parsed)) throw new AirlockError('ERR_AUDIT_CHECKPOINT', 'checkpoint file is malformed', { status: 503 });
  return { seq: parsed.seq, hash: parsed.hash, ts: parsed.ts, mac: parsed.mac };
}

/**
 * The checkpoint kept beside the database at `dbPath`, with its signature checked: null when
 * there is none, ERR_AUDIT_TAMPERED when it is not signed with `key`.
 */
export function readCheckpoint(dbPath: string, key: Uint8Array): Checkpoint | null {
  const checkpoint = readCheckpointFile(checkpointPathFor(dbPath));
  if (checkpoint !== null && !verifyCheckpointSignature(checkpoint, key)) {
    throw new AirlockError('ERR_AUDIT_TAMPERED', 'checkpoint signature is invalid', {
      status: 503,
      details: { seq: checkpoint.seq, reason: 'checkpoint_mismatch' },
    });
  }
  return checkpoint;
}

/**
 * Removes temp files a killed writer left beside the checkpoint. Only files older than
 * `minAgeMs` go, so a write in flight in another process is left alone.
 */
export function removeStaleCheckpointTemps(path: string, now: number, minAgeMs = 60_000): number {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const file = join(dir, name);
    try {
      if (now - statSync(file).mtimeMs < minAgeMs) continue;
      rmSync(file, { force: true });
      removed++;
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

function tmpPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Atomically replaces the checkpoint file (async; used by CheckpointWriter after committed batches). */
export async function writeCheckpointFile(path: string, checkpoint: Checkpoint): Promise<void> {
  const tmp = tmpPathFor(path);
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(serialize(checkpoint), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
  const dir = await open(dirname(path), 'r').catch(() => null);
  if (dir !== null) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}

/** Synchronous variant, for open and close paths. */
export function writeCheckpointFileSync(path: string, checkpoint: Checkpoint): void {
  const tmp = tmpPathFor(path);
  try {
    writeFileSync(tmp, serialize(checkpoint), { encoding: 'utf8', mode: 0o600, flush: true });
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directory fsync is best effort (not supported everywhere).
  }
}
