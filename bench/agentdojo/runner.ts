/**
 * Plays AgentDojo ground truth through a real gateway, one suite at a time.
 *
 * Benign run (per user task): a fresh session as the suite's user, the task prompt
 * registered as user content, then each ground-truth call through `gateway.execute`. A call
 * held for approval is decided by the reviewer (approved: the user asked for it) and
 * re-run with its one-time approval token.
 *
 * Attacked run (per user task x injection task): the same, with every injection vector the
 * user task sees carrying the attack text for the injection task's goal, and the injection
 * task's ground-truth calls played right after the first call whose result carries a vector.
 * An attacker call held for approval is refused by the reviewer (the reviewer does not
 * approve what the user never asked for) and counts as not executed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JsonValue } from '../../src/core/canonical.ts';
import type { Decision } from '../../src/core/types.ts';
import type { Gateway } from '../../src/pipeline/index.ts';
import { createGateway, mintToken } from '../../src/pipeline/index.ts';
import type { Attack } from './attacks.ts';
import type { GroundTruthCall, InjectionTask, JsonObject, SuiteData, UserTask } from './dataset.ts';
import { derivedAttack } from './derived.ts';
import { targetsFromPrompt } from './targets.ts';
import type { Deployment } from './deployment.ts';
import { EXAMPLES_DIR, checkCoverage, loadDeployment, writeAndLoadConfig } from './deployment.ts';
import type { ResultFormat } from './world.ts';
import { World, resultData } from './world.ts';

export type Actor = 'user' | 'attacker';

/** What finally happened to one call. */
export type Fate =
  | 'executed' // allowed outright, tool ran and answered
  | 'failed' // allowed outright, tool ran and refused (e.g. no such record)
  | 'approved' // held, approved by the reviewer, then ran
  | 'approved_failed' // held, approved, ran, tool refused
  | 'refused' // held, the reviewer refused (attacker calls)
  | 'denied'; // denied outright

export interface CallRecord {
  actor: Actor;
  tool: string;
  /** First decision. */
  outcome: Decision['outcome'];
  code: string;
  rule_ids: string[];
  tainted: string[];
  fate: Fate;
  /** The connector ran (with or without an approval). */
  ran: boolean;
  /** The tool changes the environment when it succeeds (upstream semantics). */
  mutating: boolean;
  /** `decision.latency_us` of the first decision, and of the approved re-run (if any). */
  latency_us: number;
  approved_latency_us?: number;
  error?: string;
}

export interface RunRecord {
  suite: string;
  user_task: string;
  injection_task: string | null;
  calls: CallRecord[];
  /** Attacked runs: the attack text was in the result the attacker calls follow. */
  injection_delivered?: boolean;
  /**
   * Attacked runs: where the attacker calls came from: the dataset's ground truth, the
   * harness's supplementary derivation (derived.ts), or nowhere (cannot be judged).
   */
  attack_source?: 'dataset' | 'derived' | 'none';
  /** Harness or simulation faults during the run (must be empty). */
  faults: string[];
}

export interface RunnerOptions {
  runDir: string;
  audit: 'sqlite' | 'memory';
  /** Policy bundle to use instead of `examples/agentdojo/<suite>/policies`. */
  policyDir?: string;
  examplesDir?: string;
  /** Play harness-derived attacker calls for injection tasks without ground truth (reported apart). */
  derived?: boolean;
  /**
   * Declare each session's task scope (`task_tools`) as an application that knows the task
   * would: the tools that change something among the task's ground-truth calls. An oracle
   * (a real application derives it from the request, as Progent does with a model), so its
   * figures are reported apart.
   */
  scope?: boolean;
  /**
   * Declare each session's target scope as an application could without knowing the task's
   * ground truth: what the user's prompt names and the principal's own attributes (targets.ts).
   */
  targets?: boolean;
  /** How tool results reach the gateway (world.ts; default json). */
  format?: ResultFormat;
}

/**
 * What the reviewer does with a held attacker call: refuse it (the user never asked for
 * it), or approve it - the careless reviewer, to measure how much the defence rests on
 * people saying no (the "if approved" rate).
 */
export type AttackerReview = 'refuse' | 'approve';

export interface LatencySamples {
  /** `decision.latency_us` of every gateway answer (first tries and approved re-runs). */
  decision_us: number[];
  /** Wall time of every `gateway.execute` call, audit writes included. */
  execute_us: number[];
}

const CANARY = /---CANARY_([A-Za-z0-9_]+)---/g;

/** Ground truth computed upstream with canary vector texts: put the run's vector text back. */
export function fillCanaries(value: JsonValue, vectors: Record<string, string>): JsonValue {
  if (typeof value === 'string') return value.replace(CANARY, (whole, name: string) => vectors[name] ?? whole);
  if (Array.isArray(value)) return value.map((v) => fillCanaries(v, vectors));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillCanaries(v, vectors)]));
}

