/**
 * From the validated snake_case document to the camelCase AirlockConfig: every default
 * lives here (and in docs/configuration.md), relative paths are resolved against the
 * config file's directory, and tool JSON Schemas are copied exactly as written.
 */
import { isAbsolute, resolve } from 'node:path';
import type { JsonSchema, ToolDefinition } from '../core/types.ts';
import type {
  AirlockConfig,
  AuditStoreConfig,
  ConsoleConfig,
  ContextConfig,
  MemoryConfig,
  RedactionClass,
  IssuerConfig,
  LimitsConfig,
  PostgresConfig,
  RateLimitRule,
  RedisConfig,
  TlsConfig,
} from './types.ts';
import { egressConfig, egressRules, sandboxConnector } from './isolation-normalize.ts';
import { normalizeMcp } from './mcp-normalize.ts';
import { normalizeTracing } from './tracing-config.ts';
import { normalizeAuditShip } from './audit-ship-config.ts';
import { normalizeAuditRetention } from './audit-retention-config.ts';
import { alertsConfig, budgetsConfig, idempotencyConfig, outputsConfig } from './runtime-normalize.ts';

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  bodyLimitBytes: 1024 * 1024,
  clockSkewSeconds: 30,
  maxTokenAgeSeconds: 86_400,
  policyBundleDir: 'policies',
  policyTimeoutMs: 250,
  approvalsTtlSeconds: 900,
  toolTimeoutMs: 10_000,
  tenantBinding: 'principal',
  idempotent: false,
  tenantClaim: 'tenant',
  rolesClaim: 'roles',
  auditPath: '.airlock/audit.db',
  statePath: '.airlock/state.db',
  trustTiers: ['system', 'user', 'internal', 'external'],
  classifications: ['public', 'internal', 'confidential', 'restricted'],
  contextAlertWindowSeconds: 300,
  contextAlertThreshold: 5,
} as const;

/** The `memory` section with every default. */
export function memoryConfig(raw: Raw = {}): MemoryConfig {
  const kinds: MemoryConfig['kinds'] = {};
  for (const [name, value] of Object.entries(section(raw, 'kinds'))) {
    const kind = value as Raw;
    kinds[name] = {
      schema: structuredClone(kind.schema) as JsonSchema,
      ...(kind.max_ttl_seconds === undefined ? {} : { maxTtlSeconds: kind.max_ttl_seconds as number }),
    };
  }
  return {
    reviewerRole: (raw.reviewer_role as string | undefined) ?? 'memory-reviewer',
    maxTtlSeconds: (raw.max_ttl_seconds as number | undefined) ?? 90 * 86_400,
    kinds,
  };
}

/** The `context` section with every default (also what a config without one gets). */
export function contextConfig(raw: Raw = {}): ContextConfig {
  const alerts = section(raw, 'alerts');
  const out: ContextConfig = {
    trustTiers: [...((raw.trust_tiers as string[] | undefined) ?? DEFAULTS.trustTiers)],
    classifications: [...((raw.classifications as string[] | undefined) ?? DEFAULTS.classifications)],
    sources: ((raw.sources as Raw[] | undefined) ?? []).map((s) => ({
      id: s.id as string,
      owner: s.owner as string,
      trustTier: s.trust_tier as string,
      classification: s.classification as string,
      useCases: [...(s.use_cases as string[])],
      maxAgeSeconds: s.max_age_seconds as number,
      redact: [...((s.redact as RedactionClass[] | undefined) ?? [])],
    })),
    budgets: { ...((raw.budgets as Record<string, number> | undefined) ?? {}) },
    alerts: {
      windowSeconds: (alerts.window_seconds as number | undefined) ?? DEFAULTS.contextAlertWindowSeconds,
      threshold: (alerts.threshold as number | undefined) ?? DEFAULTS.contextAlertThreshold,
    },
  };
  if (raw.trusted_tiers !== undefined) out.trustedTiers = [...(raw.trusted_tiers as string[])];
  return out;
}

// The document has passed the schema, so these shapes hold; `any`-free access via Raw.
type Raw = Record<string, unknown>;

function section(root: Raw, key: string): Raw {
  const value = root[key];
  return value !== null && typeof value === 'object' ? (value as Raw) : {};
}

