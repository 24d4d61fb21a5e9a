/**
 * JSON Schema (2020-12) of `airlock.yaml` as written (snake_case keys). Structure only:
 * types, enums, ranges and unknown keys. Cross-field rules (issuer keys, resource
 * arguments, secret references, connector URLs) live in semantic.ts.
 *
 * `x-message` is an annotation read by errors.ts to replace ajv's generic wording.
 */

import { egressListSchema, egressSchema, sandboxConnectorProperties } from './isolation-schema.ts';
import { mcpSchema } from './mcp-schema.ts';
import { tracingSchema } from './tracing-config.ts';
import { auditShipSchema } from './audit-ship-config.ts';
import { auditRetentionSchema } from './audit-retention-config.ts';
import { alertsSchema, budgetsSchema, idempotencySchema, outputsSchema, toolRuntimeProperties } from './runtime-schema.ts';

const CEDAR_IDENT = '^[A-Za-z_][A-Za-z0-9_]*$';

const nonEmptyString = { type: 'string', minLength: 1 } as const;
const stringList = { type: 'array', items: nonEmptyString, uniqueItems: true } as const;

const rateRule = {
  type: 'object',
  additionalProperties: false,
  required: ['window_seconds', 'max'],
  properties: {
    window_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    max: { type: 'integer', minimum: 1 },
  },
} as const;

const notAllowed = (message: string) => ({ not: {}, 'x-message': message });

const issuer = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'algorithms'],
  properties: {
    issuer: nonEmptyString,
    algorithms: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['HS256', 'RS256', 'ES256', 'EdDSA'] },
    },
    secret: nonEmptyString,
    create_secret_if_missing: { type: 'boolean' },
    jwks_file: nonEmptyString,
    jwks_url: nonEmptyString,
    tenant_claim: nonEmptyString,
    roles_claim: nonEmptyString,
    tenants: { type: 'array', minItems: 1, uniqueItems: true, items: nonEmptyString },
  },
} as const;

const SANDBOX_ONLY = Object.fromEntries(Object.keys(sandboxConnectorProperties).map((key) => [key, notAllowed('only allowed for sandbox connectors')]));

const connector = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: ['function', 'http', 'sandbox'] },
    handler: nonEmptyString,
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
    url: nonEmptyString,
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    egress: egressListSchema,
    ...sandboxConnectorProperties,
  },
  allOf: [
    {
      if: { properties: { type: { const: 'function' } }, required: ['type'] },
      then: {
        required: ['handler'],
        properties: {
          ...SANDBOX_ONLY,
          method: notAllowed('only allowed for http connectors'),
          url: notAllowed('only allowed for http connectors'),
          headers: notAllowed('only allowed for http connectors'),
          egress: notAllowed('only allowed for http connectors'),
        },
      },
    },
    {
      if: { properties: { type: { const: 'http' } }, required: ['type'] },
      then: {
        required: ['method', 'url'],
        properties: { ...SANDBOX_ONLY, handler: notAllowed('only allowed for function connectors') },
      },
    },
    {
      if: { properties: { type: { const: 'sandbox' } }, required: ['type'] },
      then: {
        required: ['command'],
        properties: {
          handler: notAllowed('only allowed for function connectors'),
          method: notAllowed('only allowed for http connectors'),
          url: notAllowed('only allowed for http connectors'),
          headers: notAllowed('only allowed for http connectors'),
          egress: notAllowed('only allowed for http connectors'),
        },
      },
    },
  ],
} as const;

const tool = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'input_schema', 'side_effect', 'connector'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,127}$',
      'x-message': 'must start with a letter and use only letters, digits, ".", "_" and "-" (at most 128 characters)',
    },
    description: { type: 'string' },
    input_schema: { type: 'object' },
    output_schema: { type: 'object' },
    side_effect: { enum: ['none', 'read', 'write', 'irreversible', 'external_send'] },
    resource: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        argument: nonEmptyString,
        type: { type: 'string', pattern: CEDAR_IDENT, 'x-message': 'must be an identifier (letters, digits, "_")' },
        resolver: nonEmptyString,
      },
    },
    tenant_binding: { enum: ['principal', 'none'] },
    affected_count: {
      type: 'object',
      additionalProperties: false,
      properties: {
        const: { type: 'integer', minimum: 0 },
        count_of: nonEmptyString,
        resolver: nonEmptyString,
      },
    },
    idempotent: { type: 'boolean' },
    timeout_ms: { type: 'integer', minimum: 1, maximum: 300_000 },
    connector,
    output_trust: { enum: ['trusted', 'untrusted'] },
    ...toolRuntimeProperties,
  },
} as const;

