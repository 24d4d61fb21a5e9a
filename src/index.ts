/**
 * The library API of the `airlock` package: build a gateway from a config and run tool calls
 * through its pipeline, serve it over HTTP, and — for the upstream services behind it — verify
 * the just-in-time credentials it mints and the approval webhooks it sends.
 */
export { createGateway, loadToolkit, mintToken, PHASES, CONTENT_KINDS, TARGET_KINDS } from './pipeline/index.ts';
export type {
  TargetKind,
  TargetPattern,
  ContentInput,
  ContentKind,
  ContentResponse,
  DevTokenRequest,
  CreateOverrideInput,
  CredentialRevocation,
  DecideResponse,
  Gateway,
  GatewayOptions,
  GatewayStats,
  LineageResponse,
  Override,
  OverrideRegister,
  SimulationResult,
  ToolCallRequest,
  ToolCallResult,
} from './pipeline/index.ts';
export { loadConfig, parseConfig, formatConfigErrors, resolveSecretRef } from './config/index.ts';
export type { AirlockConfig } from './config/index.ts';
export { createApp, openApiDocument, startServer } from './server/index.ts';
export type { RunningServer } from './server/index.ts';
export {
  createCredentialVerifier,
  createCredentialMiddleware,
  createHonoCredentialMiddleware,
  verifiedCredential,
  MemoryRevocationStore,
  MemoryCredentialUseStore,
  DEFAULT_CREDENTIAL_HEADER,
  argumentsHash,
} from './credentials/index.ts';
export type {
  CredentialBinding,
  CredentialClaims,
  CredentialResource,
  CredentialVerifier,
  CredentialVerifierOptions,
  RevocationStore,
  CredentialUseStore,
  VerifyOptions,
} from './credentials/index.ts';
export { SqliteCredentialUseStore, SqliteRevocationStore, openDurableSqlite } from './stores/sqlite/index.ts';
export { openUpstreamCredentialStores } from './stores/index.ts';
export { verifyWebhookSignature, WEBHOOK_HEADERS } from './approvals/index.ts';
export type { ApprovalRequestedMessage, VerifyWebhookResult } from './approvals/index.ts';
export { AirlockError, isAirlockError } from './core/errors.ts';
export type { Decision, DecisionReason, Principal, ToolDefinition, AuditEvent } from './core/types.ts';
export type { ToolHandler, ResourceResolver, CountResolver } from './tools/index.ts';
