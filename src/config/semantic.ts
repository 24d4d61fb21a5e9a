/**
 * Config rules that JSON Schema cannot express: issuer key material, secret references,
 * tool name clashes, tool schemas that must compile, resource and count arguments that
 * must exist, tenant-bound tools that need a resolver, and safe connector URLs.
 * Runs on the raw document (defensively: it may also be structurally invalid) so every
 * problem is reported in one pass, each with a line.
 */
import { SIDE_EFFECT_CLASSES } from '../core/types.ts';
import type { ConfigIssue } from './errors.ts';
import { compileError, schemaAtPath, schemaProperties } from './json-schema.ts';
import { formatPath, type LocateTarget, type PathSegment, type SourceLocator } from './locate.ts';
import { parseSecretRef } from './secrets.ts';
import { checkMcp } from './mcp-semantic.ts';
import { checkTracing } from './tracing-config.ts';
import { checkAuditShip } from './audit-ship-config.ts';
import { checkEgressRules, checkSandboxConnector } from './isolation-semantic.ts';

type Rec = Record<string, unknown>;

function rec(value: unknown): Rec | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Rec) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA'];

/** Header names whose values are credentials. */
export const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|password|passwd|credential/i;

export class IssueCollector {
  readonly issues: ConfigIssue[] = [];
  readonly locator: SourceLocator;
  constructor(locator: SourceLocator) {
    this.locator = locator;
  }
  add(path: PathSegment[], message: string, target: LocateTarget = 'value'): void {
    this.issues.push({ path: formatPath(path), ...this.locator.locate(path, target), message });
  }
}

export function checkSecretRef(out: IssueCollector, path: PathSegment[], value: unknown): void {
  const ref = str(value);
  if (ref === undefined || ref === '') return; // the schema reports type errors
  if (parseSecretRef(ref) !== null) return;
  const looksLikeRef = ref.startsWith('env:') || ref.startsWith('file:');
  out.add(
    path,
    looksLikeRef
      ? 'malformed secret reference (use env:NAME with NAME made of letters, digits and "_", or file:PATH)'
      : 'must be a secret reference (env:NAME or file:PATH); literal secrets are not allowed in the config file',
  );
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function checkIssuers(out: IssueCollector, identity: Rec | undefined): void {
  const firstSeen = new Map<string, number>();
  list(identity?.issuers).forEach((raw, i) => {
    const issuer = rec(raw);
    if (issuer === undefined) return;
    const at = (key: string): PathSegment[] => ['identity', 'issuers', i, key];
    const name = str(issuer.issuer);
    if (name !== undefined) {
      const first = firstSeen.get(name);
      if (first !== undefined) {
        const line = out.locator.locate(['identity', 'issuers', first, 'issuer']).line;
        out.add(at('issuer'), `duplicate issuer (first defined at line ${line}); tokens pick their issuer by iss`);
      } else {
        firstSeen.set(name, i);
      }
    }
    const algorithms = list(issuer.algorithms).filter((a): a is string => typeof a === 'string');
    const symmetric = algorithms.includes('HS256');
    const asymmetric = algorithms.some((a) => ASYMMETRIC.includes(a));
    if (symmetric && asymmetric) {
      out.add(
        at('algorithms'),
        'HS256 cannot be combined with RS256, ES256 or EdDSA in one issuer (a shared secret must never verify tokens meant for public keys)',
      );
    }
    const hasSecret = issuer.secret !== undefined;
    const hasFile = issuer.jwks_file !== undefined;
    const hasUrl = issuer.jwks_url !== undefined;
    if (symmetric && !hasSecret) out.add(at('secret'), 'is required for HS256', 'parent');
    if (!symmetric && hasSecret && algorithms.length > 0) out.add(at('secret'), 'is only used with HS256');
    if (asymmetric && !hasFile && !hasUrl) {
      out.add(at('jwks_file'), 'jwks_file or jwks_url is required for RS256, ES256 and EdDSA', 'parent');
    }
    if (hasFile && hasUrl) out.add(at('jwks_url'), 'set only one of jwks_file and jwks_url');
    if (!asymmetric && algorithms.length > 0) {
      if (hasFile) out.add(at('jwks_file'), 'is only used with RS256, ES256 and EdDSA');
      if (hasUrl) out.add(at('jwks_url'), 'is only used with RS256, ES256 and EdDSA');
    }
    if (hasSecret) checkSecretRef(out, at('secret'), issuer.secret);
    if (issuer.create_secret_if_missing === true && !str(issuer.secret)?.startsWith('file:')) {
      out.add(at('create_secret_if_missing'), 'only works with a file: secret reference');
    }
    const url = str(issuer.jwks_url);
    if (url !== undefined && url !== '') {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        out.add(at('jwks_url'), 'must be an absolute URL');
      }
      if (parsed !== undefined) {
        if (parsed.username !== '' || parsed.password !== '') out.add(at('jwks_url'), 'must not contain credentials');
        else if (parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) {
          out.add(at('jwks_url'), 'must use https (http is allowed only for loopback hosts)');
        } else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
          out.add(at('jwks_url'), 'must use https (http is allowed only for loopback hosts)');
        }
      }
    }
  });
}

