/** JSON Schema of the `mcp:` section of airlock.yaml (structure only; rules in mcp-semantic.ts). */
import { egressListSchema, upstreamSandboxSchema } from './isolation-schema.ts';

const nonEmptyString = { type: 'string', minLength: 1 } as const;
const sideEffect = { enum: ['none', 'read', 'write', 'irreversible', 'external_send'] } as const;
const notAllowed = (message: string) => ({ not: {}, 'x-message': message });

const toolOverride = {
  type: 'object',
  additionalProperties: false,
  properties: {
    side_effect: sideEffect,
    resource: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-message': 'must be an identifier (letters, digits, "_")' },
        argument: nonEmptyString,
      },
    },
    output_trust: { enum: ['trusted', 'untrusted'] },
    idempotent: { type: 'boolean' },
    timeout_ms: { type: 'integer', minimum: 1, maximum: 300_000 },
  },
} as const;

const upstream = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix'],
  properties: {
    prefix: {
      type: 'string',
      pattern: '^[A-Za-z][A-Za-z0-9_-]{0,31}$',
      'x-message': 'must start with a letter and use only letters, digits, "_" and "-" (at most 32 characters)',
    },
    namespace: { enum: ['prefixed', 'none'] },
    command: nonEmptyString,
    args: { type: 'array', items: { type: 'string' } },
    env: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-message': 'environment variable names use letters, digits and "_"' },
      additionalProperties: { type: 'string' },
    },
    cwd: nonEmptyString,
    url: nonEmptyString,
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    egress: egressListSchema,
    sandbox: upstreamSandboxSchema,
    trust: { enum: ['trusted', 'untrusted'] },
    side_effect: sideEffect,
    approval: { enum: ['manual', 'first_use'] },
    timeout_ms: { type: 'integer', minimum: 1, maximum: 300_000 },
    tools: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,128}$', 'x-message': 'must be an MCP tool name (letters, digits, "_", "." and "-")' },
      additionalProperties: toolOverride,
    },
  },
  allOf: [
    {
      if: { required: ['url'] },
      then: {
        properties: {
          command: notAllowed('set either command (stdio) or url (streamable HTTP), not both'),
          args: notAllowed('only allowed with command (stdio upstreams)'),
          env: notAllowed('only allowed with command (stdio upstreams)'),
          cwd: notAllowed('only allowed with command (stdio upstreams)'),
          sandbox: notAllowed('only allowed with command (stdio upstreams)'),
        },
      },
      else: {
        required: ['command'],
        properties: {
          headers: notAllowed('only allowed with url (streamable HTTP upstreams)'),
          egress: notAllowed('only allowed with url (streamable HTTP upstreams); a sandboxed stdio upstream has no network unless sandbox.network is true'),
        },
      },
    },
  ],
} as const;

export const mcpSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    identity_token: nonEmptyString,
    relist_seconds: { type: 'integer', minimum: 0, maximum: 86_400 },
    connect_timeout_ms: { type: 'integer', minimum: 100, maximum: 300_000 },
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allowed_hosts: { type: 'array', items: nonEmptyString, uniqueItems: true },
        allowed_origins: { type: 'array', items: nonEmptyString, uniqueItems: true },
        max_sessions: { type: 'integer', minimum: 1, maximum: 100_000 },
        max_sessions_per_principal: { type: 'integer', minimum: 1, maximum: 100_000 },
        session_idle_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
      },
    },
    upstreams: { type: 'array', items: upstream },
  },
} as const;
