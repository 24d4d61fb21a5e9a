import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { definitionHash } from '../../mcp/definition.ts';
import { OPERATOR, runPinStoreContract, sampleDefinition } from '../../mcp/pins/store.contract.ts';
import { PostgresPinStore } from './pins.ts';
import { testPostgres, type TestPostgres } from './test-support.ts';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  await pg?.drop();
});

async function emptyStore(): Promise<PostgresPinStore> {
  await pg.db.query('TRUNCATE mcp_pins');
  return new PostgresPinStore(pg.db);
}

// One schema for the file; each contract test starts from an empty table.
runPinStoreContract('postgres', emptyStore);

test('postgres: first observations racing on two replicas record the tool once; a decision on one is seen by the other', async () => {
  const a = await emptyStore();
  const b = new PostgresPinStore(pg.open());
  const v1 = sampleDefinition();
  const obs = (now: number) => ({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), definition: v1, findings: [], now });
  const results = await Promise.all([a, b, a, b, a, b].map((s, i) => s.observe(obs(i + 1))));
  assert.equal(results.filter((r) => r.change === 'new').length, 1);
  assert.equal((await a.list()).length, 1);
  await b.decide({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), verdict: 'approve', by: OPERATOR, justification: 'ok', now: 9 });
  assert.equal((await a.get('fs', 'read_file'))?.state, 'approved');
});

test('postgres: concurrent decisions and a definition change on two replicas keep state approved exactly when hash is the approved hash', async () => {
  const a = await emptyStore();
  const b = new PostgresPinStore(pg.open());
  const v1 = sampleDefinition();
  const v2 = sampleDefinition('v2');
  await a.observe({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), definition: v1, findings: [], now: 1 });
  const outcomes = await Promise.allSettled([
    a.decide({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), verdict: 'approve', by: OPERATOR, justification: 'ok', now: 2 }),
    b.observe({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v2), definition: v2, findings: [], now: 2 }),
    b.decide({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), verdict: 'reject', by: OPERATOR, justification: 'no', now: 2 }),
  ]);
  for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as { code?: string }).code, 'ERR_MCP_PIN_STALE');
  const record = await a.get('fs', 'read_file');
  assert.equal(record?.hash, definitionHash(v2));
  assert.equal(record?.state === 'approved', record?.hash === record?.approved_hash);
});

test('postgres: a closed database refuses with ERR_MCP_PIN_UNAVAILABLE', async () => {
  const closed = pg.open();
  await closed.close();
  const store = new PostgresPinStore(closed);
  await assert.rejects(store.get('fs', 'read_file'), { code: 'ERR_MCP_PIN_UNAVAILABLE', status: 503 });
  await assert.rejects(store.list(), { code: 'ERR_MCP_PIN_UNAVAILABLE' });
  const v1 = sampleDefinition();
  await assert.rejects(store.observe({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), definition: v1, findings: [], now: 1 }), {
    code: 'ERR_MCP_PIN_UNAVAILABLE',
  });
});
