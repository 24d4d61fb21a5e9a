/**
 * The OpenAPI 3.1 description of the v1 HTTP API, served at /openapi.json. The paths and
 * named fields here are the v1 contract: fields may be added, never renamed.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  '400': json(ref('Error'), 'malformed input'),
  '401': json(ref('Error'), 'missing or invalid bearer token'),
  '413': json(ref('Error'), 'request body too large'),
  '415': json(ref('Error'), 'content-type is not application/json'),
};

const toolCallBody = {
  type: 'object',
  required: ['tool', 'arguments'],
  properties: {
    session_id: { type: 'string', description: 'a session created by this principal' },
    tool: { type: 'string' },
    arguments: { description: "the tool's arguments (checked against its input schema)" },
    intent: { type: 'string', description: 'free text recorded with the decision' },
    trace_id: { type: 'string' },
    parent_action_id: { type: 'string' },
  },
};

export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Airlock',
      version: '1.0.0',
      description:
        'Runtime security gateway for LLM agents. Every call is authenticated by a bearer JWT; identity in the body is ignored for authorization.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', examples: ['ERR_REQUEST_MALFORMED'] }, message: { type: 'string' } },
            },
          },
        },
        Reason: {
          type: 'object',
          required: ['policy_id', 'effect', 'reason'],
          properties: {
            policy_id: { type: 'string' },
            effect: { enum: ['permit', 'forbid'] },
            reason: { type: 'string' },
            code: { type: 'string' },
          },
        },
        Check: {
          type: 'object',
          properties: { passed: { type: 'boolean' }, policy_ids: { type: 'array', items: { type: 'string' } } },
        },
        Decision: {
          type: 'object',
          required: ['decision_id', 'outcome', 'reasons', 'checks', 'policy_version'],
          properties: {
            decision_id: { type: 'string' },
            outcome: { enum: ['allow', 'deny', 'approval_required'] },
            code: { type: 'string', description: 'primary reason code' },
            reasons: { type: 'array', items: ref('Reason') },
            checks: {
              type: 'object',
              properties: { action_class: ref('Check'), parameters: ref('Check') },
            },
            obligations: { type: 'object' },
            policy_version: { type: 'string' },
            errors: { type: 'array', items: { type: 'string' } },
            latency_us: { type: 'number' },
            decided_by: { type: 'string' },
            approval_id: { type: 'string' },
          },
        },
        ToolCallBody: toolCallBody,
        ToolCallExecuteBody: {
          allOf: [
            ref('ToolCallBody'),
            {
              type: 'object',
              properties: { approval_token: { type: 'string' }, idempotency_key: { type: 'string' } },
            },
          ],
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/sessions': {
        post: {
          summary: 'Create a session bound to the calling principal',
          requestBody: {
            content: {
              'application/json': {
                schema: { type: 'object', properties: { attributes: { type: 'object', description: 'declared session attributes' } } },
              },
            },
          },
          responses: {
            '201': json({ type: 'object', required: ['session_id'], properties: { session_id: { type: 'string' } } }, 'created'),
            ...errors,
          },
        },
      },
      '/v1/decide': {
        post: {
          summary: 'Decide a tool call without executing it (decision-point mode)',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ToolCallBody') } } },
          responses: {
            '200': json(
              {
                type: 'object',
                required: ['decision_id', 'outcome', 'reasons', 'checks', 'policy_version'],
                properties: {
                  decision_id: { type: 'string' },
                  outcome: { enum: ['allow', 'deny', 'approval_required'] },
                  reasons: { type: 'array', items: ref('Reason') },
                  checks: { type: 'object' },
                  policy_version: { type: 'string' },
                  approval_id: { type: 'string' },
                  decision: ref('Decision'),
                },
              },
              'the decision',
            ),
            ...errors,
          },
        },
      },
      '/v1/tool-calls': {
        post: {
          summary: 'Run a tool call through the full pipeline',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ToolCallExecuteBody') } } },
          responses: {
            '200': json(
              {
                type: 'object',
                properties: {
                  status: { const: 'executed' },
                  decision: ref('Decision'),
                  result: {},
                  result_trust: { enum: ['trusted', 'untrusted'] },
                },
              },
              'executed',
            ),
            '202': json(
              { type: 'object', properties: { status: { const: 'approval_required' }, approval_id: { type: 'string' }, decision: ref('Decision') } },
              'held for approval',
            ),
            '403': json({ type: 'object', properties: { status: { const: 'denied' }, decision: ref('Decision') } }, 'denied'),
            '502': json(
              { type: 'object', properties: { status: { const: 'failed' }, decision: ref('Decision'), error: ref('Error') } },
              'allowed, but the tool failed',
            ),
            ...errors,
          },
        },
      },
      '/v1/tool-calls/simulate': {
        post: {
          summary: 'Dry run: what would happen, without side effects',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ToolCallBody') } } },
          responses: {
            '200': json(
              {
                type: 'object',
                properties: {
                  outcome: { enum: ['allow', 'deny', 'approval_required'] },
                  summary: { type: 'string' },
                  affected_resources: { type: 'integer' },
                  approval: {
                    type: 'object',
                    properties: { required: { type: 'boolean' }, state: { type: 'string' }, role: { type: ['string', 'null'] } },
                  },
                  decision: ref('Decision'),
                },
              },
              'simulation',
            ),
            ...errors,
          },
        },
      },
      '/v1/audit/lineage/{id}': {
        get: {
          summary: 'Lineage of a request, action, session or trace',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { events: { type: 'array' }, tree: { type: 'object' }, text: { type: 'string' } } }, 'lineage'),
            '404': json(ref('Error'), 'no visible events for that id'),
            ...errors,
          },
        },
      },
      '/v1/audit/verify': {
        post: {
          summary: 'Verify the audit hash chain (auditor role)',
          responses: {
            '200': json({ type: 'object', properties: { ok: { type: 'boolean' }, checked: { type: 'integer' }, firstBad: { type: 'object' } } }, 'report'),
            '403': json(ref('Error'), 'not an auditor'),
            ...errors,
          },
        },
      },
      '/v1/approvals': {
        get: {
          summary: "Approval requests of the caller's tenant",
          parameters: [{ name: 'state', in: 'query', schema: { enum: ['pending', 'approved', 'denied', 'expired', 'consumed'] } }],
          responses: { '200': json({ type: 'object', properties: { approvals: { type: 'array' } } }, 'requests'), ...errors },
        },
      },
      '/v1/approvals/{id}': {
        get: {
          summary: 'One approval request; the requester also receives the one-time approval_token once it is approved',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { approval: { type: 'object' }, approval_token: { type: 'string' } } }, 'request'),
            '404': json(ref('Error'), 'unknown, or of another tenant'),
            ...errors,
          },
        },
      },
      '/v1/approvals/{id}/approve': {
        post: {
          summary: 'Approve (reviewer with the required role, same tenant, not the requester, never an agent)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['justification'], properties: { justification: { type: 'string' } } } } } },
          responses: { '200': json({ type: 'object' }, 'approved'), '403': json(ref('Error'), 'not allowed to decide'), '409': json(ref('Error'), 'not pending'), '410': json(ref('Error'), 'expired'), ...errors },
        },
      },
      '/v1/approvals/{id}/deny': {
        post: {
          summary: 'Deny, with a justification',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['justification'], properties: { justification: { type: 'string' } } } } } },
          responses: { '200': json({ type: 'object' }, 'denied'), '403': json(ref('Error'), 'not allowed to decide'), ...errors },
        },
      },
      '/v1/tools': {
        get: { summary: 'Registered tools', responses: { '200': json({ type: 'object' }, 'tools'), ...errors } },
      },
      '/mcp': {
        post: {
          summary: 'MCP (streamable HTTP): the door onto the configured upstream MCP servers (served when the config has any; see docs/mcp.md)',
          responses: { '200': { description: 'JSON-RPC response or SSE stream' }, '401': { description: 'no valid bearer token' }, '403': { description: 'Host or Origin not allowed' }, '404': { description: 'unknown MCP session' } },
        },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': json({ type: 'object' }, 'alive') } } },
      '/readyz': {
        get: {
          summary: 'Readiness (policy loaded, audit store reachable)',
          security: [],
          responses: { '200': json({ type: 'object' }, 'ready'), '503': json({ type: 'object' }, 'not ready') },
        },
      },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': json({ type: 'object' }, 'OpenAPI') } } },
    },
  };
}