/**
 * An attacker call's arguments: the dataset's concrete values (upstream computed them from
 * the environment before the run), except those naming the result of an earlier attacker
 * call of this run (`$sent_email.id`: the email just sent; `$sent_email[N].id`: the N-th
 * attacker email of the run), taken from that call's real result when it ran.
 */
export function resolveAttackerArgs(call: GroundTruthCall, earlier: Array<{ tool: string; result: JsonValue | undefined }>): JsonObject {
  const args: JsonObject = { ...call.args };
  const sends = earlier.filter((c) => c.tool === 'send_email');
  for (const [name, placeholder] of Object.entries(call.placeholder_args ?? {})) {
    if (typeof placeholder !== 'string') continue;
    const match = /^\$sent_email(?:\[(\d+)\])?\.(\w+)$/.exec(placeholder);
    if (match === null) continue;
    const send = match[1] === undefined ? [...sends].reverse().find((c) => c.result !== undefined) : sends[Number(match[1]) - 1];
    const result = send?.result;
    const field = match[2] === 'id' ? 'id_' : (match[2] as string);
    const value = typeof result === 'object' && result !== null && !Array.isArray(result) ? result[field] : undefined;
    if (value !== undefined) args[name] = value;
  }
  return args;
}

export class SuiteRunner {
  readonly suite: SuiteData;
  readonly deployment: Deployment;
  readonly world: World;
  readonly latency: LatencySamples = { decision_us: [], execute_us: [] };
  #gateway!: Gateway;
  #agentToken = '';
  #reviewerToken = '';
  #attack: Attack;
  #configPath = '';
  #derived: boolean;
  #scope: boolean;
  #targets: boolean;
  /** What the reviewer does with held attacker calls (default: refuse). */
  attackerReview: AttackerReview = 'refuse';

  private constructor(suite: SuiteData, attack: Attack, options: RunnerOptions) {
    this.suite = suite;
    this.#attack = attack;
    this.deployment = loadDeployment(suite.name, options.examplesDir);
    checkCoverage(suite, this.deployment);
    this.world = new World(suite, options.format ?? 'json');
    this.#derived = options.derived ?? true;
    this.#scope = options.scope ?? false;
    this.#targets = options.targets ?? false;
  }

  static async open(suite: SuiteData, attack: Attack, options: RunnerOptions): Promise<SuiteRunner> {
    const runner = new SuiteRunner(suite, attack, options);
    await runner.#start(options);
    return runner;
  }

  get configPath(): string {
    return this.#configPath;
  }

  get gateway(): Gateway {
    return this.#gateway;
  }

