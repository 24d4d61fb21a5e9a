/**
 * Context gateway: admission of retrieved context by source registry, use case, age,
 * precedence and budget; redaction; injection heuristics; spotlighting; the context
 * manifest; per-session manifest hashes and abuse alerts.
 */
export { ContextAssembler } from './assemble.ts';
export type { InjectionSignal } from './injection.ts';
export { injectionSignals } from './injection.ts';
export type { Redaction } from './redact.ts';
export { REDACTION_CLASSES, containsSecret, findSecrets, redact } from './redact.ts';
export type { AlertCheck } from './sessions.ts';
export { ContextSessions } from './sessions.ts';
export { assembleText, neutralize, preamble, wrapChunk } from './spotlight.ts';
export type { AdmittedChunk, AssembleRequest, Assembly, ChunkFlag, ChunkInput, ChunkRecord, ContextCode, ContextManifest } from './types.ts';
export { CONTEXT_RULES } from './types.ts';
