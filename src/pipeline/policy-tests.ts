/**
 * Policy tests (`airlock policy test`): YAML test cases run against a config's Cedar policy
 * bundle, in the spirit of `opa test`. This file owns the test-file format (parsing, schema
 * check with file:line errors, the semantic check against the config's tools and policy ids)
 * and the runner.
 *
 * Each case is decided by the same policy engine the gateway builds for the config, from an
 * AuthorizationRequest assembled the way the authorize phase assembles it: the arguments
 * normalized and validated by the tool registry, the resource scope as the scope phase would
 * find it (overridable), the affected count from the tool's spec, the session counters and
 * labels, argument provenance graded as the trace phase grades it (`context.taint.*`), and
 * the arguments outside a declared target scope as the authorize phase finds them (`context.scope`).
 * No token, store or handler is needed, so any config can be tested. What the runner does not
 * replay are the gateway's checks before policy (identity, kill switches, tenant binding,
 * rate limits): a test decides what the policy bundle says.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import type { AuthorizationRequest, DecisionReason, Outcome, PolicyEvaluation, Principal, RegisteredTool, TaintEvidence } from '../core/types.ts';
import { TAINT_EVIDENCE } from '../core/types.ts';
import type { AirlockConfig } from '../config/types.ts';
import { SourceLocator, formatPath } from '../config/locate.ts';
import type { PathSegment } from '../config/locate.ts';
import { CedarPolicyEngine, DEFAULT_DENY_ID, loadBundleFromDir } from '../policy/index.ts';
import { ToolRegistry, readPath } from '../tools/index.ts';
import { withAncestors } from './phases/trace.ts';
import { outsideScope } from './phases/authorize.ts';
import { validateTargets } from '../sessions/index.ts';
import type { TargetPattern } from '../sessions/index.ts';
import { storedMcpDefinitions } from './mcp/stored.ts';

/** Test files are the files of the directory whose names end so. */
export const POLICY_TEST_SUFFIX = '.test.yaml';
/** `environment.now` of a case that names none: fixed, so a run gives the same answers any day. */
export const DEFAULT_TEST_NOW = '2026-01-05T10:30:00Z';
const OUTCOMES: readonly Outcome[] = ['allow', 'deny', 'approval_required'];

export interface TaintInput {
  argument: string;
  evidence: TaintEvidence;
  sources: string[];
}

/** One test case, after parsing and applying the file's defaults. */
export interface PolicyTestCase {
  file: string;
  line: number;
  /** Position of the case in its file's `cases` list. */
  index: number;
  name: string;
  principal: { user: string; tenant: string; roles: string[]; agent?: string };
  tool: string;
  arguments: Record<string, JsonValue>;
  resource?: { id?: string | null; tenant?: string | null; exists?: boolean; attributes?: Record<string, JsonValue> };
  affectedCount?: number;
  intent?: string;
  now: string;
  session: {
    id: string | null;
    attributes: Record<string, JsonValue>;
    counters: { callCount: number; toolCallCount: number; recordsReadLast10m: number };
    labels?: { untrustedSeen?: boolean; lowestTrust?: string; maxClassification?: string };
    /** The session's declared target scope (normalized); absent: none declared. */
    targets?: TargetPattern[];
  };
  taint: TaintInput[];
  expect: { outcome: Outcome; rules: string[] };
}

