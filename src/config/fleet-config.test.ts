import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');
const parse = (text: string) => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
/** The demo with its audit, state and approvals sections taken out and `extra` added. */
const base = demo
  .replace(/\naudit:\n(?:  .*\n)+/, '\n')
  .replace(/\nstate:\n(?:  .*\n)+/, '\n')
  .replace(/\napprovals:\n(?:  .*\n)+/, '\n');
const fleet = (extra: string) => `${base}\n${extra}\n`;
const keys = 'credentials:\n  signing_key: env:AIRLOCK_CREDENTIAL_KEY\napprovals:\n  signing_key: env:AIRLOCK_APPROVAL_KEY';

function errorsOf(text: string): Array<{ path: string; message: string; line?: number }> {
  try {
    parse(text);
  } catch (error) {
    return (error as { details: { errors: Array<{ path: string; message: string; line?: number }> } }).details.errors;
  }
  assert.fail('the config was accepted');
}

test('postgres state and audit with a postgres section and shared keys parse, with defaults', () => {
  const config = parse(fleet(`state:\n  type: postgres\naudit:\n  type: postgres\npostgres:\n  url: env:AIRLOCK_POSTGRES_URL\nredis:\n  url: redis://127.0.0.1:6379/0\n${keys}`));
  assert.deepEqual(config.state, { type: 'postgres' });
  assert.deepEqual(config.audit, { type: 'postgres' });
  assert.deepEqual(config.postgres, { url: 'env:AIRLOCK_POSTGRES_URL', schema: 'airlock', poolSize: 10, connectTimeoutMs: 2000, statementTimeoutMs: 5000, migrateOnStart: true });
  assert.deepEqual(config.redis, { url: 'redis://127.0.0.1:6379/0', keyPrefix: 'airlock:', commandTimeoutMs: 1000 });
});

test('postgres stores without the postgres section are refused at the offending line', () => {
  const errors = errorsOf(fleet(`state:\n  type: postgres\n${keys}`));
  const e = errors.find((x) => x.path === 'state.type');
  assert.match(e?.message ?? '', /postgres section/);
  assert.equal(typeof e?.line, 'number');
});

test('postgres state without shared signing keys is refused (a per-replica key would split the fleet)', () => {
  const errors = errorsOf(fleet('state:\n  type: postgres\npostgres:\n  url: postgres://airlock@db:5432/airlock'));
  assert.ok(errors.some((e) => /credentials\.signing_key/.test(e.message)));
  assert.ok(errors.some((e) => /approvals\.signing_key/.test(e.message)));
});

test('a connection URL with a password is refused without echoing it; a wrong scheme and a bad schema name too', () => {
  const errors = errorsOf(fleet(`state:\n  type: postgres\npostgres:\n  url: postgres://airlock:hunter2@db:5432/airlock\n  schema: Bad-Name\nredis:\n  url: http://cache:6379\n${keys}`));
  assert.match(errors.find((e) => e.path === 'postgres.url')?.message ?? '', /password.*secret reference/);
  assert.match(errors.find((e) => e.path === 'redis.url')?.message ?? '', /redis/);
  assert.ok(errors.some((e) => e.path === 'postgres.schema'));
  assert.ok(!JSON.stringify(errors).includes('hunter2'));
});

test('a path on a postgres store is refused', () => {
  const errors = errorsOf(fleet(`state:\n  type: postgres\n  path: x.db\npostgres:\n  url: env:PG\n${keys}`));
  assert.match(errors.find((e) => e.path === 'state.path')?.message ?? '', /only allowed for sqlite/);
});
