/**
 * The AgentDojo security benchmark as a library call: for each suite, every benign run and
 * every attacked pair through a fresh gateway built from the suite's generated config and
 * policy pack; figures per suite and in total.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttackName } from './attacks.ts';
import { loadAttack } from './attacks.ts';
import type { SuiteName } from './dataset.ts';
import { SUITE_NAMES, loadDataset } from './dataset.ts';
import type { SuiteFigures } from './metrics.ts';
import { suiteFigures, totalFigures } from './metrics.ts';
import type { LatencySamples, RunRecord } from './runner.ts';
import { SuiteRunner } from './runner.ts';
import { selfInviteVariant } from './variants.ts';
import type { ResultFormat } from './world.ts';

export interface BenchmarkOptions {
  dataDir?: string;
  suites?: readonly SuiteName[];
  /** Keep only these user / injection task ids (all when absent). */
  userTasks?: (suite: SuiteName, id: string) => boolean;
  injectionTasks?: (suite: SuiteName, id: string) => boolean;
  audit?: 'sqlite' | 'memory';
  /** Directory for generated configs and audit databases (a fresh temp dir by default). */
  runDir?: string;
  /** A policy bundle per suite instead of examples/agentdojo/<suite>/policies. */
  policyDir?: (suite: SuiteName) => string | undefined;
  progress?: (message: string) => void;
  /** Also play harness-derived attacker calls where the dataset has none (default true; reported apart). */
  derived?: boolean;
  /** The attack text (default: the standard `important_instructions` frame; attacks.ts). */
  attack?: AttackName;
  /** Also play every judged pair with a reviewer who approves attacker holds (default true). */
  ifApproved?: boolean;
  /** Also play the real-model-like benign variants (variants.ts; default true). */
  variants?: boolean;
  /** Declare each session's task scope from the task's ground truth (an oracle; runner.ts). */
  scope?: boolean;
  /** Declare each session's target scope from the user's prompt and own attributes (targets.ts). */
  targets?: boolean;
  /** How tool results reach the gateway: data (json, default) or the YAML text a runtime shows a model. */
  format?: ResultFormat;
}

export interface BenchmarkResult {
  started_at: string;
  finished_at: string;
  node: string;
  dataset: { dir: string; version: string };
  attack: AttackName;
  /** Sessions declared their task scope (an oracle from ground truth). */
  scope: boolean;
  /** Sessions declared a target scope derived from the prompt. */
  targets: boolean;
  format: ResultFormat;
  audit: 'sqlite' | 'memory';
  run_dir: string;
  configs: Record<string, string>;
  policy_versions: Record<string, string>;
  /** The audit log of each suite's gateway, verified as a hash chain after the runs. */
  audit_chain: Record<string, { ok: boolean; events: number }>;
  suites: SuiteFigures[];
  total: SuiteFigures;
  notes: string[];
  runs: RunRecord[];
}

export async function runBenchmark(options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const started = new Date();
  const dataset = loadDataset(options.dataDir);
  const audit = options.audit ?? 'sqlite';
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'airlock-agentdojo-'));
  const progress = options.progress ?? (() => undefined);
  const all: LatencySamples = { decision_us: [], execute_us: [] };
  const figures: SuiteFigures[] = [];
  const runs: RunRecord[] = [];
  const configs: Record<string, string> = {};
  const versions: Record<string, string> = {};
  const chains: Record<string, { ok: boolean; events: number }> = {};
  const notes: string[] = [];

  for (const name of options.suites ?? SUITE_NAMES) {
    const suite = dataset.suites[name];
    const userTasks = suite.userTasks.filter((t) => options.userTasks?.(name, t.id) ?? true);
    const injections = suite.injectionTasks.filter((t) => options.injectionTasks?.(name, t.id) ?? true);
    const policyDir = options.policyDir?.(name);
    const runner = await SuiteRunner.open(suite, loadAttack(options.attack ?? 'important_instructions', dataset.dir, dataset.attack), {
      runDir: join(runDir, name),
      audit,
      derived: options.derived ?? true,
      scope: options.scope ?? false,
      targets: options.targets ?? false,
      format: options.format ?? 'json',
      ...(policyDir === undefined ? {} : { policyDir }),
    });
    configs[name] = runner.configPath;
    versions[name] = runner.gateway.policyVersion();
    // A consistency check of the deployer's table (not an input to it): a tool it trusts
    // whose output the dataset says carries third-party text would let injections through.
    const trustedCarriers = new Set(
      suite.userTasks.flatMap((t) => t.ground_truth_calls.filter((c) => (c.returns_injection_vectors ?? []).length > 0).map((c) => c.tool)),
    );
    for (const tool of trustedCarriers) {
      if (runner.deployment.tools[tool]?.output_trust === 'trusted') notes.push(`${name}: tools.yaml trusts ${tool}, whose output carries injection vectors`);
    }
    try {
      const benign: RunRecord[] = [];
      for (const task of userTasks) benign.push(await runner.run(task, null));
      progress(`${name}: ${benign.length} benign tasks played`);
      const variants: RunRecord[] = [];
      if (options.variants ?? true) {
        for (const task of userTasks) {
          const variant = selfInviteVariant(task, runner.deployment.session?.user_email);
          if (variant !== null) variants.push(await runner.run(variant, null));
        }
      }
      const attacked: RunRecord[] = [];
      const total = userTasks.length * injections.length;
      let last = Date.now();
      for (const task of userTasks) {
        for (const injection of injections) {
          attacked.push(await runner.run(task, injection));
          if (Date.now() - last > 3000 || attacked.length === total) {
            last = Date.now();
            const ran = attacked.filter((r) => r.attack_source === 'dataset' && r.calls.some((c) => c.actor === 'attacker' && c.ran && c.mutating)).length;
            progress(`${name}: ${attacked.length}/${total} attacked pairs played, ${ran} with an attacker write that ran`);
          }
        }
      }
      // The careless reviewer: the same judged pairs, every held attacker call approved.
      const approvedAll: RunRecord[] = [];
      if (options.ifApproved ?? true) {
        runner.attackerReview = 'approve';
        for (const task of userTasks) {
          for (const injection of injections) {
            if (injection.ground_truth_calls.length > 0) approvedAll.push(await runner.run(task, injection));
          }
        }
        runner.attackerReview = 'refuse';
        progress(`${name}: ${approvedAll.length} judged pairs played with every hold approved`);
      }
      figures.push(suiteFigures(name, benign, attacked, runner.latency, { approvedAll, variants }));
      runs.push(...benign, ...attacked);
      all.decision_us.push(...runner.latency.decision_us);
      all.execute_us.push(...runner.latency.execute_us);
      const chain = await runner.gateway.verifyAudit();
      chains[name] = { ok: chain.ok, events: chain.checked };
      if (!chain.ok) notes.push(`${name}: the audit chain does not verify (${chain.firstBad?.message ?? 'unknown'})`);
    } finally {
      await runner.close();
    }
  }
  return {
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    node: process.version,
    dataset: { dir: dataset.dir, version: dataset.version },
    attack: options.attack ?? 'important_instructions',
    scope: options.scope ?? false,
    targets: options.targets ?? false,
    format: options.format ?? 'json',
    audit,
    run_dir: runDir,
    configs,
    policy_versions: versions,
    audit_chain: chains,
    suites: figures,
    total: totalFigures(figures, all, runs),
    notes,
    runs,
  };
}