/** One problem of a test file, pointing at the line to edit. */
export interface PolicyTestIssue {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface PolicyTestFile {
  file: string;
  cases: PolicyTestCase[];
  /** Position of a path of the file (for the semantic check). */
  locate(path: readonly PathSegment[]): { line: number; column: number };
}

export interface PolicyTestCaseResult {
  file: string;
  line: number;
  name: string;
  expected: { outcome: Outcome; rules: string[] };
  got: { outcome: Outcome; rules: string[]; code: string };
  passed: boolean;
  /** Why it failed, in words (absent when it passed). */
  failure?: string;
}

export interface PolicyTestReport {
  policyVersion: string;
  results: PolicyTestCaseResult[];
  passed: number;
  failed: number;
  /** Every policy id of the bundle, in bundle order. */
  policies: string[];
  /** Policy ids no case reached as a determining reason of its decision. */
  uncovered: string[];
}

function invalid(issues: PolicyTestIssue[]): AirlockError {
  const count = issues.length;
  return new AirlockError('ERR_POLICY_TEST_INVALID', `policy tests refused: ${count} problem${count === 1 ? '' : 's'}`, {
    status: 400,
    details: { issues },
  });
}

/** Formats ERR_POLICY_TEST_INVALID issues one per line: `file:line:column path: message`. */
export function formatPolicyTestIssues(error: AirlockError): string {
  const issues = (error.details?.issues ?? []) as PolicyTestIssue[];
  return issues.map((i) => `  ${i.file}:${i.line}:${i.column}${i.path === '' ? '' : ` ${i.path}`}: ${i.message}`).join('\n');
}

// ---------------------------------------------------------------------------------------
// Schema check
// ---------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class Checker {
  readonly issues: Array<{ path: PathSegment[]; message: string; key?: boolean }> = [];

  fail(path: PathSegment[], message: string, key = false): void {
    this.issues.push({ path, message, ...(key ? { key } : {}) });
  }

  /** Refuses keys not in `allowed`; answers whether `value` is a mapping. */
  object(value: unknown, path: PathSegment[], allowed: readonly string[]): value is Obj {
    if (!isObj(value)) {
      this.fail(path, 'must be a mapping');
      return false;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail([...path, key], `unknown key ${JSON.stringify(key)} (expected one of: ${allowed.join(', ')})`, true);
    }
    return true;
  }

  string(value: unknown, path: PathSegment[]): string | undefined {
    if (typeof value === 'string' && value !== '') return value;
    this.fail(path, 'must be a non-empty string');
    return undefined;
  }

  strings(value: unknown, path: PathSegment[]): string[] {
    if (!Array.isArray(value)) {
      this.fail(path, 'must be a list of strings');
      return [];
    }
    return value.flatMap((v, i) => {
      const s = this.string(v, [...path, i]);
      return s === undefined ? [] : [s];
    });
  }

  count(value: unknown, path: PathSegment[]): number {
    if (Number.isSafeInteger(value) && (value as number) >= 0) return value as number;
    this.fail(path, 'must be a non-negative integer');
    return 0;
  }

  json(value: unknown, path: PathSegment[]): Record<string, JsonValue> {
    if (!isObj(value)) {
      this.fail(path, 'must be a mapping');
      return {};
    }
    return value as Record<string, JsonValue>;
  }
}

const CASE_KEYS = ['name', 'principal', 'tool', 'arguments', 'resource', 'affected_count', 'intent', 'now', 'session', 'taint', 'expect'] as const;
const DEFAULT_KEYS = ['principal', 'tool', 'session', 'now'] as const;
const PRINCIPAL_KEYS = ['user', 'tenant', 'roles', 'agent'] as const;
const SESSION_KEYS = ['id', 'attributes', 'counters', 'labels', 'targets'] as const;
const COUNTER_KEYS = ['call_count', 'tool_call_count', 'records_read_last_10m'] as const;
const LABEL_KEYS = ['untrusted_seen', 'lowest_trust', 'max_classification'] as const;
const RESOURCE_KEYS = ['id', 'tenant', 'exists', 'attributes'] as const;
const TAINT_KEYS = ['argument', 'evidence', 'sources'] as const;
const EXPECT_KEYS = ['outcome', 'rules'] as const;

