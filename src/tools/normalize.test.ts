/** Normalization and argument hashing. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalHash } from '../core/canonical.ts';
import type { JsonSchema } from '../core/types.ts';
import { hashArguments, normalizeArguments, tryNormalizeArguments } from './normalize.ts';
import { ToolRegistry } from './registry.ts';
import { toolDef } from './test-support.ts';

const NFD_E = 'e\u0301';
const NFC_E = '\u00e9';

const schema: JsonSchema = {
  type: 'object',
  $defs: { host: { type: 'string', format: 'hostname' } },
  properties: {
    to: { type: 'string', format: 'email' },
    cc: { type: 'array', items: { type: 'string', format: 'email' } },
    server: { $ref: '#/$defs/host' },
    both: { type: 'string', allOf: [{ minLength: 3 }, { format: 'email' }] },
    maybe: { anyOf: [{ type: 'string', format: 'hostname' }, { type: 'string', pattern: '^[A-Z]+$' }] },
    note: { type: 'string' },
    nested: { type: 'object', properties: { owner: { type: 'string', format: 'email' } } },
  },
};
const tool = { inputSchema: schema };

describe('normalizeArguments', () => {
  it('puts every string value and key in NFC', () => {
    const out = normalizeArguments(tool, { note: `caf${NFD_E}`, nested: { owner: `j${NFD_E}@x.io` }, [`k${NFD_E}`]: [NFD_E] });
    assert.deepEqual(out, { note: `caf${NFC_E}`, nested: { owner: `j${NFC_E}@x.io` }, [`k${NFC_E}`]: [NFC_E] });
  });

  it('refuses two keys that collide under NFC', () => {
    const result = tryNormalizeArguments(tool, { [`k${NFD_E}`]: 1, [`k${NFC_E}`]: 2 });
    assert.equal(result.ok, false);
    assert.throws(() => normalizeArguments(tool, { [`k${NFD_E}`]: 1, [`k${NFC_E}`]: 2 }), { code: 'ERR_TOOLS_ARGUMENTS_INVALID' });
  });

  it('lowercases the domain of email fields, never the local part', () => {
    const out = normalizeArguments(tool, {
      to: 'John.Doe@Example.COM',
      cc: ['A@B.ORG', 'weird@local@Host.NET'],
      both: 'X@Y.Z',
      nested: { owner: 'Ops@Corp.Example' },
    });
    assert.deepEqual(out, {
      to: 'John.Doe@example.com',
      cc: ['A@b.org', 'weird@local@host.net'],
      both: 'X@y.z',
      nested: { owner: 'Ops@corp.example' },
    });
  });

  it('lowercases hostnames reached through $ref, but not formats that only may apply (anyOf)', () => {
    const out = normalizeArguments(tool, { server: 'API.Example.COM', maybe: 'ABC' });
    assert.deepEqual(out, { server: 'api.example.com', maybe: 'ABC' });
  });

  it('does not trim or otherwise rewrite strings', () => {
    const out = normalizeArguments(tool, { note: '  Hello  World \n', to: ' a@B.c ' });
    assert.deepEqual(out, { note: '  Hello  World \n', to: ' a@b.c ' });
  });

  it('is idempotent and refuses non-objects', () => {
    const once = normalizeArguments(tool, { to: `J${NFD_E}@EX.com` });
    assert.deepEqual(normalizeArguments(tool, once), once);
    for (const bad of [null, [], 'x', 1]) {
      assert.throws(() => normalizeArguments(tool, bad), { code: 'ERR_TOOLS_ARGUMENTS_INVALID' });
    }
  });
});

describe('hashArguments', () => {
  it('is stable under key order and equal for equivalent spellings', () => {
    const a = hashArguments(tool, { to: 'x@Example.com', note: `caf${NFD_E}`, nested: { owner: 'o@a.b' } });
    const b = hashArguments(tool, { nested: { owner: 'o@A.B' }, note: `caf${NFC_E}`, to: 'x@EXAMPLE.COM' });
    assert.equal(a, b);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
  });

  it('differs when meaning differs', () => {
    assert.notEqual(hashArguments(tool, { to: 'X@example.com' }), hashArguments(tool, { to: 'x@example.com' }));
    assert.notEqual(hashArguments(tool, { note: 'a ' }), hashArguments(tool, { note: 'a' }));
  });

  it('one-argument form hashes an already normalized value', () => {
    const value = normalizeArguments(tool, { to: 'x@EXAMPLE.com' });
    assert.equal(hashArguments(value), hashArguments(tool, { to: 'x@EXAMPLE.com' }));
    assert.equal(hashArguments(value), canonicalHash(value));
  });

  it('validate returns the normalized value, which then still matches the schema', () => {
    const registry = new ToolRegistry([toolDef({ name: 't', inputSchema: { ...schema, properties: { ...(schema.properties as object), code: { type: 'string', maxLength: 1 } } } })]);
    const result = registry.validate(registry.get('t')!, { to: "J@EX.com", code: NFD_E });
    assert.deepEqual(result, { ok: true, value: { to: "J@ex.com", code: NFC_E } });
  });
});