const storeWithPath = (extra: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { enum: ['sqlite', 'memory', 'postgres'] },
    path: nonEmptyString,
    ...extra,
  },
  allOf: [
    {
      if: { properties: { type: { const: 'memory' } }, required: ['type'] },
      then: {
        properties: {
          path: notAllowed('only allowed for sqlite stores'),
          ...Object.fromEntries(Object.keys(extra).map((key) => [key, notAllowed('not allowed for memory stores (a sqlite or postgres store keeps it)')])),
        },
      },
    },
    {
      if: { properties: { type: { const: 'postgres' } }, required: ['type'] },
      then: { properties: { path: notAllowed('only allowed for sqlite stores (postgres stores use the top-level postgres section)') } },
    },
  ],
});

/** A connection URL: a secret reference (env:/file:) or a literal URL without a password (checked in semantic.ts). */
const connectionUrl = nonEmptyString;

const postgres = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: connectionUrl,
    schema: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$', 'x-message': 'must be a lowercase identifier (letters, digits, "_"; at most 63)' },
    pool_size: { type: 'integer', minimum: 1, maximum: 200 },
    connect_timeout_ms: { type: 'integer', minimum: 50, maximum: 60_000 },
    statement_timeout_ms: { type: 'integer', minimum: 50, maximum: 60_000 },
    migrate_on_start: { type: 'boolean' },
  },
} as const;

const redis = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: connectionUrl,
    key_prefix: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$', 'x-message': 'must be 1-64 letters, digits, "_", ".", ":" or "-"' },
    command_timeout_ms: { type: 'integer', minimum: 10, maximum: 60_000 },
  },
} as const;

const REDACTION_CLASSES = ['email', 'iban', 'card', 'secret', 'phone', 'national_id'];

const contextSource = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'owner', 'trust_tier', 'classification', 'use_cases', 'max_age_seconds'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$', 'x-message': 'must be letters, digits, ".", "_", ":" or "-" (at most 128)' },
    owner: nonEmptyString,
    trust_tier: nonEmptyString,
    classification: nonEmptyString,
    use_cases: { type: 'array', minItems: 1, items: nonEmptyString, uniqueItems: true },
    max_age_seconds: { type: 'integer', minimum: 1, maximum: 10 * 365 * 86_400 },
    redact: { type: 'array', uniqueItems: true, items: { enum: REDACTION_CLASSES } },
  },
} as const;

const context = {
  type: 'object',
  additionalProperties: false,
  properties: {
    trust_tiers: { type: 'array', minItems: 2, items: nonEmptyString, uniqueItems: true },
    trusted_tiers: { type: 'array', minItems: 1, items: nonEmptyString, uniqueItems: true },
    classifications: { type: 'array', minItems: 1, items: nonEmptyString, uniqueItems: true },
    sources: { type: 'array', items: contextSource },
    budgets: { type: 'object', additionalProperties: { type: 'integer', minimum: 0, maximum: 100_000_000 } },
    alerts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        window_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
        threshold: { type: 'integer', minimum: 1, maximum: 100_000 },
      },
    },
  },
} as const;

const memory = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reviewer_role: nonEmptyString,
    max_ttl_seconds: { type: 'integer', minimum: 1, maximum: 10 * 365 * 86_400 },
    kinds: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,63}$', 'x-message': 'kind names start with a letter: letters, digits, ".", "_", "-" (at most 64)' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['schema'],
        properties: {
          schema: { type: 'object' },
          max_ttl_seconds: { type: 'integer', minimum: 1, maximum: 10 * 365 * 86_400 },
        },
      },
    },
  },
} as const;

