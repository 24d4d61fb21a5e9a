import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AuditEvent, AuditEventInput, Principal, RegisteredTool, SideEffectClass } from '../core/types.ts';
import type { ApprovalRequest } from '../approvals/index.ts';
import { MemoryApprovalStore } from '../approvals/index.ts';
import type { Override } from '../overrides/index.ts';
import { MemoryOverrideStore } from '../overrides/index.ts';
import { MemoryAuditStore } from '../audit/index.ts';
import { computeTrends, tenantTrends } from './trends.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');
let seq = 0;

function decision(at: number, tool: string, outcome: 'allow' | 'deny' | 'approval_required', rules: string[], extra: Partial<AuditEvent> = {}): AuditEvent {
  seq += 1;
  return {
    seq,
    event_id: `evt_${seq}`,
    ts: new Date(at).toISOString(),
    prev_hash: '',
    hash: '',
    type: 'decision',
    request_id: `req_${seq}`,
    trace_id: `trc_${seq}`,
    session_id: null,
    action_id: `act_${seq}`,
    parent_action_id: null,
    actor: { user: 'sam', tenant: 'acme', roles: [], agent: null },
    tool,
    args_hash: 'sha256:x',
    decision: { outcome, policy_version: 'sha256:p', reasons: rules.map((policy_id) => ({ policy_id, reason: 'r', code: 'c' })) },
    ...extra,
  };
}

function result(of: AuditEvent): AuditEvent {
  return { ...of, seq: of.seq + 100_000, type: 'result', decision: undefined, result_code: 'ok' };
}

const SIDE_EFFECTS: Record<string, SideEffectClass> = { 'email.send': 'external_send', 'crm.read': 'read', 'billing.refund': 'irreversible' };
const sideEffectOf = (tool: string) => SIDE_EFFECTS[tool];

test('counts refused high-risk calls per week, never reads, allowed or held calls', () => {
  const events = [
    decision(NOW - 1 * DAY, 'email.send', 'deny', ['no-external']),
    decision(NOW - 2 * DAY, 'billing.refund', 'deny', ['refund-cap']),
    decision(NOW - 9 * DAY, 'email.send', 'deny', ['no-external']),
    decision(NOW - 1 * DAY, 'crm.read', 'deny', ['tenant-isolation']),
    decision(NOW - 1 * DAY, 'email.send', 'approval_required', ['external-needs-approval']),
    decision(NOW - 1 * DAY, 'unknown.tool', 'deny', ['builtin.unknown']),
    decision(NOW - 30 * DAY, 'email.send', 'deny', ['too-old']),
  ];
  const trends = computeTrends({ now: NOW, weeks: 2, events, approvals: [], overrides: [], sideEffectOf });
  assert.deepEqual(trends.blocked_high_risk.map((w) => w.count), [1, 2]);
  assert.equal(trends.blocked_high_risk[0]?.week_start, '2026-11-23');
  // Top rules: every refused or held call's rules in the window, most frequent first.
  assert.deepEqual(trends.top_rules, [
    { rule: 'no-external', count: 2 },
    { rule: 'builtin.unknown', count: 1 },
    { rule: 'external-needs-approval', count: 1 },
    { rule: 'refund-cap', count: 1 },
    { rule: 'tenant-isolation', count: 1 },
  ]);
});

test('lineage is complete for an allowed call only with its result; a refusal is complete with its decision', () => {
  const ran = decision(NOW - DAY, 'email.send', 'allow', []);
  const lost = decision(NOW - DAY, 'email.send', 'allow', []);
  const refused = decision(NOW - DAY, 'email.send', 'deny', ['x']);
  const anonymous = decision(NOW - DAY, 'email.send', 'deny', ['x'], { actor: { user: null, tenant: 'acme', roles: [], agent: null } });
  const trends = computeTrends({ now: NOW, weeks: 1, events: [ran, result(ran), lost, refused, anonymous], approvals: [], overrides: [], sideEffectOf });
  assert.deepEqual(trends.lineage, { calls: 4, complete: 2, share: 0.5 });
  assert.equal(computeTrends({ now: NOW, weeks: 1, events: [], approvals: [], overrides: [], sideEffectOf }).lineage.share, null);
});