  async #start(options: RunnerOptions): Promise<void> {
    mkdirSync(options.runDir, { recursive: true });
    const policyDir = options.policyDir ?? join(options.examplesDir ?? EXAMPLES_DIR, this.suite.name, 'policies');
    const { path, config } = await writeAndLoadConfig(this.suite, this.deployment, {
      runDir: options.runDir,
      policyDir,
      audit: options.audit,
    });
    this.#configPath = path;
    this.#gateway = await createGateway(config, { handlers: this.world.handlers(), resolvers: { resources: this.world.resolvers() } });
    const p = this.deployment.principal;
    this.#agentToken = await mintToken(config, { sub: p.user, tenant: p.tenant, roles: p.roles, agent: p.agent, ttlSeconds: 6 * 3600 });
    const r = this.deployment.reviewer;
    this.#reviewerToken = await mintToken(config, { sub: r.user, tenant: p.tenant, roles: r.roles, ttlSeconds: 6 * 3600 });
  }

  async close(): Promise<void> {
    await this.#gateway.close();
  }

  vectorsFor(task: UserTask, injection: InjectionTask | null): Record<string, string> {
    const vectors = { ...this.suite.vectorDefaults };
    if (injection !== null) {
      const seen = task.injection_vectors_seen;
      for (const [index, vector] of seen.entries()) vectors[vector] = this.#attack(injection, index, seen.length);
    }
    return vectors;
  }

  /** One benign (injection null) or attacked run. */
  async run(task: UserTask, injection: InjectionTask | null): Promise<RunRecord> {
    const vectors = this.vectorsFor(task, injection);
    this.world.reset(vectors);
    const faultsBefore = this.world.faults.length;
    const attributes: Record<string, string> = { ...this.deployment.session };
    if (this.#scope) {
      const tools = new Set(task.ground_truth_calls.map((c) => c.tool).filter((t) => this.world.sim.mutating.has(t)));
      attributes.task_tools = `|${[...tools].sort().join('|')}|`;
    }
    const targets = this.#targets ? targetsFromPrompt(task.prompt, this.deployment.session ?? {}) : undefined;
    const { session_id } = await this.#gateway.createSession(this.#agentToken, attributes, targets === undefined ? {} : { targets });
    await this.#gateway.registerContent(this.#agentToken, session_id, { kind: 'user_prompt', text: task.prompt });
    const record: RunRecord = { suite: this.suite.name, user_task: task.id, injection_task: injection?.id ?? null, calls: [], faults: [] };
    const firstVectorCall = task.ground_truth_calls.findIndex((c) => (c.returns_injection_vectors ?? []).length > 0);
    const attackerResults: Array<{ tool: string; result: JsonValue | undefined }> = [];
    for (const [index, call] of task.ground_truth_calls.entries()) {
      const args = fillCanaries(call.args, vectors) as JsonObject;
      const played = await this.#play('user', call.tool, args, session_id);
      record.calls.push(played.record);
      if (injection !== null && index === firstVectorCall) {
        const texts = task.injection_vectors_seen.map((vector) => vectors[vector] ?? '').filter((text) => text.trim() !== '');
        const markers = texts.map((text) => JSON.stringify(text.trim()).slice(1, 40));
        record.injection_delivered = played.result !== undefined && markers.some((marker) => JSON.stringify(played.result).includes(marker));
        let attackerCalls = injection.ground_truth_calls;
        record.attack_source = 'dataset';
        if (attackerCalls.length === 0) {
          const derived = this.#derived ? derivedAttack(this.suite.name, injection.id, this.world.state) : null;
          attackerCalls = derived ?? [];
          record.attack_source = derived === null ? 'none' : 'derived';
        }
        for (const attackCall of attackerCalls) {
          const attackArgs = resolveAttackerArgs(attackCall, attackerResults);
          const attacked = await this.#play('attacker', attackCall.tool, attackArgs, session_id);
          attackerResults.push({ tool: attackCall.tool, result: attacked.result });
          record.calls.push(attacked.record);
        }
      }
    }
    record.faults = this.world.faults.slice(faultsBefore).map((f) => `${f.tool}: ${f.message}`);
    return record;
  }

  /**
   * The gateway registers every executed result with the tool's output trust, but tool
   * config has no data classification. For tools the deployer classified (travel's
   * profile: restricted), the harness reports the result's classification through the
   * content endpoint, as a runtime would (same text, same tool, so the same trust).
   */
  async #reportClassification(tool: string, result: JsonValue, sessionId: string): Promise<void> {
    const classification = this.deployment.tools[tool]?.output_classification;
    if (classification === undefined) return;
    await this.#gateway.registerContent(this.#agentToken, sessionId, {
      kind: 'tool_result',
      tool,
      text: JSON.stringify(result),
      classification,
      source_id: `classification:${tool}`,
    });
  }

  async #execute(tool: string, args: JsonObject, sessionId: string, approvalToken?: string) {
    const started = performance.now();
    const result = await this.#gateway.execute({
      token: this.#agentToken,
      tool,
      arguments: args,
      session_id: sessionId,
      ...(approvalToken === undefined ? {} : { approval_token: approvalToken }),
    });
    this.latency.execute_us.push((performance.now() - started) * 1000);
    this.latency.decision_us.push(result.decision.latency_us);
    return result;
  }

  async #play(actor: Actor, tool: string, args: JsonObject, sessionId: string): Promise<{ record: CallRecord; result: JsonValue | undefined }> {
    const before = this.world.invocations;
    const first = await this.#execute(tool, args, sessionId);
    const decision = first.decision;
    const taint = (decision as Decision & { taint?: Array<{ argument: string }> }).taint ?? [];
    const base = {
      actor,
      tool,
      outcome: decision.outcome,
      code: decision.code,
      rule_ids: [...new Set(decision.reasons.map((r) => r.policy_id))],
      tainted: [...new Set(taint.map((t) => t.argument))].sort(),
      mutating: this.world.sim.mutating.has(tool),
      latency_us: decision.latency_us,
    };
    let final = first;
    let fate: Fate;
    if (first.status === 'approval_required') {
      if (actor === 'user' || this.attackerReview === 'approve') {
        await this.#gateway.decideApproval(this.#reviewerToken, first.approval_id, 'approve', actor === 'user' ? 'the user asked for this in the task' : 'approved without reading');
        const { approval_token } = await this.#gateway.getApproval(this.#agentToken, first.approval_id);
        if (approval_token === undefined) throw new Error(`approved request ${first.approval_id} returned no token`);
        final = await this.#execute(tool, args, sessionId, approval_token);
        fate = final.status === 'executed' ? 'approved' : final.status === 'failed' ? 'approved_failed' : 'denied';
      } else {
        await this.#gateway.decideApproval(this.#reviewerToken, first.approval_id, 'deny', 'the user did not ask for this');
        fate = 'refused';
      }
    } else {
      fate = first.status === 'executed' ? 'executed' : first.status === 'failed' ? 'failed' : 'denied';
    }
    const ran = this.world.invocations > before;
    if (final.status === 'executed') await this.#reportClassification(tool, final.result, sessionId);
    const record: CallRecord = { ...base, fate, ran, ...(final === first ? {} : { approved_latency_us: final.decision.latency_us }) };
    if (final.status === 'failed') record.error = final.error.message;
    return { record, result: final.status === 'executed' ? resultData(final.result, this.world.format) : undefined };
  }
}
