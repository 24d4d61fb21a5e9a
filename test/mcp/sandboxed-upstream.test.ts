/**
 * A stdio MCP upstream that opted into the sandbox (`sandbox:` on the upstream) runs as the
 * sandbox user, with a read-only root, no /etc/shadow and its own environment only; the same
 * upstream without the flag runs as Airlock does (the control).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import { FIXTURES, ROOT, mcpTestEnv, stdioUpstream } from './support.ts';

const PROBE = join(FIXTURES, 'probe-server.ts');
const POLICY = '@id("probe") permit (principal, action, resource) when { principal.roles.contains("user") };';

const ESCAPE = join(mkdtempSync(join(tmpdir(), 'airlock-probe-')), 'escaped');

async function probe(sandbox: unknown): Promise<Record<string, unknown>> {
  process.env.AIRLOCK_TEST_PROBE_TOKEN = 'probe-token-value';
  const env = await mcpTestEnv({
    mcp: {
      upstreams: [
        stdioUpstream('pb', PROBE, {
          approval: 'first_use',
          side_effect: 'read',
          env: { PROBE_TOKEN: 'env:AIRLOCK_TEST_PROBE_TOKEN', PROBE_ESCAPE_PATH: ESCAPE },
          ...(sandbox === undefined ? {} : { sandbox }),
        }),
      ],
    },
    policies: { 'probe.cedar': POLICY },
    state: 'memory',
  });
  const { gateway } = await createMcpGateway(env.config);
  try {
    const token = await env.token({ sub: 'uma', roles: ['user'] });
    const result = await gateway.execute({ token, tool: 'pb.probe', arguments: {} });
    assert.equal(result.status, 'executed', JSON.stringify(result));
    const value = result.status === 'executed' ? (result.result as { structuredContent?: Record<string, unknown> }) : {};
    assert.ok(value.structuredContent, JSON.stringify(result));
    return value.structuredContent;
  } finally {
    await gateway.close();
  }
}

describe('a sandboxed stdio upstream', () => {
  it('runs as the sandbox user, cannot write outside its work folder or read /etc/shadow, and gets its own environment', async () => {
    // Node reserves a large address space up front: the limit is raised for it, the rest stay default.
    const report = await probe({ read_only_paths: [ROOT], limits: { memory_mb: 16_384, processes: 64, cpu_seconds: 60 } });
    const root = process.getuid?.() === 0;
    // The host folder of the path is not in the sandbox at all (ENOENT); nothing outside /work is writable.
    assert.ok(['ENOENT', 'EROFS'].includes(String(report.write_outside)), JSON.stringify(report));
    assert.deepEqual(report, {
      uid: root ? 65534 : process.getuid?.(),
      cwd: '/work',
      write_outside: report.write_outside,
      write_work: 'ok',
      read_shadow: 'EACCES',
      token_present: true,
    });
    assert.equal(existsSync(ESCAPE), false);
  });

  it('control: the same upstream without the flag runs with Airlock\'s own rights', async () => {
    const report = await probe(undefined);
    assert.equal(report.uid, process.getuid?.());
    assert.notEqual(report.cwd, '/work');
    assert.equal(report.write_outside, 'ok', 'the path is writable outside the sandbox: the EROFS above is the sandbox');
    assert.equal(existsSync(ESCAPE), true);
  });
});
