/**
 * Benchmark of CedarPolicyEngine.authorize in-process (no argument validation, no I/O):
 * 100 tools and a 1,000-policy bundle (per-tool permits by role, forbids on parameters,
 * class-level rules, a few all-action rules), with a 10-policy bundle for comparison.
 * Run directly (`node bench/authorize.bench.ts [iterations]`) for a table and the JSON,
 * or import `run`.
 */
import { fileURLToPath } from 'node:url';
import { SIDE_EFFECT_CLASSES } from '../src/core/types.ts';
import type { AuthorizationRequest, RegisteredTool } from '../src/core/types.ts';
import { CedarPolicyEngine } from '../src/policy/index.ts';
import type { PolicyBundleSource } from '../src/policy/index.ts';
import { fakeRequest, fakeTool } from '../src/policy/testing.ts';

export interface AuthorizeBenchResult {
  name: string;
  p50_us: number;
  p99_us: number;
  mean_us: number;
  iterations: number;
  policies: number;
  tools: number;
  /** Time to create the engine (parse, validate, preparse slices), milliseconds. */
  load_ms: number;
  /** Mean number of policies in a tool's slice (what one authorize evaluates). */
  slice_policies: number;
  outcomes: Record<string, number>;
  comparison: Omit<AuthorizeBenchResult, 'comparison' | 'name'> | null;
}

const TOOL_COUNT = 100;
const ROLES = ['support', 'finance', 'analyst', 'admin', 'ops', 'sales', 'legal', 'hr'];

const INPUT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    limit: { type: 'integer' },
    amount: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    region: { type: 'string' },
    dry_run: { type: 'boolean' },
  },
  required: ['id'],
};

function buildTools(): RegisteredTool[] {
  const tools: RegisteredTool[] = [];
  for (let i = 0; i < TOOL_COUNT; i++) {
    const cls = SIDE_EFFECT_CLASSES[i % SIDE_EFFECT_CLASSES.length] ?? 'read';
    tools.push(fakeTool(`svc${i % 10}.tool${i}`, cls, INPUT_SCHEMA));
  }
  return tools;
}

const act = (name: string): string => `Airlock::Action::"${name}"`;

/** ~1,000 policies: 5 permits + 3 parameter forbids per tool, 30 per class, 50 for all actions. */
function bigBundle(tools: RegisteredTool[]): PolicyBundleSource {
  const files: Record<string, string> = {};
  for (const tool of tools) {
    const lines: string[] = [];
    for (let r = 0; r < 5; r++) {
      const role = ROLES[(r + tool.name.length) % ROLES.length];
      lines.push(
        `@id("${tool.name}.permit.${r}") @reason("${role} may call ${tool.name}") @credential_scope("${tool.name}") @credential_ttl("${60 * (r + 1)}")`,
        `permit (principal, action == ${act(tool.name)}, resource) when { principal.roles.contains("${role}") && principal.tenant == "acme" };`,
      );
    }
    lines.push(
      `@id("${tool.name}.limit") @check("parameters") @reason("limit too large")`,
      `forbid (principal, action == ${act(tool.name)}, resource) when { context.tool_call.parameters has limit && context.tool_call.parameters.limit > 1000 };`,
      `@id("${tool.name}.amount") @check("parameters") @approval("finance") @reason("large amount")`,
      `forbid (principal, action == ${act(tool.name)}, resource) when { context.tool_call.parameters has amount && context.tool_call.parameters.amount.greaterThan(decimal("500.00")) };`,
      `@id("${tool.name}.tags") @check("parameters")`,
      `forbid (principal, action == ${act(tool.name)}, resource) when { context.tool_call.parameters has tags && context.tool_call.parameters.tags.contains("restricted") };`,
    );
    files[`tools/${tool.name}.cedar`] = lines.join('\n') + '\n';
  }
  for (const cls of SIDE_EFFECT_CLASSES) {
    const lines: string[] = [];
    for (let k = 0; k < 30; k++) {
      const role = ROLES[k % ROLES.length];
      switch (k % 5) {
        case 0:
          lines.push(`@id("class.${cls}.${k}")`, `permit (principal, action in ${act(cls)}, resource) when { principal.roles.contains("${role}-lead") };`);
          break;
        case 1:
          lines.push(
            `@id("class.${cls}.${k}") @approval("${role}")`,
            `forbid (principal, action in ${act(cls)}, resource) when { context.tool_call.affected_count > ${1000 + k} };`,
          );
          break;
        case 2:
          lines.push(
            `@id("class.${cls}.${k}")`,
            `forbid (principal, action in ${act(cls)}, resource) when { context.environment.hour_utc == ${k % 24} && principal.roles.contains("night-${role}") };`,
          );
          break;
        case 3:
          lines.push(
            `@id("class.${cls}.${k}") @check("parameters")`,
            `forbid (principal, action in ${act(cls)}, resource) when { context.session.attributes has purpose && context.session.attributes.purpose == "blocked-${k}" };`,
          );
          break;
        default:
          lines.push(
            `@id("class.${cls}.${k}")`,
            `forbid (principal, action in [${act(cls)}], resource) when { principal.delegated && principal has agent && principal.agent == "rogue-${k}" };`,
          );
      }
    }
    files[`classes/${cls}.cedar`] = lines.join('\n') + '\n';
  }
  const global: string[] = [];
  for (let k = 0; k < 50; k++) {
    if (k % 2 === 0) {
      global.push(`@id("global.tenant.${k}")`, `forbid (principal, action, resource) when { principal.tenant == "suspended-${k}" };`);
    } else {
      global.push(
        `@id("global.volume.${k}") @check("parameters")`,
        `forbid (principal, action, resource) when { context.session.records_read_last_10m + context.tool_call.affected_count > ${100000 + k} };`,
      );
    }
  }
  files['global.cedar'] = global.join('\n') + '\n';
  return { files };
}

