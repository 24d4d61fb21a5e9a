/**
 * The shape of `airlock.yaml` after it has been parsed, schema-checked and defaulted.
 * Keys are camelCase here; the YAML file uses snake_case (see docs/configuration.md).
 */
import type { EgressRuleConfig, JsonSchema, SandboxLimits, ToolDefinition } from '../core/types.ts';
import type { McpConfig } from './mcp-types.ts';
import type { TracingConfig } from './tracing-config.ts';
export type { TracingConfig } from './tracing-config.ts';
import type { AuditShipConfig } from './audit-ship-config.ts';
export type { AuditShipConfig } from './audit-ship-config.ts';
import type { AuditRetentionConfig } from './audit-retention-config.ts';
export type { AuditRetentionConfig } from './audit-retention-config.ts';

export type * from './mcp-types.ts';
export type * from './runtime-types.ts';
import type { AlertsConfig, BudgetsConfig, IdempotencyConfig, OutputsConfig } from './runtime-types.ts';

/** A reference to a secret: `env:NAME` or `file:PATH` (relative to the config file). */
export type SecretRef = string;

export interface IssuerConfig {
  issuer: string;
  /** Allowed JWS algorithms. HS256 only in dev configs; RS256 / ES256 / EdDSA with keys. */
  algorithms: Array<'HS256' | 'RS256' | 'ES256' | 'EdDSA'>;
  /** HS256 shared secret reference. */
  secret?: SecretRef;
  /** Create a random secret at a `file:` reference when it does not exist (dev configs). */
  createSecretIfMissing?: boolean;
  /** JWKS as a local file (path relative to the config file). */
  jwksFile?: string;
  /** JWKS URL (https, or http on loopback). */
  jwksUrl?: string;
  /** Claim holding the tenant (default `tenant`). */
  tenantClaim: string;
  /** Claim holding the roles array (default `roles`). */
  rolesClaim: string;
  /**
   * The only tenants this issuer may name (absent: any). Where each customer brings its own
   * identity provider, this keeps one customer's provider from minting tokens for another tenant.
   */
  tenants?: string[];
}

export interface IdentityConfig {
  audience: string;
  clockSkewSeconds: number;
  /** Longest token lifetime accepted (exp - iat), seconds. */
  maxTokenAgeSeconds: number;
  issuers: IssuerConfig[];
}

export interface PolicyConfig {
  /** Directory of *.cedar files, absolute after loading. */
  bundleDir: string;
  /** Decision deadline; a slower decision denies. */
  timeoutMs: number;
}

export type AuditStoreConfig =
  | {
      type: 'sqlite';
      path: string;
      checkpointKey?: SecretRef;
      /** Longest a call waits for the database's write lock before it is refused (audit.unavailable). */
      lockTimeoutMs?: number;
    }
  | { type: 'memory' }
  /** The shared PostgreSQL log (config.postgres): one chain for every replica. */
  | { type: 'postgres'; checkpointKey?: SecretRef };

/** Connection to the PostgreSQL every replica of a fleet shares (top-level `postgres`). */
export interface PostgresConfig {
  /** A secret reference (env:/file:) holding the URL, or a literal URL without a password. */
  url: string;
  schema: string;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** Apply missing migrations at start (under an advisory lock); default true. */
  migrateOnStart: boolean;
}

/** Connection to the Redis of a fleet (top-level `redis`): global rate limits. */
export interface RedisConfig {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
}

export interface RateLimitRule {
  windowSeconds: number;
  max: number;
}

export interface LimitsConfig {
  perUser?: RateLimitRule;
  perTool?: RateLimitRule;
  perTenant?: RateLimitRule;
  perSession?: RateLimitRule;
}

export interface KillSwitchConfig {
  global: boolean;
  tenants: string[];
  tools: string[];
  agents: string[];
  connectors: string[];
}

export interface ServerConfig {
  host: string;
  port: number;
  bodyLimitBytes: number;
  metrics: MetricsConfig;
  /** HTTPS instead of plain HTTP (absent: plain HTTP). */
  tls?: TlsConfig;
  /** The web console served at /console. */
  console: ConsoleConfig;
}

/**
 * `server.console`: the web console (a static build that talks only to the HTTP API). With
 * `oidc`, people sign in with the authorization code flow and PKCE at that issuer (one of
 * `identity.issuers`), as the public client `clientId`, asking for an access token for
 * `identity.audience`; without it, the sign-in page takes a pasted token.
 */
export interface ConsoleConfig {
  enabled: boolean;
  oidc?: { issuer: string; clientId: string; scope: string };
}

/**
 * `server.tls`: PEM files, paths absolute after loading (relative ones resolve against the
 * config file's directory). With `clientCa`, every client must present a certificate that CA
 * signed (mutual TLS); a client without one is refused during the handshake.
 */
export interface TlsConfig {
  /** Server certificate (chain), PEM. */
  cert: string;
  /** Private key of the certificate, PEM (a file the server's user alone should read). */
  key: string;
  /** CA certificate(s), PEM, that client certificates must chain to. */
  clientCa?: string;
}

/**
 * `GET /metrics` (Prometheus). Served only when enabled (default); with a bearer `token`
 * (a secret reference) a scraper must present it, without one only loopback callers are served.
 */
export interface MetricsConfig {
  enabled: boolean;
  /** Secret reference (env:NAME or file:PATH) of the bearer token scrapers present; null: loopback callers only. */
  token: string | null;
}

/** Data classes the context gateway can redact. */
export type RedactionClass = 'email' | 'iban' | 'card' | 'secret' | 'phone' | 'national_id';

