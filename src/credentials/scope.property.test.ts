import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { request, setup } from './test-support.ts';

const scopeToken = fc.stringMatching(/^[a-z][a-z0-9._:-]{0,20}$/);

test('property: a credential minted for scope A never verifies for a different scope B', async () => {
  const { broker, verifier } = setup();
  await fc.assert(
    fc.asyncProperty(scopeToken, scopeToken, async (a, b) => {
      fc.pre(a !== b);
      const minted = await broker.mint(request({ scope: a }));
      await verifier.verify(minted.token, { scope: a });
      await assert.rejects(verifier.verify(minted.token, { scope: b }), { code: 'ERR_CREDENTIAL_SCOPE' });
    }),
    { numRuns: 200 },
  );
});

test('property: a multi-token scope verifies exactly for its subsets', async () => {
  const { broker, verifier } = setup();
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(scopeToken, { minLength: 1, maxLength: 4 }),
      fc.uniqueArray(scopeToken, { minLength: 1, maxLength: 4 }),
      async (granted, asked) => {
        const minted = await broker.mint(request({ scope: granted.join(' ') }));
        const subset = asked.every((t) => granted.includes(t));
        const outcome = verifier.verify(minted.token, { scope: asked.join(' ') });
        if (subset) await outcome;
        else await assert.rejects(outcome, { code: 'ERR_CREDENTIAL_SCOPE' });
      },
    ),
    { numRuns: 200 },
  );
});