/** The case's mapping with the file's defaults under it (principal, session attributes and counters merged key by key). */
function withDefaults(defaults: Obj, raw: Obj): Obj {
  const merged: Obj = { ...raw };
  for (const key of ['tool', 'now'] as const) if (!Object.hasOwn(raw, key) && Object.hasOwn(defaults, key)) merged[key] = defaults[key];
  if (isObj(defaults.principal)) merged.principal = isObj(raw.principal) ? { ...defaults.principal, ...raw.principal } : (raw.principal ?? defaults.principal);
  if (isObj(defaults.session)) {
    const d = defaults.session;
    const r = isObj(raw.session) ? raw.session : raw.session === undefined ? {} : raw.session;
    if (isObj(r)) {
      const s: Obj = { ...d, ...r };
      for (const key of ['attributes', 'counters', 'labels']) {
        if (isObj(d[key]) && isObj(r[key])) s[key] = { ...d[key], ...r[key] };
      }
      merged.session = s;
    }
  }
  return merged;
}

function checkCase(c: Checker, file: string, index: number, line: number, raw: Obj, path: PathSegment[]): PolicyTestCase | null {
  const before = c.issues.length;
  c.object(raw, path, CASE_KEYS);
  const name = c.string(raw.name, [...path, 'name']) ?? `case ${index + 1}`;
  const p = raw.principal;
  let principal: PolicyTestCase['principal'] = { user: '', tenant: '', roles: [] };
  if (p === undefined) c.fail([...path, 'principal'], 'is required (here or under defaults)');
  else if (c.object(p, [...path, 'principal'], PRINCIPAL_KEYS)) {
    principal = {
      user: c.string(p.user, [...path, 'principal', 'user']) ?? '',
      tenant: c.string(p.tenant, [...path, 'principal', 'tenant']) ?? '',
      roles: p.roles === undefined ? [] : c.strings(p.roles, [...path, 'principal', 'roles']),
    };
    if (p.agent !== undefined && p.agent !== null) {
      const agent = c.string(p.agent, [...path, 'principal', 'agent']);
      if (agent !== undefined) principal.agent = agent;
    }
  }
  const tool = raw.tool === undefined ? (c.fail([...path, 'tool'], 'is required (here or under defaults)'), '') : (c.string(raw.tool, [...path, 'tool']) ?? '');
  const args = raw.arguments === undefined ? {} : c.json(raw.arguments, [...path, 'arguments']);

  const testCase: PolicyTestCase = {
    file,
    line,
    index,
    name,
    principal,
    tool,
    arguments: args,
    now: DEFAULT_TEST_NOW,
    session: { id: 'ses_policy_test', attributes: {}, counters: { callCount: 0, toolCallCount: 0, recordsReadLast10m: 0 } },
    taint: [],
    expect: { outcome: 'deny', rules: [] },
  };

  if (raw.resource !== undefined && c.object(raw.resource, [...path, 'resource'], RESOURCE_KEYS)) {
    const r = raw.resource;
    const resource: NonNullable<PolicyTestCase['resource']> = {};
    for (const key of ['id', 'tenant'] as const) {
      if (r[key] === null) resource[key] = null;
      else if (r[key] !== undefined) {
        const s = c.string(r[key], [...path, 'resource', key]);
        if (s !== undefined) resource[key] = s;
      }
    }
    if (r.exists !== undefined) {
      if (typeof r.exists === 'boolean') resource.exists = r.exists;
      else c.fail([...path, 'resource', 'exists'], 'must be true or false');
    }
    if (r.attributes !== undefined) resource.attributes = c.json(r.attributes, [...path, 'resource', 'attributes']);
    testCase.resource = resource;
  }
  if (raw.affected_count !== undefined) testCase.affectedCount = c.count(raw.affected_count, [...path, 'affected_count']);
  if (raw.intent !== undefined) {
    const intent = c.string(raw.intent, [...path, 'intent']);
    if (intent !== undefined) testCase.intent = intent;
  }
  if (raw.now !== undefined) {
    const now = raw.now instanceof Date ? raw.now.toISOString() : raw.now;
    if (typeof now !== 'string' || Number.isNaN(Date.parse(now))) c.fail([...path, 'now'], 'must be an ISO 8601 time (e.g. 2026-01-05T10:30:00Z)');
    else testCase.now = now;
  }
  if (raw.session !== undefined && c.object(raw.session, [...path, 'session'], SESSION_KEYS)) {
    const s = raw.session;
    const sp = [...path, 'session'];
    if (s.id === null) testCase.session.id = null;
    else if (s.id !== undefined) testCase.session.id = c.string(s.id, [...sp, 'id']) ?? null;
    if (s.attributes !== undefined) testCase.session.attributes = c.json(s.attributes, [...sp, 'attributes']);
    if (s.counters !== undefined && c.object(s.counters, [...sp, 'counters'], COUNTER_KEYS)) {
      const k = s.counters;
      testCase.session.counters = {
        callCount: k.call_count === undefined ? 0 : c.count(k.call_count, [...sp, 'counters', 'call_count']),
        toolCallCount: k.tool_call_count === undefined ? 0 : c.count(k.tool_call_count, [...sp, 'counters', 'tool_call_count']),
        recordsReadLast10m: k.records_read_last_10m === undefined ? 0 : c.count(k.records_read_last_10m, [...sp, 'counters', 'records_read_last_10m']),
      };
    }
    if (s.targets !== undefined) {
      try {
        testCase.session.targets = validateTargets(s.targets);
      } catch (error) {
        const index = isAirlockError(error) ? (error.details?.index as number | undefined) : undefined;
        c.fail(index === undefined ? [...sp, 'targets'] : [...sp, 'targets', index], isAirlockError(error) ? error.message : 'invalid targets');
      }
    }
    if (s.labels !== undefined && c.object(s.labels, [...sp, 'labels'], LABEL_KEYS)) {
      const l = s.labels;
      const labels: NonNullable<PolicyTestCase['session']['labels']> = {};
      if (l.untrusted_seen !== undefined) {
        if (typeof l.untrusted_seen === 'boolean') labels.untrustedSeen = l.untrusted_seen;
        else c.fail([...sp, 'labels', 'untrusted_seen'], 'must be true or false');
      }
      if (l.lowest_trust !== undefined) labels.lowestTrust = c.string(l.lowest_trust, [...sp, 'labels', 'lowest_trust']) ?? '';
      if (l.max_classification !== undefined) labels.maxClassification = c.string(l.max_classification, [...sp, 'labels', 'max_classification']) ?? '';
      testCase.session.labels = labels;
    }
  }
  if (raw.taint !== undefined) {
    if (!Array.isArray(raw.taint)) c.fail([...path, 'taint'], 'must be a list of {argument, evidence, sources}');
    else {
      raw.taint.forEach((t: unknown, i) => {
        const tp = [...path, 'taint', i];
        if (!c.object(t, tp, TAINT_KEYS)) return;
        const argument = c.string(t.argument, [...tp, 'argument']) ?? '';
        let evidence: TaintEvidence = 'unnamed';
        if (t.evidence !== undefined) {
          if (typeof t.evidence === 'string' && (TAINT_EVIDENCE as readonly string[]).includes(t.evidence)) evidence = t.evidence as TaintEvidence;
          else c.fail([...tp, 'evidence'], `must be one of: ${TAINT_EVIDENCE.join(', ')}`);
        }
        const sources = t.sources === undefined ? ['policy-test'] : c.strings(t.sources, [...tp, 'sources']);
        testCase.taint.push({ argument, evidence, sources });
      });
    }
  }
  if (raw.expect === undefined) c.fail([...path, 'expect'], 'is required: {outcome: allow | deny | approval_required, rules: [policy ids]}');
  else if (c.object(raw.expect, [...path, 'expect'], EXPECT_KEYS)) {
    const e = raw.expect;
    if (typeof e.outcome === 'string' && (OUTCOMES as readonly string[]).includes(e.outcome)) testCase.expect.outcome = e.outcome as Outcome;
    else c.fail([...path, 'expect', 'outcome'], `must be one of: ${OUTCOMES.join(', ')}`);
    if (e.rules !== undefined) testCase.expect.rules = c.strings(e.rules, [...path, 'expect', 'rules']);
  }
  return c.issues.length === before ? testCase : null;
}

