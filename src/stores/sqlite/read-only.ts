/** Opening an embedded SQLite database read-only (offline inspection: nothing is created or written). */
import { DatabaseSync } from 'node:sqlite';

export function openSqliteReadOnly(path: string): DatabaseSync {
  return new DatabaseSync(path, { readOnly: true });
}
