/**
 * Public surface of the policy module: bundle loading, Cedar schema generation, argument
 * conversion to Cedar values, and the Cedar-backed PolicyEngine.
 */
export { loadBundleFromDir } from './load.ts';
export { generateCedarSchema } from './schema.ts';
export type { CedarSchemaJson } from './schema.ts';
export { toCedarParameters } from './request.ts';
export { toCedarDecimal } from './shapes.ts';
export type { CedarValue } from './shapes.ts';
export { bundleVersion } from './compile.ts';
export { CedarPolicyEngine } from './engine.ts';
export type { CedarPolicyEngineOptions, CedarPolicyEngineStats } from './engine.ts';
export { DEFAULT_DENY_ID } from './decide.ts';
export type { PolicyBundleSource, PolicyDiagnostic, PolicySummary, SessionAttributeType } from './types.ts';
export { DEFAULT_OUTPUT_POLICIES, OUTPUT_NAMESPACE, OutputPolicyEngine, outputSchema } from './outputs.ts';
export type { OutputRequest, OutputVerdict } from './outputs.ts';
