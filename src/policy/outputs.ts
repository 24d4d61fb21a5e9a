/**
 * Output policies: Cedar decides the class of every output — a tool result, or model output
 * the runtime submits — over what the gateway found in it (data classes, links, a proposed
 * action) and where it came from. Output policies are their own bundle (`outputs.policy_dir`)
 * under their own schema (namespace `AirlockOutput`, action `classify`, resource `Output`),
 * validated strictly at load: a bundle that does not validate is refused.
 *
 * Each permit names the class it gives with `@output_class("<class>")` (and `@id`); the class
 * of an output is the most restrictive class of the permits it satisfies; a satisfied forbid
 * blocks it; none satisfied gives the configured default. An evaluation error blocks it (fail
 * closed). Without a bundle the built-in policies below decide.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AirlockError } from '../core/errors.ts';
import type { Principal } from '../core/types.ts';
import { policySetTextToParts, policyToJson, preparsePolicySet, preparseSchema, statefulIsAuthorized, validate } from './cedar.ts';

export const OUTPUT_NAMESPACE = 'AirlockOutput';

/** What the gateway knows about one output, as output policies see it (`context`). */
export interface OutputRequest {
  principal: Principal;
  source: 'tool_result' | 'model_output';
  /** The tool that produced it (tool results), or empty strings. */
  tool: string;
  sideEffect: string;
  trust: 'trusted' | 'untrusted';
  /** Data classes detected in it (before redaction). */
  dataClasses: string[];
  links: { count: number; images: number; data_urls: number; neutralised: number; exfiltration: boolean };
  /** The action the output asks for (model output with a proposed action), or null. */
  proposed: { tool: string; sideEffect: string } | null;
  textChars: number;
  session: { id: string | null; untrustedSeen: boolean; lowestTrust: string; maxClassification: string };
}

export interface OutputVerdict {
  /** One of the configured classes. */
  class: string;
  /** The policies that decided it (`builtin.*` for the defaults and for faults). */
  policy_ids: string[];
  reasons: string[];
  errors: string[];
  /** Content hash of the output policies. */
  policy_version: string;
}

const MEMO_SIZE = 4096;

/** A caller's own copy of a memoized verdict (structuredClone cost some 15 µs a tool result). */
function copyVerdict(v: OutputVerdict): OutputVerdict {
  return { class: v.class, policy_ids: [...v.policy_ids], reasons: [...v.reasons], errors: [...v.errors], policy_version: v.policy_version };
}
const STRING = { type: 'String' } as const;
const LONG = { type: 'Long' } as const;
const BOOL = { type: 'Boolean' } as const;

export function outputSchema(): object {
  return {
    [OUTPUT_NAMESPACE]: {
      commonTypes: {},
      entityTypes: {
        User: { shape: { type: 'Record', attributes: { id: STRING, tenant: STRING, roles: { type: 'Set', element: STRING }, agent: { ...STRING, required: false }, delegated: BOOL } } },
        Output: { shape: { type: 'Record', attributes: {} } },
      },
      actions: {
        classify: {
          appliesTo: {
            principalTypes: ['User'],
            resourceTypes: ['Output'],
            context: {
              type: 'Record',
              attributes: {
                source: STRING,
                tool: STRING,
                side_effect: STRING,
                trust: STRING,
                data_classes: { type: 'Set', element: STRING },
                links: { type: 'Record', attributes: { count: LONG, images: LONG, data_urls: LONG, neutralised: LONG, exfiltration: BOOL } },
                action_request: BOOL,
                proposed_tool: STRING,
                proposed_side_effect: STRING,
                text_chars: LONG,
                session: { type: 'Record', attributes: { in_session: BOOL, untrusted_seen: BOOL, lowest_trust: STRING, max_classification: STRING } },
              },
            },
          },
        },
      },
    },
  };
}

/** The built-in output policies (used when no `outputs.policy_dir` is configured). */
export const DEFAULT_OUTPUT_POLICIES = `@id("builtin-output-exfiltration")
@output_class("blocked")
@reason("model output that tries to carry data out through a link is blocked")
permit (principal, action == AirlockOutput::Action::"classify", resource)
when { context.source == "model_output" && context.links.exfiltration };

@id("builtin-output-action-request")
@output_class("needs_approval")
@reason("model output asking for an action with side effects goes through policy approval")
permit (principal, action == AirlockOutput::Action::"classify", resource)
when { context.action_request && context.proposed_side_effect != "none" && context.proposed_side_effect != "read" };

@id("builtin-output-read-request")
@output_class("needs_confirmation")
@reason("model output asking to read data needs the user's confirmation")
permit (principal, action == AirlockOutput::Action::"classify", resource)
when { context.action_request };

@id("builtin-output-informational")
@output_class("informational")
permit (principal, action == AirlockOutput::Action::"classify", resource);
`;

