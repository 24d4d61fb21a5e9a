/**
 * CedarPolicyEngine: the PolicyEngine backed by cedar-wasm. Owns the active bundle (its
 * compiled policies, per-tool action slices and the cache of preparsed request slices)
 * and swaps it atomically on reload, keeping the previous bundle when the new one is
 * refused. `authorize` is synchronous: it picks the request slice for the tool, the
 * principal's facts and the outcome of the value guards (preparsing it on a cache miss),
 * sends Cedar only the entities and attributes that slice can observe, and never uses the
 * schema (the bundle was strictly validated at load).
 */
import { AirlockError, toAirlockError } from '../core/errors.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { AuthorizationRequest, PolicyEngine, PolicyEvaluation, Principal, RegisteredTool } from '../core/types.ts';
import { compileBundle } from './compile.ts';
import { schemaToText, statefulIsAuthorized } from './cedar.ts';
import type { AuthorizationAnswer } from './cedar.ts';
import { decide } from './decide.ts';
import { couldAllow } from './discovery.ts';
import type { SliceAnswer } from './decide.ts';
import { factsOf } from './guards.ts';
import { planOf } from './plan.ts';
import type { RequestPlan } from './plan.ts';
import { bindTool, buildContext, checkPrincipal, parametersValue, userUid } from './request.ts';
import type { ToolBinding } from './request.ts';
import { generateCedarSchema, sessionAttributesShape } from './schema.ts';
import type { CedarSchemaJson } from './schema.ts';
import type { CedarShape } from './shapes.ts';
import { SliceCache } from './slice-cache.ts';
import type { SliceCacheStats } from './slice-cache.ts';
import { buildActionSlices, membersFor, membersOf, outcomeCode } from './slices.ts';
import type { ActionSlice } from './slices.ts';
import type {
  CompiledPolicy,
  PolicyBundleSource,
  PolicyDiagnostic,
  PolicySummary,
  SessionAttributeType,
} from './types.ts';

export interface CedarPolicyEngineOptions {
  tools: RegisteredTool[];
  sessionAttributes: Record<string, SessionAttributeType>;
  bundle: PolicyBundleSource;
  /**
   * Most request slices (tool x principal facts) kept preparsed; the least recently used
   * is dropped beyond it. Each holds its policies preparsed in cedar-wasm's memory, about
   * 2 KB per policy. Default 1024.
   */
  sliceCacheSize?: number;
  /** Cedar answers remembered by exact input (default 4096; 0 turns the memo off). */
  answerCacheSize?: number;
}

export const DEFAULT_SLICE_CACHE_SIZE = 1024;

interface ActiveBundle {
  version: string;
  policies: CompiledPolicy[];
  byId: Map<string, CompiledPolicy>;
  warnings: PolicyDiagnostic[];
  slices: Map<string, ActionSlice>;
  cache: SliceCache<RequestPlan>;
  /**
   * Cedar's answers by their exact input (policy set, principal, context, entities). Cedar
   * evaluation is a pure function of that input, so an identical request gets the identical
   * answer without crossing into wasm again. Bounded (oldest entries dropped first).
   */
  answers: Map<string, SliceAnswer>;
  evaluated: { calls: number; policies: number; answerHits: number };
}

export interface CedarPolicyEngineStats {
  policies: number;
  /** Preparsed request slices in use. */
  slices: number;
  /** Policies in each tool's action slice (before filtering by principal). */
  perTool: { min: number; max: number; mean: number };
  /** Request slices: cache figures and the policies evaluated per call. */
  cache: SliceCacheStats;
  /** Calls, policies Cedar evaluated per call that reached it, and calls answered from the memo. */
  evaluated: { calls: number; meanPolicies: number; answerHits: number };
}

let engineSerial = 0;
/** Discovery answers per active bundle (a reload starts afresh), bounded. */
const discoveryMemo = new WeakMap<object, Map<string, boolean>>();
const DISCOVERY_MEMO_SIZE = 4096;
const DEFAULT_ANSWER_CACHE_SIZE = 4096;

