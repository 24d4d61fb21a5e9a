import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pino from 'pino';
import { AirlockError } from './errors.ts';
import { redactError, secretScrubber } from './redact-error.ts';

/** What a pino logger writes for `{err}` (the std err serializer: message, stack, own properties, causes). */
function logged(error: unknown): string {
  let line = '';
  pino({}, { write: (text: string) => (line += text) }).error({ err: error }, 'failed');
  return line;
}

describe('redactError', () => {
  it('scrubs message, stack, details, own properties and every cause; the original is untouched', () => {
    const secret = 'upstream-key/with+odd=chars';
    const root = Object.assign(new Error(`401 body: bad key ${encodeURIComponent(secret)}`), { code: 'E_AUTH', body: `echo ${secret}`, status: 401 });
    const error = new AirlockError('ERR_MCP_UPSTREAM_UNAVAILABLE', `cannot connect (${secret})`, { status: 502, details: { upstream: 'u', tail: [`k=${secret}`] }, cause: root });
    const copy = redactError(error, secretScrubber([secret], '[redacted]')) as AirlockError;
    const text = logged(copy);
    assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)), text);
    assert.equal(copy.code, 'ERR_MCP_UPSTREAM_UNAVAILABLE');
    assert.equal(copy.status, 502);
    assert.equal(copy.message, 'cannot connect ([redacted])');
    assert.deepEqual(copy.details, { upstream: 'u', tail: ['k=[redacted]'] });
    const cause = copy.cause as Error & { code: string; body: string; status: number };
    assert.equal(cause.message, '401 body: bad key [redacted]');
    assert.deepEqual([cause.code, cause.body, cause.status], ['E_AUTH', 'echo [redacted]', 401]);
    assert.ok(logged(error).includes(secret), 'the original error is not changed');
  });

  it('no serialized form of a redacted error holds a secret (property)', () => {
    // A leading character found nowhere else in a log line (pino's envelope, the error's type and code
    // are not scrubbed), and no '[', so a marker and its neighbours cannot spell the secret again.
    const secretArb = fc.string({ minLength: 5, maxLength: 40 }).filter((s) => !s.includes('[')).map((s) => `\u24e2${s}`);
    fc.assert(
      fc.property(secretArb, fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 4 }), fc.nat(3), (secret, words, depth) => {
        const text = words.join(secret);
        let error: unknown = new Error(`${text}${encodeURIComponent(secret)}`);
        for (let i = 0; i < depth; i++) error = new AirlockError('ERR_X', `level ${i} ${text}`, { status: 500, details: { [secret]: text }, cause: error });
        const line = logged(redactError(error, secretScrubber([secret], '[redacted]')));
        return !line.includes(JSON.stringify(secret).slice(1, -1)) && !line.includes(encodeURIComponent(secret));
      }),
      { numRuns: 300 },
    );
  });

  it('a thrown string is scrubbed; other values pass through', () => {
    const scrub = secretScrubber(['s3cr3t-value'], '[redacted]');
    assert.equal(redactError('failed with s3cr3t-value', scrub), 'failed with [redacted]');
    assert.equal(redactError(42, scrub), 42);
    assert.equal(secretScrubber([], 'x')('unchanged'), 'unchanged');
  });
});
