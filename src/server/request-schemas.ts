/**
 * The request bodies of the v1 HTTP API as JSON Schemas (draft 2020-12): the one source from
 * which the server validates each body (request-validation.ts) and the OpenAPI document
 * describes it (openapi.ts). `BODY_ROUTES` says which route takes which body; a route that reads
 * a body without one of these is a defect (src/server/request-validation.test.ts).
 *
 * What a body must be is checked here; what it means (a session attribute's declared type, a
 * memory kind's schema, an override scope's tenant, a tool's arguments) is checked by the
 * pipeline, with its own reason codes and a record where the pipeline keeps one.
 */
import { CONTENT_KINDS, CREDENTIAL_REVOCATION_KEYS, MAX_CONTENT_CHARS, MAX_TARGET_CHARS, MAX_TARGETS, TARGET_KINDS } from '../pipeline/index.ts';

/** Optional string fields also accept null (the same as leaving them out). */
const optionalText = (maxLength: number, description?: string) => ({
  type: ['string', 'null'],
  maxLength,
  ...(description === undefined ? {} : { description }),
});

const MAX_TEXT = 4000;
const MAX_JUSTIFICATION = 2000;

const justification = optionalText(MAX_JUSTIFICATION, 'why (recorded in the audit log)');

export const REQUEST_SCHEMAS = {
  ToolCallBody: {
    type: 'object',
    required: ['tool', 'arguments'],
    properties: {
      tool: { type: 'string', minLength: 1, maxLength: 200 },
      arguments: { description: "the tool's arguments (checked against its input schema by the pipeline: a mismatch is a recorded deny); {} for none" },
      session_id: optionalText(MAX_TEXT, 'a session created by this principal'),
      intent: optionalText(MAX_TEXT, 'free text recorded with the decision'),
      trace_id: optionalText(MAX_TEXT, 'correlation: an Airlock trace id (kept when well formed; a W3C traceparent header wins)'),
      parent_action_id: optionalText(MAX_TEXT, 'correlation: the action this call follows from (kept when well formed)'),
      approval_token: optionalText(MAX_TEXT, 'POST /v1/tool-calls: the one-time token of an approval of exactly this call'),
      idempotency_key: {
        type: ['string', 'null'],
        minLength: 1,
        maxLength: 255,
        // No C0/C1 control characters or DEL.
        pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
        'x-error-code': 'ERR_IDEMPOTENCY_KEY_INVALID',
        'x-message': 'an idempotency key is 1 to 255 characters with no control characters',
        description: 'POST /v1/tool-calls: a repeat with the same action replays the recorded answer, with another action is a 409 (docs/runtime-controls.md); sent to the connector (default: the action id)',
      },
    },
    description: 'Identity claims in the body (user, tenant, roles...) are never authority: they are compared with the token and recorded when they disagree.',
  },
  SessionCreateBody: {
    type: 'object',
    properties: {
      attributes: { type: ['object', 'null'], description: 'declared session attributes (session_attributes in the config), set by the application, never by the model' },
      targets: {
        type: ['array', 'null'],
        maxItems: MAX_TARGETS,
        description:
          "the task's target scope (docs/injection.md \"Target scope\"): what this task may touch; policy sees which arguments fall outside it (context.scope). Absent or null: none declared",
        items: {
          type: 'object',
          required: ['kind', 'value'],
          additionalProperties: false,
          properties: {
            kind: { enum: [...TARGET_KINDS], description: 'email: one address; domain: a domain and its subdomains; iban: one account number; url: a URL and everything below its path; path: a file path glob (*, **, ?); value: one plain value (a channel, a name)' },
            value: { type: 'string', minLength: 1, maxLength: MAX_TARGET_CHARS },
          },
        },
      },
    },
  },
  ContentBody: {
    type: 'object',
    required: ['kind', 'text'],
    properties: {
      kind: { enum: [...CONTENT_KINDS] },
      text: { type: 'string', maxLength: MAX_CONTENT_CHARS },
      source_id: optionalText(200, 'where it came from (reported as a taint source)'),
      tool: optionalText(200, 'for tool_result: the tool that produced it'),
      classification: optionalText(200, 'a configured data classification'),
    },
  },
  AssembleBody: {
    type: 'object',
    required: ['session_id', 'use_case', 'chunks'],
    properties: {
      session_id: { type: 'string', maxLength: 200 },
      use_case: { type: 'string', minLength: 1, maxLength: 200 },
      budget: { type: ['integer', 'null'], minimum: 0, description: 'overall character budget (on top of the per-tier budgets)' },
      chunks: {
        type: 'array',
        description:
          'each {id, text, source_id, owner, classification, timestamp (ISO 8601 or epoch ms), claims?: {key: value}} — checked by the context gateway; the same claim key with different values across chunks is a conflict',
      },
    },
  },
  MemoryWriteBody: {
    type: 'object',
    required: ['kind', 'owner', 'content'],
    properties: {
      kind: { type: 'string', maxLength: 64, description: 'a memory kind declared in the config' },
      owner: { type: 'string', maxLength: 200, description: 'your user id, or role:<role> for a role you hold' },
      content: { description: "must match the kind's JSON Schema" },
      provenance: { description: '{kind: user_statement | agent_inference | tool_output | document | web | email, session_id?, source_ids?, tool?} (checked by the memory service)' },
      confidence: { description: 'a number from 0 to 1 (checked by the memory service)' },
      expires_at: { description: 'ISO 8601 or epoch ms (or give ttl_seconds)' },
      ttl_seconds: { description: 'a whole number of seconds, at least 1' },
    },
  },
  MemoryReviewBody: {
    type: 'object',
    required: ['verdict'],
    properties: { verdict: { enum: ['promote', 'reject'] }, justification },
  },
  JustificationBody: {
    type: 'object',
    properties: { justification },
  },
  OverrideCreateBody: {
    type: 'object',
    properties: {
      scope: {
        description: '{kind: action, action_hash, tenant} or {kind: tool, tool, tenant} (checked by the override service)',
      },
      justification,
      ttl_seconds: { type: 'number', description: 'lifetime (default and cap: overrides.max_ttl_seconds)' },
    },
  },
  KillSwitchEngageBody: {
    type: 'object',
    properties: {
      scope: { description: 'global, tenant, agent, tool, connector or session (checked by the kill switch service)' },
      target: optionalText(256, 'tenant, agent, tool name, connector id or session id (not for global)'),
      justification,
      fleet: { type: 'boolean', description: 'refuse the scope in every tenant (fleet role)' },
    },
  },
  CredentialRevokeBody: {
    type: 'object',
    description: "exactly one of jti, user, tenant, connector, agent, tool, session (a non-empty string); all but jti are confined to the operator's tenant",
    oneOf: CREDENTIAL_REVOCATION_KEYS.map((key) => ({ required: [key] })),
    'x-message': `give exactly one of ${CREDENTIAL_REVOCATION_KEYS.join(', ')}`,
    properties: {
      jti: { type: 'string', minLength: 1, maxLength: 256, description: 'one credential' },
      user: { type: 'string', minLength: 1, maxLength: 256, description: "every credential of this user of the operator's tenant" },
      tenant: { type: 'string', minLength: 1, maxLength: 256, description: "the operator's own tenant (every credential of it)" },
      connector: { type: 'string', minLength: 1, maxLength: 256, description: "every credential of the operator's tenant for this connector (audience)" },
      agent: { type: 'string', minLength: 1, maxLength: 256, description: "every credential of the operator's tenant this acting agent (act.sub) holds" },
      tool: { type: 'string', minLength: 1, maxLength: 256, description: "every credential of the operator's tenant minted for this tool" },
      session: { type: 'string', minLength: 1, maxLength: 256, description: "every credential of the operator's tenant minted for a call in this session (sid)" },
    },
  },
  OutputClassifyBody: {
    type: 'object',
    required: ['text'],
    properties: {
      text: { type: 'string', maxLength: 200_000, description: 'the model output to classify' },
      session_id: optionalText(200, "a session of the caller's (its provenance labels are seen by the output policies)"),
      proposed_action: {
        type: ['object', 'null'],
        required: ['tool'],
        properties: { tool: { type: 'string', minLength: 1, maxLength: 200 } },
        description: 'the tool the output asks to call',
      },
    },
  },
  DataReferenceResolveBody: {
    type: 'object',
    required: ['reference'],
    properties: { reference: { type: 'string', minLength: 1, maxLength: 16_384, examples: ['[[ref:email:dref_...]]'] } },
  },
  IdempotencyResolveBody: {
    type: 'object',
    required: ['outcome'],
    properties: {
      outcome: { enum: ['executed', 'not_executed'], description: 'what the operator established happened' },
      justification,
    },
  },
  DefinitionDecisionBody: {
    type: 'object',
    required: ['items', 'verdict'],
    properties: {
      items: {
        type: 'array',
        maxItems: 100,
        description: 'the reviewed definitions (the pipeline checks each against its pending hash)',
        items: {
          type: 'object',
          required: ['name', 'hash'],
          properties: {
            name: { type: 'string', maxLength: 512 },
            hash: { type: 'string', maxLength: 100, description: 'the hash that was reviewed (a definition changed since is refused)' },
            accept_findings: { type: 'boolean', description: 'approve a definition the scanner flagged' },
          },
        },
      },
      verdict: { enum: ['approve', 'reject'] },
      justification,
    },
  },
} as const;