test('overrides opened per week, open now and their median age; approval decision time', () => {
  const override = (createdAgo: number, closed: Partial<Override> = {}): Override => ({
    id: `ovr_${createdAgo}`,
    scope: { kind: 'tool', tool: 'crm.read', tenant: 'acme' },
    owner: { user: 'olga', tenant: 'acme', issuer: 'i', roles: [] },
    justification: 'j',
    created_at: NOW - createdAgo,
    expires_at: NOW + DAY,
    uses: 0,
    ...closed,
  } as Override);
  const approval = (createdAgo: number, decidedAfterSeconds: number | null, state: ApprovalRequest['state']): ApprovalRequest => ({
    id: `apr_${createdAgo}`,
    state,
    action_hash: 'h',
    tool: 'email.send',
    tool_version: 'v',
    tenant: 'acme',
    requester: { user: 'sam', agent: null },
    required_role: 'lead',
    policy_version: 'p',
    reasons: [],
    summary: 's',
    affected_count: 1,
    args_hash: 'a',
    session_id: null,
    created_at: NOW - createdAgo,
    expires_at: NOW + DAY,
    ...(decidedAfterSeconds === null ? {} : { decided_at: NOW - createdAgo + decidedAfterSeconds * 1000 }),
  });
  const trends = computeTrends({
    now: NOW,
    weeks: 2,
    events: [],
    overrides: [override(3600_000), override(2 * 3600_000), override(3 * 3600_000, { revoked_at: NOW - 1000 }), override(10 * DAY)],
    approvals: [approval(DAY, 60, 'approved'), approval(DAY, 180, 'denied'), approval(DAY, 600, 'consumed'), approval(60_000, null, 'pending')],
    sideEffectOf,
  });
  assert.deepEqual(trends.overrides.opened.map((w) => w.count), [1, 3]);
  assert.equal(trends.overrides.open_now, 3);
  assert.equal(trends.overrides.median_open_age_seconds, 7200);
  assert.deepEqual(trends.approvals, { decided: 3, median_decision_seconds: 180, pending_now: 1 });
});

test('every decision in the window lands in exactly one week and is counted once', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 26 }), fc.array(fc.integer({ min: 0, max: 30 * 7 * DAY }), { maxLength: 60 }), (weeks, agos) => {
      const events = agos.map((ago) => decision(NOW - ago, 'email.send', 'deny', ['r']));
      const trends = computeTrends({ now: NOW, weeks, events, approvals: [], overrides: [], sideEffectOf });
      const inWindow = agos.filter((ago) => ago > 0 && ago <= weeks * 7 * DAY).length;
      assert.equal(trends.blocked_high_risk.length, weeks);
      assert.equal(trends.blocked_high_risk.reduce((sum, w) => sum + w.count, 0), inWindow);
      assert.equal(trends.lineage.calls, inWindow);
      assert.equal(trends.top_rules[0]?.count ?? 0, inWindow);
    }),
  );
});

test('tenantTrends: auditor roles only, weeks bounded, every page of the tenant read, other tenants left out', async () => {
  const audit = new MemoryAuditStore();
  const input = (tenant: string, outcome: 'deny' | 'allow'): AuditEventInput => ({
    type: 'decision',
    request_id: 'req',
    trace_id: 'trc',
    session_id: null,
    action_id: 'act',
    parent_action_id: null,
    actor: { user: 'sam', tenant, roles: [], agent: null },
    tool: 'email.send',
    args_hash: 'sha256:x',
    decision: { outcome, policy_version: 'p', reasons: [{ policy_id: 'no-external', reason: 'r', code: 'c' }] },
  });
  // More refusals than one search page holds, between another tenant's events.
  for (let i = 0; i < 3; i++) await audit.append([...Array.from({ length: 500 }, () => input('acme', 'deny')), ...Array.from({ length: 100 }, () => input('globex', 'deny'))]);
  const sources = {
    audit,
    approvals: new MemoryApprovalStore(),
    overrides: new MemoryOverrideStore(),
    tools: () => [{ name: 'email.send', sideEffect: 'external_send' } as RegisteredTool],
    now: () => Date.now() + 1000,
  };
  const reader = (roles: string[]): Principal => ({ user: 'audra', tenant: 'acme', roles, delegation: [], issuer: 'dev' });
  const trends = await tenantTrends(sources, reader(['auditor']), 1, ['auditor']);
  assert.deepEqual(trends.blocked_high_risk.map((w) => w.count), [1500]);
  assert.deepEqual(trends.top_rules, [{ rule: 'no-external', count: 1500 }]);
  await assert.rejects(tenantTrends(sources, reader(['support']), 1, ['auditor']), { code: 'ERR_AUDIT_FORBIDDEN' });
  for (const weeks of [0, 27, 1.5]) await assert.rejects(tenantTrends(sources, reader(['auditor']), weeks, ['auditor']), { code: 'ERR_REQUEST_MALFORMED' });
});
