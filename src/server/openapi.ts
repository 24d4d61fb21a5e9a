/**
 * The OpenAPI 3.1 description of the v1 HTTP API, served at /openapi.json. The paths and
 * named fields here are the v1 contract: fields may be added, never renamed. Request bodies are
 * not written here: each route's body is the JSON Schema the server validates it with
 * (request-schemas.ts), added to the document by `withRequestBodies`.
 */

import { BODY_ROUTES, REQUEST_SCHEMAS } from './request-schemas.ts';
import { runtimePaths, runtimeSchemas, toolCallConflict } from './openapi-runtime.ts';

/** The ids every answer about a call carries: each resolves with GET /v1/audit/lineage/{id}. */
const callIds = {
  request_id: { type: 'string', description: 'the call (resolves to its lineage)' },
  action_id: { type: 'string', description: 'the action (resolves to its lineage)' },
  decision_id: { type: 'string', description: 'the decision (resolves to its lineage)' },
} as const;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  '400': json(ref('Error'), 'malformed input'),
  '401': json(ref('Error'), 'missing or invalid bearer token'),
  '413': json(ref('Error'), 'request body too large (answered with `connection: close`: the rest of the body is not read)'),
  '415': json(ref('Error'), 'content-type is not application/json'),
};
/** Errors of the tool-call routes: a value the policy engine cannot take exactly is a recorded refusal. */
const callErrors = {
  ...errors,
  '400': json(
    { allOf: [ref('Error')], properties: { ...callIds, decision: ref('Decision') } },
    'malformed input; ERR_POLICY_UNREPRESENTABLE (an argument, intent or session attribute the policy engine cannot take exactly) is a recorded refusal and also carries the call ids and its decision',
  ),
};


/** W3C Trace Context on the tool-call routes: the parent of the call's span, and its audit trace id. */
const TRACE_CONTEXT_HEADERS = [
  {
    name: 'traceparent',
    in: 'header',
    required: false,
    schema: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
    description: "W3C traceparent: the call's span is its child, the audit trace id is trc_<trace id>, HTTP upstreams get it onward (a malformed one is ignored)",
  },
  { name: 'tracestate', in: 'header', required: false, schema: { type: 'string' }, description: 'W3C tracestate, carried with the traceparent' },
];

