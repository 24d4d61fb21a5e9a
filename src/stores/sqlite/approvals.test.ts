import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableSqlite } from './open.ts';
import { SqliteApprovalStore } from './approvals.ts';
import { runApprovalStoreContract } from '../../approvals/store.contract.ts';

runApprovalStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-approvals-'));
  return new SqliteApprovalStore(openDurableSqlite(join(dir, 'state.db'), { area: 'STATE' }));
});
