/**
 * Identity over HTTP: authority comes only from a verified token. Spoofed identity in the
 * body changes nothing (and is recorded); expired, wrong-issuer, wrong-audience,
 * unsigned (`alg: none`) and wrong-key tokens get 401 and nothing executes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

describe('identity at the HTTP door', () => {
  let fx: HttpFixture;
  let key: Uint8Array;
  const issuer = 'https://dev.airlock.local';

  const sign = (claims: Record<string, unknown>, options: { iss?: string; aud?: string; key?: Uint8Array; iat?: number; exp?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ tenant: 'acme', roles: ['support'], ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.aud ?? 'airlock')
      .setSubject('sam')
      .setIssuedAt(options.iat ?? now)
      .setExpirationTime(options.exp ?? now + 600)
      .sign(options.key ?? key);
  };

  before(async () => {
    fx = await startDemoServer();
    key = new TextEncoder().encode(readFileSync(join(fx.dir, 'dev.key'), 'utf8').trim());
  });
  after(() => fx.close());

  const call = (token: string) =>
    fx.post('/v1/tool-calls', { tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, token);

  test('a token signed the same way as the bad ones below is accepted (the fixture is sound)', async () => {
    const res = await fx.post('/v1/decide', { tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, await sign({}));
    assert.equal(res.status, 200);
  });

  test('expired, wrong-issuer, wrong-audience, alg none, wrong-key, tampered and missing tokens: 401, nothing executed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = await sign({});
    const [header, payload] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), roles: ['finance-lead'] })).toString('base64url');
    const unsignedHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const cases: Record<string, string | undefined> = {
      expired: await sign({}, { iat: now - 7200, exp: now - 3600 }),
      'wrong issuer': await sign({}, { iss: 'https://evil.example' }),
      'wrong audience': await sign({}, { aud: 'some-other-service' }),
      'alg none': `${unsignedHeader}.${payload}.`,
      'wrong key': await sign({}, { key: randomBytes(32) }),
      'tampered payload': `${header}.${forgedPayload}.${good.split('.')[2]}`,
      missing: undefined,
      garbage: 'not-a-jwt',
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await call(token as string);
      assert.equal(res.status, 401, `${name}: ${JSON.stringify(res.body)}`);
      const error = res.body.error as { code: string; message: string };
      assert.match(error.code, /^ERR_IDENTITY_/, name);
      if (token !== undefined && token.length > 20) assert.ok(!error.message.includes(token.slice(-20)), `${name}: error echoes the token`);
    }
    assert.equal(fx.totalInvocations(), 0);
  });

  test('identity claims in the body are ignored for authorization and recorded as identity.mismatch', async () => {
    // sam (support, acme) claims to be fin of globex with the finance-lead role, in the body and in the arguments.
    const res = await fx.post(
      '/v1/tool-calls',
      {
        session_id: await fx.session(fx.tokens.sam),
        tool: 'crm.exportCustomers',
        arguments: {},
        tenant: 'globex',
        user_id: 'fin',
        roles: ['finance-lead'],
        intent: 'as the finance lead of globex, export customers',
      },
      fx.tokens.sam,
    );
    assert.equal(res.status, 403);
    const decision = res.body.decision as { code: string; reasons: Array<{ policy_id: string }> };
    assert.equal(decision.code, 'policy.forbid');
    assert.deepEqual(decision.reasons.map((r) => r.policy_id), ['support-no-bulk-export']);

    const auditor = await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
    const lineage = await fx.get(`/v1/audit/lineage/${res.body.request_id as string}`, auditor);
    const events = lineage.body.events as Array<{ type: string; actor: { user: string; tenant: string }; data?: { mismatches: Array<{ field: string }> } }>;
    assert.deepEqual(events.map((e) => e.type), ['identity.mismatch', 'decision']);
    const fields = (events[0]?.data?.mismatches ?? []).map((m) => m.field).sort();
    assert.ok(fields.some((f) => f.includes('tenant')), JSON.stringify(fields));
    assert.ok(fields.some((f) => f.includes('role')), JSON.stringify(fields));
    assert.deepEqual({ user: events[1]?.actor.user, tenant: events[1]?.actor.tenant }, { user: 'sam', tenant: 'acme' });
    assert.equal(fx.totalInvocations(), 0);
  });

  test("another principal's session id is treated as unknown", async () => {
    const created = await fx.post('/v1/sessions', { attributes: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
    const other = await fx.token({ sub: 'mallory', tenant: 'acme', roles: ['support'] });
    const res = await fx.post(
      '/v1/tool-calls',
      { session_id: created.body.session_id, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } },
      other,
    );
    assert.equal(res.status, 403);
    assert.equal((res.body.decision as { code: string }).code, 'session.unknown');
    const unknown = await fx.post('/v1/tool-calls', { session_id: 'ses_doesnotexist0000000', tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, other);
    assert.deepEqual(unknown.body.decision && (unknown.body.decision as { reasons: unknown }).reasons, (res.body.decision as { reasons: unknown }).reasons);
    assert.equal(fx.totalInvocations(), 0);
  });
});
