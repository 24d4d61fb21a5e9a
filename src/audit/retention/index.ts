/** Public surface of audit retention: data classes, policy, prune records, the store capability and the prune run. */
export { DATA_CLASSES, PRUNE_EVENT_TYPE, holdsClass, isDataClass, prunedMark, tombstoneOf } from './classes.ts';
export type { DataClass, PrunedMark } from './classes.ts';
export { DAY_MS, dueClasses, horizonsOf, isActive, policyRecord } from './policy.ts';
export type { RetentionPolicy } from './policy.ts';
export { MAX_PRUNE_TARGETS, pruneEventInput, pruneTargetsOf } from './record.ts';
export type { PruneRecord, PruneTarget } from './record.ts';
export { isPrunable, preparePruneWrite, pruneConflict, tombHashOf } from './store.ts';
export type { PrunableAuditStore, PruneBatch, PruneBatchTarget, PruneWrite } from './store.ts';
export { chainInvalid, pruneAudit } from './prune.ts';
export type { PruneOptions, PruneProgress, PruneReport } from './prune.ts';
