import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');

test('approvals.signing_key takes a secret reference, resolved relative to the config', () => {
  const text = demo.replace('  ttl_seconds: 900', '  ttl_seconds: 600\n  signing_key: file:keys/approvals.key');
  const config = parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
  assert.deepEqual(config.approvals, { ttlSeconds: 600, signingKey: 'file:keys/approvals.key' });
});

test('a literal approvals.signing_key is refused at its line, without echoing it', () => {
  const text = demo.replace('  ttl_seconds: 900', '  ttl_seconds: 900\n  signing_key: hunter2-hunter2-hunter2-hunter2-hunter2');
  const line = text.split('\n').findIndex((l) => l.includes('signing_key:')) + 1;
  assert.throws(
    () => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' }),
    (error: { code: string; message: string; details: { errors: Array<{ path: string; line: number; message: string }> } }) => {
      assert.equal(error.code, 'ERR_CONFIG_INVALID');
      const issue = error.details.errors.find((e) => e.path === 'approvals.signing_key');
      assert.equal(issue?.line, line);
      assert.match(issue?.message ?? '', /secret reference/);
      assert.ok(!JSON.stringify(error.details).includes('hunter2'));
      return true;
    },
  );
});