function smallBundle(tools: RegisteredTool[]): PolicyBundleSource {
  const lines = [
    `@id("read-any") permit (principal, action in ${act('read')}, resource) when { principal.roles.contains("analyst") };`,
    `@id("write-support") permit (principal, action in ${act('write')}, resource) when { principal.roles.contains("support") };`,
    `@id("none-all") permit (principal, action in ${act('none')}, resource);`,
    `@id("irrev-approval") @approval("admin") forbid (principal, action in ${act('irreversible')}, resource);`,
    `@id("irrev-permit") permit (principal, action in ${act('irreversible')}, resource) when { principal.roles.contains("ops") };`,
    `@id("send-permit") permit (principal, action in ${act('external_send')}, resource) when { principal.roles.contains("sales") };`,
    `@id("limit") @check("parameters") forbid (principal, action, resource) when { context.tool_call.parameters has limit && context.tool_call.parameters.limit > 1000 };`,
    `@id("tenant") forbid (principal, action, resource) when { context.tool_call.resource has tenant && context.tool_call.resource.tenant != principal.tenant };`,
    `@id("volume") @check("parameters") forbid (principal, action, resource) when { context.session.records_read_last_10m > 5000 };`,
    `@id("one-tool") permit (principal, action == ${act(tools[0]?.name ?? 'x')}, resource);`,
  ];
  return { files: { 'small.cedar': lines.join('\n') + '\n' } };
}

function requests(tools: RegisteredTool[]): AuthorizationRequest[] {
  const out: AuthorizationRequest[] = [];
  for (let i = 0; i < 64; i++) {
    const tool = tools[(i * 37) % tools.length] as RegisteredTool;
    out.push(
      fakeRequest(tool, {
        principal: { roles: [ROLES[i % ROLES.length] as string, `${ROLES[(i + 3) % ROLES.length]}-lead`] },
        arguments: {
          id: `cust-${i}`,
          limit: i % 7 === 0 ? 5000 : 50,
          amount: i % 5 === 0 ? 900.5 : 12.25,
          tags: i % 11 === 0 ? ['restricted'] : ['vip', 'eu'],
          region: 'eu-west',
          dry_run: false,
        },
        affectedCount: (i % 4) + 1,
        sessionAttributes: { purpose: 'support-ticket', ticket: i },
      }),
    );
  }
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

const round = (n: number): number => Math.round(n * 10) / 10;

function measure(bundle: PolicyBundleSource, tools: RegisteredTool[], iterations: number): Omit<AuthorizeBenchResult, 'comparison' | 'name'> {
  const loadStart = process.hrtime.bigint();
  const engine = CedarPolicyEngine.create({ tools, sessionAttributes: { purpose: 'String', ticket: 'Long' }, bundle });
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
  const slicePolicies = engine.stats().perTool.mean;
  const reqs = requests(tools);
  const outcomes: Record<string, number> = {};
  const warmup = Math.min(2000, iterations);
  for (let i = 0; i < warmup; i++) engine.authorize(reqs[i % reqs.length] as AuthorizationRequest);
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const request = reqs[i % reqs.length] as AuthorizationRequest;
    const start = process.hrtime.bigint();
    const result = engine.authorize(request);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
    const key = `${result.outcome}:${result.reasons[0]?.code ?? ''}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  engine.dispose();
  let total = 0;
  for (const s of samples) total += s;
  samples.sort();
  return {
    p50_us: round(percentile(samples, 50)),
    p99_us: round(percentile(samples, 99)),
    mean_us: round(total / iterations),
    iterations,
    policies: Object.values(bundle.files).reduce((n, text) => n + (text.match(/@id\(/g)?.length ?? 0), 0),
    tools: tools.length,
    load_ms: round(loadMs),
    slice_policies: round(slicePolicies),
    outcomes,
  };
}

export async function run(opts: { iterations: number }): Promise<AuthorizeBenchResult> {
  const tools = buildTools();
  const big = measure(bigBundle(tools), tools, opts.iterations);
  const small = measure(smallBundle(tools), tools, opts.iterations);
  return { name: 'policy.authorize', ...big, comparison: small };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const iterations = Number(process.argv[2] ?? 20000);
  const result = await run({ iterations });
  const row = (label: string, r: Omit<AuthorizeBenchResult, 'comparison' | 'name'>): string =>
    `${label.padEnd(10)} ${String(r.policies).padStart(8)} ${String(r.slice_policies).padStart(8)} ${String(r.p50_us).padStart(8)} ${String(r.p99_us).padStart(8)} ${String(r.mean_us).padStart(8)} ${String(r.load_ms).padStart(9)}`;
  console.log(`authorize, ${result.tools} tools, ${iterations} iterations`);
  console.log(`${'bundle'.padEnd(10)} ${'policies'.padStart(8)} ${'slice'.padStart(8)} ${'p50 us'.padStart(8)} ${'p99 us'.padStart(8)} ${'mean us'.padStart(8)} ${'load ms'.padStart(9)}`);
  console.log(row('large', result));
  if (result.comparison !== null) console.log(row('small', result.comparison));
  console.log(JSON.stringify(result, null, 2));
}
