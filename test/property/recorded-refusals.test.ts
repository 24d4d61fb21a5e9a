/**
 * Every call the HTTP door accepts and the gateway refuses (denied, held, or refused as
 * unrepresentable) has exactly one recorded decision, whatever its bytes: generated bodies
 * with lone surrogates in tool names, argument keys and values, intents and identity claims,
 * sent as any JSON client sends them. Lineage of the answer's request id finds it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

type Json = Record<string, unknown>;
const TOOLS = ['crm.getCustomer', 'crm.exportCustomers', 'email.send', 'billing.refund', 'billing.getInvoices'];
const PATHS = ['/v1/tool-calls', '/v1/decide', '/v1/tool-calls/simulate'];

let fx: HttpFixture;
let session: string;
let auditor: string;
before(async () => {
  fx = await startDemoServer();
  session = (await fx.post('/v1/sessions', { attributes: { ticket_id: 't_1', customer_id: 'cus_acme_ada', customer_email: 'ada@lovelace.example' } }, fx.tokens.sam)).body.session_id as string;
  auditor = await fx.token({ sub: 'aud', tenant: 'acme', roles: ['auditor'] });
});
after(() => fx.close());

const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 16 }), fc.constantFrom('\ud800', 'a\udc00b', '\udfff\ud800', 'cus_acme_ada', 'x@y.example'));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, text, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text, tie('v'), { maxKeys: 3 })),
})).v;
const args = fc.oneof(
  fc.dictionary(text, value, { maxKeys: 4 }),
  fc.record({ customer_id: fc.oneof(text, fc.constant('cus_acme_ada')), amount: fc.oneof(fc.double(), fc.constant(100.00001), fc.integer()) }, { requiredKeys: [] }),
  fc.record({ to: text, subject: text, body: text }, { requiredKeys: [] }),
  value,
);
const body = fc.record(
  {
    tool: fc.oneof(fc.constantFrom(...TOOLS), text, fc.tuple(fc.constantFrom(...TOOLS), text).map(([t, s]) => t + s)),
    arguments: args,
    session_id: fc.oneof(fc.constant(undefined), fc.constant('own'), text),
    intent: fc.option(text, { nil: undefined }),
    user: fc.option(text, { nil: undefined }),
    tenant: fc.option(text, { nil: undefined }),
  },
  { requiredKeys: ['tool', 'arguments'] },
);

test('property: any body the HTTP door accepts and refuses has exactly one recorded refusal', async () => {
  let refusals = 0;
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom(...PATHS), async (generated, path) => {
      const sent: Json = { ...generated };
      if (sent.session_id === 'own') sent.session_id = session;
      for (const key of Object.keys(sent)) if (sent[key] === undefined) delete sent[key];
      const res = await fx.post(path, JSON.stringify(sent), fx.tokens.sam);
      if (res.status === 400 && (res.body.error as Json | undefined)?.code === 'ERR_REQUEST_MALFORMED') return; // the door did not accept it
      assert.ok([200, 202, 400, 403, 502].includes(res.status), `unexpected ${res.status} ${JSON.stringify(res.body)}`);
      const decision = res.body.decision as Json;
      assert.equal(typeof res.body.request_id, 'string', 'every accepted call answers with its request id');
      const refused = decision.outcome !== 'allow';
      if (!refused) return;
      refusals++;
      const lineage = await fx.gateway.lineage(res.body.request_id as string, auditor);
      const decisions = lineage.events.filter((e) => e.type === (path.endsWith('simulate') ? 'simulation' : 'decision'));
      assert.equal(decisions.length, 1, `${path} ${JSON.stringify(sent)} -> ${decisions.length} decision events`);
      assert.equal((decisions[0]?.decision as Json).code, decision.code);
    }),
    { numRuns: 300 },
  );
  assert.ok(refusals >= 100, `only ${refusals} refusals were generated`);
  assert.equal(fx.gateway.stats().unrecorded_stops, 0);
});
