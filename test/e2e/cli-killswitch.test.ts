/**
 * `airlock killswitch engage|list|release`, run as a child process against a demo config
 * with a SQLite state database: the switch is stored, listed (table and --json), refuses
 * the next call of its scope in a gateway opened on the same config, and is released.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoConfig } from '../../scripts/demo-config.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createGateway, loadToolkit, mintToken } from '../../src/pipeline/index.ts';
import { runAirlockSync } from '../support/cli.ts';

test('airlock killswitch: engage, list (table and json), the scope is refused, release', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-ks-'));
  const configPath = writeDemoConfig(dir);
  const config = await loadConfig(configPath);
  assert.equal(config.state.type, 'sqlite', 'the demo config keeps state in SQLite');
  const olga = await mintToken(config, { sub: 'olga', tenant: 'acme', roles: ['security-admin'], ttlSeconds: 600 });
  const sam = await mintToken(config, { sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent', ttlSeconds: 600 });

  const engaged = runAirlockSync(['killswitch', 'engage', '--config', configPath, '--scope', 'tool', '--target', 'billing.refund', '--justification', 'refunds sent twice', '--json'], olga);
  assert.equal(engaged.code, 0, engaged.stderr);
  const ks = (JSON.parse(engaged.stdout) as { kill_switch: { id: string; tenant: string } }).kill_switch;
  assert.match(ks.id, /^ksw_/);
  assert.equal(ks.tenant, 'acme');
  assert.notEqual(runAirlockSync(['killswitch', 'engage', '--config', configPath, '--scope', 'tool', '--target', 'x', '--justification', 'x'], sam).code, 0, 'an agent token is refused');

  const table = runAirlockSync(['killswitch', 'list', '--config', configPath], olga);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`${ks.id}\\s+engaged\\s+tool\\s+billing\\.refund\\s+acme\\s+olga`));

  const gateway = await createGateway(config, await loadToolkit(config));
  try {
    const { session_id } = await gateway.createSession(sam);
    const refused = await gateway.decide({ token: sam, session_id, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_ada', amount: 5 } });
    assert.equal(refused.decision.code, 'screen.kill_switch');
    assert.equal(refused.decision.kill_switch_id, ks.id);
  } finally {
    await gateway.close();
  }

  const released = runAirlockSync(['killswitch', 'release', ks.id, '--config', configPath, '--justification', 'fixed'], olga);
  assert.equal(released.code, 0, released.stderr);
  assert.match(released.stdout, new RegExp(`${ks.id}: released`));
  const active = JSON.parse(runAirlockSync(['killswitch', 'list', '--config', configPath, '--json'], olga).stdout) as { kill_switches: unknown[] };
  assert.deepEqual(active.kill_switches, []);
  const all = JSON.parse(runAirlockSync(['killswitch', 'list', '--config', configPath, '--all', '--json'], olga).stdout) as { kill_switches: Array<{ id: string; release_justification: string }> };
  assert.deepEqual(all.kill_switches.map((s) => [s.id, s.release_justification]), [[ks.id, 'fixed']]);
});