/** One registered context source (see docs/context.md). */
export interface ContextSourceConfig {
  id: string;
  owner: string;
  /** One of `context.trustTiers`. */
  trustTier: string;
  /** Highest classification its chunks may carry (one of `context.classifications`). */
  classification: string;
  /** Use cases it may feed (`*`: any). */
  useCases: string[];
  /** A chunk older than this is stale. */
  maxAgeSeconds: number;
  redact: RedactionClass[];
}

export interface ContextConfig {
  /** Most trusted first; contains `user`. */
  trustTiers: string[];
  /** Tiers whose content is trusted for provenance: the top of `trustTiers` (default: down to `user`). */
  trustedTiers?: string[];
  /** Least sensitive first. */
  classifications: string[];
  sources: ContextSourceConfig[];
  /** Characters (UTF-16 code units, not model tokens) admitted per trust tier in one assembly. */
  budgets: Record<string, number>;
  /** `threshold` rejected or flagged chunks from one session within `windowSeconds` raise an alert. */
  alerts: { windowSeconds: number; threshold: number };
}

/** One kind of memory agents may write: the JSON Schema its content must match. */
export interface MemoryKindConfig {
  schema: JsonSchema;
  /** Longest lifetime of a memory of this kind (capped by `memory.maxTtlSeconds`). */
  maxTtlSeconds?: number;
}

export interface MemoryConfig {
  /** Role that reviews queued writes (promote or reject). */
  reviewerRole: string;
  /** Longest lifetime of any memory. */
  maxTtlSeconds: number;
  kinds: Record<string, MemoryKindConfig>;
}

/** The top-level `egress` section (docs/egress.md). */
export interface EgressConfig {
  /** Destinations HTTP connectors and MCP HTTP upstreams may reach unless they carry their own list. Empty: none. */
  allow: EgressRuleConfig[];
  /** Redirects followed per call, each checked as a new destination. */
  maxRedirects: number;
}

/** How a sandboxed command runs (docs/sandbox.md): network, extra read-only paths, limits. */
export interface SandboxSettings {
  network: boolean;
  readOnlyPaths: string[];
  limits: SandboxLimits;
}

export interface AirlockConfig {
  /** Absolute path of the file this came from (or `<inline>`). */
  source: string;
  /** Directory relative paths were resolved against. */
  baseDir: string;
  server: ServerConfig;
  identity: IdentityConfig;
  policy: PolicyConfig;
  audit: AuditStoreConfig;
  /** Where sessions and approval requests live (SQLite file, or memory). */
  state: { type: 'sqlite'; path: string } | { type: 'memory' } | { type: 'postgres' };
  /** Present when a store uses PostgreSQL. */
  postgres?: PostgresConfig;
  /** Present when the fleet shares Redis. */
  redis?: RedisConfig;
  limits: LimitsConfig;
  killSwitch: KillSwitchConfig;
  /** Just-in-time credentials minted for connectors (see src/credentials). */
  credentials: {
    /** `iss` of minted credentials. */
    issuer: string;
    /** Cap on any credential's lifetime, whatever a policy's `@credential_ttl` asks. */
    maxTtlSeconds: number;
    /** HS256 key (>= 32 bytes). Default: `credential-signing.key` beside the SQLite state database. */
    signingKey?: SecretRef;
    /** How often expired revocation entries are dropped from the revocation store. */
    purgeIntervalSeconds: number;
  };
  approvals: {
    ttlSeconds: number;
    /** Signed webhook told about every new approval request (out-of-band review). */
    notify?: { url: string; secret: SecretRef; timeoutMs?: number; retries?: number };
    /**
     * Key that signs approval tokens (at least 32 bytes). Default: a key file created beside the
     * SQLite state database (`approval-signing.key`), or a per-process key with memory state.
     */
    signingKey?: SecretRef;
  };
  /** Break-glass overrides: who may break the glass, and for how long at most. */
  overrides: { role: string; maxTtlSeconds: number };
  /** Sessions: with `required`, a call by an agent token that names no session is refused (`session.required`). */
  sessions: { required: boolean };
  /** Session attributes applications may set, and their Cedar types. */
  sessionAttributes: Record<string, 'String' | 'Long' | 'Bool'>;
  tools: ToolDefinition[];
  /** Module (relative to the config file) exporting the in-process tool handlers and resolvers. */
  handlersModule?: string;
  /** Free-form identifiers recorded on every audit event. */
  runtime: { modelId: string | null; configId: string | null };
  /** Context gateway and provenance: trust tiers, classifications, sources (defaults when absent). */
  context?: ContextConfig;
  /** Governed memory: declared kinds and their schemas (no kinds: every write is refused). */
  memory?: MemoryConfig;
  /** OpenTelemetry traces (absent: off; a caller's traceparent is still passed through). */
  tracing?: TracingConfig;
  /** `audit.ship`: the audit log shipped to a SIEM from a stored cursor (absent: not shipped). */
  auditShip?: AuditShipConfig;
  /** `audit.retention`: how long each audit data class is kept (absent: everything forever). */
  auditRetention?: AuditRetentionConfig;
  /** Egress allowlist of HTTP connectors and MCP HTTP upstreams (docs/egress.md); always set by the loader. */
  egress?: EgressConfig;
  /** Upstream MCP servers and the MCP doors (docs/mcp.md); always set by the loader. */
  mcp?: McpConfig;
  /** Idempotency records (docs/runtime-controls.md); defaults when absent. */
  idempotency?: IdempotencyConfig;
  /** Per-session budgets and runaway-loop detection (docs/runtime-controls.md); none when absent. */
  budgets?: BudgetsConfig;
  /** Output classes, data classes and link exfiltration (docs/output-governance.md); defaults when absent. */
  outputs?: OutputsConfig;
  /** Alerts the gateway raises itself (audit commit delay); defaults when absent. */
  alerts?: AlertsConfig;
}
