/**
 * Tests for secret references: env and file resolution, creation of a missing dev secret
 * (mode 0600, 32 random bytes), and errors that name the source but never the value.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSecretRef, resolveSecretRef } from './secrets.ts';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('parseSecretRef', () => {
  it('parses env and file references and refuses anything else', () => {
    assert.deepEqual(parseSecretRef('env:AIRLOCK_KEY'), { kind: 'env', name: 'AIRLOCK_KEY' });
    assert.deepEqual(parseSecretRef('file:keys/dev.key'), { kind: 'file', path: 'keys/dev.key' });
    for (const bad of ['hunter2', 'env:', 'env:1BAD', 'env:A-B', 'file:', 'file: x', 'ENV:A', 'vault:a/b']) {
      assert.equal(parseSecretRef(bad), null, bad);
    }
  });
});

describe('resolveSecretRef', () => {
  it('reads env:NAME (trimmed)', async () => {
    process.env.AIRLOCK_TEST_SECRET_A = '  s3cret-value\n';
    try {
      assert.equal(decode(await resolveSecretRef('env:AIRLOCK_TEST_SECRET_A', '/nowhere')), 's3cret-value');
    } finally {
      delete process.env.AIRLOCK_TEST_SECRET_A;
    }
  });

  it('refuses a missing variable naming it, not a value', async () => {
    delete process.env.AIRLOCK_TEST_SECRET_MISSING;
    await assert.rejects(resolveSecretRef('env:AIRLOCK_TEST_SECRET_MISSING', '/'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_CONFIG_SECRET_MISSING');
      assert.match(err.message, /AIRLOCK_TEST_SECRET_MISSING is not set/);
      return true;
    });
  });

  it('refuses an empty variable', async () => {
    process.env.AIRLOCK_TEST_SECRET_EMPTY = '   ';
    try {
      await assert.rejects(resolveSecretRef('env:AIRLOCK_TEST_SECRET_EMPTY', '/'), { code: 'ERR_CONFIG_SECRET_MISSING' });
    } finally {
      delete process.env.AIRLOCK_TEST_SECRET_EMPTY;
    }
  });

  it('reads file:PATH relative to baseDir (trimmed)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    await writeFile(join(dir, 'k.txt'), 'file-secret\n');
    assert.equal(decode(await resolveSecretRef('file:k.txt', dir)), 'file-secret');
  });

  it('refuses a missing file without createIfMissing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    await assert.rejects(resolveSecretRef('file:nope.key', dir), { code: 'ERR_CONFIG_SECRET_MISSING' });
  });

  it('creates a missing file secret: parent dir, 32 random bytes base64url, mode 0600, stable afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    const first = await resolveSecretRef('file:.airlock/dev.key', dir, { createIfMissing: true });
    const text = decode(first);
    assert.match(text, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(text, 'base64url').length, 32);
    const info = await stat(join(dir, '.airlock/dev.key'));
    assert.equal(info.mode & 0o777, 0o600);
    assert.equal((await readFile(join(dir, '.airlock/dev.key'), 'utf8')).trim(), text);
    const again = await resolveSecretRef('file:.airlock/dev.key', dir, { createIfMissing: true });
    assert.equal(decode(again), text);
  });

  it('two concurrent creators end up with the same secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    const [a, b] = await Promise.all([
      resolveSecretRef('file:k/dev.key', dir, { createIfMissing: true }),
      resolveSecretRef('file:k/dev.key', dir, { createIfMissing: true }),
    ]);
    assert.equal(decode(a), decode(b));
  });

  it('refuses a literal (non-reference) secret', async () => {
    await assert.rejects(resolveSecretRef('hunter2', '/'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_CONFIG_SECRET_REF');
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });
});
