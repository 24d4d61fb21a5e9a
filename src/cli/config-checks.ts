/**
 * The start-up checks of `airlock serve`, run without starting anything (`airlock config
 * check`): a config that passes them does not fail at start for a reason they cover. They
 * are: the handlers module loads; every secret the server resolves at start is resolvable
 * (its value is read, never shown); the policy bundle directory exists; the policy
 * validates against the registered tools; the `server.tls` files are readable PEM and the key
 * matches the certificate. Checks that need the network (MCP upstreams,
 * PostgreSQL, Redis) are left to the start itself.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { isAirlockError } from '../core/errors.ts';
import type { AirlockConfig } from '../config/types.ts';
import { parseSecretRef, resolveSecretRef } from '../config/index.ts';
import { checkPolicyBundle, loadToolkit } from '../pipeline/index.ts';
import { httpsOptions } from '../server/index.ts';

/** The validated policy engine (through the pipeline: the CLI does not reach into the policy module). */
type CedarPolicyEngine = Awaited<ReturnType<typeof checkPolicyBundle>>;

/** One failed check: a stable code, a message that never holds a secret's value, and where it applies. */
export interface CheckProblem {
  check: 'handlers_module' | 'secrets' | 'policy_bundle' | 'policy' | 'tls';
  code: string;
  message: string;
  /** The config key the problem is about (e.g. `identity.issuers[0].secret`). */
  at?: string;
  /** Policy diagnostics (file, line, policy id, message) when the policy does not validate. */
  diagnostics?: Array<{ file?: string; line?: number; policy_id?: string; message: string }>;
}

export interface ConfigCheckResult {
  problems: CheckProblem[];
  /** The validated policy engine; null when the policy could not be checked or did not validate. */
  engine: CedarPolicyEngine | null;
  /** Secret references checked (config key and reference, never the value). */
  secrets: Array<{ at: string; ref: string; created_at_start: boolean }>;
}

/** A secret reference the server resolves at start; `createIfMissing`: a missing `file:` is created then. */
interface SecretUse {
  at: string;
  ref: string;
  createIfMissing: boolean;
}

/** Every secret reference `serve` resolves at start, with the config key that names it. */
export function secretUses(config: AirlockConfig): SecretUse[] {
  const uses: SecretUse[] = [];
  const add = (at: string, ref: string | undefined | null, createIfMissing = false) => {
    if (ref !== undefined && ref !== null) uses.push({ at, ref, createIfMissing });
  };
  const isRef = (value: string) => parseSecretRef(value) !== null;
  config.identity.issuers.forEach((issuer, i) => add(`identity.issuers[${i}].secret`, issuer.secret, issuer.createSecretIfMissing === true));
  if (config.audit.type !== 'memory') add('audit.checkpoint_key', config.audit.checkpointKey, true);
  if (config.server.metrics.enabled) add('server.metrics.token', config.server.metrics.token);
  add('approvals.signing_key', config.approvals.signingKey, config.approvals.signingKey?.startsWith('file:') === true);
  add('approvals.notify.secret', config.approvals.notify?.secret);
  add('credentials.signing_key', config.credentials.signingKey, config.credentials.signingKey?.startsWith('file:') === true);
  if (config.postgres !== undefined && isRef(config.postgres.url)) add('postgres.url', config.postgres.url);
  if (config.redis !== undefined && isRef(config.redis.url)) add('redis.url', config.redis.url);
  config.tools.forEach((tool, i) => {
    if (tool.connector.type !== 'http') return;
    for (const [name, value] of Object.entries(tool.connector.headers ?? {})) if (isRef(value)) add(`tools[${i}].connector.headers.${name}`, value);
  });
  config.mcp?.upstreams.forEach((upstream, i) => {
    const transport = upstream.transport;
    const values = transport.type === 'stdio' ? transport.env : transport.headers;
    const key = transport.type === 'stdio' ? 'env' : 'headers';
    for (const [name, value] of Object.entries(values)) if (isRef(value)) add(`mcp.upstreams[${i}].transport.${key}.${name}`, value);
  });
  if (config.tracing?.enabled === true) {
    for (const [name, value] of Object.entries(config.tracing.headers)) if (isRef(value)) add(`tracing.headers.${name}`, value);
  }
  return uses;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function problemOf(check: CheckProblem['check'], error: unknown, at?: string): CheckProblem {
  const code = isAirlockError(error) ? error.code : 'ERR_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  return { check, code, message, ...(at === undefined ? {} : { at }) };
}

/** Runs every start-up check on a loaded config; the result lists all the problems found, not only the first. */
export async function runConfigChecks(config: AirlockConfig): Promise<ConfigCheckResult> {
  const problems: CheckProblem[] = [];

  try {
    await loadToolkit(config);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    problems.push({ ...problemOf('handlers_module', error, 'handlers_module'), message: `${error instanceof Error ? error.message : String(error)}${cause}` });
  }

  const secrets: ConfigCheckResult['secrets'] = [];
  for (const use of secretUses(config)) {
    const parsed = parseSecretRef(use.ref);
    // A missing file the server creates at start is not a problem; an existing one must be readable and non-empty.
    const createdAtStart = use.createIfMissing && parsed?.kind === 'file' && !(await exists(resolve(config.baseDir, parsed.path)));
    secrets.push({ at: use.at, ref: use.ref, created_at_start: createdAtStart });
    if (createdAtStart) continue;
    try {
      await resolveSecretRef(use.ref, config.baseDir);
    } catch (error) {
      problems.push(problemOf('secrets', error, use.at));
    }
  }

  const tls = config.server.tls;
  if (tls !== undefined) {
    try {
      // What the HTTPS server builds at start: fails for an unreadable file, bad PEM, or a key that is not the certificate's.
      createSecureContext(httpsOptions(tls));
    } catch (error) {
      const problem = problemOf('tls', error, 'server.tls');
      if (!isAirlockError(error)) problem.code = 'ERR_CONFIG_TLS';
      problems.push(problem);
    }
  }

  let engine: CedarPolicyEngine | null = null;
  const bundleDir = config.policy.bundleDir;
  const dir = await stat(bundleDir).catch(() => null);
  if (dir === null || !dir.isDirectory()) {
    problems.push({
      check: 'policy_bundle',
      code: 'ERR_POLICY_BUNDLE_UNREADABLE',
      message: dir === null ? `policy bundle directory ${bundleDir} does not exist` : `policy bundle ${bundleDir} is not a directory`,
      at: 'policy.bundle_dir',
    });
  } else {
    try {
      engine = await checkPolicyBundle(config);
    } catch (error) {
      const problem = problemOf('policy', error, 'policy.bundle_dir');
      if (isAirlockError(error) && error.code === 'ERR_POLICY_INVALID') {
        problem.diagnostics = (error.details?.diagnostics ?? []) as NonNullable<CheckProblem['diagnostics']>;
      }
      problems.push(problem);
    }
  }
  return { problems, engine, secrets };
}