export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['identity'],
  properties: {
    version: { const: 1, 'x-message': 'must be 1' },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: nonEmptyString,
        port: { type: 'integer', minimum: 0, maximum: 65_535 },
        body_limit_bytes: { type: 'integer', minimum: 1024, maximum: 64 * 1024 * 1024 },
        metrics: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean' },
            token: nonEmptyString,
          },
        },
        // The web console at /console: on by default; OIDC sign-in (authorization code + PKCE) against one configured issuer.
        console: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean' },
            oidc: {
              type: 'object',
              additionalProperties: false,
              required: ['issuer', 'client_id'],
              properties: {
                issuer: nonEmptyString,
                client_id: nonEmptyString,
                scope: nonEmptyString,
              },
            },
          },
        },
        // HTTPS: PEM certificate chain and private key; with client_ca, clients must present a certificate it signed.
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['cert', 'key'],
          properties: {
            cert: nonEmptyString,
            key: nonEmptyString,
            client_ca: nonEmptyString,
          },
        },
      },
    },
    identity: {
      type: 'object',
      additionalProperties: false,
      required: ['audience', 'issuers'],
      properties: {
        audience: nonEmptyString,
        clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 300 },
        max_token_age_seconds: { type: 'integer', minimum: 1, maximum: 30 * 86_400 },
        issuers: { type: 'array', minItems: 1, items: issuer },
      },
    },
    policy: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bundle_dir: nonEmptyString,
        timeout_ms: { type: 'integer', minimum: 1, maximum: 5_000 },
      },
    },
    audit: storeWithPath({ checkpoint_key: nonEmptyString, lock_timeout_ms: { type: 'integer', minimum: 1, maximum: 60_000 }, ship: auditShipSchema, retention: auditRetentionSchema }),
    state: storeWithPath({}),
    postgres,
    redis,
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: { per_user: rateRule, per_tool: rateRule, per_tenant: rateRule, per_session: rateRule },
    },
    kill_switch: {
      type: 'object',
      additionalProperties: false,
      properties: {
        global: { type: 'boolean' },
        tenants: stringList,
        tools: stringList,
        agents: stringList,
        connectors: stringList,
      },
    },
    approvals: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ttl_seconds: { type: 'integer', minimum: 1, maximum: 7 * 86_400 },
        signing_key: nonEmptyString,
        notify: {
          type: 'object',
          additionalProperties: false,
          required: ['url', 'secret'],
          properties: {
            url: { type: 'string', pattern: '^https?://', 'x-message': 'must be an http(s) URL' },
            secret: nonEmptyString,
            timeout_ms: { type: 'integer', minimum: 100, maximum: 60_000 },
            retries: { type: 'integer', minimum: 0, maximum: 10 },
          },
        },
      },
    },
    overrides: {
      type: 'object',
      additionalProperties: false,
      properties: {
        role: nonEmptyString,
        max_ttl_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
      },
    },
    credentials: {
      type: 'object',
      additionalProperties: false,
      properties: {
        signing_key: nonEmptyString,
        issuer: nonEmptyString,
        max_ttl_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
        purge_interval_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
      },
    },
    sessions: {
      type: 'object',
      additionalProperties: false,
      properties: { required: { type: 'boolean' } },
    },
    session_attributes: {
      type: 'object',
      propertyNames: { pattern: CEDAR_IDENT, 'x-message': 'attribute names must be identifiers (letters, digits, "_")' },
      additionalProperties: { enum: ['String', 'Long', 'Bool'] },
    },
    tools: { type: 'array', items: tool },
    context,
    memory,
    handlers_module: nonEmptyString,
    mcp: mcpSchema,
    tracing: tracingSchema,
    egress: egressSchema,
    idempotency: idempotencySchema,
    budgets: budgetsSchema,
    outputs: outputsSchema,
    alerts: alertsSchema,
    runtime: {
      type: 'object',
      additionalProperties: false,
      properties: {
        model_id: { type: ['string', 'null'] },
        config_id: { type: ['string', 'null'] },
      },
    },
  },
} as const;
