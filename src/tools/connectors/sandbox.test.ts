/** SandboxConnector against the real sandbox (bubblewrap): input, output, errors, telemetry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorCall, SandboxConnectorSpec, SandboxReport } from '../../core/types.ts';
import { ToolRegistry } from '../registry.ts';
import { alice, toolDef } from '../test-support.ts';
import { SandboxConnector } from './sandbox.ts';

const tool = new ToolRegistry([toolDef()]).get('crm.getCustomer')!;
const limits = { cpuSeconds: 5, memoryBytes: 256 * 1024 * 1024, processes: 16, outputBytes: 64 * 1024, fileBytes: 1 << 20, wallMs: 10_000 };

function spec(command: string[], extra: Partial<SandboxConnectorSpec> = {}): SandboxConnectorSpec {
  return { type: 'sandbox', command, stdin: 'json', output: 'json', network: false, readOnlyPaths: [], env: {}, limits, ...extra };
}

function call(args: ConnectorCall['arguments'], reports: SandboxReport[] = []): ConnectorCall {
  return {
    tool,
    arguments: args,
    principal: alice,
    actionId: 'act_s',
    idempotencyKey: 'idem_s',
    signal: new AbortController().signal,
    telemetry: { egress: () => undefined, sandbox: (r) => reports.push(r) },
  };
}

test('arguments arrive as JSON on stdin, stdout is the JSON result, the run is reported', async () => {
  const reports: SandboxReport[] = [];
  const result = await new SandboxConnector(spec(['/bin/cat'])).execute(call({ id: 'c1', n: 2 }, reports));
  assert.deepEqual(result, { id: 'c1', n: 2 });
  assert.equal(reports.length, 1);
  assert.deepEqual([reports[0]?.exit_code, reports[0]?.violations, reports[0]?.network], [0, [], false]);
});

test('placeholders put one argument into one argv entry (no shell parses it); text output', async () => {
  const connector = new SandboxConnector(spec(['/usr/bin/printf', '%s|', '{id}'], { stdin: 'none', output: 'text' }));
  assert.deepEqual(await connector.execute(call({ id: 'a b; rm -rf / $(id)' })), { stdout: 'a b; rm -rf / $(id)|' });
  await assert.rejects(connector.execute(call({ id: { nested: true } })), { code: 'ERR_CONNECTOR_ARGUMENT' });
});

test('the environment is the tool\'s own: nothing of Airlock\'s leaks in', async () => {
  process.env.AIRLOCK_TEST_OUTER_SECRET = 'outer-secret-value';
  const connector = new SandboxConnector(spec(['/usr/bin/env'], { stdin: 'none', output: 'text', env: { MODE: 'strict' } }));
  const { stdout } = (await connector.execute(call({}))) as { stdout: string };
  assert.match(stdout, /^MODE=strict$/m);
  assert.doesNotMatch(stdout, /outer-secret-value|AIRLOCK_TEST_OUTER_SECRET/);
});

test('a failing command: ERR_SANDBOX_FAILED with the exit code and a short stderr excerpt; bad JSON: ERR_CONNECTOR_RESPONSE', async () => {
  await assert.rejects(new SandboxConnector(spec(['/bin/sh', '-c', 'echo broken >&2; exit 3'], { stdin: 'none' })).execute(call({})), (error: { code: string; details: Record<string, unknown> }) => {
    assert.equal(error.code, 'ERR_SANDBOX_FAILED');
    assert.equal(error.details.exit_code, 3);
    assert.equal(error.details.stderr, 'broken\n');
    return true;
  });
  await assert.rejects(new SandboxConnector(spec(['/bin/echo', 'not json'], { stdin: 'none' })).execute(call({})), { code: 'ERR_CONNECTOR_RESPONSE' });
});

test('construction refuses a relative command', () => {
  assert.throws(() => new SandboxConnector(spec(['cat'])), { code: 'ERR_TOOLS_CONNECTOR_INVALID' });
});

test('an aborted call kills the run and reports it', async () => {
  const controller = new AbortController();
  const reports: SandboxReport[] = [];
  const running = new SandboxConnector(spec(['/bin/sleep', '30'], { stdin: 'none' })).execute({ ...call({}, reports), signal: controller.signal });
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(running, { code: 'ERR_CONNECTOR_ABORTED' });
  assert.deepEqual(reports[0]?.violations.map((v) => v.code), ['sandbox.aborted']);
});

test('no writable place is unbounded: /dev/shm holds no more than the work folder (file_bytes)', async () => {
  // 8 files of 512 KiB (each under the 1 MiB file-size limit) into /dev/shm: 4 MiB unless the folder is bounded.
  const script = 'for i in 1 2 3 4 5 6 7 8; do head -c 524288 /dev/zero > /dev/shm/f$i 2>/dev/null || break; done; du -sk /dev/shm | cut -f1';
  const reports: SandboxReport[] = [];
  const result = (await new SandboxConnector(spec(['/bin/sh', '-c', script], { stdin: 'none', output: 'text' })).execute(call({}, reports))) as { stdout: string };
  assert.ok(Number(result.stdout.trim()) <= 1024, `wrote ${result.stdout.trim()} KiB to /dev/shm`);
});
