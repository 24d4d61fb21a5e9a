/** `airlock db migrate`: applies the fleet schema's migrations once, reports them (table or JSON), and explains itself on an embedded config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fleetSetup } from '../support/fleet.ts';
import { DEMO_CONFIG_PATH } from '../support/demo.ts';

const BIN = join(resolve(fileURLToPath(new URL('../..', import.meta.url))), 'src', 'cli', 'main.ts');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

test('db migrate applies every migration once, then none', async () => {
  const setup = await fleetSetup({ redis: false });
  try {
    const first = run('db', 'migrate', '--config', setup.configPath, '--json');
    assert.equal(first.status, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { schema: string; applied: string[]; alreadyApplied: string[] };
    assert.equal(report.schema, setup.schema);
    assert.deepEqual(report.applied, ['0001_state', '0002_credentials_memory_pins', '0003_audit', '0004_provenance_activity', '0005_control', '0006_activity_functions', '0007_revocation_kinds', '0008_idempotency', '0009_session_budgets', '0010_audit_ship_cursors', '0011_audit_prune', '0012_session_targets', '0013_activity_read_total']);
    const second = run('db', 'migrate', '--config', setup.configPath);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`schema ${setup.schema}: 0 migration\\(s\\) applied, ${report.applied.length} already applied`));
  } finally {
    await setup.drop();
  }
});

test('db migrate on an embedded config says there is nothing to migrate (exit 2)', () => {
  const r = run('db', 'migrate', '--config', DEMO_CONFIG_PATH);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no postgres section/);
});
