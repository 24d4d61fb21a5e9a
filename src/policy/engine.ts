/**
 * CedarPolicyEngine: the PolicyEngine backed by cedar-wasm. Owns the active bundle (its
 * compiled policies and preparsed per-tool slices) and swaps it atomically on reload,
 * keeping the previous bundle when the new one is refused. `authorize` is synchronous,
 * builds lean entities and the context per request, and never uses the schema (the bundle
 * was strictly validated at load).
 */
import { AirlockError, toAirlockError } from '../core/errors.ts';
import type { AuthorizationRequest, PolicyEngine, PolicyEvaluation, RegisteredTool } from '../core/types.ts';
import { compileBundle } from './compile.ts';
import { schemaToText, statefulIsAuthorized } from './cedar.ts';
import type { AuthorizationAnswer } from './cedar.ts';
import { decide } from './decide.ts';
import type { SliceAnswer } from './decide.ts';
import { project } from './projection.ts';
import { bindTool, buildContext, userEntity } from './request.ts';
import type { ToolBinding } from './request.ts';
import { generateCedarSchema, sessionAttributesShape } from './schema.ts';
import type { CedarSchemaJson } from './schema.ts';
import type { CedarShape } from './shapes.ts';
import { buildSlices, releaseSlices } from './slices.ts';
import type { SliceSet } from './slices.ts';
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
}

interface ActiveBundle {
  version: string;
  policies: CompiledPolicy[];
  byId: Map<string, CompiledPolicy>;
  warnings: PolicyDiagnostic[];
  slices: SliceSet;
}

let engineSerial = 0;

/** Gives back the preparsed sets of engines that were dropped without dispose(). */
const finalizer = new FinalizationRegistry<{ current: SliceSet | null }>((held) => {
  if (held.current !== null) releaseSlices(held.current);
});

function refused(diagnostics: PolicyDiagnostic[]): AirlockError {
  const count = diagnostics.length;
  return new AirlockError('ERR_POLICY_INVALID', `policy bundle refused: ${count} problem${count === 1 ? '' : 's'}`, {
    status: 400,
    details: { diagnostics },
  });
}

function toAnswer(answer: AuthorizationAnswer): SliceAnswer {
  if (answer.type === 'failure') {
    throw new AirlockError('ERR_POLICY_ENGINE', 'cedar could not evaluate the request', {
      status: 500,
      details: { errors: answer.errors.map((e) => e.message) },
    });
  }
  const { diagnostics } = answer.response;
  return {
    satisfied: diagnostics.reason,
    errors: diagnostics.errors.map((e) => ({ policyId: e.policyId, message: e.error.message })),
  };
}

export class CedarPolicyEngine implements PolicyEngine {
  readonly #prefix: string;
  readonly #schema: CedarSchemaJson;
  readonly #tools: Map<string, ToolBinding>;
  readonly #sessionShape: CedarShape & { kind: 'Record' };
  readonly #held: { current: SliceSet | null } = { current: null };
  #active: ActiveBundle;
  #generation = 0;

  private constructor(options: CedarPolicyEngineOptions) {
    this.#prefix = `airlock:${process.pid}:${++engineSerial}`;
    this.#schema = generateCedarSchema(options.tools, options.sessionAttributes);
    this.#sessionShape = sessionAttributesShape(options.sessionAttributes);
    this.#tools = new Map(options.tools.map((t) => [t.name, bindTool(t)]));
    this.#active = this.#prepare(options.bundle);
    this.#held.current = this.#active.slices;
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

  /** Slicing figures of the active bundle: preparsed sets and policies per tool's slice. */
  stats(): { policies: number; slices: number; perTool: { min: number; max: number; mean: number } } {
    const { policies, slices } = this.#active;
    const sizes = [...slices.byTool.values()].map((s) => s.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    return {
      policies: policies.length,
      slices: slices.ids.length,
      perTool: {
        min: sizes.length === 0 ? 0 : Math.min(...sizes),
        max: sizes.length === 0 ? 0 : Math.max(...sizes),
        mean: sizes.length === 0 ? 0 : total / sizes.length,
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
    this.#held.current = next.slices;
    releaseSlices(previous.slices);
    return { version: next.version };
  }

  /** Releases the preparsed policy sets. The engine must not be used afterwards. */
  dispose(): void {
    finalizer.unregister(this);
    if (this.#held.current !== null) releaseSlices(this.#held.current);
    this.#held.current = null;
  }

  authorize(request: AuthorizationRequest): PolicyEvaluation {
    const active = this.#active;
    return decide(this.#evaluate(active, request), active.byId, active.version);
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
    const slice = active.slices.byTool.get(binding.name);
    if (slice === undefined) {
      throw new AirlockError('ERR_POLICY_ENGINE', 'the policy engine has been disposed', { status: 500 });
    }
    // Built in full (so unrepresentable values are always refused), then cut down to what
    // the slice's policies can observe.
    const context = buildContext(binding, this.#sessionShape, request);
    const user = userEntity(request.principal);
    let answer: AuthorizationAnswer;
    try {
      answer = statefulIsAuthorized({
        principal: user.uid,
        action: binding.action,
        resource: binding.resource,
        context: project(context, slice.needs.context),
        entities: [{ ...user, attrs: project(user.attrs, slice.needs.principal) }, binding.toolEntity, binding.actionEntity],
        validateRequest: false,
        preparsedPolicySetId: slice.setId,
      });
    } catch (error) {
      throw toAirlockError(error, 'ERR_POLICY_ENGINE');
    }
    return toAnswer(answer);
  }

  #prepare(bundle: PolicyBundleSource): ActiveBundle {
    const compiled = compileBundle(bundle, this.#schema);
    if (!compiled.ok) throw refused(compiled.diagnostics);
    const tools = [...this.#tools.values()].map((t) => ({ name: t.name, sideEffect: t.sideEffect }));
    const slices = buildSlices(`${this.#prefix}:${++this.#generation % 2}`, compiled.policies, tools);
    return {
      version: compiled.version,
      policies: compiled.policies,
      byId: new Map(compiled.policies.map((p) => [p.id, p])),
      warnings: compiled.warnings,
      slices,
    };
  }
}
