/**
 * The one place that loads cedar-wasm (the Node.js build, which instantiates the module
 * synchronously at import). Everything else imports Cedar from here.
 */
export {
  checkParsePolicySet,
  isAuthorized,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  schemaToText,
  statefulIsAuthorized,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs';
export type {
  AuthorizationAnswer,
  DetailedError,
  EntityUidJson,
  PolicyJson,
  Schema,
} from '@cedar-policy/cedar-wasm/nodejs';