/**
 * Parses and schema-checks one test file's text. Throws ERR_POLICY_TEST_INVALID (400) with
 * every problem found, each naming the file, line and key path.
 */
export function parsePolicyTestFile(text: string, file: string): PolicyTestFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locator = new SourceLocator(doc, lineCounter);
  const locate = (path: readonly PathSegment[], key = false) => locator.locate(path, key ? 'key' : 'value');
  if (doc.errors.length > 0) {
    throw invalid(
      doc.errors.map((e) => {
        const { line, column } = locator.position(e.pos[0]);
        return { file, line, column, path: '', message: `not valid YAML: ${e.message.split('\n')[0] ?? ''}` };
      }),
    );
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  const c = new Checker();
  const cases: PolicyTestCase[] = [];
  if (c.object(root, [], ['defaults', 'cases'])) {
    let defaults: Obj = {};
    if (root.defaults !== undefined && c.object(root.defaults, ['defaults'], DEFAULT_KEYS)) defaults = root.defaults;
    if (!Array.isArray(root.cases) || root.cases.length === 0) c.fail(['cases'], 'must be a non-empty list of test cases');
    else {
      const names = new Map<string, number>();
      root.cases.forEach((raw: unknown, i) => {
        const path: PathSegment[] = ['cases', i];
        if (!isObj(raw)) {
          c.fail(path, 'must be a mapping (a test case)');
          return;
        }
        const parsed = checkCase(c, file, i, locate(path).line, withDefaults(defaults, raw), path);
        if (parsed === null) return;
        const seen = names.get(parsed.name);
        if (seen !== undefined) c.fail([...path, 'name'], `duplicate case name (also case ${seen + 1})`);
        names.set(parsed.name, i);
        cases.push(parsed);
      });
    }
  }
  if (c.issues.length > 0) {
    throw invalid(c.issues.map((i) => ({ file, ...locate(i.path, i.key === true), path: formatPath(i.path), message: i.message })));
  }
  return { file, cases, locate: (path) => locate(path) };
}

