/**
 * Tests for secret references: env and file resolution, creation of a missing dev secret
 * (mode 0600, 32 random bytes), and errors that name the source but never the value.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
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

describe('resolveSecretRef: file permissions and file types', () => {
  /** Resolves `file:name` in `dir`, collecting the process warnings it emitted. */
  async function resolveWatching(ref: string, dir: string): Promise<{ value?: string; code?: string; message?: string; warnings: string[] }> {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'AIRLOCK_SECRET_FILE_EXPOSED') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      const value = decode(await resolveSecretRef(ref, dir));
      await new Promise((done) => setImmediate(done)); // warnings are emitted on the next tick
      return { value, warnings };
    } catch (err) {
      const e = err as Error & { code?: string };
      return { code: e.code ?? '', message: e.message, warnings };
    } finally {
      process.off('warning', onWarning);
    }
  }

  it('refuses a world-writable key file (anyone could replace the key and forge tokens), without echoing it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    await writeFile(join(dir, 'hs256.key'), 'forgeable-signing-key\n');
    await chmod(join(dir, 'hs256.key'), 0o666);
    const result = await resolveWatching('file:hs256.key', dir);
    assert.equal(result.code, 'ERR_CONFIG_SECRET_INSECURE');
    assert.match(result.message ?? '', /writable by every user \(mode 0666\)/);
    assert.doesNotMatch(result.message ?? '', /forgeable/);
  });

  it('checks the file a symlink points at (a mounted secret), not the link', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    await writeFile(join(dir, 'target.key'), 'linked-key\n', { mode: 0o600 });
    await symlink(join(dir, 'target.key'), join(dir, 'link.key'));
    assert.equal((await resolveWatching('file:link.key', dir)).value, 'linked-key');
    await chmod(join(dir, 'target.key'), 0o646);
    assert.equal((await resolveWatching('file:link.key', dir)).code, 'ERR_CONFIG_SECRET_INSECURE');
  });

  it('refuses a FIFO at once (no wait for a writer) and a device, which are not secret files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    execFileSync('mkfifo', ['-m', '600', join(dir, 'pipe.key')]);
    const fifo = await resolveWatching('file:pipe.key', dir);
    assert.equal(fifo.code, 'ERR_CONFIG_SECRET_INSECURE');
    assert.match(fifo.message ?? '', /not a regular file/);
    assert.equal((await resolveWatching('file:/dev/zero', dir)).code, 'ERR_CONFIG_SECRET_INSECURE');
  });

  it('refuses a file too large to be a secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    await writeFile(join(dir, 'big.key'), 'x'.repeat(64 * 1024 + 1), { mode: 0o600 });
    assert.equal((await resolveWatching('file:big.key', dir)).code, 'ERR_CONFIG_SECRET_INSECURE');
  });

  it('refuses exactly the world-writable modes, and warns (once per file) for the group-writable or world-readable ones (property)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0o777 }), async (bits) => {
        const mode = bits | 0o400; // the owner can read it (root could anyway)
        const name = `m${n++}.key`;
        await writeFile(join(dir, name), 'the-secret\n');
        await chmod(join(dir, name), mode);
        const first = await resolveWatching(`file:${name}`, dir);
        if ((mode & 0o002) !== 0) {
          assert.equal(first.code, 'ERR_CONFIG_SECRET_INSECURE', mode.toString(8));
          return;
        }
        assert.equal(first.value, 'the-secret', mode.toString(8));
        assert.equal(first.warnings.length, (mode & 0o024) !== 0 ? 1 : 0, mode.toString(8));
        if (first.warnings.length > 0) assert.doesNotMatch(first.warnings[0] ?? '', /the-secret/);
        const second = await resolveWatching(`file:${name}`, dir);
        assert.deepEqual([second.value, second.warnings.length], ['the-secret', 0]);
      }),
      { numRuns: 60 },
    );
  });
});
