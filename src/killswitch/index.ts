/** Kill switches: runtime switches (global, tenant, agent, tool, connector, session) engaged and released by operators, with a local snapshot every gateway checks per call. */
export { MemoryKillSwitchStore } from './memory-store.ts';
export { KillSwitchService, DEFAULT_KILL_SWITCH_ROLE, DEFAULT_KILL_SWITCH_FLEET_ROLE, GATEWAY_OPERATOR } from './service.ts';
export type { EngageKillSwitchInput, KillSwitchEvent, KillSwitchEventType, KillSwitchRevocationOutcome, KillSwitchServiceOptions } from './service.ts';
export { KillSwitchMonitor, covers, DEFAULT_POLL_INTERVAL_MS, DEFAULT_STALE_AFTER_MS } from './monitor.ts';
export type { KillSwitchMonitorOptions, KillSwitchSubject, KillSwitchVerdict } from './monitor.ts';
export { GLOBAL_TARGET, KILL_SWITCH_SCOPES, isEngaged } from './types.ts';
export type { ActiveKillSwitches, KillSwitch, KillSwitchFeed, KillSwitchOperator, KillSwitchRelease, KillSwitchScope, KillSwitchStore } from './types.ts';
export { KILL_SWITCH_ERRORS, killSwitchError } from './errors.ts';
export type { KillSwitchErrorCode } from './errors.ts';
