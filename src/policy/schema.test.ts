/**
 * Cedar schema generation from tool input schemas (every JSON Schema type), argument
 * conversion to Cedar values (decimals included) and their refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAirlockError } from '../core/errors.ts';
import { checkParseSchema, schemaToText } from '@cedar-policy/cedar-wasm/nodejs';
import { generateCedarSchema } from './schema.ts';
import { toCedarParameters } from './request.ts';
import { toCedarDecimal } from './shapes.ts';
import { fakeTool } from './testing.ts';

const INPUT = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    count: { type: 'integer' },
    amount: { type: 'number' },
    urgent: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    scores: { type: 'array', items: { type: 'number' } },
    address: {
      type: 'object',
      properties: { city: { type: 'string' }, zip: { type: 'integer' }, geo: { type: 'object' } },
      required: ['city'],
    },
    nickname: { type: ['string', 'null'] },
    anything: {},
    either: { type: ['string', 'integer'] },
    rows: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } },
    matrix: { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
    ref: { $ref: '#/definitions/x' },
    __entity: { type: 'string' },
  },
  required: ['name', 'amount', 'nickname'],
};
const tool = fakeTool('shop.order', 'write', INPUT);

function parameters(schema: ReturnType<typeof generateCedarSchema>, name: string): unknown {
  const ctx = schema.Airlock?.actions[name]?.appliesTo?.context as { attributes: Record<string, { attributes: Record<string, unknown> }> };
  return ctx.attributes.tool_call?.attributes.parameters;
}

test('each JSON Schema type maps to its Cedar type; optional unless required', () => {
  const schema = generateCedarSchema([tool], {});
  assert.deepEqual(parameters(schema, 'shop.order'), {
    type: 'Record',
    attributes: {
      name: { type: 'String' },
      count: { type: 'Long', required: false },
      amount: { type: 'Extension', name: 'decimal' },
      urgent: { type: 'Boolean', required: false },
      tags: { type: 'Set', element: { type: 'String' }, required: false },
      scores: { type: 'Set', element: { type: 'Extension', name: 'decimal' }, required: false },
      address: {
        type: 'Record',
        attributes: { city: { type: 'String' }, zip: { type: 'Long', required: false } },
        required: false,
      },
      // Nullable: its non-null type, always optional.
      nickname: { type: 'String', required: false },
    },
  });
});

test('the schema has the User and Tool entities, class groups and one action per tool', () => {
  const schema = generateCedarSchema([tool, fakeTool('crm.read', 'read')], { purpose: 'String', ticket: 'Long', vip: 'Bool' });
  const ns = schema.Airlock;
  assert.ok(ns);
  assert.deepEqual(Object.keys(ns.entityTypes).sort(), ['Tool', 'User']);
  for (const cls of ['none', 'read', 'write', 'irreversible', 'external_send']) assert.deepEqual(ns.actions[cls], {});
  assert.deepEqual(ns.actions['shop.order']?.memberOf, [{ id: 'write' }]);
  assert.deepEqual(ns.actions['crm.read']?.memberOf, [{ id: 'read' }]);
  assert.deepEqual(ns.actions['crm.read']?.appliesTo?.principalTypes, ['User']);
  assert.deepEqual(ns.actions['crm.read']?.appliesTo?.resourceTypes, ['Tool']);
  assert.deepEqual(ns.commonTypes.SessionAttributes, {
    type: 'Record',
    attributes: {
      purpose: { type: 'String', required: false },
      ticket: { type: 'Long', required: false },
      vip: { type: 'Boolean', required: false },
    },
  });
  assert.deepEqual(checkParseSchema(schema), { type: 'success' });
  const text = schemaToText(schema);
  assert.equal(text.type, 'success');
});

test('a tool without an object input schema gets an empty parameters record', () => {
  const schema = generateCedarSchema([fakeTool('x.ping', 'none', { type: 'string' })], {});
  assert.deepEqual(parameters(schema, 'x.ping'), { type: 'Record', attributes: {} });
});

test('tool names may not equal a class name or repeat', () => {
  for (const tools of [[fakeTool('read', 'read')], [fakeTool('a.b', 'read'), fakeTool('a.b', 'write')]]) {
    assert.throws(() => generateCedarSchema(tools, {}), (err) => isAirlockError(err) && err.code === 'ERR_POLICY_TOOL_NAME');
  }
});

test('unsupported session attribute types are refused', () => {
  assert.throws(
    () => generateCedarSchema([], { x: 'Date' as 'String' }),
    (err) => isAirlockError(err) && err.code === 'ERR_POLICY_SESSION_ATTRIBUTE',
  );
});

test('arguments convert to Cedar values; unrepresentable ones are left out', () => {
  const value = toCedarParameters(tool, {
    name: 'n',
    count: 3,
    amount: 12.5,
    urgent: true,
    tags: ['a', 'b'],
    scores: [1, -0.25],
    address: { city: 'Oslo', zip: 150, geo: { lat: 1 }, extra: 'x' },
    nickname: null,
    anything: { deep: [1] },
    either: 'x',
    rows: [{ a: 'x' }],
    matrix: [[1]],
    ref: 1,
    __entity: 'x',
    undeclared: 'x',
  });
  assert.deepEqual(value, {
    name: 'n',
    count: 3,
    amount: { __extn: { fn: 'decimal', arg: '12.5000' } },
    urgent: true,
    tags: ['a', 'b'],
    scores: [{ __extn: { fn: 'decimal', arg: '1.0000' } }, { __extn: { fn: 'decimal', arg: '-0.2500' } }],
    address: { city: 'Oslo', zip: 150 },
  });
  assert.deepEqual(toCedarParameters(tool, { name: 'n', amount: 1, nickname: 'nick' }), {
    name: 'n',
    amount: { __extn: { fn: 'decimal', arg: '1.0000' } },
    nickname: 'nick',
  });
});

test('values Cedar cannot hold are refused with ERR_POLICY_UNREPRESENTABLE (400)', () => {
  const refused = (args: Record<string, unknown>, path: string): void => {
    assert.throws(
      () => toCedarParameters(tool, { name: 'n', amount: 1, ...args } as never),
      (err) => isAirlockError(err) && err.code === 'ERR_POLICY_UNREPRESENTABLE' && err.status === 400 && err.details?.path === path,
    );
  };
  refused({ amount: 0.00001 }, 'parameters.amount');
  refused({ amount: 1.23456 }, 'parameters.amount');
  refused({ amount: 1e-7 }, 'parameters.amount');
  refused({ amount: 1e21 }, 'parameters.amount');
  refused({ amount: 922337203685477.6 }, 'parameters.amount');
  refused({ count: 2 ** 60 }, 'parameters.count');
  refused({ count: 1.5 }, 'parameters.count');
  refused({ scores: [1, 0.123456] }, 'parameters.scores[1]');
  refused({ name: 5 }, 'parameters.name');
  refused({ address: { city: 7 } }, 'parameters.address.city');
});

test('decimal conversion keeps exactly four fractional digits and the full range', () => {
  assert.equal(toCedarDecimal(0).__extn.arg, '0.0000');
  assert.equal(toCedarDecimal(-0).__extn.arg, '0.0000');
  assert.equal(toCedarDecimal(-12.3).__extn.arg, '-12.3000');
  assert.equal(toCedarDecimal(0.0001).__extn.arg, '0.0001');
  assert.equal(toCedarDecimal(922337203685477.5).__extn.arg, '922337203685477.5000');
  assert.equal(toCedarDecimal(-922337203685477.5).__extn.arg, '-922337203685477.5000');
  fc.assert(
    fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 9999 }), (whole, frac) => {
      const n = Number(`${whole}.${String(frac).padStart(4, '0')}`);
      const arg = toCedarDecimal(n).__extn.arg;
      assert.match(arg, /^-?\d+\.\d{4}$/);
      assert.equal(Number(arg), n);
    }),
  );
});