/** `server.console.oidc.issuer` names one of `identity.issuers`, one that verifies with public keys (an OIDC provider signs its tokens). */
function checkConsole(out: IssueCollector, server: Rec | undefined, identity: Rec | undefined): void {
  const oidc = rec(rec(server?.console)?.oidc);
  const name = str(oidc?.issuer);
  if (name === undefined || name === '') return;
  const issuer = list(identity?.issuers).map(rec).find((i) => str(i?.issuer) === name);
  const at: PathSegment[] = ['server', 'console', 'oidc', 'issuer'];
  if (issuer === undefined) {
    out.add(at, 'must be one of identity.issuers (the console signs in where the gateway verifies tokens)');
    return;
  }
  if (issuer.jwks_url === undefined && issuer.jwks_file === undefined) {
    out.add(at, 'must be an issuer verified with public keys (jwks_url or jwks_file), not a shared HS256 secret');
  }
}

/** `{name}` placeholders of a URL template. */
function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '');
}

function checkHttpConnector(out: IssueCollector, base: PathSegment[], connector: Rec, inputSchema: unknown): void {
  const url = str(connector.url);
  if (url !== undefined && url !== '') {
    const at = [...base, 'url'];
    let parsed: URL | undefined;
    try {
      parsed = new URL(url.replace(/\{[^{}]*\}/g, 'x'));
    } catch {
      out.add(at, 'must be an absolute http(s) URL');
    }
    if (parsed !== undefined) {
      const authorityEnd = url.indexOf('/', url.indexOf('//') + 2);
      const origin = authorityEnd === -1 ? url : url.slice(0, authorityEnd);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') out.add(at, 'must use http or https');
      else if (origin.includes('{')) {
        out.add(at, 'placeholders are allowed only in the path and query (an argument must never choose the host)');
      } else if (parsed.username !== '' || parsed.password !== '') {
        out.add(at, 'must not contain credentials');
      }
      const known = schemaProperties(inputSchema);
      for (const name of placeholders(url)) {
        if (!known.includes(name)) out.add(at, `placeholder {${name}} does not name a property of input_schema`);
      }
    }
  }
  const headers = rec(connector.headers);
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string' || !SENSITIVE_HEADER.test(name)) continue;
    if (parseSecretRef(value) === null) {
      out.add(
        [...base, 'headers', name],
        'looks like a credential: use a secret reference (env:NAME or file:PATH); literal credentials are not allowed in the config file',
      );
    }
  }
}

function schemaLocation(message: string): PathSegment[] {
  // `schema is invalid: data/properties/a/type must ...`
  const invalid = /^schema is invalid: data((?:\/[^\s,/]+)*)/.exec(message);
  const pointer = invalid?.[1] ?? /at (?:path )?"#((?:\/[^"]*)*)"/.exec(message)?.[1];
  if (pointer === undefined || pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^\d+$/.test(key) ? Number(key) : key;
    });
}

