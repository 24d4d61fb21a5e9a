/** The embedded SQLite adapters of every store (the default for one process), and how their database is opened. */
export { openDurableSqlite, assertDurable } from './open.ts';
export { SqliteApprovalStore } from './approvals.ts';
export { SqliteAuditStore } from './audit/store.ts';
export type { SqliteAuditStoreOptions, SqliteAuditStats } from './audit/store.ts';
export { SqliteCredentialUseStore } from './credential-uses.ts';
export { SqliteKillSwitchStore } from './kill-switches.ts';
export { SqliteMemoryStore } from './memory.ts';
export { SqliteOverrideStore } from './overrides.ts';
export { SqlitePinStore } from './pins.ts';
export { SqliteProvenanceStore } from './provenance.ts';
export { SqliteRevocationStore } from './revocations.ts';
export { SqliteSessionActivityStore } from './session-activity.ts';
export { SqliteSessionStore } from './sessions.ts';
export { SqliteShipCursorStore } from './ship-cursors.ts';
