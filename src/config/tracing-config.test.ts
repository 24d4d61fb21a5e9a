import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');
const parse = (text: string) => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
const withTracing = (section: string) => `${demo}\ntracing:\n${section}`;

function issues(text: string): Array<{ path: string; message: string; line?: number }> {
  try {
    parse(text);
  } catch (error) {
    return (error as { details: { errors: Array<{ path: string; message: string; line?: number }> } }).details.errors;
  }
  return assert.fail('the config was accepted');
}

test('tracing is off when absent; a section turns it on with defaults', () => {
  assert.equal(parse(demo).tracing, undefined);
  assert.deepEqual(parse(withTracing('  endpoint: http://127.0.0.1:4318/v1/traces\n')).tracing, {
    enabled: true,
    endpoint: 'http://127.0.0.1:4318/v1/traces',
    headers: {},
    serviceName: 'airlock',
    sampleRatio: 1,
    timeoutMs: 10_000,
    protocol: 'http/protobuf',
  });
  const full = parse(withTracing('  enabled: false\n  endpoint: https://otel.example/v1/traces\n  headers:\n    authorization: env:OTLP_AUTH\n    x-scope: team-a\n  service_name: gw\n  sample_ratio: 0.25\n  timeout_ms: 500\n  protocol: http/json\n'));
  assert.deepEqual(full.tracing, { enabled: false, endpoint: 'https://otel.example/v1/traces', headers: { authorization: 'env:OTLP_AUTH', 'x-scope': 'team-a' }, serviceName: 'gw', sampleRatio: 0.25, timeoutMs: 500, protocol: 'http/json' });
});

test('an OTLP protocol other than http/protobuf or http/json is refused at its line, naming both', () => {
  const errors = issues(withTracing('  endpoint: https://otel.example/v1/traces\n  protocol: grpc\n'));
  const error = errors.find((e) => e.path === 'tracing.protocol');
  assert.match(error?.message ?? '', /http\/protobuf.*http\/json/);
  assert.ok(error?.line !== undefined && error.line > demo.split('\n').length);
});

test('a literal credential header is refused at its line, without echoing it', () => {
  const errors = issues(withTracing('  endpoint: https://otel.example/v1/traces\n  headers:\n    authorization: Bearer hunter2\n'));
  const error = errors.find((e) => e.path === 'tracing.headers.authorization');
  assert.match(error?.message ?? '', /secret reference/);
  assert.ok(error?.line !== undefined && error.line > demo.split('\n').length);
  assert.ok(!JSON.stringify(errors).includes('hunter2'));
});

test('headers (credentials) only over https or to a loopback collector; no endpoint, a bad URL or a ratio above 1 is refused', () => {
  assert.match(issues(withTracing('  endpoint: http://otel.internal:4318/v1/traces\n  headers:\n    x-api-key: env:K\n')).find((e) => e.path === 'tracing.endpoint')?.message ?? '', /https/);
  assert.equal(parse(withTracing('  endpoint: http://otel.internal:4318/v1/traces\n')).tracing?.endpoint, 'http://otel.internal:4318/v1/traces');
  assert.equal(parse(withTracing('  endpoint: http://localhost:4318/v1/traces\n  headers:\n    x-api-key: env:K\n')).tracing?.headers['x-api-key'], 'env:K');
  assert.ok(issues(withTracing('  service_name: gw\n')).some((e) => e.path === 'tracing' || e.path === 'tracing.endpoint'));
  assert.ok(issues(withTracing('  endpoint: ftp://x/v1/traces\n')).some((e) => e.path === 'tracing.endpoint'));
  assert.ok(issues(withTracing('  endpoint: https://user:pw@otel.example/v1/traces\n')).some((e) => e.path === 'tracing.endpoint'));
  assert.ok(issues(withTracing('  endpoint: https://otel.example/v1/traces\n  sample_ratio: 2\n')).some((e) => e.path === 'tracing.sample_ratio'));
});
