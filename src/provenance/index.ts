/**
 * Provenance: what each session has seen (labels and an index of its content by trust)
 * and which tool-call arguments came from untrusted content only.
 */
export { ContentIndex } from './content-index.ts';
export { canonicalNumber, extractEntities, isDomain } from './entities.ts';
export type { ContentEntry, InstructionRegions, SessionLabels, TaintSnippet } from './session.ts';
export { MAX_SNIPPETS, MAX_SOURCES, PASSAGE_WORDS, PHRASE_WORDS, SNIPPET_CONTEXT, SessionProvenance, worseEvidence } from './session.ts';
export { fold, leavesOfJson, textOfJson } from './text.ts';
export type { ContentRegistration, Degradation, ProvenanceTrackerOptions, RegisteredContent, SessionLabelNames, Trace } from './tracker.ts';
export { DEFAULT_MAX_CHARS_PER_SESSION, DEFAULT_MAX_SESSIONS, ProvenanceTracker, contentHash } from './tracker.ts';
export type { TrustScaleOptions } from './trust.ts';
export { DEFAULT_CLASSIFICATIONS, DEFAULT_TRUST_TIERS, TrustScale, USER_TIER } from './trust.ts';
export { DurableProvenance } from './durable.ts';
export type { LogEntry, LoggedRegistration, ProvenanceStore } from './store.ts';
export { MemoryProvenanceStore, decodeRegistration, encodeRegistration, normalizeRegistration, provenanceEvicted } from './store.ts';
