import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableSqlite } from '../core/sqlite.ts';
import { MemoryApprovalStore } from './memory-store.ts';
import { SqliteApprovalStore } from './sqlite-store.ts';
import { runApprovalStoreContract } from './store.contract.ts';

runApprovalStoreContract('memory', async () => new MemoryApprovalStore());
runApprovalStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-approvals-'));
  return new SqliteApprovalStore(openDurableSqlite(join(dir, 'state.db'), { area: 'STATE' }));
});
