/**
 * Upstream MCP tool definitions, as a domain module (imports core only): pinned
 * definitions and their hashes, the poisoning scanner, namespacing, the validation copy of
 * upstream schemas, and the pin store (memory and SQLite adapters under one contract).
 * The MCP hub in src/pipeline wires these to live upstream connections.
 */
export { MAX_DEFINITION_CHARS, definitionHash, pinnedDefinition, shortHash } from './definition.ts';
export type { PinnedDefinition } from './definition.ts';
export { scanDefinition } from './scanner.ts';
export type { Finding, FindingRule, ScanContext } from './scanner.ts';
export {
  GET_PROMPT,
  PREFIX_PATTERN,
  READ_RESOURCE,
  assignNames,
  exposedName,
  gatewayToolName,
  isValidPrefix,
} from './names.ts';
export type { NamespaceMode } from './names.ts';
export { adaptInputSchema } from './schema.ts';
export { MCP_ERRORS, mcpError } from './errors.ts';
export type { McpErrorCode } from './errors.ts';
export { MemoryPinStore } from './pins/memory-store.ts';
export type {
  Observation,
  ObservationChange,
  ObservationResult,
  PinDecider,
  PinDecision,
  PinRecord,
  PinState,
  PinStore,
} from './pins/types.ts';
