/** Sessions: application-created, principal-bound conversation scopes. */
export { MemorySessionStore } from './memory-store.ts';
export { isSessionOwner, sessionOwnerOf } from './owner.ts';
export type { SessionRecord, SessionStore } from './types.ts';
