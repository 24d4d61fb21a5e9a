/**
 * Tests for the demo config's data directory: `airlock start` keeps the demo's audit log,
 * state and keys there, so it is private to the user whatever the umask.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeDemoConfig } from './demo-config.ts';

describe('writeDemoConfig', () => {
  it('creates the data directory with mode 0700 (the audit log and state written there are not world-readable)', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'airlock-demo-dir-')), '.airlock');
    const previous = process.umask(0o022);
    try {
      const config = writeDemoConfig(dataDir, { name: 'support-desk.yaml' });
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      assert.equal(config, join(dataDir, 'support-desk.yaml'));
    } finally {
      process.umask(previous);
    }
  });

  it('makes an existing data directory from an earlier run private', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'airlock-demo-dir-')), '.airlock');
    mkdirSync(dataDir, { mode: 0o755 });
    writeDemoConfig(dataDir);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  });
});
