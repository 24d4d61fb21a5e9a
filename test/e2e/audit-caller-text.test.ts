/**
 * Text a caller chooses that the audit log keeps as written — the location of an argument
 * problem (an unknown key is named there), the tool name of a call that named no tool, a
 * claimed identity in the arguments — holds no credential: the log keeps hashes and safe
 * summaries (invariant 6), whatever the agent put where.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { recordSecret } from '../support/leak-scan.ts';
import type { DemoFixture } from '../support/demo.ts';
import { startDemo } from '../support/demo.ts';

const SECRETS = {
  argumentKey: 'sk_live_AKey3dEf6hIj9kLm2nOp5qRs8t',
  toolName: 'ghp_ToolNameabcdefghij0123456789',
  claimedUser: 'sk-claimed-user-0123456789abcdef',
  cutToolName: 'sk_live_CutAt200abcdefghijklmnop',
};

function auditText(fx: DemoFixture): string {
  const db = new DatabaseSync(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
  try {
    return (db.prepare('SELECT * FROM events').all() as Array<Record<string, unknown>>).map((row) => JSON.stringify(row)).join('\n');
  } finally {
    db.close();
  }
}

describe('caller-chosen text in the audit log', () => {
  let fx: DemoFixture;
  let session = '';

  before(async () => {
    for (const [label, value] of Object.entries(SECRETS)) recordSecret(`caller text (${label})`, value, ['http']);
    fx = await startDemo();
    session = await fx.session(fx.tokens.sam, { ticket_id: 't_1001', customer_id: 'cus_acme_ada', customer_email: 'ada@lovelace.example' });
  });
  after(() => fx?.close());

  it('keeps no credential the agent put in a key, a tool name or a claimed identity', async () => {
    const calls = [
      { tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada', [SECRETS.argumentKey]: 1 } },
      { tool: SECRETS.toolName, arguments: {} },
      // Cut at 200 characters: the credential is judged whole, before the cut.
      { tool: `${'t'.repeat(190)} ${SECRETS.cutToolName}`, arguments: {} },
      { tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada', user: SECRETS.claimedUser } },
    ];
    for (const call of calls) {
      const result = await fx.gateway.execute({ token: fx.tokens.sam, session_id: session, ...call });
      assert.equal(result.status, 'denied');
    }
    const log = auditText(fx);
    assert.match(log, /identity\.mismatch/);
    assert.match(log, /\[redacted key\]: unknown property/);
    for (const [label, value] of Object.entries(SECRETS)) {
      for (const part of [value, value.slice(0, 9)]) assert.ok(!log.includes(part), `${label} (${part}) is in the audit log`);
    }
  });
});
