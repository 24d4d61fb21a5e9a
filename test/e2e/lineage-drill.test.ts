/**
 * Every id an answer hands out leads to its lineage: session, context manifest (id and
 * hash), content, decision, request, action, trace, credential jti, approval, override,
 * memory entry and the dry run's ids all resolve through GET /v1/audit/lineage/{id}, and the
 * drill (HTTP, and `airlock audit drill` run as a user runs it) finds the complete chain for
 * each. A chain with a link removed is reported incomplete (exit 1). An unknown id and
 * another tenant's id answer alike, over HTTP and on the command line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drill, relatesTo } from '../../src/audit/index.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { AuditEvent, AuditEventInput } from '../../src/core/types.ts';
import { newId } from '../../src/core/ids.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openAuditLog } from '../../src/pipeline/index.ts';
import { REPO_ROOT, writeDemoConfig } from '../../scripts/demo-config.ts';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';
import { recordDatabase, recordKeyFiles, recordOutput } from '../support/leak-scan.ts';

type Json = Record<string, unknown>;

const BIN = join(REPO_ROOT, 'bin', 'airlock.js');
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

function airlock(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  recordOutput('log', `airlock ${args[0] ?? ''} ${args[1] ?? ''}`, r.stdout + r.stderr);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A config for the CLI over an audit log at `dir/audit.db` (no checkpoint key: read-only drills need none). */
function cliConfig(dir: string): string {
  const path = writeDemoConfig(dir);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^ {2}checkpoint_key:.*\n/m, ''));
  return path;
}

