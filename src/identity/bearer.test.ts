/**
 * Tests for parseBearer: the token of a well-formed header; MISSING for no header,
 * MALFORMED for anything else, never echoing the header.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBearer } from './bearer.ts';

describe('parseBearer', () => {
  it('returns the token of a Bearer header (scheme case-insensitive)', () => {
    assert.equal(parseBearer('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(parseBearer('bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(parseBearer('BEARER  abc.def.ghi '), 'abc.def.ghi');
  });

  it('refuses a missing or blank header with ERR_IDENTITY_MISSING', () => {
    for (const header of [undefined, '', '   ']) {
      assert.throws(() => parseBearer(header), { code: 'ERR_IDENTITY_MISSING', status: 401 });
    }
  });

  it('refuses other schemes and malformed values with ERR_IDENTITY_MALFORMED, without echoing them', () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,Bearer b', 'Token abc', 'abc.def.ghi']) {
      assert.throws(
        () => parseBearer(header),
        (err: Error & { code?: string; status?: number }) =>
          err.code === 'ERR_IDENTITY_MALFORMED' && err.status === 401 && !err.message.includes('dXNlcjpwYXNz'),
        header,
      );
    }
    assert.throws(() => parseBearer(`Bearer ${'a'.repeat(20000)}`), { code: 'ERR_IDENTITY_MALFORMED' });
  });
});
