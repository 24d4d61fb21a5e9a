import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');
const parse = (text: string) => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });

test('server.metrics defaults to enabled without a token (loopback callers only)', () => {
  assert.deepEqual(parse(demo).server.metrics, { enabled: true, token: null });
});

test('server.metrics takes enabled and a token secret reference', () => {
  const text = demo.replace('  port: 8787', '  port: 8787\n  metrics:\n    enabled: false\n    token: env:AIRLOCK_METRICS_TOKEN');
  assert.deepEqual(parse(text).server.metrics, { enabled: false, token: 'env:AIRLOCK_METRICS_TOKEN' });
});

test('a literal server.metrics.token or an unknown metrics key is refused, without echoing the literal', () => {
  const literal = demo.replace('  port: 8787', '  port: 8787\n  metrics:\n    token: scrape-me-hunter2');
  assert.throws(
    () => parse(literal),
    (error: { code: string; details: { errors: Array<{ path: string; message: string }> } }) => {
      assert.equal(error.code, 'ERR_CONFIG_INVALID');
      assert.match(error.details.errors.find((e) => e.path === 'server.metrics.token')?.message ?? '', /secret reference/);
      assert.ok(!JSON.stringify(error.details).includes('hunter2'));
      return true;
    },
  );
  assert.throws(() => parse(demo.replace('  port: 8787', '  port: 8787\n  metrics:\n    public: true')), { code: 'ERR_CONFIG_INVALID' });
});
