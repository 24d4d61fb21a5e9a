/** Overrides: break-glass authorization of one action hash or one tool in one tenant, bounded in time, justified, revocable, and counted in a register. */
export { MemoryOverrideStore } from './memory-store.ts';
export {
  OverrideService,
  DEFAULT_OVERRIDE_ROLE,
  DEFAULT_OVERRIDE_MAX_TTL_SECONDS,
  DEFAULT_OVERRIDE_MAX_JUSTIFICATION_LENGTH,
  OVERRIDE_TTL_HARD_CAP_SECONDS,
} from './service.ts';
export type { CreateOverrideInput, MatchQuery, OverrideRegister, OverrideServiceOptions } from './service.ts';
export { overrideState } from './types.ts';
export type { Override, OverrideOwner, OverrideRevocation, OverrideScope, OverrideState, OverrideStore } from './types.ts';
export type { OverrideEvent, OverrideEventSink, OverrideEventType, OverrideOperator } from './events.ts';
export { OVERRIDE_ERRORS } from './errors.ts';
export type { OverrideErrorCode } from './errors.ts';
