/**
 * Public surface of the config module: load and validate `airlock.yaml`, report its
 * errors, and resolve secret references.
 */
export { loadConfig, parseConfig, type ParseConfigOptions } from './load.ts';
export { formatConfigErrors, type ConfigIssue } from './errors.ts';
export { resolveSecretRef, parseSecretRef, type ParsedSecretRef } from './secrets.ts';
export { DEFAULTS as CONFIG_DEFAULTS, contextConfig, memoryConfig } from './normalize.ts';
export type * from './types.ts';
export { budgetsConfig, idempotencyConfig, outputsConfig } from './runtime-normalize.ts';
