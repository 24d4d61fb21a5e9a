/** Approvals: pending requests created when policy holds a call for a human. */
export { MemoryApprovalStore } from './memory-store.ts';
export { SqliteApprovalStore } from './sqlite-store.ts';
