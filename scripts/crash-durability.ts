/**
 * Crash durability drill: starts the real gateway (`airlock serve`) as a child process,
 * drives concurrent tool calls at it, kills it with SIGKILL at a random moment, and proves
 * that every call it acknowledged (HTTP 200) has its intent and result events in the audit
 * log and that the chain still verifies — over many crash/restart cycles on one log.
 *
 *   node scripts/crash-durability.ts [--trials 50] [--concurrency 8] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAll, verifyChain } from '../src/audit/index.ts';
import { SqliteAuditStore } from '../src/stores/sqlite/index.ts';
import { CLI_MAIN, writeDemoConfig } from './demo-config.ts';
import { recordDatabase } from '../test/support/leak-scan.ts';

const WARM_ACKS = 5;

export interface TrialResult {
  trial: number;
  acknowledged: number;
  killedAfterMs: number;
  missing: string[];
}

export interface CrashReport {
  trials: number;
  acknowledged: number;
  missing: number;
  chainOk: boolean;
  events: number;
  results: TrialResult[];
}

interface Child {
  url: string;
  kill(): Promise<void>;
}

async function startGateway(config: string): Promise<Child> {
  const child = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', config, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = await new Promise<string>((done, fail) => {
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (const line of buffered.split('\n')) {
        if (line.includes('"airlock listening"')) done((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => fail(new Error(`gateway exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function mint(config: string, sub: string, roles: string): Promise<string> {
  const child = spawn(process.execPath, [CLI_MAIN, 'token', 'mint', '--config', config, '--sub', sub, '--tenant', 'acme', '--roles', roles, '--ttl', '3600']);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((done) => child.once('exit', done));
  return out.trim();
}

export async function runCrashTrials(options: { trials: number; concurrency: number; onTrial?: (r: TrialResult) => void }): Promise<CrashReport> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-crash-'));
  const config = writeDemoConfig(dir, { limits: false });
  // Thousands of rows written under SIGKILL: part of the suite's secret scan (when it is on).
  recordDatabase(join(dir, 'audit.db'));
  recordDatabase(join(dir, 'state.db'));
  const token = await mint(config, 'fin', 'finance-lead');
  const customers = ['cus_acme_ada', 'cus_acme_grace', 'cus_acme_alan', 'cus_acme_barbara'];
  const results: TrialResult[] = [];
  const acknowledged: string[] = [];

  for (let trial = 1; trial <= options.trials; trial++) {
    const gateway = await startGateway(config);
    const acks: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const response = await fetch(`${gateway.url}/v1/tool-calls`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ tool: 'crm.getCustomer', arguments: { customer_id: customers[(w + i) % customers.length] } }),
          });
          const body = (await response.json()) as { status?: string; request_id?: string };
          if (response.status === 200 && body.status === 'executed' && body.request_id !== undefined) acks.push(body.request_id);
          else if (response.status !== 200) throw new Error(`unexpected ${response.status}: ${JSON.stringify(body)}`);
        } catch (error) {
          if (stop) return; // the gateway was killed under this request: not acknowledged
          throw error;
        }
      }
    };
    const workers = Array.from({ length: options.concurrency }, (_, w) => worker(w));
    // Kill while calls are in flight: once the gateway is warm (a few acknowledged calls), at a random moment.
    const warm = Date.now();
    while (acks.length < WARM_ACKS && Date.now() - warm < 10_000) await new Promise((done) => setTimeout(done, 2));
    const killedAfterMs = 10 + Math.floor(Math.random() * 150);
    await new Promise((done) => setTimeout(done, killedAfterMs));
    stop = true;
    await gateway.kill();
    await Promise.all(workers);

    const store = SqliteAuditStore.open(join(dir, 'audit.db'), { readOnly: true });
    const missing: string[] = [];
    for (const id of acks) {
      const types = new Set((await store.findRelated(id)).map((e) => e.type));
      if (!types.has('intent') || !types.has('result')) missing.push(id);
    }
    await store.close();
    const result = { trial, acknowledged: acks.length, killedAfterMs, missing };
    results.push(result);
    acknowledged.push(...acks);
    options.onTrial?.(result);
  }

  const store = SqliteAuditStore.open(join(dir, 'audit.db'), { readOnly: true });
  const verification = await verifyChain(readAll(store));
  await store.close();
  return {
    trials: options.trials,
    acknowledged: acknowledged.length,
    missing: results.reduce((n, r) => n + r.missing.length, 0),
    chainOk: verification.ok,
    events: verification.checked,
    results,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { trials: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '8' }, json: { type: 'boolean' } } });
  const trials = Number(values.trials);
  const report = await runCrashTrials({
    trials,
    concurrency: Number(values.concurrency),
    onTrial: (r) => {
      if (values.json !== true) process.stdout.write(`\rtrial ${String(r.trial).padStart(3)}/${trials}  acknowledged ${r.acknowledged}  missing ${r.missing.length}   `);
    },
  });
  if (values.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(
      `\n${report.trials} SIGKILLs, ${report.acknowledged} acknowledged calls, ${report.missing} missing intent/result events, chain ${report.chainOk ? 'verifies' : 'BROKEN'} over ${report.events} events\n`,
    );
  }
  process.exit(report.missing === 0 && report.chainOk ? 0 : 1);
}
