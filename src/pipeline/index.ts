/** Pipeline: the phases, their composition, and createGateway (the only wiring place). */
export { createGateway, AUDIT_READER_ROLES, CREDENTIAL_REVOCATION_KEYS } from './gateway.ts';
export { CONTENT_KINDS, MAX_CONTENT_CHARS } from './content.ts';
export { MAX_TARGET_CHARS, MAX_TARGETS, TARGET_KINDS } from '../sessions/index.ts';
export type { TargetKind, TargetPattern } from '../sessions/index.ts';
export type { ContentInput, ContentKind } from './content.ts';
export type { AssembleContextInput, AssembleContextResponse } from './context.ts';
export type { MemoryRecord, MemoryWriteInput, MemoryWriteResult } from '../memory/index.ts';
export type { ApprovalRequest } from '../approvals/index.ts';
export type { ContentResponse, CredentialRevocation, DecideResponse, Gateway, GatewayOptions, GatewayStats, LineageResponse } from './gateway.ts';
export type { SimulationResult, ToolCallRequest, ToolCallResult } from './call.ts';
export { PHASES } from './phases/index.ts';
export { loggableError } from './loggable-error.ts';
export { loadToolkit } from './toolkit.ts';
export { checkPolicyBundle, migrateStores, mintToken, openAuditLog, parseBearer } from './admin.ts';
export type { AuditLogReader, DevTokenRequest } from './admin.ts';
export * from './audit-access.ts';
export { openStandaloneShipper } from './audit-shipping.ts';
export { pruneAuditLog, startPruneSchedule } from './audit-retention.ts';
export type { PruneSchedule } from './audit-retention.ts';
export type { PruneReport, PruneProgress } from '../audit/retention/index.ts';
export type { CreateOverrideInput, Override, OverrideRegister } from '../overrides/index.ts';
export type { EngageKillSwitchInput, KillSwitch, KillSwitchScope } from '../killswitch/index.ts';
export { KILL_SWITCH_SCOPES } from '../killswitch/index.ts';
export {
  McpHub,
  createMcpGateway,
  openMcpPinAdmin,
  runWithMcpCallContext,
  contentHash,
  textsOf,
  MCP_ADMIN_ROLES,
} from './mcp/index.ts';
export type { HubChange, McpGateway, McpGatewayOptions, McpPinAdmin, McpToolEntry, PinView, SessionContent, SessionContentSink } from './mcp/index.ts';
export type { IdempotencyRecordView } from '../idempotency/index.ts';
export type { ClassifyOutputInput, ClassifyOutputResponse, OutputAnswer } from './outputs.ts';
