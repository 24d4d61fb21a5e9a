/**
 * OpenAPI paths and schemas of the runtime controls: idempotency records (operator routes),
 * output classification, and the idempotency answer of tool calls. Merged into the v1
 * document by openapi.ts.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const errors = {
  '400': json(ref('Error'), 'malformed input'),
  '401': json(ref('Error'), 'missing or invalid bearer token'),
  '403': json(ref('Error'), 'no operator role (idempotency.operator_role), or a token with an acting agent'),
};

export const runtimeSchemas = {
  OutputAnswer: {
    type: 'object',
    required: ['class', 'owner', 'escalation', 'policy_ids', 'policy_version'],
    description: 'the class the output policies gave an output, its owner and escalation path, and what was found in it',
    properties: {
      class: { enum: ['informational', 'needs_confirmation', 'needs_approval', 'blocked'] },
      owner: { type: 'string' },
      escalation: { type: 'array', items: { type: 'string' } },
      policy_ids: { type: 'array', items: { type: 'string' } },
      reasons: { type: 'array', items: { type: 'string' } },
      policy_version: { type: 'string' },
      data_classes: { type: 'object', additionalProperties: { type: 'integer' }, description: 'occurrences per data class (secret, card, iban, national_id, email, phone)' },
      links: {
        type: 'object',
        properties: { count: { type: 'integer' }, images: { type: 'integer' }, data_urls: { type: 'integer' }, neutralised: { type: 'integer' }, exfiltration: { type: 'boolean' }, hosts: { type: 'array', items: { type: 'string' } } },
      },
    },
  },
  IdempotencyAnswer: {
    type: 'object',
    description: 'what the answer says about the call\'s idempotency key (present when it named one)',
    properties: {
      record_id: { type: ['string', 'null'] },
      replayed: { type: 'boolean', description: 'true: the recorded answer was replayed, nothing ran again' },
      state: { type: ['string', 'null'], enum: ['pending', 'completed', 'failed', 'outcome_unknown', null] },
      original_request_id: { type: ['string', 'null'] },
      original_action_id: { type: ['string', 'null'] },
      result_omitted: { type: 'boolean', description: 'the result was too large to keep, or the call was resolved as executed without one' },
      resolution: { type: 'object', properties: { via: { enum: ['operator', 'status_check'] }, outcome: { enum: ['executed', 'not_executed'] } } },
    },
  },
  IdempotencyRecord: {
    type: 'object',
    required: ['id', 'key', 'tool', 'state', 'reported_state', 'request_id', 'action_id', 'created_at', 'lease_until'],
    properties: {
      id: { type: 'string' },
      key: { type: 'string' },
      tool: { type: 'string' },
      owner: { type: 'object', properties: { tenant: { type: 'string' }, issuer: { type: 'string' }, user: { type: 'string' }, agent: { type: ['string', 'null'] } } },
      fingerprint: { type: 'string' },
      state: { enum: ['pending', 'completed', 'failed', 'outcome_unknown'] },
      reported_state: { enum: ['pending', 'completed', 'failed', 'outcome_unknown'], description: 'a pending record past its lease reads as outcome_unknown' },
      request_id: { type: 'string' },
      action_id: { type: 'string' },
      session_id: { type: ['string', 'null'] },
      created_at: { type: 'integer' },
      updated_at: { type: 'integer' },
      lease_until: { type: 'integer' },
      outcome: { type: 'object', properties: { has_result: { type: 'boolean' }, result_omitted: { type: 'boolean' }, error: ref('Error') } },
      resolution: { type: 'object' },
    },
  },
};

export const runtimePaths = {
  '/v1/outputs/classify': {
    post: {
      summary: 'Classify model output: links that could carry data out neutralised, data classes redacted or tokenized, and the class from the output policies (audited as output.classified)',
      responses: {
        '200': json({ allOf: [ref('OutputAnswer'), { type: 'object', properties: { output_id: { type: 'string' }, text: { type: ['string', 'null'], description: 'the governed text; null when blocked' } } }] }, 'classified'),
        '404': json(ref('Error'), 'unknown session'),
        '429': json(ref('Error'), "ERR_SESSION_BUDGET_EXCEEDED: the session's step budget is exhausted (the session is suspended)"),
        '400': json(ref('Error'), 'malformed input'),
        '401': json(ref('Error'), 'missing or invalid bearer token'),
      },
    },
  },
  '/v1/data-references/resolve': {
    post: {
      summary: 'Open a reference token for a human with a reference role (outputs.reference_roles) of its tenant; audited as data_reference.resolved (never the value)',
      responses: {
        '200': json({ type: 'object', properties: { class: { type: 'string' }, value: { type: 'string' } } }, 'the value'),
        '403': json(ref('Error'), 'no reference role, or a token with an acting agent'),
        '404': json(ref('Error'), 'unknown, forged, or of another tenant'),
        '400': json(ref('Error'), 'malformed input'),
        '401': json(ref('Error'), 'missing or invalid bearer token'),
      },
    },
  },
  '/v1/idempotency/records': {
    get: {
      summary: "The operator's tenant's idempotency records, newest first (operator role, humans only)",
      parameters: [
        { name: 'state', in: 'query', schema: { enum: ['pending', 'completed', 'failed', 'outcome_unknown'] }, description: 'outcome_unknown includes pending records past their lease' },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 9999 } },
      ],
      responses: { '200': json({ type: 'object', properties: { records: { type: 'array', items: ref('IdempotencyRecord') } } }, 'records'), ...errors },
    },
  },
  '/v1/idempotency/records/{id}': {
    get: {
      summary: 'One idempotency record of the operator\'s tenant',
      parameters: [id],
      responses: { '200': json({ type: 'object', properties: { record: ref('IdempotencyRecord') } }, 'the record'), '404': json(ref('Error'), 'unknown, or of another tenant'), ...errors },
    },
  },
  '/v1/idempotency/records/{id}/resolve': {
    post: {
      summary: 'Settle an unknown outcome: executed (retries replay) or not_executed (the key may run once more); audited as idempotency.resolved',
      parameters: [id],
      responses: {
        '200': json({ type: 'object', properties: { record: ref('IdempotencyRecord') } }, 'resolved'),
        '404': json(ref('Error'), 'unknown, or of another tenant'),
        '409': json(ref('Error'), 'ERR_IDEMPOTENCY_NOT_UNKNOWN: the outcome is not unknown (already settled or still running)'),
        ...errors,
      },
    },
  },
  '/v1/idempotency/records/{id}/check': {
    post: {
      summary: "Ask the tool's authoritative status check about an unknown outcome; a definite answer resolves the record (audited)",
      parameters: [id],
      responses: {
        '200': json({ type: 'object', properties: { verdict: { enum: ['executed', 'not_executed', 'unknown'] }, record: { oneOf: [ref('IdempotencyRecord'), { type: 'null' }] } } }, 'the verdict'),
        '404': json(ref('Error'), 'unknown, or of another tenant'),
        '409': json(ref('Error'), 'ERR_IDEMPOTENCY_NO_STATUS_CHECK or ERR_IDEMPOTENCY_NOT_UNKNOWN'),
        ...errors,
      },
    },
  },
};

/** The 409 answer of POST /v1/tool-calls (idempotency key held by another action, running, or with an unknown outcome). */
export const toolCallConflict = json(
  {
    type: 'object',
    properties: {
      status: { enum: ['conflict', 'outcome_unknown'] },
      request_id: { type: 'string' },
      action_id: { type: 'string' },
      decision_id: { type: 'string' },
      decision: ref('Decision'),
      error: { type: 'object', properties: { code: { enum: ['ERR_IDEMPOTENCY_KEY_REUSED', 'ERR_IDEMPOTENCY_IN_PROGRESS', 'ERR_IDEMPOTENCY_OUTCOME_UNKNOWN'] }, message: { type: 'string' } } },
      idempotency: ref('IdempotencyAnswer'),
    },
  },
  'the idempotency key was used for another action (ERR_IDEMPOTENCY_KEY_REUSED), its call is still running (ERR_IDEMPOTENCY_IN_PROGRESS), or its earlier outcome is unknown (ERR_IDEMPOTENCY_OUTCOME_UNKNOWN): nothing ran',
);
