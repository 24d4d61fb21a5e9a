/**
 * Where an argument problem is (a JSON Pointer) becomes a decision reason in the audit log, and
 * an argument's keys are data: a credential-looking key, or one too long to show, is redacted
 * in the location at every depth and from every check (schema, normalization, plain-JSON intake).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonSchema } from '../core/types.ts';
import { ToolRegistry } from './registry.ts';
import { redactPointer } from './secrets.ts';
import { toolDef } from './test-support.ts';

const STRIPE = 'sk_live_Ab3dEf6hIj9kLm2nOp5qRs8t';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW0ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

function problems(inputSchema: JsonSchema, args: unknown): string {
  const registry = new ToolRegistry([toolDef({ name: 't', inputSchema })]);
  const tool = registry.get('t');
  assert.ok(tool);
  const result = registry.validate(tool, args);
  assert.equal(result.ok, false);
  return result.ok ? '' : JSON.stringify(result.errors);
}

describe('argument problem locations', () => {
  it('an unknown credential-looking key is not named', () => {
    const schema: JsonSchema = { type: 'object', properties: { id: { type: 'string' } } };
    const text = problems(schema, { id: 'x', [STRIPE]: 1 });
    assert.ok(!text.includes(STRIPE), text);
    assert.match(text, /\/\[redacted key\]/);
  });

  it('a nested credential-looking key on the way to a problem is not named', () => {
    const schema: JsonSchema = { type: 'object', properties: { headers: { type: 'object', additionalProperties: { type: 'number' } } } };
    const text = problems(schema, { headers: { 'Bearer abcdefgh12345': 'x', ghp_0123456789abcdefghij: 'y', [JWT]: 'z' } });
    for (const part of ['abcdefgh12345', 'ghp_0123456789abcdefghij', JWT.split('.')[2] as string]) assert.ok(!text.includes(part), text);
    assert.match(text, /\/headers\/\[redacted key\]/);
  });

  it('an overlong key is not shown, an ordinary one is', () => {
    const schema: JsonSchema = { type: 'object', properties: { id: { type: 'string' } } };
    const long = 'k'.repeat(65);
    const text = problems(schema, { id: 1, [long]: 1, extra: 2 });
    assert.ok(!text.includes(long));
    assert.match(text, /\/\[long key\]/);
    assert.match(text, /"\/extra"/);
    assert.match(text, /"\/id"/);
  });

  it('redactPointer never keeps a credential-looking key (property)', () => {
    const safe = fc.stringMatching(/^[a-z_]{1,12}$/);
    const secret = fc.constantFrom(STRIPE, JWT, 'ghp_0123456789abcdefghij', 'https://u:p4ss@db.example/x', 'Bearer abcdefgh12345');
    fc.assert(
      fc.property(fc.array(fc.oneof(safe, secret, fc.nat().map(String)), { maxLength: 6 }), (keys) => {
        const pointer = keys.map((k) => `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
        const out = redactPointer(pointer);
        return out.split('/').length === pointer.split('/').length && ![STRIPE, JWT, 'ghp_0123456789abcdefghij', 'p4ss', 'abcdefgh12345'].some((s) => out.includes(s));
      }),
    );
    assert.equal(redactPointer(''), '');
    assert.equal(redactPointer('/a~1b/0'), '/a~1b/0');
  });
});