/** Gives back the preparsed sets of engines that were dropped without dispose(). */
const finalizer = new FinalizationRegistry<{ current: SliceCache<RequestPlan> | null }>((held) => {
  held.current?.clear();
});

function refused(diagnostics: PolicyDiagnostic[]): AirlockError {
  const count = diagnostics.length;
  return new AirlockError('ERR_POLICY_INVALID', `policy bundle refused: ${count} problem${count === 1 ? '' : 's'}`, {
    status: 400,
    details: { diagnostics },
  });
}

/** The exact input of one Cedar evaluation, as a string (the answers map belongs to one bundle). */
function answerKey(sliceKey: string, user: unknown, context: unknown, entities: unknown): string {
  return `${sliceKey}\u0000${JSON.stringify(user)}\u0000${JSON.stringify(context)}\u0000${JSON.stringify(entities)}`;
}

function toAnswer(answer: AuthorizationAnswer, plan: RequestPlan): SliceAnswer {
  if (answer.type === 'failure') {
    throw new AirlockError('ERR_POLICY_ENGINE', 'cedar could not evaluate the request', {
      status: 500,
      details: { errors: answer.errors.map((e) => e.message) },
    });
  }
  const { diagnostics } = answer.response;
  // Frozen all the way down: the memo hands this same object to every identical request
  // (and `inspect` to its caller), so nobody may change what a later decision is made from.
  return Object.freeze({
    satisfied: Object.freeze([...diagnostics.reason]) as string[],
    errors: Object.freeze(
      diagnostics.errors.map((e) => Object.freeze({ policyId: e.policyId, message: plan.message(e.error.message) })),
    ) as SliceAnswer['errors'],
  });
}

export class CedarPolicyEngine implements PolicyEngine {
  readonly #prefix: string;
  readonly #schema: CedarSchemaJson;
  readonly #tools: Map<string, ToolBinding>;
  readonly #sessionShape: CedarShape & { kind: 'Record' };
  readonly #held: { current: SliceCache<RequestPlan> | null } = { current: null };
  readonly #cacheSize: number;
  readonly #answerCacheSize: number;
  #active: ActiveBundle;
  #generation = 0;