/**
 * The test files of a directory (`*.test.yaml`, sorted; not recursive) parsed and
 * schema-checked, or a single file. Problems of every file are reported together.
 * File names are given relative to `base` (default: the current directory).
 */
export function loadPolicyTests(dirOrFile: string, base = process.cwd()): PolicyTestFile[] {
  let paths: string[];
  try {
    paths = statSync(dirOrFile).isDirectory()
      ? readdirSync(dirOrFile)
          .filter((n) => n.endsWith(POLICY_TEST_SUFFIX))
          .sort()
          .map((n) => join(dirOrFile, n))
      : [dirOrFile];
  } catch {
    throw new AirlockError('ERR_POLICY_TEST_INVALID', `${dirOrFile}: no such file or directory`, { status: 400, details: { issues: [] } });
  }
  if (paths.length === 0) {
    throw new AirlockError('ERR_POLICY_TEST_INVALID', `${dirOrFile}: no ${POLICY_TEST_SUFFIX} files`, { status: 400, details: { issues: [] } });
  }
  const files: PolicyTestFile[] = [];
  const issues: PolicyTestIssue[] = [];
  for (const path of paths) {
    const name = relative(base, path) || path;
    try {
      files.push(parsePolicyTestFile(readFileSync(path, 'utf8'), name));
    } catch (error) {
      if (isAirlockError(error) && error.code === 'ERR_POLICY_TEST_INVALID') issues.push(...((error.details?.issues ?? []) as PolicyTestIssue[]));
      else throw error;
    }
  }
  if (issues.length > 0) throw invalid(issues);
  return files;
}

// ---------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------

/**
 * The resource scope the scope phase would reach authorize with: the target id read from the
 * tool's resource argument; with a resolver, an existing resource of the caller's tenant (the
 * gateway refuses any other before policy); the case's `resource` overrides each part.
 */
