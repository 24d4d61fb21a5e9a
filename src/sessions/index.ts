/** Sessions: application-created, principal-bound conversation scopes. */
export { MemorySessionStore } from './memory-store.ts';
export { isSessionOwner, sessionOwnerOf } from './owner.ts';
export type { SessionRecord, SessionStore } from './types.ts';
export { MAX_TARGET_CHARS, MAX_TARGETS, TARGET_KINDS, TargetScope, validateTargets } from './targets.ts';
export type { TargetKind, TargetPattern } from './targets.ts';
