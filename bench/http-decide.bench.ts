/**
 * Benchmark of `POST /v1/decide` over loopback: the gateway runs as its own process
 * (`airlock serve`, durable SQLite audit), and autocannon drives it from this process,
 * so the load generator does not share the gateway's event loop.
 *
 *   node bench/http-decide.bench.ts [--seconds 10] [--connections 32]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { CLI_MAIN, writeDemoConfig } from '../scripts/demo-config.ts';


export interface HttpBenchResult {
  name: string;
  seconds: number;
  connections: number;
  requests: number;
  requests_per_s: number;
  non_2xx: number;
  errors: number;
  latency_ms: { p50: number; p90: number; p99: number; mean: number; max: number };
}

function output(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? done(out.trim()) : fail(new Error(`airlock ${args[0]} exited ${code}`))));
  });
}

export async function run(options: { seconds?: number; connections?: number } = {}): Promise<HttpBenchResult> {
  const seconds = options.seconds ?? 10;
  const connections = options.connections ?? 32;
  const dir = mkdtempSync(join(tmpdir(), 'airlock-http-bench-'));
  const config = writeDemoConfig(dir, { limits: false });
  const token = await output(['token', 'mint', '--config', config, '--sub', 'fin', '--tenant', 'acme', '--roles', 'finance-lead', '--ttl', '3600']);
  const child = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((done, fail) => {
      let buffered = '';
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const line = buffered.split('\n').find((l) => l.includes('"airlock listening"'));
        if (line !== undefined) done((JSON.parse(line) as { url: string }).url);
      });
      child.once('exit', (code) => fail(new Error(`gateway exited ${code}`)));
    });
    child.stdout.resume();
    const request = {
      method: 'POST' as const,
      path: '/v1/decide',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } }),
    };
    // Warm-up, then the measured run.
    await autocannon({ url, connections, duration: 2, requests: [request] });
    const result = await autocannon({ url, connections, duration: seconds, requests: [request] });
    return {
      name: 'HTTP POST /v1/decide (loopback, separate gateway process, durable audit)',
      seconds,
      connections,
      requests: result.requests.total,
      requests_per_s: Math.round(result.requests.average),
      non_2xx: result.non2xx,
      errors: result.errors,
      latency_ms: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        mean: result.latency.average,
        max: result.latency.max,
      },
    };
  } finally {
    child.kill('SIGTERM');
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } } });
  process.stdout.write(`${JSON.stringify(await run({ seconds: Number(values.seconds), connections: Number(values.connections) }), null, 2)}\n`);
}
