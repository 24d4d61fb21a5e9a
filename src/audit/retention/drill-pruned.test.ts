/**
 * The drill after retention: links whose data a prune removed are reported `pruned` (naming
 * the tombstone and its record), not `missing`, and the action stays complete; a link missing
 * for any other reason is still missing.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AuditEventInput } from '../../core/types.ts';
import { drill } from '../drill.ts';
import type { DrillLink } from '../drill.ts';
import { MemoryAuditStore } from '../memory-store.ts';
import { renderDrill } from '../render-drill.ts';
import { DAY_MS } from './policy.ts';
import { pruneAudit } from './prune.ts';

const base = { request_id: 'req_p1', trace_id: 'trc_p1', session_id: null, parent_action_id: null, tool: 'crm.update', args_hash: 'sha256:aa' };
const decision = {
  decision_id: 'dec_p1',
  outcome: 'allow',
  code: 'approval.granted',
  reasons: [{ policy_id: 'needs-lead' }],
  checks: { action_class: { passed: true }, parameters: { passed: true } },
  policy_version: 'sha256:bundle',
  obligations: {},
  mode: 'execute',
  credential: null,
  approval_id: 'apr_p1',
};
const events: AuditEventInput[] = [
  { ...base, type: 'approval.requested', action_id: 'act_p1', actor: { user: 'sam', tenant: 'acme', roles: [], agent: 'bot' }, data: { approval_id: 'apr_p1' }, refs: ['apr_p1'] },
  { ...base, type: 'approval.approved', action_id: null, actor: { user: 'lena', tenant: 'acme', roles: ['lead'], agent: null }, data: { approval_id: 'apr_p1', justification: 'ok for Mr. Smith' }, refs: ['apr_p1'] },
  { ...base, type: 'intent', action_id: 'act_p1', actor: { user: 'sam', tenant: 'acme', roles: [], agent: 'bot' }, decision, data: { connector: 'function:crm' }, phase_timings: { identify: 3 }, refs: ['dec_p1', 'apr_p1'] },
  { ...base, type: 'result', action_id: 'act_p1', actor: { user: 'sam', tenant: 'acme', roles: [], agent: 'bot' }, result_code: 'ok', result_hash: 'sha256:bb' },
];

const statuses = (links: DrillLink[]) => Object.fromEntries(links.map((l) => [l.link, l.status]));

it('drill: links removed by retention are pruned, not missing; the action stays complete', async () => {
  const store = new MemoryAuditStore();
  await store.append(events);
  const before = await drill('act_p1', (id) => store.findRelated(id));
  assert.equal(before.complete, true);
  assert.deepEqual([statuses(before.actions[0]?.links ?? []).who, statuses(before.actions[0]?.links ?? []).approval, statuses(before.actions[0]?.links ?? []).execution], ['ok', 'ok', 'ok']);

  await pruneAudit(store, { policy: { classes: { identity: { maxAgeDays: 0 }, detail: { maxAgeDays: 0 } }, events: [] }, now: Date.now() + DAY_MS, by: 'test' });
  const after = await drill('act_p1', (id) => store.findRelated(id));
  const links = statuses(after.actions[0]?.links ?? []);
  assert.deepEqual([links.who, links.approval, links.execution, links.policy, links.result], ['pruned', 'pruned', 'pruned', 'ok', 'ok']);
  assert.equal(after.complete, true);
  const approval = after.actions[0]?.links.find((l) => l.link === 'approval');
  assert.match(approval?.detail ?? '', /operator who approved apr_p1 was removed by retention \(event #2, audit\.pruned #5\)/);
  assert.match(renderDrill(after), /PRUN {2}who/);
  assert.match(renderDrill(after), /COMPLETE \(3 links removed by retention\)/);
});

it('drill: a link missing for another reason than retention stays missing', async () => {
  const store = new MemoryAuditStore();
  // The approval was never approved, yet the call says it consumed it; and the approval events lost their data.
  await store.append([events[0] as AuditEventInput, events[2] as AuditEventInput, events[3] as AuditEventInput]);
  await pruneAudit(store, { policy: { classes: { identity: { maxAgeDays: 0 }, detail: { maxAgeDays: 0 } }, events: [] }, now: Date.now() + DAY_MS, by: 'test' });
  const report = await drill('act_p1', (id) => store.findRelated(id));
  assert.equal(statuses(report.actions[0]?.links ?? []).approval, 'missing');
  assert.equal(report.complete, false);
});