function pathIn(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function normalizeTls(tls: Raw, baseDir: string): TlsConfig {
  const clientCa = tls.client_ca as string | undefined;
  return {
    cert: pathIn(baseDir, tls.cert as string),
    key: pathIn(baseDir, tls.key as string),
    ...(clientCa === undefined ? {} : { clientCa: pathIn(baseDir, clientCa) }),
  };
}

function issuer(raw: Raw, baseDir: string): IssuerConfig {
  const out: IssuerConfig = {
    issuer: raw.issuer as string,
    algorithms: raw.algorithms as IssuerConfig['algorithms'],
    tenantClaim: (raw.tenant_claim as string | undefined) ?? DEFAULTS.tenantClaim,
    rolesClaim: (raw.roles_claim as string | undefined) ?? DEFAULTS.rolesClaim,
  };
  if (raw.secret !== undefined) out.secret = raw.secret as string;
  if (raw.create_secret_if_missing !== undefined) out.createSecretIfMissing = raw.create_secret_if_missing as boolean;
  if (raw.jwks_file !== undefined) out.jwksFile = pathIn(baseDir, raw.jwks_file as string);
  if (raw.jwks_url !== undefined) out.jwksUrl = raw.jwks_url as string;
  if (raw.tenants !== undefined) out.tenants = [...(raw.tenants as string[])];
  return out;
}

function audit(raw: Raw, baseDir: string): AuditStoreConfig {
  if (raw.type === 'memory') return { type: 'memory' };
  if (raw.type === 'postgres') return raw.checkpoint_key === undefined ? { type: 'postgres' } : { type: 'postgres', checkpointKey: raw.checkpoint_key as string };
  const out: AuditStoreConfig = { type: 'sqlite', path: pathIn(baseDir, (raw.path as string | undefined) ?? DEFAULTS.auditPath) };
  if (raw.checkpoint_key !== undefined) out.checkpointKey = raw.checkpoint_key as string;
  if (raw.lock_timeout_ms !== undefined) out.lockTimeoutMs = raw.lock_timeout_ms as number;
  return out;
}

function postgresConfig(raw: Raw): PostgresConfig {
  return {
    url: raw.url as string,
    schema: (raw.schema as string | undefined) ?? 'airlock',
    poolSize: (raw.pool_size as number | undefined) ?? 10,
    connectTimeoutMs: (raw.connect_timeout_ms as number | undefined) ?? 2_000,
    statementTimeoutMs: (raw.statement_timeout_ms as number | undefined) ?? 5_000,
    migrateOnStart: (raw.migrate_on_start as boolean | undefined) ?? true,
  };
}

function redisConfig(raw: Raw): RedisConfig {
  return {
    url: raw.url as string,
    keyPrefix: (raw.key_prefix as string | undefined) ?? 'airlock:',
    commandTimeoutMs: (raw.command_timeout_ms as number | undefined) ?? 1_000,
  };
}

function rule(raw: unknown): RateLimitRule | undefined {
  if (raw === undefined) return undefined;
  const r = raw as Raw;
  return { windowSeconds: r.window_seconds as number, max: r.max as number };
}

function limits(raw: Raw): LimitsConfig {
  const out: LimitsConfig = {};
  const perUser = rule(raw.per_user);
  const perTool = rule(raw.per_tool);
  const perTenant = rule(raw.per_tenant);
  const perSession = rule(raw.per_session);
  if (perUser) out.perUser = perUser;
  if (perTool) out.perTool = perTool;
  if (perTenant) out.perTenant = perTenant;
  if (perSession) out.perSession = perSession;
  return out;
}

function tool(raw: Raw, baseDir: string): ToolDefinition {
  const connectorRaw = raw.connector as Raw;
  const connector: ToolDefinition['connector'] =
    connectorRaw.type === 'function'
      ? { type: 'function', handler: connectorRaw.handler as string }
      : connectorRaw.type === 'sandbox'
        ? sandboxConnector(connectorRaw, baseDir)
        : {
            type: 'http',
            method: connectorRaw.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
            url: connectorRaw.url as string,
            ...(connectorRaw.headers === undefined
              ? {}
              : { headers: { ...(connectorRaw.headers as Record<string, string>) } }),
            ...(connectorRaw.egress === undefined ? {} : { egress: egressRules(connectorRaw.egress) }),
          };
  const out: ToolDefinition = {
    name: raw.name as string,
    description: (raw.description as string | undefined) ?? '',
    inputSchema: structuredClone(raw.input_schema) as JsonSchema,
    sideEffect: raw.side_effect as ToolDefinition['sideEffect'],
    tenantBinding: (raw.tenant_binding as ToolDefinition['tenantBinding'] | undefined) ?? DEFAULTS.tenantBinding,
    idempotent: (raw.idempotent as boolean | undefined) ?? DEFAULTS.idempotent,
    timeoutMs: (raw.timeout_ms as number | undefined) ?? DEFAULTS.toolTimeoutMs,
    connector,
  };
  if (raw.output_schema !== undefined) out.outputSchema = structuredClone(raw.output_schema) as JsonSchema;
  if (raw.resource !== undefined) {
    const r = raw.resource as Raw;
    out.resource = { type: r.type as string };
    if (r.argument !== undefined) out.resource.argument = r.argument as string;
    if (r.resolver !== undefined) out.resource.resolver = r.resolver as string;
  }
  if (raw.affected_count !== undefined) {
    const a = raw.affected_count as Raw;
    if (a.const !== undefined) out.affectedCount = { const: a.const as number };
    else if (a.count_of !== undefined) out.affectedCount = { count_of: a.count_of as string };
    else out.affectedCount = { resolver: a.resolver as string };
  }
  if (raw.output_trust !== undefined) out.outputTrust = raw.output_trust as 'trusted' | 'untrusted';
  if (raw.cost !== undefined) out.cost = raw.cost as number;
  if (raw.retries !== undefined) out.retries = raw.retries as number;
  if (raw.status_check !== undefined) out.statusCheck = raw.status_check as string;
  return out;
}

/** Maps a schema-valid, semantically valid document to AirlockConfig with defaults applied. */
export function normalizeConfig(root: Raw, source: string, baseDir: string): AirlockConfig {
  const server = section(root, 'server');
  const identity = section(root, 'identity');
  const policy = section(root, 'policy');
  const auditRaw = section(root, 'audit');
  const state = section(root, 'state');
  const kill = section(root, 'kill_switch');
  const approvals = section(root, 'approvals');
  const credentials = section(root, 'credentials');
  const overrides = section(root, 'overrides');
  const runtime = section(root, 'runtime');
  const strings = (value: unknown): string[] => [...((value as string[] | undefined) ?? [])];

  const config: AirlockConfig = {
    source,
    baseDir,
    server: {
      host: (server.host as string | undefined) ?? DEFAULTS.host,
      port: (server.port as number | undefined) ?? DEFAULTS.port,
      bodyLimitBytes: (server.body_limit_bytes as number | undefined) ?? DEFAULTS.bodyLimitBytes,
      metrics: {
        enabled: (section(server, 'metrics').enabled as boolean | undefined) ?? true,
        token: (section(server, 'metrics').token as string | undefined) ?? null,
      },
      ...(server.tls === undefined ? {} : { tls: normalizeTls(section(server, 'tls'), baseDir) }),
      console: normalizeConsole(section(server, 'console')),
    },
    identity: {
      audience: identity.audience as string,
      clockSkewSeconds: (identity.clock_skew_seconds as number | undefined) ?? DEFAULTS.clockSkewSeconds,
      maxTokenAgeSeconds: (identity.max_token_age_seconds as number | undefined) ?? DEFAULTS.maxTokenAgeSeconds,
      issuers: ((identity.issuers as Raw[] | undefined) ?? []).map((raw) => issuer(raw, baseDir)),
    },
    policy: {
      bundleDir: pathIn(baseDir, (policy.bundle_dir as string | undefined) ?? DEFAULTS.policyBundleDir),
      timeoutMs: (policy.timeout_ms as number | undefined) ?? DEFAULTS.policyTimeoutMs,
    },
    audit: audit(auditRaw, baseDir),
    state:
      state.type === 'memory' || state.type === 'postgres'
        ? { type: state.type }
        : { type: 'sqlite', path: pathIn(baseDir, (state.path as string | undefined) ?? DEFAULTS.statePath) },
    ...(root.postgres === undefined ? {} : { postgres: postgresConfig(section(root, 'postgres')) }),
    ...(root.redis === undefined ? {} : { redis: redisConfig(section(root, 'redis')) }),
    limits: limits(section(root, 'limits')),
    killSwitch: {
      global: (kill.global as boolean | undefined) ?? false,
      tenants: strings(kill.tenants),
      tools: strings(kill.tools),
      agents: strings(kill.agents),
      connectors: strings(kill.connectors),
    },
    credentials: {
      issuer: (credentials.issuer as string | undefined) ?? 'airlock',
      maxTtlSeconds: (credentials.max_ttl_seconds as number | undefined) ?? 300,
      ...(credentials.signing_key === undefined ? {} : { signingKey: credentials.signing_key as string }),
      purgeIntervalSeconds: (credentials.purge_interval_seconds as number | undefined) ?? 600,
    },
    approvals: {
      ttlSeconds: (approvals.ttl_seconds as number | undefined) ?? DEFAULTS.approvalsTtlSeconds,
      ...(approvals.signing_key === undefined ? {} : { signingKey: approvals.signing_key as string }),
      ...(approvals.notify === undefined ? {} : { notify: approvalNotify(approvals.notify as Raw) }),
    },
    overrides: {
      role: (overrides.role as string | undefined) ?? 'security-admin',
      maxTtlSeconds: (overrides.max_ttl_seconds as number | undefined) ?? 3600,
    },
    sessions: { required: (section(root, 'sessions').required as boolean | undefined) ?? false },
    sessionAttributes: { ...(section(root, 'session_attributes') as AirlockConfig['sessionAttributes']) },
    tools: ((root.tools as Raw[] | undefined) ?? []).map((raw) => tool(raw, baseDir)),
    runtime: {
      modelId: (runtime.model_id as string | null | undefined) ?? null,
      configId: (runtime.config_id as string | null | undefined) ?? null,
    },
    context: contextConfig(section(root, 'context')),
    memory: memoryConfig(section(root, 'memory')),
    idempotency: idempotencyConfig(section(root, 'idempotency')),
    budgets: budgetsConfig(section(root, 'budgets')),
    outputs: outputsConfig(section(root, 'outputs'), baseDir),
    alerts: alertsConfig(section(root, 'alerts')),
  };
  if (typeof root.handlers_module === 'string') config.handlersModule = pathIn(baseDir, root.handlers_module);
  config.mcp = normalizeMcp(root.mcp, baseDir, config.server.host);
  const tracing = normalizeTracing(root.tracing === undefined ? undefined : section(root, 'tracing'));
  if (tracing !== undefined) config.tracing = tracing;
  const ship = normalizeAuditShip(auditRaw.ship === undefined ? undefined : section(auditRaw, 'ship'), baseDir);
  if (ship !== undefined) config.auditShip = ship;
  const retention = normalizeAuditRetention(auditRaw.retention === undefined ? undefined : section(auditRaw, 'retention'));
  if (retention !== undefined) config.auditRetention = retention;
  config.egress = egressConfig(root.egress);
  return config;
}

function approvalNotify(raw: Raw): NonNullable<AirlockConfig['approvals']['notify']> {
  return {
    url: raw.url as string,
    secret: raw.secret as string,
    ...(raw.timeout_ms === undefined ? {} : { timeoutMs: raw.timeout_ms as number }),
    ...(raw.retries === undefined ? {} : { retries: raw.retries as number }),
  };
}

/** `server.console`: enabled unless turned off; the OIDC client when one is named (scope defaults to `openid`). */
function normalizeConsole(raw: Raw): ConsoleConfig {
  const oidc = raw.oidc === undefined ? undefined : section(raw, 'oidc');
  return {
    enabled: (raw.enabled as boolean | undefined) ?? true,
    ...(oidc === undefined
      ? {}
      : { oidc: { issuer: oidc.issuer as string, clientId: oidc.client_id as string, scope: (oidc.scope as string | undefined) ?? 'openid' } }),
  };
}
