/**
 * Test fixture for the runtime controls (idempotency, budgets, output governance): a gateway
 * on an inline config with a small ledger — `ledger.post` (a write whose handler the test
 * steers: answer, hang past its deadline, fail), its status check, and `ledger.read` (a read
 * whose text the test sets) — under a bundle that permits everything unless the test adds
 * policies. State on SQLite in a temp directory by default, or the machine's PostgreSQL.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonValue } from '../../src/core/canonical.ts';
import { parseConfig } from '../../src/config/index.ts';
import type { AirlockConfig } from '../../src/config/types.ts';
import type { Gateway, GatewayOptions } from '../../src/pipeline/index.ts';
import { createGateway, mintToken } from '../../src/pipeline/index.ts';
import type { ToolHandler } from '../../src/tools/index.ts';

export interface Ledger {
  /** What `ledger.post` does next: answer, hang until aborted, or throw. */
  mode: 'ok' | 'hang' | 'fail';
  /** Milliseconds `ledger.post` takes before answering. */
  delayMs: number;
  /** `ledger.post` hangs on this many of its next calls (then answers), whatever `mode` says. */
  hangNext: number;
  /** Calls of `ledger.post` whose signal was aborted (their deadline passed). */
  aborted: number;
  /** Calls that reached `ledger.post`'s handler. */
  posts: number;
  /** Idempotency keys the handler saw, and what it says about them when asked (status check). */
  seen: Map<string, 'executed' | 'not_executed'>;
  /** What `ledger.read` answers. */
  readText: string;
  handlers: Record<string, ToolHandler>;
}

export function ledger(): Ledger {
  const l: Ledger = {
    mode: 'ok',
    delayMs: 0,
    hangNext: 0,
    aborted: 0,
    posts: 0,
    seen: new Map(),
    readText: 'balance 10',
    handlers: {},
  };
  l.handlers = {
    'ledger.post': async (args, ctx) => {
      l.posts++;
      ctx.signal.addEventListener('abort', () => l.aborted++, { once: true });
      if (l.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, l.delayMs));
      const hang = l.hangNext > 0 ? (l.hangNext--, true) : l.mode === 'hang';
      if (hang) {
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
      }
      if (l.mode === 'fail') throw new Error('ledger refused the posting');
      l.seen.set(ctx.idempotencyKey, 'executed');
      return { posting: `pst_${l.posts}`, account: args.account as string, amount: args.amount as number };
    },
    'ledger.status': async (args) => ({ state: l.seen.get(String(args.idempotency_key)) ?? 'not_executed' }) as JsonValue,
    'ledger.read': async () => ({ text: l.readText }),
  };
  return l;
}

export const PERMIT_ALL = '@id("permit-all")\npermit (principal, action, resource);\n';

export interface RuntimeOptions {
  /** Extra top-level YAML (budgets, idempotency, outputs ...). */
  yaml?: string;
  /** Extra policy files (name -> text) beside the permit-all policy (set `permit-all.cedar` to replace it). */
  policies?: Record<string, string>;
  state?: 'sqlite' | 'memory' | { postgres: { url: string; schema: string } };
  postTimeoutMs?: number;
  postCost?: number;
  /** Declare `ledger.status` as the status check of `ledger.post` (default true). */
  statusCheck?: boolean;
  /** Declare `ledger.post` idempotent with this many retries. */
  postRetries?: number;
  policyTimeoutMs?: number;
  gateway?: GatewayOptions;
}

export interface Runtime {
  gateway: Gateway;
  config: AirlockConfig;
  ledger: Ledger;
  dir: string;
  token(claims: { sub: string; tenant: string; roles: string[]; agent?: string }): Promise<string>;
  close(): Promise<void>;
}

export function runtimeYaml(dir: string, options: RuntimeOptions = {}): string {
  const state = options.state ?? 'sqlite';
  const stateYaml =
    state === 'memory'
      ? 'state:\n  type: memory\naudit:\n  type: memory\n'
      : state === 'sqlite'
        ? `state:\n  type: sqlite\n  path: ${join(dir, 'state.db')}\naudit:\n  type: sqlite\n  path: ${join(dir, 'audit.db')}\n`
        : `state:\n  type: postgres\naudit:\n  type: postgres\npostgres:\n  url: ${state.postgres.url}\n  schema: ${state.postgres.schema}\n`;
  return `version: 1
identity:
  audience: airlock
  issuers:
    - issuer: https://dev.airlock.local
      algorithms: [HS256]
      secret: file:${join(dir, 'dev.key')}
      create_secret_if_missing: true
policy:
  bundle_dir: ${join(dir, 'policies')}
  timeout_ms: ${options.policyTimeoutMs ?? 5000}
credentials:
  signing_key: file:${join(dir, 'credential.key')}
approvals:
  signing_key: file:${join(dir, 'approval.key')}
${stateYaml}
tools:
  - name: ledger.post
    description: Post an amount to an account.
    side_effect: write
    tenant_binding: none
    input_schema:
      type: object
      required: [account, amount]
      additionalProperties: false
      properties:
        account: { type: string, maxLength: 64 }
        amount: { type: number }
    timeout_ms: ${options.postTimeoutMs ?? 2000}
    cost: ${options.postCost ?? 1}
${options.postRetries === undefined ? '' : `    idempotent: true\n    retries: ${options.postRetries}\n`}${options.statusCheck === false ? '' : '    status_check: ledger.status\n'}    connector: { type: function, handler: ledger.post }
  - name: ledger.read
    description: Read the ledger's note.
    side_effect: read
    tenant_binding: none
    input_schema: { type: object, properties: {} }
    timeout_ms: 2000
    connector: { type: function, handler: ledger.read }
handlers_module: ${join(import.meta.dirname, 'runtime-handlers.ts')}
${options.yaml ?? ''}
`;
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-runtime-'));
  const bundle = join(dir, 'policies');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'permit-all.cedar'), PERMIT_ALL);
  for (const [name, text] of Object.entries(options.policies ?? {})) writeFileSync(join(bundle, name), text);
  const yaml = runtimeYaml(dir, options);
  writeFileSync(join(dir, 'airlock.yaml'), yaml);
  const config = parseConfig(yaml, { filename: join(dir, 'airlock.yaml'), baseDir: dir });
  const l = ledger();
  const gateway = await createGateway(config, { handlers: l.handlers, ...options.gateway });
  return {
    gateway,
    config,
    ledger: l,
    dir,
    token: (claims) => mintToken(config, { ttlSeconds: 3600, ...claims }),
    close: () => gateway.close(),
  };
}