function resourceOf(tool: RegisteredTool, args: Record<string, JsonValue>, principal: Principal, given: PolicyTestCase['resource']): AuthorizationRequest['resource'] {
  const spec = tool.resource;
  const raw = spec?.argument === undefined ? undefined : readPath(args, spec.argument);
  const id = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : null;
  const resolved = id !== null && spec?.resolver !== undefined;
  return {
    type: spec?.type ?? 'none',
    id: given?.id !== undefined ? given.id : id,
    tenant: given?.tenant !== undefined ? given.tenant : resolved ? principal.tenant : null,
    exists: given?.exists ?? (given?.tenant !== undefined && given.tenant !== null ? true : resolved),
    attributes: given?.attributes ?? {},
  };
}

/** The affected count of the tool's spec (a count resolver, which needs the application, counts 1 unless the case says). */
function affectedCountOf(tool: RegisteredTool, args: Record<string, JsonValue>, given: number | undefined): number {
  if (given !== undefined) return given;
  const spec = tool.affectedCount;
  if (spec === undefined || 'resolver' in spec) return 1;
  if ('const' in spec) return spec.const;
  const value = readPath(args, spec.count_of);
  if (value === undefined || value === null) return 0;
  return Array.isArray(value) ? value.length : 1;
}

export interface PolicyTestRunner {
  readonly policyVersion: string;
  /** Policy ids of the bundle in bundle order. */
  readonly policies: string[];
  /**
   * Checks the cases against the config (tools known, arguments valid for the tool's input
   * schema, expected rules naming policies of the bundle) and runs them. Throws
   * ERR_POLICY_TEST_INVALID with file:line issues when a case cannot be run as written.
   */
  run(files: PolicyTestFile[]): PolicyTestReport;
  dispose(): void;
}

