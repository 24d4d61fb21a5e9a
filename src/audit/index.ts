/**
 * Public surface of the audit module: the tamper-evident, hash-chained event log, its
 * stores (memory for tests, SQLite embedded), signed checkpoints, verification and lineage.
 */
export { GENESIS_HASH, hashEvent, verifyChain, verifyChainSync, ChainVerifier } from './chain.ts';
export type { ChainFault, ChainHead, ChainVerification, VerifyChainOptions } from './chain.ts';
/** Alias of ChainVerification (the result of verifyChain). */
export type { ChainVerification as VerifyReport } from './chain.ts';
export {
  signCheckpoint,
  verifyCheckpointSignature,
  checkpointPathFor,
  readCheckpoint,
  readCheckpointFile,
  writeCheckpointFile,
  MIN_CHECKPOINT_KEY_BYTES,
} from './checkpoint.ts';
export type { Checkpoint } from './checkpoint.ts';
export { prepareInput, sealEvent, decodeStoredEvent } from './event-record.ts';
export type { StoredEventRecord, PreparedInput } from './event-record.ts';
export { GroupCommitQueue } from './group-commit.ts';
export type { BatchInfo, CommitBatch } from './group-commit.ts';
export { MemoryAuditStore } from './memory-store.ts';
export { readAll } from './read-all.ts';
export type { ReadAllOptions } from './read-all.ts';
export { buildLineage } from './lineage.ts';
export type { LineageTree, LineageRequest, LineageAction } from './lineage.ts';
/** Alias of LineageTree (the result of buildLineage). */
export type { LineageTree as LineageNode } from './lineage.ts';
export { renderLineage, renderEventLine } from './render-lineage.ts';
export { drill, MAX_DRILL_ACTIONS } from './drill.ts';
export type { DrillAction, DrillLink, DrillLookup, DrillReport, LinkName, LinkStatus } from './drill.ts';
export { renderDrill } from './render-drill.ts';
export { MAX_EXPANDED_ACTIONS, findLineageEvents, relatesByLineageId, relatesTo } from './related.ts';
export type { AuditStore } from './types.ts';
export {
  SEARCH_DEFAULT_LIMIT,
  SEARCH_MAX_LIMIT,
  SEARCH_OUTCOMES,
  SEARCH_SCAN_WINDOW,
  canonicalEventLine,
  finishSearch,
  matchesSearch,
  normalizeSearch,
  outcomeOf,
  planSearch,
  rulesOf,
  searchScoped,
} from './search.ts';
export type { AuditSearchPage, AuditSearchQuery, NormalizedSearch, SearchPlan, SearchScope } from './search.ts';
