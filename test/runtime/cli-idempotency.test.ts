/**
 * `airlock idempotency list|show|resolve|check`, run as a child process against a config with
 * a SQLite state database: a call whose outcome is unknown is listed, shown, resolved by the
 * operator (audited), and a retry then runs once more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createGateway } from '../../src/pipeline/index.ts';
import { startRuntime } from '../support/runtime.ts';
import { runAirlockSync } from '../support/cli.ts';

test('airlock idempotency: list the unknown outcome, show it, refuse an agent, resolve it, and the retry runs', async () => {
  const rt = await startRuntime({ postTimeoutMs: 100, statusCheck: false });
  const configPath = join(rt.dir, 'airlock.yaml');
  const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
  const olga = await rt.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
  rt.ledger.mode = 'hang';
  const lost = await rt.gateway.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'acc_1', amount: 3 }, idempotency_key: 'cli-1' });
  assert.equal(lost.status, 'failed');
  await rt.close();

  const listed = runAirlockSync(['idempotency', 'list', '--config', configPath, '--state', 'outcome_unknown', '--json'], olga);
  assert.equal(listed.code, 0, listed.stderr);
  const records = (JSON.parse(listed.stdout) as { records: Array<{ id: string; key: string; reported_state: string }> }).records;
  assert.equal(records.length, 1);
  assert.equal(records[0]?.key, 'cli-1');
  const id = records[0]?.id as string;
  assert.equal(JSON.parse(runAirlockSync(['idempotency', 'show', id, '--config', configPath], olga).stdout).record.id, id);
  const refused = runAirlockSync(['idempotency', 'resolve', id, '--config', configPath, '--outcome', 'not_executed', '--justification', 'x'], agent);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /ERR_IDEMPOTENCY_ROLE_REQUIRED/);
  const resolved = runAirlockSync(['idempotency', 'resolve', id, '--config', configPath, '--outcome', 'not_executed', '--justification', 'no posting in the ledger'], olga);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.match(resolved.stdout, /resolved as not_executed/);

  const again = await createGateway(rt.config, { handlers: rt.ledger.handlers });
  try {
    rt.ledger.mode = 'ok';
    const retry = await again.execute({ token: agent, tool: 'ledger.post', arguments: { account: 'acc_1', amount: 3 }, idempotency_key: 'cli-1' });
    assert.equal(retry.status, 'executed');
    assert.equal(rt.ledger.posts, 2);
    const events = (await again.searchAudit(olga, { type: 'idempotency.resolved' } as never)).events;
    assert.equal(events.length, 1);
    assert.equal(events[0]?.actor.user, 'olga');
  } finally {
    await again.close();
  }
});
