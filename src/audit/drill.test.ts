/**
 * drill: the links of one action chain over a real (in-memory) audit store — ok, n/a and
 * missing for each kind of link, ids without an action, the cap on actions, and the lookups
 * it makes (it follows ids, it never reads the log).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEventInput } from '../core/types.ts';
import type { AuditStore } from './types.ts';
import { MAX_DRILL_ACTIONS, drill } from './drill.ts';
import type { DrillReport } from './drill.ts';
import { MemoryAuditStore } from './memory-store.ts';

const actor = { user: 'sam', tenant: 'acme', roles: ['support'], agent: 'bot' };
let n = 0;

function callEvent(type: string, decision: Record<string, unknown>, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  n++;
  return {
    type,
    request_id: `req_d${n}`,
    trace_id: `trc_d${n}`,
    session_id: null,
    action_id: `act_d${n}`,
    parent_action_id: null,
    actor,
    tool: 'crm.get',
    args_hash: 'sha256:aa',
    phase_timings: { identify: 5, authorize: 40 },
    decision: {
      decision_id: `dec_d${n}`,
      outcome: 'allow',
      code: 'policy.permit',
      reasons: [{ policy_id: 'p-read' }],
      checks: { action_class: { passed: true, policy_ids: ['p-read'] }, parameters: { passed: true, policy_ids: [] } },
      policy_version: 'sha256:bundle',
      obligations: {},
      mode: 'decide',
      credential: null,
      ...decision,
    },
    refs: [`dec_d${n}`],
    ...extra,
  };
}

const statusOf = (report: DrillReport) => Object.fromEntries((report.actions[0]?.links ?? []).map((l) => [l.link, l.status]));

/** Lookups the drill makes, counted: it must follow ids, never read the log. */
function counted(store: AuditStore): { lookup: (id: string) => ReturnType<AuditStore['findRelated']>; ids: string[] } {
  const ids: string[] = [];
  return { ids, lookup: (id) => (ids.push(id), store.findRelated(id)) };
}

describe('drill', () => {
  it('a decision-point call: the credential is required when the policy asked for one, the result is the runtime\'s', async () => {
    const store = new MemoryAuditStore();
    const [ok] = await store.append([
      callEvent('decision', { obligations: { credentialScope: 'crm.read' }, credential: { jti: 'jti_1', scope: 'crm.read', audience: 'crm', expires_at: 1_900_000_000 } }),
    ]);
    const [lacking] = await store.append([callEvent('decision', { obligations: { credentialScope: 'crm.read' } })]);
    const good = await drill(ok?.action_id as string, store.findRelated.bind(store));
    assert.equal(good.complete, true);
    assert.deepEqual(statusOf(good), {
      who: 'ok',
      session: 'n/a',
      context: 'n/a',
      policy: 'ok',
      approval: 'n/a',
      override: 'n/a',
      credential: 'ok',
      execution: 'ok',
      result: 'n/a',
      timestamps: 'ok',
    });
    const bad = await drill(lacking?.action_id as string, store.findRelated.bind(store));
    assert.equal(bad.complete, false);
    assert.equal(statusOf(bad).credential, 'missing');
  });

  it('a call a gateway phase refused before policy has no policy version, and that is no gap', async () => {
    const store = new MemoryAuditStore();
    const schema = { outcome: 'deny', code: 'schema.invalid', decided_by: 'validate', policy_version: 'none', reasons: [{ policy_id: 'builtin.schema' }] };
    const [early] = await store.append([callEvent('decision', schema)]);
    const [late] = await store.append([callEvent('decision', { ...schema, decided_by: 'authorize' })]);
    assert.equal(statusOf(await drill(early?.action_id as string, store.findRelated.bind(store))).policy, 'ok');
    assert.equal(statusOf(await drill(late?.action_id as string, store.findRelated.bind(store))).policy, 'missing');
  });

  it('reports each missing link of a gateway-mode call: session, context, policy, override, execution, result, timings', async () => {
    const store = new MemoryAuditStore();
    const [intent] = await store.append([
      callEvent(
        'intent',
        { mode: 'execute', policy_version: 'none', reasons: [], override_id: 'ovr_gone', code: 'override.granted' },
        { session_id: 'ses_nobody', context_manifest_hash: 'sha256:nowhere', phase_timings: {}, args_hash: null },
      ),
    ]);
    const report = await drill(intent?.action_id as string, store.findRelated.bind(store));
    assert.equal(report.complete, false);
    assert.deepEqual(statusOf(report), {
      who: 'ok',
      session: 'missing',
      context: 'missing',
      policy: 'missing',
      approval: 'n/a',
      override: 'missing',
      credential: 'n/a',
      execution: 'missing',
      result: 'missing',
      timestamps: 'missing',
    });
  });

  it('an id with no action reports its records; an unknown id is not found', async () => {
    const store = new MemoryAuditStore();
    await store.append([
      { type: 'memory.written', request_id: 'req_m', trace_id: 'trc_m', session_id: null, action_id: null, parent_action_id: null, actor, data: { id: 'mem_1' }, refs: ['mem_1'] },
    ]);
    const memory = await drill('mem_1', store.findRelated.bind(store));
    assert.deepEqual([memory.found, memory.complete, memory.actions.length, memory.records.map((r) => r.type)], [true, true, 0, ['memory.written']]);
    const unknown = await drill('mem_2', store.findRelated.bind(store));
    assert.deepEqual([unknown.found, unknown.complete], [false, false]);
  });

  it('drills at most MAX_DRILL_ACTIONS actions of a session, with one lookup per id it follows', async () => {
    const store = new MemoryAuditStore();
    const session = { session_id: 'ses_many', type: 'session.created', request_id: 'req_s', trace_id: 'trc_s', action_id: null, parent_action_id: null, actor };
    await store.append([session]);
    await store.append(Array.from({ length: MAX_DRILL_ACTIONS + 3 }, () => callEvent('decision', {}, { session_id: 'ses_many' })));
    const { lookup, ids } = counted(store);
    const report = await drill('ses_many', lookup);
    assert.equal(report.actions.length, MAX_DRILL_ACTIONS);
    assert.equal(report.actions_omitted, 3);
    assert.equal(report.complete, true);
    assert.equal(report.lookups, ids.length);
    assert.equal(new Set(ids).size, ids.length, 'each id is looked up once');
    assert.equal(ids.length, 1 + MAX_DRILL_ACTIONS);
  });
});
