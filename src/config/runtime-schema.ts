/**
 * JSON Schema of the runtime-control sections of `airlock.yaml`: `idempotency` (records of
 * idempotency keys), `budgets` (per-session budgets and loop detection) and `outputs`
 * (output classes and data classes). See docs/runtime-controls.md and docs/output-governance.md.
 */
const nonEmptyString = { type: 'string', minLength: 1 } as const;

export const idempotencySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    operator_role: nonEmptyString,
    retention_seconds: { type: 'integer', minimum: 60, maximum: 90 * 86_400 },
    lease_grace_seconds: { type: 'integer', minimum: 1, maximum: 3_600 },
    max_result_bytes: { type: 'integer', minimum: 0, maximum: 16 * 1024 * 1024 },
  },
} as const;

export const budgetsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    session: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_steps: { type: 'integer', minimum: 1 },
        max_tool_calls: { type: 'integer', minimum: 1 },
        max_spend: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    loops: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_identical_calls: { type: 'integer', minimum: 2, maximum: 10_000 },
        max_denials: { type: 'integer', minimum: 1, maximum: 10_000 },
      },
    },
  },
} as const;

/** Tool attributes of the runtime controls (merged into the tool schema). */
export const toolRuntimeProperties = {
  retries: { type: 'integer', minimum: 0, maximum: 5 },
  cost: { type: 'number', minimum: 0, maximum: 1_000_000 },
  status_check: { type: 'string', minLength: 1, 'x-message': 'must name an in-process handler' },
} as const;

const OUTPUT_CLASS_NAMES = ['informational', 'needs_confirmation', 'needs_approval', 'blocked'];
const classRoute = {
  type: 'object',
  additionalProperties: false,
  required: ['owner'],
  properties: { owner: nonEmptyString, escalation: { type: 'array', items: nonEmptyString } },
} as const;

export const outputsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    policy_dir: nonEmptyString,
    default_class: { enum: OUTPUT_CLASS_NAMES },
    classes: { type: 'object', additionalProperties: false, properties: Object.fromEntries(OUTPUT_CLASS_NAMES.map((c) => [c, classRoute])) },
    data_classes: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(['secret', 'card', 'iban', 'national_id', 'email', 'phone'].map((c) => [c, { enum: ['redact', 'tokenize', 'allow'] }])),
    },
    reference_roles: { type: 'array', items: nonEmptyString, uniqueItems: true },
    reference_key: nonEmptyString,
    links: {
      type: 'object',
      additionalProperties: false,
      properties: { allowed_hosts: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9.-]{1,253}$', 'x-message': 'must be a lowercase host name' }, uniqueItems: true } },
    },
  },
} as const;

export const alertsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    audit_commit_ms: { type: 'integer', minimum: 1, maximum: 600_000 },
    cooldown_seconds: { type: 'integer', minimum: 0, maximum: 86_400 },
  },
} as const;