export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

/** Which body each route reads (method and OpenAPI path). */
export const BODY_ROUTES = {
  'POST /v1/sessions': 'SessionCreateBody',
  'POST /v1/sessions/{id}/content': 'ContentBody',
  'POST /v1/context/assemble': 'AssembleBody',
  'POST /v1/memory': 'MemoryWriteBody',
  'POST /v1/memory/review/{id}': 'MemoryReviewBody',
  'POST /v1/decide': 'ToolCallBody',
  'POST /v1/tool-calls': 'ToolCallBody',
  'POST /v1/tool-calls/simulate': 'ToolCallBody',
  'POST /v1/approvals/{id}/approve': 'JustificationBody',
  'POST /v1/approvals/{id}/deny': 'JustificationBody',
  'POST /v1/overrides': 'OverrideCreateBody',
  'POST /v1/overrides/{id}/revoke': 'JustificationBody',
  'POST /v1/admin/kill-switches': 'KillSwitchEngageBody',
  'POST /v1/admin/kill-switches/{id}/release': 'JustificationBody',
  'POST /v1/credentials/revoke': 'CredentialRevokeBody',
  'POST /v1/admin/mcp/definitions/decide': 'DefinitionDecisionBody',
  'POST /v1/outputs/classify': 'OutputClassifyBody',
  'POST /v1/data-references/resolve': 'DataReferenceResolveBody',
  'POST /v1/idempotency/records/{id}/resolve': 'IdempotencyResolveBody',
} as const satisfies Record<string, RequestSchemaName>;

export type BodyRoute = keyof typeof BODY_ROUTES;