describe('every id an answer hands out leads to its lineage, and the drill proves it', () => {
  let fx: HttpFixture;
  let auditor: string;
  let config: string;
  /** [what the id is, the id] for every id the calls below were handed. */
  const ids: Array<[string, string]> = [];
  let executed: Json;

  before(async () => {
    fx = await startDemoServer();
    config = cliConfig(fx.dir);
    auditor = await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
    const olga = await fx.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
    const { sam, fin } = fx.tokens;
    const ok = (res: { status: number; body: Json }, status: number) => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body;
    };
    const callIds = (what: string, body: Json) => {
      for (const key of ['request_id', 'action_id', 'decision_id']) ids.push([`${what} ${key}`, body[key] as string]);
    };

    const session = ok(await fx.post('/v1/sessions', { attributes: { customer_id: 'cus_acme_grace' } }, sam), 201).session_id as string;
    ids.push(['session', session]);
    const chunk = { id: 'k1', text: 'Refunds are issued to the original payment method.', source_id: 'kb', owner: 'support-team', classification: 'internal', timestamp: ago(60_000) };
    const assembled = ok(await fx.post('/v1/context/assemble', { session_id: session, use_case: 'support_answer', chunks: [chunk] }, sam), 200);
    ids.push(['context manifest hash', assembled.manifest_hash as string], ['context manifest id', (assembled.manifest as Json).manifest_id as string]);
    const content = ok(await fx.post(`/v1/sessions/${session}/content`, { kind: 'user_prompt', text: 'Please refund my duplicate charge.' }, sam), 201);
    ids.push(['content', content.content_id as string]);

    const read = { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } };
    const decided = ok(await fx.post('/v1/decide', read, sam), 200);
    callIds('decide', decided);
    ids.push(['credential jti (decide)', (decided.credential as Json).jti as string]);

    const traceId = newId('trc');
    executed = ok(await fx.post('/v1/tool-calls', { ...read, trace_id: traceId }, sam), 200);
    callIds('executed call', executed);
    ids.push(['trace (caller-supplied)', traceId]);

    const refund = { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount: 250 } };
    const held = ok(await fx.post('/v1/tool-calls', refund, sam), 202);
    callIds('held call', held);
    const approvalId = held.approval_id as string;
    ids.push(['approval', approvalId]);
    ok(await fx.post(`/v1/approvals/${approvalId}/approve`, { justification: 'duplicate charge confirmed in ledger' }, fin), 200);
    const approvalToken = ok(await fx.get(`/v1/approvals/${approvalId}`, sam), 200).approval_token as string;
    callIds('approved call', ok(await fx.post('/v1/tool-calls', { ...refund, approval_token: approvalToken }, sam), 200));

    const exportCall = { session_id: session, tool: 'crm.exportCustomers', arguments: {} };
    const denied = ok(await fx.post('/v1/tool-calls', exportCall, sam), 403);
    callIds('denied call', denied);
    const override = ok(
      await fx.post('/v1/overrides', { scope: { kind: 'action', action_hash: (denied.decision as Json).action_hash, tenant: 'acme' }, justification: 'regulator request #881', ttl_seconds: 600 }, olga),
      201,
    ).override as Json;
    ids.push(['override', override.id as string]);
    callIds('overridden call', ok(await fx.post('/v1/tool-calls', exportCall, sam), 200));

    const memory = ok(
      await fx.post(
        '/v1/memory',
        { kind: 'customer_note', owner: 'sam', content: { customer_id: 'cus_acme_grace', note: 'Prefers a call back after 3pm.' }, provenance: { kind: 'user_statement', source_ids: [] }, confidence: 0.9, ttl_seconds: 86_400 },
        sam,
      ),
      201,
    );
    ids.push(['memory entry', memory.id as string]);
    callIds('simulation', ok(await fx.post('/v1/tool-calls/simulate', { ...refund, arguments: { customer_id: 'cus_acme_grace', amount: 300 } }, sam), 200));
    recordDatabase(join(fx.dir, 'audit.db'));
  });
  after(async () => {
    await fx.close();
    recordKeyFiles(fx.dir);
  });

  test('the answers of every door carry request_id, action_id and decision_id', () => {
    for (const kind of ['decide', 'executed call', 'held call', 'approved call', 'denied call', 'overridden call', 'simulation']) {
      for (const key of ['request_id', 'action_id', 'decision_id']) {
        const found = ids.find(([what]) => what === `${kind} ${key}`)?.[1];
        assert.match(String(found), new RegExp(`^${key.slice(0, 3)}_`), `${kind} ${key}`);
      }
    }
    assert.equal(executed.decision_id, (executed.decision as Json).decision_id);
  });

  test('GET /v1/audit/lineage/{id} resolves every id, and the drill finds the complete chain from each', async () => {
    for (const [what, id] of ids) {
      const lineage = await fx.get(`/v1/audit/lineage/${id}`, auditor);
      assert.equal(lineage.status, 200, `${what} ${id}`);
      assert.ok((lineage.body.events as Json[]).length > 0, what);
      const report = await fx.get(`/v1/audit/drill/${encodeURIComponent(id)}`, auditor);
      assert.equal(report.status, 200, what);
      const missing = (report.body.actions as Json[]).flatMap((a) => (a.links as Json[]).filter((l) => l.status === 'missing'));
      assert.deepEqual(missing, [], `${what}: ${String(report.body.text)}`);
      assert.equal(report.body.complete, true, `${what}: ${String(report.body.text)}`);
    }
    // A decision id leads to the whole action: the intent that carries it and the result after it.
    const byDecision = await fx.get(`/v1/audit/lineage/${executed.decision_id as string}`, auditor);
    assert.deepEqual((byDecision.body.events as Json[]).map((e) => e.type), ['intent', 'result', 'content.registered']);
  });

  test('the drill reconstructs what the seed asks for: who, session, context sources, policy, approval operator, credential, what ran, result, timings', async () => {
    const approved = ids.find(([what]) => what === 'approved call action_id')?.[1] as string;
    const report = (await fx.get(`/v1/audit/drill/${approved}`, auditor)).body;
    const action = (report.actions as Json[])[0] as Json;
    const links = Object.fromEntries((action.links as Json[]).map((l) => [l.link, l]));
    assert.deepEqual(Object.keys(links), ['who', 'session', 'context', 'policy', 'approval', 'override', 'credential', 'execution', 'result', 'timestamps']);
    assert.deepEqual((links.who as Json).values, { user: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' });
    assert.deepEqual(((links.context as Json).values as Json).source_ids, ['kb']);
    assert.equal((((links.approval as Json).values as Json).operator as Json).user, 'fin');
    assert.equal(((links.credential as Json).values as Json).scope, 'billing.refund');
    assert.match(String(((links.execution as Json).values as Json).connector), /^function:/);
    assert.equal(((links.result as Json).values as Json).result_code, 'ok');
    assert.equal((links.override as Json).status, 'n/a');
    const overridden = ids.find(([what]) => what === 'overridden call action_id')?.[1] as string;
    const viaOverride = ((await fx.get(`/v1/audit/drill/${overridden}`, auditor)).body.actions as Json[])[0] as Json;
    const overrideLink = (viaOverride.links as Json[]).find((l) => l.link === 'override') as Json;
    assert.equal(((overrideLink.values as Json).operator as Json).user, 'olga');
  });

  test('airlock audit trace and airlock audit drill resolve every id from the log on disk (table and --json)', async () => {
    // Every id through the door the CLI uses (spawning the CLI once per id would take minutes) ...
    const log = await openAuditLog(await loadConfig(config));
    try {
      for (const [what, id] of ids) {
        assert.ok(((await log.trace(id, { tenant: 'acme' }))?.events.length ?? 0) > 0, what);
        const report = await log.drill(id, { tenant: 'acme' });
        assert.equal(report.complete, true, `${what}: ${report.text}`);
      }
    } finally {
      await log.close();
    }
    // ... and the CLI itself, as a user runs it.
    const json = airlock(['audit', 'drill', '--id', executed.decision_id as string, '--config', config, '--json']);
    assert.equal(json.code, 0, json.stdout + json.stderr);
    const report = JSON.parse(json.stdout) as Json;
    assert.equal(report.complete, true);
    assert.equal(typeof report.elapsed_ms, 'number');
    assert.equal((report.actions as Json[]).length, 1);
    const table = airlock(['audit', 'drill', '--id', ids.find(([what]) => what === 'approval')?.[1] as string, '--config', config]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ {2}ok {4}execution\s+billing\.refund via function:/m);
    assert.match(table.stdout, /^ {2}ok {4}approval\s+apr_\S+ approved by fin at /m);
    assert.match(table.stdout, /^COMPLETE: 2 actions, \d+ lookups, [\d.]+ ms$/m);
    const trace = airlock(['audit', 'trace', executed.decision_id as string, '--config', config, '--tenant', 'acme']);
    assert.equal(trace.code, 0, trace.stderr);
    assert.match(trace.stdout, /intent {2}crm\.getCustomer/);
  });

  test('a chain with a link removed is reported incomplete, naming the link (library and CLI, exit 1)', async () => {
    const source = SqliteAuditStore.open(join(fx.dir, 'audit.db'), { readOnly: true });
    const all = await source.read();
    await source.close();
    const without = (types: string[]) => all.filter((e) => !types.includes(e.type));
    const lookupIn = (events: AuditEvent[]) => async (id: string) => events.filter((e) => relatesTo(e, id));
    const approvedAction = ids.find(([what]) => what === 'approved call action_id')?.[1] as string;
    const status = async (events: AuditEvent[], link: string) =>
      ((await drill(approvedAction, lookupIn(events))).actions[0]?.links.find((l) => l.link === link)?.status);

    assert.equal((await drill(approvedAction, lookupIn(all))).complete, true);
    // The manifest hash the decision carries is on no context.assembled event.
    const noManifest = await drill(approvedAction, lookupIn(without(['context.assembled'])));
    assert.equal(noManifest.complete, false);
    assert.equal(await status(without(['context.assembled']), 'context'), 'missing');
    assert.equal(await status(without(['result']), 'result'), 'missing');
    assert.equal(await status(without(['approval.approved']), 'approval'), 'missing');
    assert.equal(await status(without(['session.created']), 'session'), 'missing');

    // The same log without its context.assembled events, on disk, drilled by the CLI.
    const dir = mkdtempSync(join(tmpdir(), 'airlock-drill-'));
    const broken = SqliteAuditStore.open(join(dir, 'audit.db'), { writer: 'inline' });
    const strip = ({ seq: _s, event_id: _e, ts: _t, prev_hash: _p, hash: _h, ...input }: AuditEvent): AuditEventInput => input;
    await broken.append(without(['context.assembled']).map(strip));
    await broken.close();
    recordDatabase(join(dir, 'audit.db'));
    const r = airlock(['audit', 'drill', '--id', approvedAction, '--config', cliConfig(dir)]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^ {2}MISS {2}context\s+no context\.assembled event carries manifest sha256:/m);
    assert.match(r.stdout, /^INCOMPLETE \(1 missing link\)/m);
    recordKeyFiles(dir);
  });

  test("an unknown id and another tenant's id answer alike (HTTP lineage and drill, CLI with --tenant)", async () => {
    const foreign = await fx.token({ sub: 'gus', tenant: 'globex', roles: ['auditor'] });
    for (const [what, id] of ids) {
      const unknown = `${id.slice(0, 4)}doesnotexist${id.slice(16)}`;
      for (const path of ['/v1/audit/lineage/', '/v1/audit/drill/']) {
        const other = await fx.get(`${path}${encodeURIComponent(id)}`, foreign);
        const none = await fx.get(`${path}${encodeURIComponent(unknown)}`, foreign);
        assert.equal(other.status, 404, `${what} ${path}`);
        assert.deepEqual(other, none, `${what} ${path}`);
      }
    }
    const id = executed.decision_id as string;
    const unknown = 'dec_doesnotexist0000000';
    for (const args of [['trace'], ['drill', '--id']]) {
      const other = airlock(['audit', ...args, id, '--config', config, '--tenant', 'globex']);
      const none = airlock(['audit', ...args, unknown, '--config', config, '--tenant', 'globex']);
      assert.equal(other.code, 1);
      assert.deepEqual({ ...other, stdout: other.stdout.replaceAll(id, 'ID'), stderr: other.stderr.replaceAll(id, 'ID') }, {
        ...none,
        stdout: none.stdout.replaceAll(unknown, 'ID'),
        stderr: none.stderr.replaceAll(unknown, 'ID'),
      });
    }
  });
});
