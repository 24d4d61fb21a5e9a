import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect as show } from 'node:util';
import fc from 'fast-check';
import type { JsonValue } from '../core/canonical.ts';
import { CallSecrets, SECRET_MARKER, redactSecrets } from './call-secrets.ts';
import type { CallState } from './call.ts';
import type { PipelineEnv } from './env.ts';
import { inspect } from './phases/inspect.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW0ifQ.c2lnbmF0dXJlLW9mLXRoZS1jcmVkZW50aWFsLTAxMjM0NQ';

function secretsOf(...values: Array<[Parameters<CallSecrets['add']>[0], string]>): CallSecrets {
  const secrets = new CallSecrets();
  for (const [kind, value] of values) secrets.add(kind, value);
  return secrets;
}

test('redaction: whole values, substrings, keys, a JWT signature alone and URL-encoded forms are replaced and counted', () => {
  const secrets = secretsOf(['credential', JWT], ['connector_secret', 'api key/with+chars']);
  const out = redactSecrets(secrets, {
    value: {
      token: JWT,
      [`k-${JWT}`]: 1,
      list: [`Bearer ${JWT}`, { deep: `sig ${JWT.split('.')[2]}` }, 'api%20key%2Fwith%2Bchars', 'api key/with+chars'],
      untouched: 'nothing here',
      n: 7,
    },
  });
  assert.deepEqual(out.value, {
    token: SECRET_MARKER,
    [`k-${SECRET_MARKER}`]: 1,
    list: [`Bearer ${SECRET_MARKER}`, { deep: `sig ${SECRET_MARKER}` }, SECRET_MARKER, SECRET_MARKER],
    untouched: 'nothing here',
    n: 7,
  });
  assert.deepEqual(out.redacted, { count: 6, kinds: { credential: 4, connector_secret: 2 } });
  assert.equal(show(secrets).includes(JWT), false);
  assert.equal(JSON.stringify(secrets).includes(JWT), false);
});

test('redaction: nothing to remove leaves the result as it was, with no record', () => {
  const value = { a: ['b', { c: 'd' }] };
  const out = redactSecrets(secretsOf(['credential', JWT]), { value, error: 'plain' });
  assert.deepEqual(out, { value, error: 'plain' });
});

test('redaction: two keys that redact to the same name are both kept', () => {
  const out = redactSecrets(secretsOf(['credential', JWT]), { value: { [`${JWT}`]: 1, [SECRET_MARKER]: 2 } });
  assert.deepEqual(out.value, { [SECRET_MARKER]: 1, [`${SECRET_MARKER} (2)`]: 2 });
});

test('inspect: a failed call\'s error text does not echo the credential; the redaction is recorded on the call', () => {
  const call = {
    secrets: secretsOf(['credential', JWT], ['upstream_secret', 'upstream-api-key-0123456789']),
    resultError: { code: 'ERR_MCP_UPSTREAM_UNAVAILABLE', message: `upstream docs: rejected token ${JWT} (key upstream-api-key-0123456789)` },
  } as unknown as CallState;
  inspect(call, {} as PipelineEnv);
  assert.deepEqual(call.resultError, {
    code: 'ERR_MCP_UPSTREAM_UNAVAILABLE',
    message: `upstream docs: rejected token ${SECRET_MARKER} (key ${SECRET_MARKER})`,
  });
  assert.deepEqual(call.redacted, { count: 2, kinds: { credential: 1, upstream_secret: 1 } });
});

const secretArb = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
/** A JSON value with the secret spliced into some of its strings and keys, at any position. */
function embedding(secret: string): fc.Arbitrary<JsonValue> {
  const text = fc.tuple(fc.string({ maxLength: 12 }), fc.boolean(), fc.string({ maxLength: 12 })).map(([a, put, b]) => (put ? `${a}${secret}${b}` : a + b));
  const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
    json: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.integer(),
      fc.constant(null),
      fc.array(tie('json'), { maxLength: 4 }),
      fc.array(fc.tuple(text, tie('json')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries) as JsonValue),
    ),
  }));
  return json;
}

test('property: any result embedding the minted secret, at any position, comes back without it', () => {
  fc.assert(
    fc.property(
      secretArb.chain((secret) => fc.tuple(fc.constant(secret), embedding(secret), fc.string({ maxLength: 20 }))),
      ([secret, value, errorPrefix]) => {
        const secrets = secretsOf(['credential', secret]);
        const wrapped = { wrapped: value, [secret]: value };
        const out = redactSecrets(secrets, { value: wrapped, error: `${errorPrefix}${secret}` });
        assert.equal(JSON.stringify(out.value).includes(secret), false);
        assert.equal(out.error?.includes(secret), false);
        assert.ok((out.redacted?.count ?? 0) >= 2);
      },
    ),
    { numRuns: 300 },
  );
});
