/**
 * JSON Schema pieces for isolation (structure only; rules in isolation-semantic.ts): egress
 * allowlist rules (top-level `egress`, an HTTP connector's or an MCP HTTP upstream's
 * `egress`), the sandbox connector and the sandbox settings an MCP stdio upstream may opt into.
 */

const nonEmptyString = { type: 'string', minLength: 1 } as const;

export const egressRuleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:\\[\\]-]{0,127}$', 'x-message': 'must be letters, digits, ".", "_", ":", "-" (at most 128)' },
    host: nonEmptyString,
    ports: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 65_535 } },
    schemes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['http', 'https'] } },
    addresses: { type: 'array', minItems: 1, uniqueItems: true, items: nonEmptyString },
  },
} as const;

export const egressListSchema = { type: 'array', items: egressRuleSchema } as const;

export const egressSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    allow: egressListSchema,
    max_redirects: { type: 'integer', minimum: 0, maximum: 10 },
  },
} as const;

export const sandboxLimitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cpu_seconds: { type: 'integer', minimum: 1, maximum: 3600 },
    memory_mb: { type: 'integer', minimum: 16, maximum: 65_536 },
    processes: { type: 'integer', minimum: 1, maximum: 4096 },
    output_bytes: { type: 'integer', minimum: 1024, maximum: 64 * 1024 * 1024 },
    file_bytes: { type: 'integer', minimum: 1024, maximum: 4 * 1024 * 1024 * 1024 },
    wall_ms: { type: 'integer', minimum: 100, maximum: 3_600_000 },
  },
} as const;

/** Sandbox settings shared by the connector and MCP stdio upstreams. */
export const sandboxSettingsProperties = {
  network: { type: 'boolean' },
  read_only_paths: { type: 'array', uniqueItems: true, items: nonEmptyString },
  limits: sandboxLimitsSchema,
} as const;

/** `mcp.upstreams[].sandbox`: true (defaults) or settings. */
export const upstreamSandboxSchema = {
  oneOf: [
    { type: 'boolean' },
    { type: 'object', additionalProperties: false, properties: sandboxSettingsProperties },
  ],
  'x-message': 'must be true, false or sandbox settings (network, read_only_paths, limits)',
} as const;

/** Properties a `sandbox` connector adds to the connector object. */
export const sandboxConnectorProperties = {
  command: { type: 'array', minItems: 1, items: { type: 'string' } },
  stdin: { enum: ['json', 'none'] },
  output: { enum: ['json', 'text'] },
  env: {
    type: 'object',
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-message': 'environment variable names use letters, digits and "_"' },
    additionalProperties: { type: 'string' },
  },
  ...sandboxSettingsProperties,
} as const;