interface LoadedPolicy {
  id: string;
  effect: 'permit' | 'forbid';
  cls: string;
  reason: string | null;
}

export class OutputPolicyEngine {
  readonly version: string;
  readonly #classes: readonly string[];
  readonly #defaultClass: string;
  readonly #policies: Map<string, LoadedPolicy>;
  /** Ids of the policy set and schema preparsed in cedar-wasm for this engine (parsed once, not per output). */
  readonly #setId: string;
  readonly #schemaName: string;
  readonly #memo = new Map<string, OutputVerdict>();

  private constructor(version: string, classes: readonly string[], defaultClass: string, policies: Map<string, LoadedPolicy>, texts: Record<string, string>) {
    this.version = version;
    this.#classes = classes;
    this.#defaultClass = defaultClass;
    this.#policies = policies;
    const unique = randomUUID();
    this.#setId = `airlock-output-policies-${unique}`;
    this.#schemaName = `airlock-output-schema-${unique}`;
    const set = preparsePolicySet(this.#setId, { staticPolicies: texts });
    const schema = preparseSchema(this.#schemaName, outputSchema() as never);
    if (set.type === 'failure' || schema.type === 'failure') {
      throw new AirlockError('ERR_POLICY_OUTPUT_BUNDLE', 'output policies could not be prepared', { status: 400 });
    }
  }

  /**
   * Loads output policies (file name -> text; none: the built-in ones). `classes` lists the
   * classes least restrictive first. Throws ERR_POLICY_OUTPUT_BUNDLE listing every problem.
   */
  static load(files: Record<string, string> | null, classes: readonly string[], defaultClass: string): OutputPolicyEngine {
    const sources = files === null || Object.keys(files).length === 0 ? { 'builtin.cedar': DEFAULT_OUTPUT_POLICIES } : files;
    const problems: string[] = [];
    const policies = new Map<string, LoadedPolicy>();
    const texts: Record<string, string> = {};
    const hash = createHash('sha256');
    for (const file of Object.keys(sources).sort()) {
      const text = sources[file] as string;
      hash.update(file).update('\u0000').update(text).update('\u0000');
      const parts = policySetTextToParts(text);
      if (parts.type === 'failure') {
        problems.push(`${file}: ${parts.errors.map((e) => e.message).join('; ')}`);
        continue;
      }
      if (parts.policy_templates.length > 0) problems.push(`${file}: templates are not supported in output policies`);
      for (const policyText of parts.policies) {
        const json = policyToJson(policyText);
        if (json.type === 'failure') {
          problems.push(`${file}: ${json.errors.map((e) => e.message).join('; ')}`);
          continue;
        }
        const annotations = json.json.annotations ?? {};
        const id = annotations.id;
        if (typeof id !== 'string' || id.trim() === '' || id.startsWith('builtin.')) {
          problems.push(`${file}: every output policy needs an @id (not starting with builtin.)`);
          continue;
        }
        if (policies.has(id)) problems.push(`${file}: @id "${id}" is used twice`);
        const effect = json.json.effect;
        const cls = effect === 'forbid' ? (classes.at(-1) as string) : annotations.output_class;
        if (typeof cls !== 'string' || !classes.includes(cls)) {
          problems.push(`${file}: policy ${id} needs @output_class with one of ${classes.join(', ')}`);
          continue;
        }
        policies.set(id, { id, effect, cls, reason: typeof annotations.reason === 'string' ? annotations.reason : null });
        texts[id] = policyText;
      }
    }
    if (problems.length === 0) {
      const answer = validate({ schema: outputSchema() as never, policies: { staticPolicies: texts }, validationSettings: { mode: 'strict' } });
      if (answer.type === 'failure') problems.push(...answer.errors.map((e) => e.message));
      else problems.push(...answer.validationErrors.map((e) => `policy ${e.policyId}: ${e.error.message}`));
    }
    if (!classes.includes(defaultClass)) problems.push(`the default output class ${defaultClass} is not one of ${classes.join(', ')}`);
    if (problems.length > 0) {
      throw new AirlockError('ERR_POLICY_OUTPUT_BUNDLE', `output policies refused: ${problems.length} problem(s)`, { status: 400, details: { problems } });
    }
    return new OutputPolicyEngine(`sha256:${hash.digest('hex')}`, classes, defaultClass, policies, texts);
  }

  /**
   * The class of one output. Answers are memoized (bounded, least recently used out): the
   * verdict is a function of the principal's attributes and the context alone, and most
   * outputs look alike (same tool, nothing found).
   */
  classify(request: OutputRequest): OutputVerdict {
    const p = request.principal;
    const key = JSON.stringify([p.tenant, p.user, p.roles, p.agent ?? null, p.delegation.length > 0, contextOf(request)]);
    const known = this.#memo.get(key);
    if (known !== undefined) {
      this.#memo.delete(key);
      this.#memo.set(key, known);
      return copyVerdict(known);
    }
    const verdict = this.#evaluate(request);
    if (this.#memo.size >= MEMO_SIZE) this.#memo.delete(this.#memo.keys().next().value as string);
    this.#memo.set(key, verdict);
    return copyVerdict(verdict);
  }

  #evaluate(request: OutputRequest): OutputVerdict {
    const p = request.principal;
    const uid = { type: `${OUTPUT_NAMESPACE}::User`, id: `${p.tenant}/${p.user}` };
    const base = { policy_version: this.version };
    let answer: ReturnType<typeof statefulIsAuthorized>;
    try {
      answer = statefulIsAuthorized({
        principal: uid,
        action: { type: `${OUTPUT_NAMESPACE}::Action`, id: 'classify' },
        resource: { type: `${OUTPUT_NAMESPACE}::Output`, id: 'output' },
        context: contextOf(request) as never,
        preparsedSchemaName: this.#schemaName,
        validateRequest: true,
        entities: [
          { uid, attrs: { id: p.user, tenant: p.tenant, roles: [...p.roles], ...(p.agent === undefined ? {} : { agent: p.agent }), delegated: p.delegation.length > 0 }, parents: [] },
          { uid: { type: `${OUTPUT_NAMESPACE}::Output`, id: 'output' }, attrs: {}, parents: [] },
        ],
        preparsedPolicySetId: this.#setId,
      });
    } catch (error) {
      return { ...base, class: this.#strictest(), policy_ids: ['builtin.output_fail_closed'], reasons: ['the output policy engine failed: blocked (fail closed)'], errors: [String((error as Error).message ?? error)] };
    }
    if (answer.type === 'failure') {
      return { ...base, class: this.#strictest(), policy_ids: ['builtin.output_fail_closed'], reasons: ['the output could not be evaluated: blocked (fail closed)'], errors: answer.errors.map((e) => e.message) };
    }
    const { reason, errors } = answer.response.diagnostics;
    if (errors.length > 0) {
      return { ...base, class: this.#strictest(), policy_ids: ['builtin.output_fail_closed', ...errors.map((e) => e.policyId)], reasons: ['an output policy failed to evaluate: blocked (fail closed)'], errors: errors.map((e) => `${e.policyId}: ${e.error.message}`) };
    }
    const satisfied = reason.map((id) => this.#policies.get(id)).filter((x): x is LoadedPolicy => x !== undefined);
    if (satisfied.length === 0) return { ...base, class: this.#defaultClass, policy_ids: ['builtin.output_default'], reasons: ['no output policy matched: the default class'], errors: [] };
    let cls = satisfied[0]?.cls as string;
    for (const s of satisfied) if (this.#classes.indexOf(s.cls) > this.#classes.indexOf(cls)) cls = s.cls;
    const deciding = satisfied.filter((s) => s.cls === cls);
    return { ...base, class: cls, policy_ids: deciding.map((s) => s.id), reasons: deciding.map((s) => s.reason ?? `${s.id}: ${cls}`), errors: [] };
  }

  #strictest(): string {
    return this.#classes.at(-1) as string;
  }
}

function contextOf(r: OutputRequest): Record<string, unknown> {
  return {
    source: r.source,
    tool: r.tool,
    side_effect: r.sideEffect,
    trust: r.trust,
    data_classes: [...new Set(r.dataClasses)].sort(),
    links: { ...r.links },
    action_request: r.proposed !== null,
    proposed_tool: r.proposed?.tool ?? '',
    proposed_side_effect: r.proposed?.sideEffect ?? '',
    text_chars: r.textChars,
    session: { in_session: r.session.id !== null, untrusted_seen: r.session.untrustedSeen, lowest_trust: r.session.lowestTrust, max_classification: r.session.maxClassification },
  };
}
