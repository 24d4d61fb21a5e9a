import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { argumentsHash } from './binding.ts';
import { request, setup } from './test-support.ts';

const target = (id: string | null, args: Record<string, string> = { customer_id: id ?? '' }) => ({
  tool: 'billing.getInvoices',
  resource: { type: 'Customer', id },
  arguments: args,
});

test('binding: the broker mints tool, target resource and arguments-hash claims', async () => {
  const { broker } = setup();
  const minted = await broker.mint(request({ target: target('cus_ada') }));
  const claims = decodeJwt(minted.token);
  assert.equal(claims.tool, 'billing.getInvoices');
  assert.deepEqual(claims.res, { type: 'Customer', id: 'cus_ada' });
  assert.equal(claims.argh, argumentsHash('billing.getInvoices', { customer_id: 'cus_ada' }));
  await assert.rejects(broker.mint(request({ target: { ...target('x'), resource: { type: '', id: 'x' } } })), { code: 'ERR_CREDENTIAL_REQUEST' });
});

test('binding: the verifier refuses another resource, tool or arguments with the part that differed', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request({ target: target('cus_ada') }));
  const own = { tool: 'billing.getInvoices', resource: { type: 'Customer', id: 'cus_ada' }, arguments: { customer_id: 'cus_ada' } };
  assert.equal((await verifier.verify(minted.token, own)).jti, minted.jti);
  await assert.rejects(verifier.verify(minted.token, { resource: { type: 'Customer', id: 'cus_grace' } }), {
    code: 'ERR_CREDENTIAL_TARGET_MISMATCH',
    status: 403,
    details: { mismatch: 'resource' },
  });
  await assert.rejects(verifier.verify(minted.token, { resource: { type: 'Invoice', id: 'cus_ada' } }), { code: 'ERR_CREDENTIAL_TARGET_MISMATCH' });
  await assert.rejects(verifier.verify(minted.token, { tool: 'billing.refund' }), {
    code: 'ERR_CREDENTIAL_ACTION_MISMATCH',
    details: { mismatch: 'tool' },
  });
  await assert.rejects(verifier.verify(minted.token, { tool: 'billing.getInvoices', arguments: { customer_id: 'cus_grace' } }), {
    code: 'ERR_CREDENTIAL_ACTION_MISMATCH',
    details: { mismatch: 'arguments' },
  });
  await assert.rejects(verifier.verify(minted.token, { arguments: { customer_id: 'cus_ada' } }), { code: 'ERR_CREDENTIAL_CONFIG' });
});

test('binding: a credential minted without a target fails every bound check (fail closed)', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request());
  await verifier.verify(minted.token);
  await assert.rejects(verifier.verify(minted.token, { resource: { type: 'Customer', id: 'cus_ada' } }), { code: 'ERR_CREDENTIAL_TARGET_MISMATCH' });
  await assert.rejects(verifier.verify(minted.token, { tool: 'billing.getInvoices' }), { code: 'ERR_CREDENTIAL_ACTION_MISMATCH' });
});

test('property: a credential minted for resource A (or arguments A) never verifies for B', async () => {
  const { broker, verifier } = setup();
  const id = fc.stringMatching(/^[a-z0-9_]{1,24}$/);
  await fc.assert(
    fc.asyncProperty(id, id, async (a, b) => {
      fc.pre(a !== b);
      const minted = await broker.mint(request({ target: target(a) }));
      await verifier.verify(minted.token, { resource: { type: 'Customer', id: a }, tool: 'billing.getInvoices', arguments: { customer_id: a } });
      await assert.rejects(verifier.verify(minted.token, { resource: { type: 'Customer', id: b } }), { code: 'ERR_CREDENTIAL_TARGET_MISMATCH' });
      await assert.rejects(verifier.verify(minted.token, { tool: 'billing.getInvoices', arguments: { customer_id: b } }), {
        code: 'ERR_CREDENTIAL_ACTION_MISMATCH',
      });
    }),
    { numRuns: 100 },
  );
});