function checkToolSchema(out: IssueCollector, path: PathSegment[], schema: unknown, requireObject: boolean): void {
  const s = rec(schema);
  if (s === undefined) return;
  if (requireObject && s.type !== 'object') {
    out.add(path, 'must declare type: object (tool arguments are an object)');
  }
  const error = compileError(s);
  if (error === null) return;
  const unknownKeyword = /unknown keyword: "([^"]+)"/.exec(error)?.[1];
  const keyAt = unknownKeyword === undefined ? undefined : out.locator.findKey(path, unknownKeyword);
  const issue = {
    path: formatPath(path),
    ...(keyAt ?? out.locator.locate([...path, ...schemaLocation(error)])),
    message: `does not compile: ${error}`,
  };
  out.issues.push(issue);
}

function checkArgumentPath(out: IssueCollector, path: PathSegment[], value: unknown, inputSchema: unknown): void {
  const argument = str(value);
  if (argument === undefined || argument === '' || rec(inputSchema) === undefined) return;
  if (schemaAtPath(inputSchema, argument) !== undefined) return;
  const known = schemaProperties(inputSchema);
  out.add(
    path,
    `must name a property of input_schema (${known.length === 0 ? 'it declares none' : `declared: ${known.join(', ')}`})`,
  );
}

function checkTools(out: IssueCollector, tools: unknown): void {
  const firstSeen = new Map<string, number>();
  list(tools).forEach((raw, i) => {
    const tool = rec(raw);
    if (tool === undefined) return;
    const at = (...rest: PathSegment[]): PathSegment[] => ['tools', i, ...rest];
    const name = str(tool.name);
    if (name !== undefined) {
      const first = firstSeen.get(name);
      if (first !== undefined) {
        const line = out.locator.locate(['tools', first, 'name']).line;
        out.add(at('name'), `duplicate tool name (first defined at line ${line})`);
      } else {
        firstSeen.set(name, i);
      }
      if ((SIDE_EFFECT_CLASSES as readonly string[]).includes(name)) {
        out.add(at('name'), `must not equal a side-effect class name (${SIDE_EFFECT_CLASSES.join(', ')})`);
      }
    }
    checkToolSchema(out, at('input_schema'), tool.input_schema, true);
    if (tool.output_schema !== undefined) checkToolSchema(out, at('output_schema'), tool.output_schema, false);

    const resource = rec(tool.resource);
    if (resource !== undefined) {
      checkArgumentPath(out, at('resource', 'argument'), resource.argument, tool.input_schema);
      const tenantBound = (tool.tenant_binding ?? 'principal') === 'principal';
      if (tenantBound && resource.argument !== undefined && resource.resolver === undefined) {
        out.add(
          at('resource', 'resolver'),
          'is required: the tool is tenant-bound and names a target argument, so the gateway must learn who owns the target (or set tenant_binding: none)',
          'parent',
        );
      }
    }

    const affected = rec(tool.affected_count);
    if (affected !== undefined) {
      const set = ['const', 'count_of', 'resolver'].filter((k) => affected[k] !== undefined);
      if (set.length !== 1) out.add(at('affected_count'), 'must set exactly one of const, count_of, resolver');
      checkArgumentPath(out, at('affected_count', 'count_of'), affected.count_of, tool.input_schema);
    }

    const connector = rec(tool.connector);
    if (connector?.type === 'http') {
      checkHttpConnector(out, at('connector'), connector, tool.input_schema);
      checkEgressRules(out, at('connector', 'egress'), connector.egress);
    }
    if (connector?.type === 'sandbox') checkSandboxConnector(out, at('connector'), connector);
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Webhook receivers: https, or plain http only on the loopback interface; never credentials in the URL. */
function checkNotifyUrl(out: IssueCollector, path: PathSegment[], value: unknown): void {
  if (typeof value !== 'string') return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    out.add(path, 'is not a valid URL');
    return;
  }
  if (url.username !== '' || url.password !== '') out.add(path, 'must not carry credentials (the body is signed with approvals.notify.secret)');
  else if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) out.add(path, 'must use https (plain http only on a loopback address)');
}

function checkContext(out: IssueCollector, context: Rec | undefined): void {
  if (context === undefined) return;
  const strings = (value: unknown): string[] => list(value).filter((v): v is string => typeof v === 'string');
  const tiers = context.trust_tiers === undefined ? ['system', 'user', 'internal', 'external'] : strings(context.trust_tiers);
  const classes = context.classifications === undefined ? ['public', 'internal', 'confidential', 'restricted'] : strings(context.classifications);
  if (context.trust_tiers !== undefined && !tiers.includes('user')) {
    out.add(['context', 'trust_tiers'], 'must include the tier `user` (the tier of a user\'s own prompt)');
  }
  if (context.trusted_tiers !== undefined) {
    const trusted = strings(context.trusted_tiers);
    if (trusted.some((t, i) => tiers[i] !== t)) {
      out.add(['context', 'trusted_tiers'], `must be the most trusted tiers of trust_tiers, in order (e.g. [${tiers.slice(0, 2).join(', ')}])`);
    }
  }
  const firstSeen = new Map<string, number>();
  list(context.sources).forEach((raw, i) => {
    const source = rec(raw);
    if (source === undefined) return;
    const at = (key: string): PathSegment[] => ['context', 'sources', i, key];
    const id = str(source.id);
    if (id !== undefined) {
      const first = firstSeen.get(id);
      if (first !== undefined) {
        out.add(at('id'), `duplicate source id (first defined at line ${out.locator.locate(['context', 'sources', first, 'id']).line})`);
      } else firstSeen.set(id, i);
    }
    const tier = str(source.trust_tier);
    if (tier !== undefined && tier !== '' && !tiers.includes(tier)) out.add(at('trust_tier'), `must be one of the trust tiers: ${tiers.join(', ')}`);
    const cls = str(source.classification);
    if (cls !== undefined && cls !== '' && !classes.includes(cls)) out.add(at('classification'), `must be one of the classifications: ${classes.join(', ')}`);
  });
  for (const tier of Object.keys(rec(context.budgets) ?? {})) {
    if (!tiers.includes(tier)) out.add(['context', 'budgets', tier], `is not a trust tier (${tiers.join(', ')})`, 'key');
  }
}

/** Every semantic issue in the raw document. */
/**
 * A connection URL is a secret reference, or a literal URL of the right scheme that carries
 * no password (a password in the config file would be a literal secret).
 */
function checkConnectionUrl(out: IssueCollector, path: PathSegment[], value: unknown, schemes: readonly string[]): void {
  const text = str(value);
  if (text === undefined || text === '') return;
  if (text.startsWith('env:') || text.startsWith('file:')) return checkSecretRef(out, path, text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return out.add(path, `must be a ${schemes[0]}:// URL or a secret reference (env:NAME or file:PATH)`);
  }
  if (!schemes.includes(url.protocol.replace(/:$/, ''))) return out.add(path, `must be a ${schemes.join(':// or ')}:// URL`);
  if (url.password !== '') out.add(path, 'carries a password: put the whole URL in a secret reference (env:NAME or file:PATH)');
}

/**
 * Stores on PostgreSQL need the postgres section; a fleet needs signing keys every replica
 * shares (a key file beside a SQLite database or a per-process key would differ per replica).
 */
function checkFleetStores(out: IssueCollector, root: Rec): void {
  const onPostgres = (['state', 'audit'] as const).filter((area) => rec(root[area])?.type === 'postgres');
  if (onPostgres.length > 0 && root.postgres === undefined) {
    for (const area of onPostgres) out.add([area, 'type'], 'postgres stores need the top-level postgres section (postgres.url)');
  }
  if (rec(root.state)?.type === 'postgres') {
    for (const area of ['credentials', 'approvals'] as const) {
      if (rec(root[area])?.signing_key === undefined) {
        out.add(['state', 'type'], `postgres state is shared by every replica: set ${area}.signing_key to a secret reference they all read`);
      }
    }
  }
  const postgres = rec(root.postgres);
  if (postgres !== undefined) checkConnectionUrl(out, ['postgres', 'url'], postgres.url, ['postgres', 'postgresql']);
  const redis = rec(root.redis);
  if (redis !== undefined) checkConnectionUrl(out, ['redis', 'url'], redis.url, ['redis', 'rediss']);
}

export function semanticIssues(data: unknown, locator: SourceLocator): ConfigIssue[] {
  const out = new IssueCollector(locator);
  const root = rec(data);
  if (root === undefined) return out.issues;
  checkIssuers(out, rec(root.identity));
  checkConsole(out, rec(root.server), rec(root.identity));
  const metrics = rec(rec(root.server)?.metrics);
  if (metrics?.token !== undefined) checkSecretRef(out, ['server', 'metrics', 'token'], metrics.token);
  const audit = rec(root.audit);
  if (audit?.checkpoint_key !== undefined) checkSecretRef(out, ['audit', 'checkpoint_key'], audit.checkpoint_key);
  const approvals = rec(root.approvals);
  if (approvals?.signing_key !== undefined) checkSecretRef(out, ['approvals', 'signing_key'], approvals.signing_key);
  const notify = rec(approvals?.notify);
  if (notify !== undefined) {
    if (notify.secret !== undefined) checkSecretRef(out, ['approvals', 'notify', 'secret'], notify.secret);
    checkNotifyUrl(out, ['approvals', 'notify', 'url'], notify.url);
  }
  const credentials = rec(root.credentials);
  if (credentials?.signing_key !== undefined) checkSecretRef(out, ['credentials', 'signing_key'], credentials.signing_key);
  checkFleetStores(out, root);
  checkTools(out, root.tools);
  checkContext(out, rec(root.context));
  for (const [name, kind] of Object.entries(rec(rec(root.memory)?.kinds) ?? {})) {
    const schema = rec(kind)?.schema;
    if (schema !== undefined) checkToolSchema(out, ['memory', 'kinds', name, 'schema'], schema, false);
  }
  checkMcp(out, rec(root.mcp));
  checkTracing(out, rec(root.tracing));
  checkAuditShip(out, rec(rec(root.audit)?.ship));
  checkEgressRules(out, ['egress', 'allow'], rec(root.egress)?.allow);
  checkOutputs(out, root);
  checkRetries(out, root.tools);
  return out.issues;
}

/** Only an idempotent tool may be called again after a timeout: a retried side effect must not happen twice. */
function checkRetries(out: IssueCollector, tools: unknown): void {
  if (!Array.isArray(tools)) return;
  tools.forEach((raw, i) => {
    const tool = rec(raw);
    if (typeof tool?.retries === 'number' && tool.retries > 0 && tool.idempotent !== true) {
      out.add(['tools', i, 'retries'], 'only an idempotent tool (idempotent: true) may be retried');
    }
  });
}

/** Reference tokens are sealed with a key every replica must share when data classes are tokenized on a fleet. */
function checkOutputs(out: IssueCollector, root: Rec): void {
  const outputs = rec(root.outputs);
  if (outputs === undefined) return;
  if (outputs.reference_key !== undefined) checkSecretRef(out, ['outputs', 'reference_key'], outputs.reference_key);
  const tokenized = Object.values(rec(outputs.data_classes) ?? {}).includes('tokenize');
  if (tokenized && outputs.reference_key === undefined && rec(root.state)?.type === 'postgres') {
    out.add(['outputs', 'data_classes'], 'tokenized data classes on a postgres fleet need outputs.reference_key (a secret reference every replica reads)');
  }
}