  private constructor(options: CedarPolicyEngineOptions) {
    this.#prefix = `airlock:${process.pid}:${++engineSerial}`;
    this.#cacheSize = options.sliceCacheSize ?? DEFAULT_SLICE_CACHE_SIZE;
    this.#answerCacheSize = options.answerCacheSize ?? DEFAULT_ANSWER_CACHE_SIZE;
    if (!Number.isSafeInteger(this.#answerCacheSize) || this.#answerCacheSize < 0) {
      throw new AirlockError('ERR_POLICY_OPTIONS', 'answerCacheSize must be a non-negative integer', { status: 500 });
    }
    if (!Number.isSafeInteger(this.#cacheSize) || this.#cacheSize < 1) {
      throw new AirlockError('ERR_POLICY_OPTIONS', 'slice cache size must be a positive integer', { status: 500 });
    }
    this.#schema = generateCedarSchema(options.tools, options.sessionAttributes);
    this.#sessionShape = sessionAttributesShape(options.sessionAttributes);
    this.#tools = new Map(options.tools.map((t) => [t.name, bindTool(t)]));
    this.#active = this.#prepare(options.bundle);
    this.#held.current = this.#active.cache;
    finalizer.register(this, this.#held, this);
  }

  /** Builds an engine; throws ERR_POLICY_INVALID (400, with diagnostics) for a bad bundle. */
  static create(options: CedarPolicyEngineOptions): CedarPolicyEngine {
    return new CedarPolicyEngine(options);
  }

  /** Content hash of the active bundle. */
  get version(): string {
    return this.#active.version;
  }

  /** Validator warnings of the active bundle (e.g. policies that can never apply). */
  get warnings(): PolicyDiagnostic[] {
    return this.#active.warnings.map((w) => ({ ...w }));
  }

  /** The Cedar schema the bundle is validated against, JSON form. */
  schemaJson(): CedarSchemaJson {
    return structuredClone(this.#schema);
  }

  /** The Cedar schema in Cedar's human-readable syntax (for `airlock policy schema`). */
  schemaText(): string {
    const answer = schemaToText(this.#schema);
    if (answer.type === 'failure') {
      throw new AirlockError('ERR_POLICY_ENGINE', 'cedar could not render the schema', { status: 500 });
    }
    return answer.text.replaceAll('__cedar::', '');
  }

  /** Active policies in bundle order. */
  policies(): PolicySummary[] {
    return this.#active.policies.map((p) => {
      const summary: PolicySummary = { id: p.id, file: p.file, line: p.line, effect: p.effect, check: p.check };
      if (p.approval !== undefined) summary.approval = p.approval;
      if (p.reason !== undefined) summary.reason = p.reason;
      return summary;
    });
  }

  /**
   * Slicing figures of the active bundle: policies per tool's action slice, the request
   * slice cache, and how many policies calls evaluated on average.
   */
  stats(): CedarPolicyEngineStats {
    const { policies, slices, cache, evaluated } = this.#active;
    const sizes = [...slices.values()].map((s) => s.members.length);
    const total = sizes.reduce((a, b) => a + b, 0);
    const cacheStats = cache.stats();
    return {
      policies: policies.length,
      slices: cacheStats.sets,
      perTool: {
        min: sizes.length === 0 ? 0 : Math.min(...sizes),
        max: sizes.length === 0 ? 0 : Math.max(...sizes),
        mean: sizes.length === 0 ? 0 : total / sizes.length,
      },
      cache: cacheStats,
      evaluated: {
        calls: evaluated.calls,
        meanPolicies: evaluated.calls === evaluated.answerHits ? 0 : evaluated.policies / (evaluated.calls - evaluated.answerHits),
        answerHits: evaluated.answerHits,
      },
    };
  }

  /**
   * Validates `bundle` fully, then makes it active. On failure throws ERR_POLICY_INVALID
   * and the previous bundle stays active.
   */
  reload(bundle: PolicyBundleSource): { version: string } {
    const next = this.#prepare(bundle);
    const previous = this.#active;
    this.#active = next;
    this.#held.current = next.cache;
    previous.cache.clear();
    previous.slices.clear();
    return { version: next.version };
  }

  /** Releases the preparsed policy sets. The engine must not be used afterwards. */
  dispose(): void {
    finalizer.unregister(this);
    this.#held.current?.clear();
    this.#active.slices.clear();
    this.#held.current = null;
  }

  authorize(request: AuthorizationRequest): PolicyEvaluation {
    const active = this.#active;
    return decide(this.#evaluate(active, request), active.byId, active.version);
  }

  /**
   * Throws ERR_POLICY_UNREPRESENTABLE (400) when an argument value cannot be given to Cedar
   * exactly (more than four fractional digits, out of decimal range, ill-formed text), so the
   * validate phase refuses it before any policy is asked. Unknown tools are left to authorize.
   */
  checkArguments(tool: RegisteredTool, args: Record<string, JsonValue>): void {
    const binding = this.#tools.get(tool.name);
    if (binding !== undefined) parametersValue(binding, args);
  }

  /**
   * Policy-aware discovery: false only when no call of `toolName` by `principal` could be
   * allowed or held for approval under the active bundle (Cedar partial evaluation over the
   * principal's request slice; see discovery.ts). Answers are remembered per bundle.
   */
  mayAllow(principal: Principal, toolName: string): boolean {
    const active = this.#active;
    const binding = this.#tools.get(toolName);
    const slice = active.slices.get(toolName);
    if (binding === undefined || slice === undefined) return false;
    checkPrincipal(principal);
    const user = userUid(principal);
    let memo = discoveryMemo.get(active);
    if (memo === undefined) {
      memo = new Map();
      discoveryMemo.set(active, memo);
    }
    const key = `${toolName}\u0000${JSON.stringify([user.id, principal.roles, principal.agent ?? null, principal.delegation.length > 0])}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const facts = slice.guarded ? factsOf(slice.facts, principal, user.id) : null;
    const answer = couldAllow(membersFor(slice, facts), binding, principal);
    if (memo.size >= DISCOVERY_MEMO_SIZE) memo.delete(memo.keys().next().value as string);
    memo.set(key, answer);
    return answer;
  }

  /**
   * Cedar's raw answer for a request: every satisfied policy of the tool's slice (whatever
   * its effect) and every evaluation error. For explaining decisions and for tests.
   */
  inspect(request: AuthorizationRequest): SliceAnswer & { policyVersion: string } {
    const active = this.#active;
    return { ...this.#evaluate(active, request), policyVersion: active.version };
  }

  #evaluate(active: ActiveBundle, request: AuthorizationRequest): SliceAnswer {
    const binding = this.#tools.get(request.tool.name);
    if (binding === undefined) {
      throw new AirlockError('ERR_POLICY_UNKNOWN_TOOL', `tool ${request.tool.name} is not known to the policy engine`, {
        status: 500,
        details: { tool: request.tool.name },
      });
    }
    if (binding.version !== request.tool.version) {
      throw new AirlockError('ERR_POLICY_TOOL_MISMATCH', `tool ${binding.name} changed since the policy engine was built`, {
        status: 500,
        details: { tool: binding.name },
      });
    }
    const slice = active.slices.get(binding.name);
    if (slice === undefined) {
      throw new AirlockError('ERR_POLICY_ENGINE', 'the policy engine has been disposed', { status: 500 });
    }
    const principal = request.principal;
    checkPrincipal(principal);
    const user = userUid(principal);
    // Built in full (so unrepresentable values are always refused, and value guards read
    // what Cedar would), then cut down to what the request slice's policies can observe.
    const full = buildContext(binding, this.#sessionShape, request);
    const code = slice.guarded ? outcomeCode(slice, factsOf(slice.facts, principal, user.id), { context: full, principal }) : null;
    // Names the request slice (set ids are recycled when slices are evicted).
    const sliceKey = code === null ? binding.name : `${binding.name}\n${code}`;
    const plan = this.#plan(active, binding, slice, code, sliceKey);
    const context = plan.context(full, principal);
    const entities = plan.entities(principal);
    active.evaluated.calls++;
    const key = this.#answerCacheSize === 0 ? null : answerKey(sliceKey, user, context, entities);
    const known = key === null ? undefined : active.answers.get(key);
    if (known !== undefined) {
      active.evaluated.answerHits++;
      return known;
    }
    active.evaluated.policies += plan.set.size;
    let answer: AuthorizationAnswer;
    try {
      answer = statefulIsAuthorized({
        principal: user,
        action: binding.action,
        resource: binding.resource,
        context,
        entities,
        validateRequest: false,
        preparsedPolicySetId: plan.set.id,
      });
    } catch (error) {
      throw toAirlockError(error, 'ERR_POLICY_ENGINE');
    }
    const result = toAnswer(answer, plan);
    if (key !== null) {
      if (active.answers.size >= this.#answerCacheSize) {
        const oldest = active.answers.keys().next();
        if (oldest.done !== true) active.answers.delete(oldest.value);
      }
      active.answers.set(key, result);
    }
    return result;
  }

  /** The request slice of this outcome code (slices.ts): cached, or preparsed now. */
  #plan(active: ActiveBundle, binding: ToolBinding, slice: ActionSlice, code: string | null, key: string): RequestPlan {
    const cached = active.cache.get(key);
    if (cached !== undefined) return cached;
    return active.cache.add(key, membersOf(slice, code), (set) => planOf(set, binding));
  }

  #prepare(bundle: PolicyBundleSource): ActiveBundle {
    const compiled = compileBundle(bundle, this.#schema);
    if (!compiled.ok) throw refused(compiled.diagnostics);
    const tools = [...this.#tools.values()].map((t) => ({ name: t.name, sideEffect: t.sideEffect }));
    return {
      version: compiled.version,
      policies: compiled.policies,
      byId: new Map(compiled.policies.map((p) => [p.id, p])),
      warnings: compiled.warnings,
      slices: buildActionSlices(compiled.policies, tools),
      cache: new SliceCache(`${this.#prefix}:${++this.#generation % 2}`, this.#cacheSize),
      answers: new Map(),
      evaluated: { calls: 0, policies: 0, answerHits: 0 },
    };
  }
}
