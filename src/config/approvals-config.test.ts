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

const invalidAt = (text: string, path: string) => {
  try {
    parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
  } catch (error) {
    const issues = (error as { details: { errors: Array<{ path: string; line: number; message: string }> } }).details.errors;
    return issues.find((e) => e.path === path);
  }
  assert.fail('the config was accepted');
};

test('approvals.notify: a webhook URL and a secret reference, with delivery settings', () => {
  const text = demo.replace('  ttl_seconds: 900', '  ttl_seconds: 900\n  notify:\n    url: https://hooks.example/airlock\n    secret: env:WEBHOOK_SECRET\n    retries: 5');
  const config = parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
  assert.deepEqual(config.approvals.notify, { url: 'https://hooks.example/airlock', secret: 'env:WEBHOOK_SECRET', retries: 5 });
});

test('approvals.notify refuses a literal secret, plain http off loopback, and credentials in the URL — at their lines', () => {
  const withNotify = (url: string, secret: string) =>
    demo.replace('  ttl_seconds: 900', `  ttl_seconds: 900\n  notify:\n    url: ${url}\n    secret: ${secret}`);
  const literal = withNotify('https://hooks.example/a', 'sup3r-s3cret-value-sup3r-s3cret-value');
  const issue = invalidAt(literal, 'approvals.notify.secret');
  assert.equal(issue?.line, literal.split('\n').findIndex((l) => l.includes('secret: sup3r')) + 1);
  assert.match(invalidAt(withNotify('http://hooks.example/a', 'env:S'), 'approvals.notify.url')?.message ?? '', /https/);
  assert.match(invalidAt(withNotify('https://user:pw@hooks.example/a', 'env:S'), 'approvals.notify.url')?.message ?? '', /credentials/);
  assert.doesNotThrow(() => parseConfig(withNotify('http://127.0.0.1:9000/hook', 'env:S'), { filename: 'airlock.yaml', baseDir: '/srv/airlock' }));
});

test('overrides: role and lifetime cap, with defaults', () => {
  const defaults = parseConfig(demo, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
  assert.deepEqual(defaults.overrides, { role: 'security-admin', maxTtlSeconds: 3600 });
  const text = `${demo}\noverrides:\n  role: incident-commander\n  max_ttl_seconds: 900\n`;
  assert.deepEqual(parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' }).overrides, { role: 'incident-commander', maxTtlSeconds: 900 });
  assert.ok(invalidAt(`${demo}\noverrides:\n  max_ttl_seconds: 999999\n`, 'overrides.max_ttl_seconds'));
});
