/**
 * A suite's deployment as the deployer wrote it (`examples/agentdojo/<suite>/tools.yaml`:
 * who the agent acts for, who reviews, and for every tool its side-effect class, the trust
 * of its output and its target resource) turned into a complete airlock.yaml, which is
 * then loaded by the real config loader (schema and semantic checks included).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { AirlockConfig } from '../../src/config/types.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { JsonObject, SuiteData, SuiteName } from './dataset.ts';
import type { ToolBinding } from '../../examples/policy-library/library.ts';
import { FAMILIES, SLOTS, renderLibrary } from '../../examples/policy-library/library.ts';
import { toInputSchema } from './schema.ts';

export const EXAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'agentdojo');

export const SIDE_EFFECTS = ['none', 'read', 'write', 'irreversible', 'external_send'] as const;

export interface ToolEntry {
  side_effect: (typeof SIDE_EFFECTS)[number];
  /** Trust of the tool's output: `trusted` / `untrusted` (gateway default: untrusted). */
  output_trust: 'trusted' | 'untrusted';
  /**
   * Data classification of the output. Tool config has no such key: the harness reports it
   * through the content endpoint after each executed call (runner.ts).
   */
  output_classification?: string;
  /** The call's target: a live record of the suite (checked to exist, in the caller's tenant). */
  resource?: { argument: string; type: string; resolver: string };
  /** The tool's place in the policy library (examples/policy-library): family, role, argument slots. */
  policy?: Omit<ToolBinding, 'tool'>;
  why: string;
}

export interface Deployment {
  suite: SuiteName;
  description: string;
  /** The suite's user, as whom the agent acts. */
  principal: { user: string; tenant: string; roles: string[]; agent: string };
  /** The human who decides approval requests: never the principal (Airlock refuses self-approval). */
  reviewer: { user: string; roles: string[] };
  /**
   * Session attributes the application sets when it opens a session for this user (her own
   * address, account): verified at sign-in, so the gateway registers them as trusted content.
   */
  session?: Record<string, string>;
  /** Who approves the library's holds, and library rules this pack leaves out. */
  policy_library?: { approver: string; exclude?: string[]; scope?: boolean };
  tools: Record<string, ToolEntry>;
}

export function loadDeployment(suite: SuiteName, examplesDir = EXAMPLES_DIR): Deployment {
  const path = join(examplesDir, suite, 'tools.yaml');
  const deployment = parse(readFileSync(path, 'utf8')) as Deployment;
  if (deployment.suite !== suite) throw new Error(`${path}: suite is ${deployment.suite}, expected ${suite}`);
  for (const [name, entry] of Object.entries(deployment.tools)) {
    if (!SIDE_EFFECTS.includes(entry.side_effect)) throw new Error(`${path}: ${name}: unknown side_effect ${entry.side_effect}`);
    if (entry.output_trust !== 'trusted' && entry.output_trust !== 'untrusted') throw new Error(`${path}: ${name}: output_trust must be trusted or untrusted`);
    if (typeof entry.why !== 'string' || entry.why.trim() === '') throw new Error(`${path}: ${name}: every entry says why`);
    if (entry.policy !== undefined) {
      if (!FAMILIES.includes(entry.policy.family)) throw new Error(`${path}: ${name}: unknown policy family ${entry.policy.family}`);
      for (const slot of Object.keys(entry.policy.args)) if (!(SLOTS as readonly string[]).includes(slot)) throw new Error(`${path}: ${name}: unknown policy slot ${slot}`);
    }
  }
  return deployment;
}

/** Every tool of the suite has exactly one entry, and nothing else does. */
export function checkCoverage(suite: SuiteData, deployment: Deployment): void {
  const names = new Set(suite.tools.map((t) => t.name));
  const missing = [...names].filter((n) => !(n in deployment.tools));
  const extra = Object.keys(deployment.tools).filter((n) => !names.has(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`${suite.name}/tools.yaml: missing ${missing.join(', ') || '-'}; unknown ${extra.join(', ') || '-'}`);
  }
}

export interface ConfigOptions {
  runDir: string;
  policyDir: string;
  audit: 'sqlite' | 'memory';
}

/** The handler name of a suite tool (`<suite>.<tool>`). */
export function handlerName(suite: SuiteName, tool: string): string {
  return `${suite}.${tool}`;
}

export function configObject(suite: SuiteData, deployment: Deployment, options: ConfigOptions): JsonObject {
  const tools = suite.tools.map((spec): JsonObject => {
    const entry = deployment.tools[spec.name] as ToolEntry;
    const tool: JsonObject = {
      name: spec.name,
      description: spec.description.split('\n')[0] ?? spec.name,
      side_effect: entry.side_effect,
      input_schema: toInputSchema(spec.parameters),
      tenant_binding: entry.resource === undefined ? 'none' : 'principal',
      idempotent: entry.side_effect === 'read' || entry.side_effect === 'none',
      timeout_ms: 5000,
      connector: { type: 'function', handler: handlerName(suite.name, spec.name) },
      output_trust: entry.output_trust,
    };
    if (entry.resource !== undefined) tool.resource = { ...entry.resource };
    return tool;
  });
  return {
    version: 1,
    identity: {
      audience: 'airlock',
      issuers: [
        {
          issuer: `https://agentdojo-${suite.name}.bench.local`,
          algorithms: ['HS256'],
          secret: `file:${join(options.runDir, 'dev-hs256.key')}`,
          create_secret_if_missing: true,
        },
      ],
    },
    policy: { bundle_dir: options.policyDir, timeout_ms: 1000 },
    audit: options.audit === 'sqlite' ? { type: 'sqlite', path: join(options.runDir, 'audit.db') } : { type: 'memory' },
    state: { type: 'memory' },
    approvals: { ttl_seconds: 3600 },
    runtime: { model_id: 'agentdojo-ground-truth', config_id: `agentdojo-${suite.name}` },
    session_attributes: {
      ...Object.fromEntries(Object.keys(deployment.session ?? {}).map((name) => [name, 'String'])),
      ...(deployment.policy_library?.scope === true ? { task_tools: 'String' } : {}),
    },
    tools,
  };
}

/** Writes `<runDir>/airlock.yaml` and loads it through the real loader. */
export async function writeAndLoadConfig(suite: SuiteData, deployment: Deployment, options: ConfigOptions): Promise<{ path: string; config: AirlockConfig }> {
  const header =
    `# Generated by bench/agentdojo from the AgentDojo ${suite.name} tool schemas and\n` +
    `# examples/agentdojo/${suite.name}/tools.yaml (the deployer's table). Do not edit.\n`;
  const path = join(options.runDir, 'airlock.yaml');
  writeFileSync(path, header + stringify(configObject(suite, deployment, options), { lineWidth: 0 }));
  return { path, config: await loadConfig(path) };
}

/** The generated `policies/library.cedar` of a suite: the library rules its tools' bindings select. */
export function libraryPack(deployment: Deployment): string | null {
  const library = deployment.policy_library;
  if (library === undefined) return null;
  const bindings = Object.entries(deployment.tools).flatMap(([tool, entry]) => (entry.policy === undefined ? [] : [{ tool, ...entry.policy }]));
  return renderLibrary(bindings, {
    approver: library.approver,
    ...(library.exclude === undefined ? {} : { exclude: library.exclude }),
    ...(library.scope === true ? { scope: true } : {}),
    header: [
      `Generated from examples/policy-library by npm run build:agentdojo-packs, from the bindings in`,
      `examples/agentdojo/${deployment.suite}/tools.yaml. Do not edit: change the bindings or the library.`,
    ],
  });
}