/** Builds the config's tool registry and policy engine (as the gateway does) for running tests. */
export async function createPolicyTestRunner(config: AirlockConfig): Promise<PolicyTestRunner> {
  const registry = new ToolRegistry([...config.tools, ...(await storedMcpDefinitions(config))]);
  const engine = CedarPolicyEngine.create({
    tools: registry.list(),
    sessionAttributes: config.sessionAttributes,
    bundle: await loadBundleFromDir(config.policy.bundleDir),
    answerCacheSize: 0,
  });
  const policies = engine.policies().map((p) => p.id);
  const known = new Set([...policies, DEFAULT_DENY_ID, 'builtin.unrepresentable']);

  function prepare(files: PolicyTestFile[]): Array<{ testCase: PolicyTestCase; request: AuthorizationRequest }> {
    const issues: PolicyTestIssue[] = [];
    const prepared: Array<{ testCase: PolicyTestCase; request: AuthorizationRequest }> = [];
    for (const f of files) {
      for (const testCase of f.cases) {
        const at = (path: PathSegment[], message: string) => issues.push({ file: f.file, ...f.locate(['cases', testCase.index, ...path]), path: formatPath(['cases', testCase.index, ...path]), message });
        testCase.expect.rules.forEach((rule, i) => {
          if (!known.has(rule)) at(['expect', 'rules', i], `no policy with @id ${JSON.stringify(rule)} in the bundle`);
        });
        const tool = registry.get(testCase.tool);
        if (tool === undefined) {
          at(['tool'], `tool ${JSON.stringify(testCase.tool)} is not in the config`);
          continue;
        }
        const validated = registry.validate(tool, testCase.arguments);
        if (!validated.ok) {
          at(['arguments'], `arguments do not match the input schema of ${tool.name}: ${validated.errors.map((e) => `${e.path === '' ? '(root)' : e.path} ${e.message}`).join('; ')}`);
          continue;
        }
        const principal: Principal = {
          user: testCase.principal.user,
          tenant: testCase.principal.tenant,
          roles: testCase.principal.roles,
          delegation: testCase.principal.agent === undefined ? [] : [testCase.principal.agent],
          issuer: 'airlock-policy-test',
          ...(testCase.principal.agent === undefined ? {} : { agent: testCase.principal.agent }),
        };
        const args = validated.value;
        const outside = outsideScope(testCase.session.targets, args);
        const taint = testCase.taint;
        const graded = (...grades: TaintEvidence[]) => withAncestors(taint.filter((t) => grades.includes(t.evidence)).map((t) => t.argument));
        const labels = testCase.session.labels;
        const untrustedSeen = labels?.untrustedSeen ?? taint.length > 0;
        const request: AuthorizationRequest = {
          principal,
          tool,
          arguments: args,
          resource: resourceOf(tool, args, principal, testCase.resource),
          affectedCount: affectedCountOf(tool, args, testCase.affectedCount),
          session: {
            id: testCase.session.id,
            attributes: testCase.session.attributes,
            ...testCase.session.counters,
            ...(labels === undefined && taint.length === 0
              ? {}
              : {
                  labels: {
                    untrustedSeen,
                    lowestTrust: labels?.lowestTrust ?? (untrustedSeen ? 'external' : 'system'),
                    maxClassification: labels?.maxClassification ?? 'public',
                  },
                }),
          },
          environment: { now: Date.parse(testCase.now) },
          ...(testCase.intent === undefined ? {} : { intent: testCase.intent }),
          ...(outside === null ? {} : { scope: { outside } }),
          ...(taint.length === 0
            ? {}
            : {
                taint: {
                  arguments: withAncestors(taint.map((t) => t.argument)),
                  sources: [...new Set(taint.flatMap((t) => t.sources))].sort(),
                  injected: graded('injected'),
                  instructed: graded('injected', 'instructed'),
                  directive: graded('injected', 'instructed', 'directive'),
                  unnamed: graded('injected', 'instructed', 'directive', 'unnamed'),
                },
              }),
        };
        prepared.push({ testCase, request });
      }
    }
    if (issues.length > 0) throw invalid(issues);
    return prepared;
  }

  function evaluate(request: AuthorizationRequest): PolicyEvaluation {
    try {
      return engine.authorize(request);
    } catch (error) {
      if (!isAirlockError(error) || error.code !== 'ERR_POLICY_UNREPRESENTABLE') throw error;
      // As the authorize phase: a value Cedar cannot take denies as malformed input.
      const reason: DecisionReason = { policy_id: 'builtin.unrepresentable', effect: 'forbid', reason: error.message, code: 'validate.unrepresentable' };
      return {
        outcome: 'deny',
        reasons: [reason],
        checks: { action_class: { passed: false, policy_ids: [] }, parameters: { passed: false, policy_ids: [] } },
        obligations: {},
        policyVersion: engine.version,
        errors: [],
      };
    }
  }

  return {
    policyVersion: engine.version,
    policies,
    run(files) {
      const reached = new Set<string>();
      const results: PolicyTestCaseResult[] = prepare(files).map(({ testCase, request }) => {
        const evaluation = evaluate(request);
        const rules = evaluation.reasons.map((r) => r.policy_id);
        rules.forEach((r) => reached.add(r));
        const missing = testCase.expect.rules.filter((r) => !rules.includes(r));
        const outcomeOk = evaluation.outcome === testCase.expect.outcome;
        const failure = [
          ...(outcomeOk ? [] : [`expected ${testCase.expect.outcome}, got ${evaluation.outcome}`]),
          ...(missing.length === 0 ? [] : [`expected rule${missing.length === 1 ? '' : 's'} ${missing.join(', ')} among the reasons [${rules.join(', ')}]`]),
          ...evaluation.errors.map((e) => `evaluation error: ${e}`),
        ];
        const code = evaluation.reasons[0]?.code ?? 'policy.no_permit';
        return {
          file: testCase.file,
          line: testCase.line,
          name: testCase.name,
          expected: { outcome: testCase.expect.outcome, rules: testCase.expect.rules },
          got: { outcome: evaluation.outcome, rules, code },
          passed: outcomeOk && missing.length === 0,
          ...(outcomeOk && missing.length === 0 ? {} : { failure: failure.join('; ') }),
        };
      });
      const failed = results.filter((r) => !r.passed).length;
      return {
        policyVersion: engine.version,
        results,
        passed: results.length - failed,
        failed,
        policies,
        uncovered: policies.filter((id) => !reached.has(id)),
      };
    },
    dispose: () => engine.dispose(),
  };
}