function describedPaths(): { components: { schemas: Record<string, unknown> } & Record<string, unknown>; paths: Record<string, Record<string, Record<string, unknown>>> } & Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Airlock',
      version: '1.0.0',
      description:
        'Runtime security gateway for LLM agents. Every call is authenticated by a bearer JWT; identity in the body is ignored for authorization.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, metricsToken: { type: 'http', scheme: 'bearer', description: 'the scrape token of server.metrics.token (a secret of its own, not a user token)' } },
      schemas: {
        ...runtimeSchemas,
        KillSwitch: {
          type: 'object',
          required: ['id', 'scope', 'target', 'tenant', 'engaged_by', 'justification', 'engaged_at'],
          properties: {
            id: { type: 'string' },
            scope: { type: 'string', enum: ['global', 'tenant', 'agent', 'tool', 'connector', 'session'] },
            target: { type: 'string' },
            tenant: { type: ['string', 'null'], description: 'the tenant whose calls it refuses; null: every tenant' },
            engaged_by: { type: 'object', properties: { user: { type: 'string' }, tenant: { type: 'string' }, issuer: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } } },
            justification: { type: 'string' },
            engaged_at: { type: 'integer', description: 'epoch milliseconds' },
            released_at: { type: 'integer' },
            released_by: { type: 'object' },
            release_justification: { type: 'string' },
          },
        },
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
            taint: {
              type: 'array',
              description: 'arguments whose values came from untrusted content only (dotted paths), with the content and source ids they came from',
              items: ref('ArgumentTaint'),
            },
            context_manifest_hash: { type: 'string', description: "hash of the session's latest context manifest" },
            target_scope: ref('TargetScope'),
          },
        },
        ArgumentTaint: {
          type: 'object',
          required: ['argument', 'sources'],
          properties: { argument: { type: 'string' }, sources: { type: 'array', items: { type: 'string' } } },
        },
        TargetScope: {
          type: 'object',
          description:
            "the session's declared target scope (present when it declared one and policy was asked): how many targets of which kinds, and the argument paths holding a value outside them; never the values",
          required: ['declared', 'kinds', 'outside'],
          properties: {
            declared: { type: 'integer', minimum: 0, description: 'number of declared targets' },
            kinds: { type: 'array', items: { enum: ['email', 'domain', 'iban', 'url', 'path', 'value'] }, description: 'the kinds among them, sorted' },
            outside: { type: 'array', items: { type: 'string' }, description: 'dotted argument paths outside the scope (an array element reports its array), sorted' },
          },
        },
        ApprovalRequest: {
          type: 'object',
          required: ['id', 'state', 'action_hash', 'tool', 'tenant', 'required_role', 'reasons', 'summary', 'created_at', 'expires_at'],
          description:
            'action (the normalized arguments and target), the snippets of tainted arguments and the declared targets of evidence.target_scope are shown only to the requester and to holders of required_role; everyone else of the tenant sees the rest',
          properties: {
            id: { type: 'string' },
            state: { enum: ['pending', 'approved', 'denied', 'expired', 'consumed'] },
            action_hash: { type: 'string' },
            tool: { type: 'string' },
            tool_version: { type: 'string' },
            tenant: { type: 'string' },
            requester: { type: 'object' },
            required_role: { type: 'string' },
            policy_version: { type: 'string' },
            reasons: { type: 'array', items: ref('Reason') },
            summary: { type: 'string' },
            action: { type: 'object', properties: { arguments: {}, target: { type: ['object', 'null'] } } },
            affected_count: { type: 'integer' },
            args_hash: { type: 'string' },
            session_id: { type: ['string', 'null'] },
            evidence: {
              type: 'object',
              required: ['context_manifest_hash', 'tainted_arguments'],
              properties: {
                context_manifest_hash: { type: ['string', 'null'] },
                tainted_arguments: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['argument', 'sources'],
                    properties: {
                      argument: { type: 'string' },
                      sources: { type: 'array', items: { type: 'string' } },
                      evidence: { enum: ['injected', 'instructed', 'directive', 'unnamed', 'pointed'] },
                      snippets: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['source', 'text'],
                          properties: {
                            source: { type: 'string' },
                            text: { type: 'string' },
                            highlight: { type: 'object', properties: { start: { type: 'integer' }, end: { type: 'integer' } } },
                          },
                        },
                      },
                    },
                  },
                },
                target_scope: {
                  allOf: [ref('TargetScope')],
                  properties: {
                    targets: {
                      type: 'array',
                      description: 'the declared targets as normalized at session creation',
                      items: { type: 'object', required: ['kind', 'value'], properties: { kind: { type: 'string' }, value: { type: 'string' } } },
                    },
                  },
                },
              },
            },
            created_at: { type: 'integer' },
            expires_at: { type: 'integer' },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      ...runtimePaths,
      '/v1/sessions': {
        post: {
          summary: 'Create a session bound to the calling principal',
          responses: {
            '201': json({ type: 'object', required: ['session_id'], properties: { session_id: { type: 'string' } } }, 'created'),
            ...errors,
          },
        },
      },
      '/v1/sessions/{id}/content': {
        post: {
          summary: "Register content the session has seen, for argument provenance (the caller's own session)",
          description:
            'user_prompt is user-tier (trusted); system_prompt is the most trusted tier; tool_result takes the output_trust of the named tool (default untrusted); every other kind is untrusted. Recorded in the audit log by hash; the text is never stored.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '201': json(
              {
                type: 'object',
                required: ['content_id', 'hash', 'trust', 'trust_tier', 'kind'],
                properties: {
                  content_id: { type: 'string' },
                  hash: { type: 'string' },
                  trust: { enum: ['trusted', 'untrusted'] },
                  trust_tier: { type: 'string' },
                  kind: { type: 'string' },
                },
              },
              'registered',
            ),
            '404': json(ref('Error'), "unknown session (or another principal's)"),
            ...errors,
          },
        },
      },
      '/v1/context/assemble': {
        post: {
          summary: "Admit or reject context chunks for the caller's session and assemble them, with a context manifest",
          description:
            'Each chunk needs id, text, source_id, owner, classification and timestamp (ISO 8601 with a zone, or epoch ms); it is rejected (with a reason code and a builtin.context.* rule id) when metadata is missing, the source is unknown or not allowlisted for the use case, it is stale, it loses a conflicting claim to a more trusted tier, or no budget is left. Admitted chunks are redacted, flagged for suspected injection, truncated to budget, and untrusted ones are spotlighted. The manifest hash is recorded in the audit log and attached to every later decision of the session.',
          responses: {
            '200': json(
              {
                type: 'object',
                required: ['manifest_hash', 'manifest', 'context', 'alert'],
                properties: {
                  manifest_hash: { type: 'string' },
                  manifest: { type: 'object', description: 'admitted and rejected chunks with hashes, source tags, decisions and rule ids (never text)' },
                  context: { type: 'string' },
                  alert: { type: 'boolean', description: 'this assembly raised a context.abuse_alert' },
                },
              },
              'the assembled context and its manifest',
            ),
            '404': json(ref('Error'), "unknown session (or another principal's)"),
            '503': json(
              ref('Error'),
              'ERR_CONTEXT_UNAVAILABLE: the context gateway failed (a store or the audit log down); no context is returned, and `error.details.fallback.user_message` is a message safe to show the user',
            ),
            ...errors,
          },
        },
      },
      '/v1/memory': {
        post: {
          summary: 'Write a memory (governed: kind schema, owner, provenance, confidence, expiry; tenant from the token)',
          description:
            'Secrets are refused (400 ERR_MEMORY_SECRET). A write whose provenance is tool_output, document, web or email, whose content came only from untrusted content in its session, or that an agent makes without naming its session, is queued for review (state pending_review) instead of stored.',
          responses: {
            '201': json({ type: 'object', properties: { id: { type: 'string' }, state: { enum: ['active', 'pending_review'] }, review_reasons: { type: 'array', items: { type: 'string' } } } }, 'stored or queued'),
            '403': json(ref('Error'), 'owner is not the caller or one of its roles'),
            '404': json(ref('Error'), "provenance.session_id is not the caller's session"),
            ...errors,
          },
        },
        get: {
          summary: "Search active, unexpired memories of the caller's tenant that the caller owns (directly or by role)",
          parameters: [
            { name: 'kind', in: 'query', schema: { type: 'string' } },
            { name: 'q', in: 'query', schema: { type: 'string' }, description: 'words that must all appear' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          ],
          responses: { '200': json({ type: 'object', properties: { memories: { type: 'array' } } }, 'memories'), ...errors },
        },
      },
      '/v1/memory/{id}': {
        get: {
          summary: 'One memory (a queued one only to its writer and reviewers)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json({ type: 'object', properties: { memory: { type: 'object' } } }, 'memory'), '404': json(ref('Error'), 'unknown, or not visible'), ...errors },
        },
        delete: {
          summary: 'Delete a memory and every index entry derived from it (owner or reviewer)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json({ type: 'object', properties: { deleted: { type: 'boolean' } } }, 'deleted'), '404': json(ref('Error'), 'unknown, or not visible'), ...errors },
        },
      },
      '/v1/memory/review': {
        get: {
          summary: "The review queue of the reviewer's tenant (memory reviewer role)",
          responses: { '200': json({ type: 'object', properties: { pending: { type: 'array' } } }, 'queued writes'), '403': json(ref('Error'), 'not a reviewer'), ...errors },
        },
      },
      '/v1/memory/review/{id}': {
        post: {
          summary: 'Promote a queued write into memory, or reject it (reviewer role, same tenant, not the writer, never an agent)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { memory: { type: 'object' } } }, 'reviewed'),
            '403': json(ref('Error'), 'not allowed to review'),
            '409': json(ref('Error'), 'not pending'),
            ...errors,
          },
        },
      },
      '/v1/decide': {
        post: {
          summary: 'Decide a tool call without executing it (decision-point mode)',
          parameters: TRACE_CONTEXT_HEADERS,
          responses: {
            '200': json(
              {
                type: 'object',
                required: ['decision_id', 'request_id', 'action_id', 'outcome', 'reasons', 'checks', 'policy_version'],
                properties: {
                  ...callIds,
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
            ...callErrors,
          },
        },
      },
      '/v1/tool-calls': {
        post: {
          summary: 'Run a tool call through the full pipeline',
          parameters: TRACE_CONTEXT_HEADERS,
          responses: {
            '200': json(
              {
                type: 'object',
                required: ['status', 'request_id', 'action_id', 'decision_id', 'decision'],
                properties: {
                  status: { const: 'executed' },
                  ...callIds,
                  decision: ref('Decision'),
                  result: {},
                  result_trust: { enum: ['trusted', 'untrusted'] },
                  idempotency: ref('IdempotencyAnswer'),
                  output: ref('OutputAnswer'),
                },
              },
              'executed (or, with `idempotency.replayed`, the recorded answer of an earlier call with the same key and action)',
            ),
            '409': toolCallConflict,
            '202': json(
              { type: 'object', properties: { status: { const: 'approval_required' }, ...callIds, approval_id: { type: 'string' }, decision: ref('Decision') } },
              'held for approval',
            ),
            '403': json({ type: 'object', properties: { status: { const: 'denied' }, ...callIds, decision: ref('Decision') } }, 'denied'),
            '502': json(
              { type: 'object', properties: { status: { const: 'failed' }, ...callIds, decision: ref('Decision'), error: ref('Error') } },
              'allowed, but the tool failed',
            ),
            ...callErrors,
          },
        },
      },
      '/v1/tool-calls/simulate': {
        post: {
          summary: 'Dry run: what would happen, without side effects',
          parameters: TRACE_CONTEXT_HEADERS,
          responses: {
            '200': json(
              {
                type: 'object',
                required: ['request_id', 'action_id', 'decision_id', 'outcome', 'decision'],
                properties: {
                  ...callIds,
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
            ...callErrors,
          },
        },
      },
      '/v1/audit/lineage/{id}': {
        get: {
          summary: 'Lineage of any id an answer handed out',
          description:
            'Accepts a request, action, decision, approval, override, credential jti, session, memory entry, content or context manifest id, a context manifest or MCP definition hash, a trace id or an event id. Tenant-scoped: an id of another tenant answers exactly like an unknown one (404).',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { events: { type: 'array' }, tree: { type: 'object' }, text: { type: 'string' } } }, 'lineage'),
            '404': json(ref('Error'), 'no visible events for that id'),
            ...errors,
          },
        },
      },
      '/v1/audit/events': {
        get: {
          summary: 'Search the audit log of the caller\'s tenant',
          description:
            'Auditor and security-admin roles see every event of their tenant, other callers only their own calls; another tenant\'s events are never returned (asking for one answers an empty page). Paged by seq cursor: pass `next_after_seq` as `after_seq` until it is null. One call examines at most 20000 seqs, so a page may hold fewer than `limit` events (even none) while `next_after_seq` is not null.',
          parameters: [
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'events accepted at or after this time' },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'events accepted before this time' },
            { name: 'tenant', in: 'query', schema: { type: 'string' }, description: 'only the caller\'s own tenant finds anything' },
            { name: 'user', in: 'query', schema: { type: 'string' } },
            { name: 'agent', in: 'query', schema: { type: 'string' } },
            { name: 'tool', in: 'query', schema: { type: 'string' } },
            { name: 'type', in: 'query', schema: { type: 'string' }, description: 'event type, e.g. decision, result, approval.approved' },
            { name: 'outcome', in: 'query', schema: { type: 'string', enum: ['allow', 'deny', 'approval_required'] }, description: 'decision outcome' },
            { name: 'rule', in: 'query', schema: { type: 'string' }, description: 'a policy id among the decision\'s reasons' },
            { name: 'after_seq', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'cursor: the previous page\'s next_after_seq' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            { name: 'order', in: 'query', schema: { type: 'string', enum: ['oldest', 'newest'], default: 'oldest' } },
          ],
          responses: {
            '200': json(
              {
                type: 'object',
                required: ['events', 'next_after_seq'],
                properties: { events: { type: 'array', items: { type: 'object' } }, next_after_seq: { type: ['integer', 'null'] } },
              },
              'one page of events, as stored',
            ),
            ...errors,
          },
        },
      },
      '/v1/audit/drill/{id}': {
        get: {
          summary: 'Lineage drill: the full chain of the action(s) behind any id, with every missing link reported',
          description:
            'Accepts every id /v1/audit/lineage/{id} accepts, scoped the same way. `complete` is false when any link the chain needs is missing from the log.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json(
              {
                type: 'object',
                required: ['id', 'found', 'complete', 'actions', 'records', 'elapsed_ms'],
                properties: {
                  id: { type: 'string' },
                  found: { type: 'boolean' },
                  complete: { type: 'boolean' },
                  actions: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        action_id: { type: 'string' },
                        request_id: { type: 'string' },
                        tool: { type: ['string', 'null'] },
                        outcome: { type: ['string', 'null'] },
                        complete: { type: 'boolean' },
                        links: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: {
                              link: { enum: ['who', 'session', 'context', 'policy', 'approval', 'override', 'credential', 'execution', 'result', 'timestamps'] },
                              status: { enum: ['ok', 'missing', 'pruned', 'n/a'] },
                              detail: { type: 'string' },
                              values: { type: 'object' },
                            },
                          },
                        },
                      },
                    },
                  },
                  records: { type: 'array' },
                  lookups: { type: 'integer' },
                  elapsed_ms: { type: 'number' },
                  text: { type: 'string' },
                },
              },
              'drill report',
            ),
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
          responses: { '200': json({ type: 'object', properties: { approvals: { type: 'array', items: ref('ApprovalRequest') } } }, 'requests'), ...errors },
        },
      },
      '/v1/approvals/{id}': {
        get: {
          summary: 'One approval request; the requester also receives the one-time approval_token once it is approved',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { approval: ref('ApprovalRequest'), approval_token: { type: 'string' } } }, 'request'),
            '404': json(ref('Error'), 'unknown, or of another tenant'),
            ...errors,
          },
        },
      },
      '/v1/approvals/{id}/approve': {
        post: {
          summary: 'Approve (reviewer with the required role, same tenant, not the requester, never an agent)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json({ type: 'object' }, 'approved'), '403': json(ref('Error'), 'not allowed to decide'), '409': json(ref('Error'), 'not pending'), '410': json(ref('Error'), 'expired'), ...errors },
        },
      },
      '/v1/approvals/{id}/deny': {
        post: {
          summary: 'Deny, with a justification',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json({ type: 'object' }, 'denied'), '403': json(ref('Error'), 'not allowed to decide'), ...errors },
        },
      },
      '/v1/overrides': {
        get: {
          summary: "The override register of the operator's tenant (override role): open count, median age of open overrides, every override",
          responses: {
            '200': json({ type: 'object', properties: { open: { type: 'integer' }, median_age_seconds: { type: 'number' }, overrides: { type: 'array' } } }, 'register'),
            '403': json(ref('Error'), 'no override role, or an agent token'),
            ...errors,
          },
        },
        post: {
          summary: "Break the glass: authorize one action hash, or one tool, in the operator's tenant, for a bounded time, with a mandatory justification (400 without one)",
          responses: {
            '201': json({ type: 'object', properties: { override: { type: 'object' } } }, 'created'),
            '403': json(ref('Error'), 'no override role, an agent token, or another tenant'),
            ...errors,
          },
        },
      },
      '/v1/overrides/{id}/revoke': {
        post: {
          summary: 'Close an open override early, with a justification',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { override: { type: 'object' } } }, 'revoked'),
            '404': json(ref('Error'), 'unknown, or of another tenant'),
            '409': json(ref('Error'), 'already revoked'),
            '410': json(ref('Error'), 'expired'),
            ...errors,
          },
        },
      },
      '/v1/admin/kill-switches': {
        get: {
          summary: "Runtime kill switches the operator may see (kill switch role): their tenant's and the fleet-wide ones (every one for the fleet role), oldest first",
          parameters: [{ name: 'active', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] }, description: 'only engaged (true) or only released (false) switches' }],
          responses: {
            '200': json({ type: 'object', properties: { kill_switches: { type: 'array', items: ref('KillSwitch') } } }, 'kill switches'),
            '403': json(ref('Error'), 'no kill switch role, or an agent token'),
            ...errors,
          },
        },
        post: {
          summary:
            "Engage a kill switch: every call in its scope is refused at the screen phase (reason code screen.kill_switch, decision.kill_switch_id), on this gateway before the answer and on every replica within its refresh (a replica that cannot confirm its snapshot refuses everything: killswitch.state_unknown). Confined to the operator's tenant unless `global` or `fleet` (fleet role). Audited (killswitch.engaged); the just-in-time credentials in flight for the scope (issued up to the engage; only the operator's tenant's unless fleet-wide) are revoked and listed in the event.",
          responses: {
            '201': json({ type: 'object', properties: { kill_switch: ref('KillSwitch') } }, 'engaged'),
            '403': json(ref('Error'), 'no kill switch role, an agent token, another tenant, or a fleet-wide switch without the fleet role'),
            ...errors,
          },
        },
      },
      '/v1/admin/kill-switches/{id}/release': {
        post: {
          summary: 'Release an engaged kill switch, with a justification (exactly once; audited as killswitch.released)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json({ type: 'object', properties: { kill_switch: ref('KillSwitch') } }, 'released'),
            '403': json(ref('Error'), 'no kill switch role, an agent token, or a fleet-wide switch without the fleet role'),
            '404': json(ref('Error'), 'unknown, or of another tenant'),
            '409': json(ref('Error'), 'already released'),
            ...errors,
          },
        },
      },
      '/v1/credentials/revoke': {
        post: {
          summary: "Revoke just-in-time credentials (security-admin role, humans only): one credential (jti), or every one of the operator's tenant issued up to now — all of it, or those of a user, a connector, an acting agent, a tool or a session; audited as credential.revoked",
          responses: {
            '200': json({ type: 'object', required: ['revoked'], properties: { revoked: { type: 'object', description: 'the target as given', additionalProperties: { type: 'string' } } } }, 'revoked'),
            '403': json(ref('Error'), 'ERR_CREDENTIAL_FORBIDDEN: no security-admin role, an agent token, or another tenant'),
            ...errors,
          },
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
        get: {
          summary: "MCP (streamable HTTP): the server's notification stream of the caller's own session (Mcp-Session-Id; resumable with Last-Event-ID)",
          responses: { '200': { description: 'SSE stream' }, '400': { description: 'no Mcp-Session-Id' }, '401': { description: 'no valid bearer token' }, '403': { description: 'Host or Origin not allowed' }, '404': { description: 'unknown MCP session, or one another principal opened' } },
        },
        delete: {
          summary: "MCP (streamable HTTP): ends the caller's own session (Mcp-Session-Id)",
          responses: { '200': { description: 'session ended' }, '400': { description: 'no Mcp-Session-Id' }, '401': { description: 'no valid bearer token' }, '403': { description: 'Host or Origin not allowed' }, '404': { description: 'unknown MCP session, or one another principal opened' } },
        },
      },
      '/v1/me': {
        get: {
          summary: 'The verified identity of the token: user, tenant, roles, acting agent, issuer, expiry (nothing from the request but the token)',
          responses: {
            '200': json(
              { type: 'object', properties: { user: { type: 'string' }, tenant: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, agent: { type: ['string', 'null'] }, issuer: { type: 'string' }, expires_at: { type: 'integer' } } },
              'identity',
            ),
            ...errors,
          },
        },
      },
      '/v1/audit/trends': {
        get: {
          summary: "Trends of the caller's tenant (auditor or security-admin): blocked high-risk attempts and overrides opened per week, top rule triggers, open overrides and their median age, median approval decision time, share of calls with complete lineage",
          parameters: [{ name: 'weeks', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 26 } }],
          responses: { '200': json({ type: 'object' }, 'trends'), '403': json(ref('Error'), 'no auditor role'), ...errors },
        },
      },
      '/v1/admin/mcp/definitions': {
        get: {
          summary: 'Upstream MCP tool definitions (security-admin, no acting agent): each with its state, observed definition and hash, scanner findings, and the definition last approved (for a diff)',
          parameters: [{ name: 'state', in: 'query', required: false, schema: { enum: ['pending', 'approved', 'rejected'] } }],
          responses: { '200': json({ type: 'object', properties: { definitions: { type: 'array' } } }, 'definitions'), '403': json(ref('Error'), 'not a security-admin, or an agent token'), ...errors },
        },
      },
      '/v1/admin/mcp/definitions/decide': {
        post: {
          summary: 'Approve or reject reviewed definitions, one or many (bulk); each applies only to the hash reviewed (stale: refused), a flagged one needs accept_findings; every decision is audited',
          responses: {
            '200': json({ type: 'object', properties: { results: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, ok: { type: 'boolean' }, definition: { type: 'object' }, error: ref('Error') } } } } }, 'one outcome per item'),
            '403': json(ref('Error'), 'not a security-admin, or an agent token'),
            ...errors,
          },
        },
      },
      '/console': { get: { summary: 'Redirects to /console/', security: [], responses: { '308': { description: 'to /console/' } } } },
      '/console/': {
        get: {
          summary: 'The web console (static build under a strict Content-Security-Policy; docs/console.md); 503 when it was not built',
          security: [],
          responses: { '200': { description: 'the console page', content: { 'text/html': {} } }, '503': { description: 'not built', content: { 'text/plain': {} } } },
        },
      },
      '/console/sign-in.json': {
        get: {
          summary: "How the console signs in: {mode:'oidc', issuer, client_id, scope, audience} (authorization code with PKCE) or {mode:'token'} (paste a token)",
          security: [],
          responses: { '200': json({ type: 'object', properties: { mode: { enum: ['oidc', 'token'] } } }, 'sign-in settings') },
        },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': json({ type: 'object' }, 'alive') } } },
      '/readyz': {
        get: {
          summary: 'Readiness (policy loaded, audit store reachable, kill switch snapshot confirmed recently)',
          security: [],
          responses: { '200': json({ type: 'object' }, 'ready'), '503': json({ type: 'object' }, 'not ready') },
        },
      },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': json({ type: 'object' }, 'OpenAPI') } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (docs/metrics.md): with server.metrics.token configured, that bearer token (not a user token); without one, loopback callers only',
          security: [{ metricsToken: [] }, {}],
          responses: {
            '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
            '401': json(ref('Error'), 'ERR_METRICS_UNAUTHORIZED: a token is configured and the request does not present it'),
            '403': json(ref('Error'), 'ERR_METRICS_FORBIDDEN: no token is configured and the caller is not on loopback'),
            '404': json(ref('Error'), 'ERR_METRICS_DISABLED: server.metrics.enabled is false'),
          },
        },
      },
    },
  };
}

/** Every route's request body, from the schema its handler validates with. */
function withRequestBodies(document: ReturnType<typeof describedPaths>): object {
  for (const [route, schema] of Object.entries(BODY_ROUTES)) {
    const [method, path] = route.split(' ') as [string, string];
    const operation = document.paths[path]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`${route} validates a body but is not in the OpenAPI document`);
    operation.requestBody = { required: true, content: { 'application/json': { schema: ref(schema) } } };
  }
  Object.assign(document.components.schemas, REQUEST_SCHEMAS);
  return document;
}

export function openApiDocument(): object {
  return withRequestBodies(describedPaths());
}
