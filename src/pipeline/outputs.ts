/**
 * Output governance wired together (docs/output-governance.md): for every tool result and
 * every model output a runtime submits — links that could carry data out are neutralised
 * (outputs/links.ts), configured data classes are redacted or replaced by reference tokens
 * (context/redact.ts, outputs/references.ts), and Cedar output policies give the output one
 * of four classes (policy/outputs.ts) with the class's owner and escalation path. The class
 * is in the answer and in the audit event. Reference tokens are resolved for authorized
 * humans only.
 */
import type { JsonValue } from '../core/canonical.ts';
import { canonicalHash, sha256Hex } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { AuditEventInput, Principal, RegisteredTool } from '../core/types.ts';
import type { AuditStore } from '../audit/index.ts';
import type { BudgetBreach, BudgetTotals } from '../budgets/index.ts';
import { actorOf, refsOf, standaloneEvent } from './events.ts';
import type { OutputsConfig, RedactionClass } from '../config/types.ts';
import { REDACTION_CLASSES, redact } from '../context/index.ts';
import type { LinkReport, OutputClass } from '../outputs/index.ts';
import { OUTPUT_CLASSES, ReferenceTokens, mapStrings, neutraliseLinks } from '../outputs/index.ts';
import { OutputPolicyEngine, loadBundleFromDir } from '../policy/index.ts';
import type { OutputVerdict } from '../policy/index.ts';

/** What an answer says about an output: its class, who owns it and whom to escalate to, and what was found. */
export interface OutputAnswer {
  class: OutputClass;
  owner: string;
  escalation: string[];
  /** The output policies that decided the class. */
  policy_ids: string[];
  reasons: string[];
  policy_version: string;
  /** Occurrences of each data class found (redacted, tokenized or allowed as configured). */
  data_classes: Record<string, number>;
  links: LinkReport;
}

export interface GovernedText<T> {
  value: T;
  dataClasses: Record<string, number>;
  links: LinkReport;
}

export interface ClassifyInput {
  principal: Principal;
  source: 'tool_result' | 'model_output';
  tool: RegisteredTool | null;
  trust: 'trusted' | 'untrusted';
  /** Tool the output asks to call (model output), with its side-effect class (`unknown` for an unregistered tool). */
  proposed: { tool: string; sideEffect: string } | null;
  textChars: number;
  session: { id: string | null; untrustedSeen: boolean; lowestTrust: string; maxClassification: string };
  found: { dataClasses: Record<string, number>; links: LinkReport };
}

const NO_LINKS = (): LinkReport => ({ count: 0, images: 0, data_urls: 0, neutralised: 0, exfiltration: false, hosts: [] });

export class OutputGovernance {
  readonly #config: OutputsConfig;
  readonly #engine: OutputPolicyEngine;
  readonly #tokens: ReferenceTokens;

  private constructor(config: OutputsConfig, engine: OutputPolicyEngine, tokens: ReferenceTokens) {
    this.#config = config;
    this.#engine = engine;
    this.#tokens = tokens;
  }

  static async create(config: OutputsConfig, referenceKey: Uint8Array): Promise<OutputGovernance> {
    const files = config.policyDir === undefined ? null : (await loadBundleFromDir(config.policyDir)).files;
    return new OutputGovernance(config, OutputPolicyEngine.load(files, OUTPUT_CLASSES, config.defaultClass), new ReferenceTokens(referenceKey));
  }

  get policyVersion(): string {
    return this.#engine.version;
  }

  /** Links first (on the original text, so a URL's data is seen), then data classes, in every string. */
  governJson(value: JsonValue, tenant: string): GovernedText<JsonValue> {
    const counts: Record<string, number> = {};
    const links = NO_LINKS();
    const hosts = new Set<string>();
    const out = mapStrings(value, (text) => {
      const governed = this.governText(text, tenant);
      for (const [cls, n] of Object.entries(governed.dataClasses)) counts[cls] = (counts[cls] ?? 0) + n;
      const r = governed.links;
      links.count += r.count;
      links.images += r.images;
      links.data_urls += r.data_urls;
      links.neutralised += r.neutralised;
      links.exfiltration ||= r.exfiltration;
      for (const h of r.hosts) hosts.add(h);
      return governed.value;
    });
    links.hosts = [...hosts].sort();
    return { value: out, dataClasses: counts, links };
  }

