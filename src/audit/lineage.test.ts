/**
 * Lineage: the request -> action -> event tree built from a store's related events, and its
 * terminal rendering (including that log text cannot inject terminal control sequences).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent, AuditEventInput } from '../core/types.ts';
import { buildLineage } from './lineage.ts';
import { MemoryAuditStore } from './memory-store.ts';
import { renderEventLine, renderLineage } from './render-lineage.ts';
import { sampleEventInput } from './store.contract.ts';

const decision = (outcome: string, code: string, ...policies: string[]) => ({
  outcome,
  code,
  reasons: policies.map((policy_id) => ({ policy_id, effect: 'permit', code, reason: 'r' })),
});

async function scenario(): Promise<{ store: MemoryAuditStore; events: AuditEvent[] }> {
  const store = new MemoryAuditStore();
  const base: Partial<AuditEventInput> = { request_id: 'req_one', trace_id: 'trc_one', session_id: 'ses_one' };
  await store.append([sampleEventInput({ ...base, type: 'identity.mismatch', action_id: null, tool: null })]);
  await store.append([sampleEventInput({ ...base, type: 'decision', action_id: 'act_a', tool: 'crm.export', decision: decision('allow', 'policy.permit', 'p.read', 'p.tenant') })]);
  await store.append([sampleEventInput({ request_id: 'req_other', trace_id: 'trc_x', session_id: 'ses_x', action_id: 'act_z' })]);
  await store.append([sampleEventInput({ ...base, type: 'intent', action_id: 'act_a', tool: 'crm.export', decision: undefined })]);
  await store.append([
    sampleEventInput({ request_id: 'req_two', trace_id: 'trc_one', session_id: 'ses_one', type: 'decision', action_id: 'act_b', parent_action_id: 'act_a', tool: 'mail.send', decision: decision('deny', 'policy.forbid', 'p.no-external') }),
  ]);
  await store.append([sampleEventInput({ request_id: 'req_three', trace_id: 'trc_three', session_id: null, type: 'decision', action_id: 'act_c', parent_action_id: 'act_b', tool: 'x.y' })]);
  await store.append([sampleEventInput({ ...base, type: 'result', action_id: 'act_a', tool: 'crm.export', result_code: 'ok', decision: undefined })]);
  return { store, events: await store.read() };
}

describe('buildLineage', () => {
  it('builds request -> actions (nested by parent) -> events in seq order', async () => {
    const { store } = await scenario();
    const tree = buildLineage(await store.findRelated('req_one'), 'req_one');
    assert.equal(tree.requests.length, 1);
    const request = tree.requests[0];
    assert.equal(request?.request_id, 'req_one');
    assert.deepEqual(
      request?.events.map((e) => e.type),
      ['identity.mismatch'],
    );
    const action = request?.actions[0];
    assert.equal(action?.action_id, 'act_a');
    assert.equal(action?.tool, 'crm.export');
    assert.deepEqual(
      action?.events.map((e) => e.seq),
      [2, 4, 7],
    );
  });

  it('follows child actions across requests, transitively', async () => {
    const { events } = await scenario();
    const tree = buildLineage(events, 'act_a');
    const a = tree.requests[0]?.actions[0];
    assert.equal(a?.action_id, 'act_a');
    assert.equal(a?.children[0]?.action_id, 'act_b');
    assert.equal(a?.children[0]?.children[0]?.action_id, 'act_c');
    assert.equal(tree.event_count, 5);
    assert.ok(!tree.requests.some((r) => r.request_id === 'req_other'));
    // act_b and act_c nest under act_a; their own requests have nothing else to show.
    assert.deepEqual(
      tree.requests.map((r) => r.request_id),
      ['req_one'],
    );
    assert.equal(a?.children[0]?.request_id, 'req_two');
  });

  it('a session root gathers the session and the actions descending from it', async () => {
    const { events } = await scenario();
    const tree = buildLineage(events, 'ses_one');
    assert.equal(tree.event_count, 6);
    assert.deepEqual(
      tree.requests.map((r) => r.request_id),
      ['req_one'],
    );
    assert.equal(tree.requests[0]?.actions[0]?.children[0]?.children[0]?.action_id, 'act_c');
  });

  it('survives parent cycles', () => {
    const ev = (seq: number, action: string, parent: string): AuditEvent => ({
      ...sampleEventInput({ request_id: 'req_cyc', action_id: action, parent_action_id: parent }),
      seq,
      event_id: `evt_${seq}`,
      ts: '2026-01-01T00:00:00.000Z',
      prev_hash: 'x',
      hash: 'y',
    });
    const tree = buildLineage([ev(1, 'act_1', 'act_2'), ev(2, 'act_2', 'act_1'), ev(3, 'act_3', 'act_3')], 'req_cyc');
    assert.equal(tree.event_count, 3);
    assert.equal(tree.requests[0]?.actions.length, 3);
    assert.ok(renderLineage(tree).includes('act_3'));
  });

  it('an unknown root gives an empty tree', async () => {
    const { events } = await scenario();
    const tree = buildLineage(events, 'req_missing');
    assert.deepEqual(tree.requests, []);
    assert.match(renderLineage(tree), /no events/);
  });
});

describe('renderLineage', () => {
  it('renders one indented line per event with seq, time, type, tool, outcome, policies and result', async () => {
    const { events } = await scenario();
    const text = renderLineage(buildLineage(events, 'act_a'));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], 'lineage of act_a: 5 events');
    assert.equal(lines[1], 'request req_one  session ses_one  trace trc_one');
    assert.match(lines[2] ?? '', /^└─ action act_a {2}tool crm\.export$/);
    assert.match(lines[3] ?? '', /^ {3}├─ #2 {2}\d{4}-\d\d-\d\dT[^ ]+ {2}decision {2}crm\.export {2}allow\/policy\.permit {2}\[p\.read, p\.tenant\]$/);
    assert.match(lines[4] ?? '', /^ {3}├─ #4 .* intent {2}crm\.export$/);
    assert.match(lines[5] ?? '', /^ {3}├─ action act_b {2}tool mail\.send {2}\(child of act_a\) {2}request req_two$/);
    assert.match(lines[6] ?? '', /^ {3}│ {2}├─ #5 .*deny\/policy\.forbid {2}\[p\.no-external\]$/);
    assert.match(lines[7] ?? '', /^ {3}│ {2}└─ action act_c/);
    assert.match(lines[9] ?? '', /^ {3}└─ #7 .* result {2}crm\.export {2}result=ok$/);
  });

  it('escapes control and bidi characters from the log', () => {
    const event: AuditEvent = {
      ...sampleEventInput({ tool: 'evil\u001b[2J\u202etool', result_code: 'ok\r\nfake line' }),
      seq: 9,
      event_id: 'evt_9',
      ts: '2026-01-01T00:00:00.000Z',
      prev_hash: 'x',
      hash: 'y',
    };
    const line = renderEventLine(event);
    assert.ok(!/[\u0000-\u001f\u202e]/.test(line), line);
    assert.ok(line.includes('evil\\u001b[2J\\u202etool'));
    assert.ok(line.includes('result=ok\\u000d\\u000afake line'));
  });
});
