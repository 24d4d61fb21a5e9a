/**
 * Tools: the registry (definitions, versions, closed input schemas), argument intake
 * (plain-JSON copy, normalization, hashing, safe summaries), scoping (target resource,
 * affected count) and the connectors that reach the tools. Imports only src/core.
 */
export { ToolRegistry } from './registry.ts';
export type { ToolRegistryOptions, ValidationResult } from './registry.ts';
export { closeObjectSchemas } from './schema-closure.ts';
export { hashArguments, normalizeArguments, tryNormalizeArguments } from './normalize.ts';
export type { HasInputSchema, NormalizeResult } from './normalize.ts';
export { REDACTED, SUMMARY_MAX_FIELDS, SUMMARY_MAX_STRING, summarizeArguments } from './summary.ts';
export { REVIEW_MAX_DEPTH, reviewableArguments } from './review.ts';
export { MAX_SECRET_SCAN, isSecretKey, looksLikeSecret, redactSecretsInText } from './secrets.ts';
export { computeAffectedCount } from './affected.ts';
export { resolveResourceScope } from './scope.ts';
export type { CountResolver, ResourceResolver, ToolResolvers } from './resolvers.ts';
export { validateResult } from './result.ts';
export { MAX_ARGUMENT_DEPTH, readPath, toArgumentObject, toPlainJson } from './json.ts';
export { compileEgressPolicy, createEgressFetch, pinningLookup, vetDestination } from './egress/index.ts';
export type { EgressClientOptions, EgressPolicy, EgressRecord } from './egress/index.ts';
export { runSandboxed, sandboxCommand, seccompProgram } from './sandbox/index.ts';
export {
  connectorEgressPolicy,
  FunctionConnector,
  HttpConnector,
  SandboxConnector,
  createConnector,
  executeWithTimeout,
  parseUrlTemplate,
} from './connectors/index.ts';
export type {
  ConnectorOptions,
  CredentialHeaderHook,
  HttpConnectorOptions,
  HttpConnectorSpec,
  ToolHandler,
  ToolHandlerContext,
} from './connectors/index.ts';
