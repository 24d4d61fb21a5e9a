import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDurableSqlite } from './open.ts';
import { definitionHash } from '../../mcp/definition.ts';
import { SqlitePinStore } from './pins.ts';
import { OPERATOR, runPinStoreContract, sampleDefinition } from '../../mcp/pins/store.contract.ts';

runPinStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-pins-'));
  return new SqlitePinStore(openDurableSqlite(join(dir, 'state.db'), { area: 'STATE' }));
});

test('sqlite: a decision made on one connection is seen by another, and survives reopening', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-pins-')), 'state.db');
  const gateway = new SqlitePinStore(openDurableSqlite(path, { area: 'STATE' }));
  const cli = new SqlitePinStore(openDurableSqlite(path, { area: 'STATE' }));
  const v1 = sampleDefinition();
  await gateway.observe({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), definition: v1, findings: [], now: 1 });
  await cli.decide({ upstream: 'fs', tool: 'read_file', hash: definitionHash(v1), verdict: 'approve', by: OPERATOR, justification: 'ok', now: 2 });
  assert.equal((await gateway.get('fs', 'read_file'))?.state, 'approved');
  const reopened = new SqlitePinStore(openDurableSqlite(path, { area: 'STATE' }));
  assert.equal((await reopened.get('fs', 'read_file'))?.approved_hash, definitionHash(v1));
});
