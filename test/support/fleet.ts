/**
 * Test fixture: a fleet of gateway replicas on the PostgreSQL (and Redis) of this machine,
 * each test in a schema and key prefix of its own. Two shapes:
 * - `startFleet`: replicas as gateways in this process (separate pools and caches; cheap);
 * - `startFleetProcesses`: replicas as `airlock serve` processes (for SIGKILL and restarts).
 * Both run the support-desk demo (its Cedar bundle and tools) with keys every replica shares.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { AirlockConfig } from '../../src/config/types.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Gateway, GatewayOptions } from '../../src/pipeline/index.ts';
import { createGateway, mintToken } from '../../src/pipeline/index.ts';
import { SupportDesk } from '../../examples/support-desk/handlers.ts';
import { TEST_POSTGRES_URL, dropTestSchema } from '../../src/stores/postgres/test-support.ts';
import { TEST_REDIS_URL } from '../../src/stores/redis/test-support.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DEMO_DIR = join(ROOT, 'examples', 'support-desk');

export interface FleetSetup {
  dir: string;
  schema: string;
  redisPrefix: string;
  /** The fleet's config file (what `airlock serve` reads). */
  configPath: string;
  config: AirlockConfig;
  token(claims: { sub: string; tenant: string; roles: string[]; agent?: string }): Promise<string>;
  /** Drops the schema and the Redis keys. */
  drop(): Promise<void>;
}