  governText(text: string, tenant: string): GovernedText<string> {
    const linked = neutraliseLinks(text, { allowedHosts: this.#config.allowedHosts, carriesData: (part) => Object.keys(redact(part, REDACTION_CLASSES).counts).length > 0 });
    const actions = this.#config.dataClasses;
    const redacted = redact(linked.text, REDACTION_CLASSES, (cls: RedactionClass, found: string) => {
      const action = actions[cls] ?? 'allow';
      if (action === 'allow') return found;
      if (action === 'tokenize') return this.#tokens.mint(tenant, cls, found) ?? `[REDACTED:${cls}]`;
      return `[REDACTED:${cls}]`;
    });
    return { value: redacted.text, dataClasses: { ...redacted.counts } as Record<string, number>, links: linked.report };
  }

  classify(input: ClassifyInput): OutputAnswer {
    const verdict: OutputVerdict = this.#engine.classify({
      principal: input.principal,
      source: input.source,
      tool: input.tool?.name ?? '',
      sideEffect: input.tool?.sideEffect ?? '',
      trust: input.trust,
      dataClasses: Object.keys(input.found.dataClasses),
      links: { count: input.found.links.count, images: input.found.links.images, data_urls: input.found.links.data_urls, neutralised: input.found.links.neutralised, exfiltration: input.found.links.exfiltration },
      proposed: input.proposed,
      textChars: input.textChars,
      session: input.session,
    });
    const cls = verdict.class as OutputClass;
    const route = this.#config.classes[cls];
    return {
      class: cls,
      owner: route.owner,
      escalation: [...route.escalation],
      policy_ids: verdict.policy_ids,
      reasons: verdict.reasons,
      policy_version: verdict.policy_version,
      data_classes: input.found.dataClasses,
      links: input.found.links,
    };
  }

  /** Opens a reference token for an authorized human of the token's tenant (roles: outputs.reference_roles). */
  resolveReference(principal: Principal, token: string): { class: string; value: string } {
    if (principal.agent !== undefined || !principal.roles.some((r) => this.#config.referenceRoles.includes(r))) {
      throw new AirlockError('ERR_OUTPUT_REFERENCE_FORBIDDEN', 'resolving data references needs a reference role (and no acting agent)', { status: 403 });
    }
    const opened = this.#tokens.resolve(principal.tenant, token);
    return { class: opened.cls, value: opened.value };
  }
}

/** What the audit log keeps of an output's classification (no text, no values). */
export function outputEventData(answer: OutputAnswer): JsonValue {
  return {
    class: answer.class,
    owner: answer.owner,
    escalation: answer.escalation,
    policy_ids: answer.policy_ids,
    policy_version: answer.policy_version,
    data_classes: answer.data_classes,
    links: { ...answer.links, hosts: [...answer.links.hosts] },
  };
}

export const tokenHash = (token: string): string => `sha256:${sha256Hex(token)}`;
export const textHash = (text: string): string => canonicalHash(text);

export interface ClassifyOutputInput {
  text: string;
  session_id?: string;
  /** The tool the output asks to call, if it asks for an action. */
  proposed_action?: { tool: string };
}

export interface ClassifyOutputResponse extends OutputAnswer {
  output_id: string;
  /** The governed text (links neutralised, data classes redacted or tokenized); null when blocked. */
  text: string | null;
}

/**
 * Model output the runtime submits (`POST /v1/outputs/classify`): governed, classed, and
 * recorded as `output.classified` (hash and length of the text, never the text) before the
 * answer; a blocked output's text is not returned.
 */
export async function classifyModelOutput(
  deps: { outputs: OutputGovernance; audit: AuditStore; runtime: { modelId: string | null; configId: string | null }; sideEffectOf(tool: string): string | undefined },
  principal: Principal,
  sessionId: string | null,
  labels: { untrusted_seen: boolean; lowest_trust: string; max_classification: string } | null,
  input: ClassifyOutputInput,
): Promise<ClassifyOutputResponse> {
  const governed = deps.outputs.governText(input.text, principal.tenant);
  const proposedTool = input.proposed_action?.tool;
  const answer = deps.outputs.classify({
    principal,
    source: 'model_output',
    tool: null,
    trust: 'untrusted',
    proposed: proposedTool === undefined ? null : { tool: proposedTool, sideEffect: deps.sideEffectOf(proposedTool) ?? 'unknown' },
    textChars: input.text.length,
    session: { id: sessionId, untrustedSeen: labels?.untrusted_seen ?? false, lowestTrust: labels?.lowest_trust ?? '', maxClassification: labels?.max_classification ?? '' },
    found: governed,
  });
  const outputId = newId('out');
  await deps.audit.append([
    standaloneEvent(
      'output.classified',
      actorOf(principal),
      { output_id: outputId, source: 'model_output', text_hash: textHash(input.text), chars: input.text.length, proposed_tool: proposedTool ?? null, ...(outputEventData(answer) as Record<string, JsonValue>) },
      { session_id: sessionId, model_id: deps.runtime.modelId, runtime_config_id: deps.runtime.configId, ...refsOf(outputId) },
    ),
  ]);
  return { output_id: outputId, ...answer, text: answer.class === 'blocked' ? null : governed.value };
}

/** `alert.session_suspended` for a session suspended by an output submission (no tool call to attach it to). */
export function outputSuspensionEvent(principal: Principal, sessionId: string, breach: BudgetBreach, totals: BudgetTotals, killSwitchId: string): AuditEventInput {
  return standaloneEvent(
    'alert.session_suspended',
    actorOf(principal),
    { code: breach.code, reason: breach.reason, totals: { ...totals }, kill_switch_id: killSwitchId, severity: 'high' },
    { session_id: sessionId, ...refsOf(killSwitchId) },
  );
}
