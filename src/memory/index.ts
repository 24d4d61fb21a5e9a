/**
 * Governed memory: what agents may remember, under schema, owner, tenant, provenance,
 * confidence and expiry, with a review queue for anything derived from untrusted content.
 */
export { MemoryMemoryStore } from './memory-store.ts';
export type { MemoryServiceOptions, MemoryWriteInput, MemoryWriteResult } from './service.ts';
export { MemoryService } from './service.ts';
export { indexTerms, queryTerms, textOfContent } from './terms.ts';
export type { MemoryProvenance, MemoryProvenanceKind, MemoryQuery, MemoryRecord, MemoryReview, MemoryState, MemoryStore } from './types.ts';
export { PROVENANCE_KINDS, UNTRUSTED_PROVENANCE } from './types.ts';