async function assertPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is required for the fleet tests and did not answer at ${TEST_POSTGRES_URL}; start it or set AIRLOCK_TEST_POSTGRES_URL`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface FleetSetupOptions {
  redis?: boolean;
  extraYaml?: string;
  limitsYaml?: string;
  /** Policy bundle directory (default: the demo's own). */
  bundleDir?: string;
  /**
   * Where the replicas reach PostgreSQL / Redis (e.g. a proxy a test can cut) and the
   * `postgres:` / `redis:` settings to add; the fixture itself creates and drops the schema
   * and keys on the machine's servers directly.
   */
  postgres?: { url?: string; settings?: Record<string, string | number | boolean> };
  redisSettings?: { url?: string; settings?: Record<string, string | number | boolean> };
}

const settingLines = (settings: Record<string, string | number | boolean> | undefined) =>
  Object.entries(settings ?? {}).map(([k, v]) => `  ${k}: ${String(v)}`);

/** Writes the fleet config (the demo on PostgreSQL + Redis) into a fresh directory. */
export async function fleetSetup(options: FleetSetupOptions = {}): Promise<FleetSetup> {
  await assertPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'airlock-fleet-'));
  const schema = `airlock_t_${randomBytes(6).toString('hex')}`;
  const redisPrefix = `airlock_t_${randomBytes(6).toString('hex')}:`;
  const demo = readFileSync(join(DEMO_DIR, 'airlock.yaml'), 'utf8');
  const yaml = demo
    .replace(/\naudit:\n(?:  .*\n)+/, '\naudit:\n  type: postgres\n')
    .replace(/\nstate:\n(?:  .*\n)+/, '\nstate:\n  type: postgres\n')
    // The demo's per-user limit would stop a test's thousands of calls: limits only when a test sets them.
    .replace(/\nlimits:\n(?:  .*\n)+/, options.limitsYaml === undefined ? '\n' : `\nlimits:\n${options.limitsYaml}\n`)
    .replace(/\napprovals:\n  ttl_seconds: (\d+)\n/, `\napprovals:\n  ttl_seconds: $1\n  signing_key: file:${join(dir, 'approval.key')}\n`)
    .replace(/secret: file:\S+/, `secret: file:${join(dir, 'dev-hs256.key')}`)
    .replace(/bundle_dir: policies/, `bundle_dir: ${options.bundleDir ?? join(DEMO_DIR, 'policies')}`)
    .replace(/handlers_module: handlers.ts/, `handlers_module: ${join(DEMO_DIR, 'handlers.ts')}`)
    .replace(/timeout_ms: 250/, 'timeout_ms: 5000');
  const fleet = [
    '',
    'postgres:',
    `  url: ${options.postgres?.url ?? TEST_POSTGRES_URL}`,
    `  schema: ${schema}`,
    ...settingLines(options.postgres?.settings),
    ...(options.redis === false
      ? []
      : ['redis:', `  url: ${options.redisSettings?.url ?? TEST_REDIS_URL}`, `  key_prefix: "${redisPrefix}"`, ...settingLines(options.redisSettings?.settings)]),
    'credentials:',
    `  signing_key: file:${join(dir, 'credential.key')}`,
    options.extraYaml ?? '',
  ].join('\n');
  const configPath = join(dir, 'airlock.yaml');
  writeFileSync(configPath, `${yaml}\n${fleet}\n`);
  const config = await loadConfig(configPath);
  return {
    dir,
    schema,
    redisPrefix,
    configPath,
    config,
    token: (claims) => mintToken(config, { ttlSeconds: 3600, ...claims }),
    async drop() {
      await dropTestSchema(schema);
      if (options.redis !== false) {
        const { testRedisCleanup } = await import('./fleet-redis.ts');
        await testRedisCleanup(redisPrefix);
      }
    },
  };
}

export interface Fleet extends FleetSetup {
  replicas: Gateway[];
  /** The desk behind every replica (one shared backend, as the tools' real systems would be). */
  desk: SupportDesk;
  invocations(): number;
  close(): Promise<void>;
}

/** `count` gateways in this process on one fleet setup (each with its own pools and caches). */
export async function startFleet(count = 2, options: FleetSetupOptions & { gateway?: GatewayOptions } = {}): Promise<Fleet> {
  const setup = await fleetSetup(options);
  const desk = new SupportDesk();
  let invocations = 0;
  const handlers = Object.fromEntries(
    Object.entries(desk.handlers()).map(([name, handler]) => [name, ((args, ctx) => (invocations++, handler(args, ctx))) as typeof handler]),
  );
  const replicas: Gateway[] = [];
  try {
    for (let i = 0; i < count; i++) replicas.push(await createGateway(setup.config, { handlers, resolvers: desk.resolvers(), ...options.gateway }));
  } catch (error) {
    for (const r of replicas) await r.close().catch(() => undefined);
    await setup.drop().catch(() => undefined);
    throw error;
  }
  return {
    ...setup,
    replicas,
    desk,
    invocations: () => invocations,
    async close() {
      for (const r of replicas) await r.close().catch(() => undefined);
      await setup.drop();
    },
  };
}

export interface ReplicaProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stderr (for failure messages). */
  stderr(): string;
}

/** Starts `airlock serve` on the fleet config; resolves once /readyz answers 200. */
export async function startReplicaProcess(setup: FleetSetup, timeoutMs = 60_000): Promise<ReplicaProcess> {
  const node = process.execPath;
  const child = spawn(node, [join(ROOT, 'src', 'cli', 'main.ts'), 'serve', '--config', setup.configPath, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + timeoutMs;
  let url: string | null = null;
  while (url === null) {
    const match = /https?:\/\/127\.0\.0\.1:(\d+)/.exec(out) ?? /"port":(\d+)/.exec(out);
    if (match !== null) url = `http://127.0.0.1:${match[1]}`;
    else {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`replica did not start (exit ${child.exitCode}): ${err.slice(-2000)} ${out.slice(-1000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (ready === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`replica at ${url} never became ready: ${err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port: Number(new URL(url).port), child, stderr: () => err };
}

/** Kills a replica with `signal` and waits for it to exit. */
export async function stopReplica(replica: ReplicaProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => replica.child.once('exit', () => r()));
  replica.child.kill(signal);
  await exited;
}

/** JSON over HTTP to a replica. */
export async function call(url: string, method: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}
