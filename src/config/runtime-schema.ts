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
  cost: { type: 'number', minimum: 0, maximum: 1_000_000 },
  status_check: { type: 'string', minLength: 1, 'x-message': 'must name an in-process handler' },
} as const;
