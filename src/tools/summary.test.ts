/** Safe argument summaries: shapes, chosen values, redaction (incl. a property test). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonSchema } from '../core/types.ts';
import { summarizeArguments } from './summary.ts';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    customer_id: { type: 'string' },
    plan: { type: 'string', enum: ['free', 'pro'] },
    body: { type: 'string' },
    notify: { type: 'boolean' },
    amount: { type: 'number' },
    count: { type: 'integer' },
    recipients: { type: 'array', items: { type: 'string' } },
    meta: { type: 'object', additionalProperties: true },
    password: { type: 'string' },
    apiKey: { type: 'string' },
    pin_token: { type: 'integer' },
  },
};
const tool = { inputSchema: schema, resource: { type: 'Customer', argument: 'customer_id' } };

describe('summarizeArguments', () => {
  it('reports type and size, and values only for safe fields', () => {
    const summary = summarizeArguments(tool, {
      customer_id: 'cus_123',
      plan: 'pro',
      body: 'Hello, please refund me',
      notify: true,
      amount: 12.5,
      count: 3,
      recipients: ['a@b.c', 'd@e.f'],
      meta: { secret_note: 'x', nested: { deeper: 'y' } },
      empty: null,
    });
    assert.deepEqual(summary, {
      customer_id: { type: 'string', length: 7, value: 'cus_123' },
      plan: { type: 'string', length: 3, value: 'pro' },
      body: { type: 'string', length: 23 },
      notify: { type: 'boolean', value: true },
      amount: { type: 'number', value: 12.5 },
      count: { type: 'integer', value: 3 },
      recipients: { type: 'array', length: 2 },
      meta: { type: 'object', keys: 2 },
      empty: { type: 'null' },
    });
  });

  it('hides an enum field value that is not one of the declared values, and long resource ids', () => {
    const summary = summarizeArguments(tool, { plan: 'enterprise', customer_id: 'c'.repeat(65) }) as Record<string, unknown>;
    assert.deepEqual(summary.plan, { type: 'string', length: 10 });
    assert.deepEqual(summary.customer_id, { type: 'string', length: 65 });
  });

  it('redacts values under secret-sounding keys, whatever their type', () => {
    const summary = summarizeArguments(tool, {
      password: 'hunter2',
      apiKey: 'abc',
      pin_token: 1234,
      Authorization: 'Basic x',
      'x-api-key': 'k',
      client_secret: 'cs',
      refreshToken: 'rt',
      db_credentials: { user: 'u' },
    });
    for (const entry of Object.values(summary as Record<string, { value?: unknown }>)) {
      assert.equal(entry.value, '[redacted]');
    }
    assert.ok(!JSON.stringify(summary).includes('hunter2'));
  });

  it('redacts credential-shaped values even in shown fields, and secret-shaped keys', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
    const cases = [
      'sk-proj-abcdefghijklmnop',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'AKIAABCDEFGHIJKLMNOP',
      jwt,
      '-----BEGIN RSA PRIVATE KEY-----',
    ];
    for (const secret of cases) {
      const summary = summarizeArguments(tool, { customer_id: secret, [secret]: 1 });
      const text = JSON.stringify(summary);
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
      assert.deepEqual((summary as Record<string, unknown>).customer_id, { type: 'string', value: '[redacted]' });
    }
  });

  it('replaces long keys wholesale', () => {
    const key = `note_${'k'.repeat(80)}`;
    const summary = summarizeArguments(tool, { [key]: 1 });
    assert.deepEqual(summary, { '[long key 0]': { type: 'integer', value: 1 } });
  });

  it('caps the number of fields and survives any input', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    const summary = summarizeArguments(tool, many) as Record<string, unknown>;
    assert.equal(Object.keys(summary).length, 65);
    assert.equal(summary.$omitted, 36);
    assert.deepEqual(summarizeArguments(tool, [1, 2]), { $invalid: { type: 'array' } });
    assert.deepEqual(summarizeArguments(tool, { a: () => 1 }), { $invalid: { type: 'unreadable' } });
  });

  it('property: no generated secret ever appears in a summary', () => {
    const alnum = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 1, maxLength: 48 });
    const upper = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 16, maxLength: 16 });
    const b64url = (min: number) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'), minLength: min, maxLength: 40 });
    const secret = fc.oneof(
      alnum.filter((s) => s.length >= 8).map((s) => `sk-${s}`),
      alnum.filter((s) => s.length >= 8).map((s) => `sk-proj-${s}`),
      fc.string({ unit: fc.constantFrom(...'abcdefABCDEF0123456789'), minLength: 36, maxLength: 36 }).map((s) => `ghp_${s}`),
      upper.map((s) => `AKIA${s}`),
      fc.tuple(b64url(1), b64url(1), b64url(0)).map(([a, b, c]) => `eyJ${a}.${b}.${c}`),
      fc.constantFrom('RSA PRIVATE KEY', 'PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'CERTIFICATE').map((s) => `-----BEGIN ${s}-----`),
    );
    const filler = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(secret, filler, filler, fc.constantFrom('customer_id', 'plan', 'body', 'free_field'), (s, before, after, key) => {
        const value = `${before}${s}${after}`;
        const text = JSON.stringify(summarizeArguments(tool, { [key]: value, [value]: value, nested: { [s]: s } }));
        return !text.includes(s);
      }),
      { numRuns: 2000 },
    );
  });
});
