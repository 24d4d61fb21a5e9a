/** Idempotency: records of idempotency keys, the store interface, the memory adapter and operator actions. */
export { IDEMPOTENCY_ERRORS, idempotencyError } from './errors.ts';
export type { IdempotencyErrorCode } from './errors.ts';
export { MAX_KEY_CHARS, fingerprintOf, isValidKey, scopeOf } from './keys.ts';
export { MemoryIdempotencyStore } from './memory-store.ts';
export { IdempotencyOperators, recordView } from './operator.ts';
export type { IdempotencyRecordView } from './operator.ts';
export { IDEMPOTENCY_STATES, effectiveState } from './types.ts';
export type { ClaimResult, IdempotencyOutcome, IdempotencyOwner, IdempotencyRecord, IdempotencyResolution, IdempotencyState, IdempotencyStore, SettleInput } from './types.ts';
