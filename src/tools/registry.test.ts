/** ToolRegistry: definition checks, versions, closed schemas, plain-JSON intake. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalHash } from '../core/canonical.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { JsonSchema, ToolDefinition } from '../core/types.ts';
import { createSchemaCompiler } from './ajv.ts';
import { ToolRegistry } from './registry.ts';
import type { ValidationResult } from './registry.ts';
import { toolDef } from './test-support.ts';

function registryWith(inputSchema: JsonSchema, extra: Partial<ToolDefinition> = {}): ToolRegistry {
  return new ToolRegistry([toolDef({ name: 't', inputSchema, ...extra })]);
}

function check(registry: ToolRegistry, args: unknown, name = 't'): ValidationResult {
  const tool = registry.get(name);
  assert.ok(tool);
  return registry.validate(tool, args);
}

function errorPaths(result: ValidationResult): string[] {
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors.map((e) => e.path);
}

describe('ToolRegistry construction', () => {
  it('versions each tool with the canonical hash of its definition and freezes it', () => {
    const def = toolDef();
    const registry = new ToolRegistry([def]);
    const tool = registry.get('crm.getCustomer');
    assert.ok(tool);
    assert.equal(tool.version, canonicalHash(def));
    assert.ok(Object.isFrozen(tool));
    assert.ok(Object.isFrozen(tool.inputSchema));
    assert.deepEqual(registry.list().map((t) => t.name), ['crm.getCustomer']);
    assert.equal(registry.get('nope'), undefined);
    assert.equal(registry.get('constructor'), undefined);
  });

  it('gives the same version whatever the key order, and a new one when anything changes', () => {
    const a = new ToolRegistry([toolDef()]).get('crm.getCustomer');
    const reordered = Object.fromEntries(Object.entries(toolDef()).reverse()) as unknown as ToolDefinition;
    const b = new ToolRegistry([reordered]).get('crm.getCustomer');
    const c = new ToolRegistry([toolDef({ timeoutMs: 1001 })]).get('crm.getCustomer');
    assert.equal(a?.version, b?.version);
    assert.notEqual(a?.version, c?.version);
  });

  it('ignores undefined-valued fields in the version', () => {
    const plain = new ToolRegistry([toolDef()]).get('crm.getCustomer');
    const withUndefined = new ToolRegistry([toolDef({ outputSchema: undefined })]).get('crm.getCustomer');
    assert.equal(plain?.version, withUndefined?.version);
  });

  it('is not affected by later mutation of the definition it was given', () => {
    const def = toolDef();
    const registry = new ToolRegistry([def]);
    (def.inputSchema.properties as Record<string, unknown>).extra = { type: 'string' };
    const result = check(registry, { customer_id: 'c1', extra: 'x' }, 'crm.getCustomer');
    assert.deepEqual(errorPaths(result), ['/extra']);
  });

  it('refuses bad definitions as configuration errors', () => {
    const cases: Array<[Partial<ToolDefinition>, string]> = [
      [{ name: 'read' }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ name: 'has space' }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ inputSchema: { type: 'array' } }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ inputSchema: { type: 'object', properties: { a: { type: 'string', frobnicate: true } } } }, 'ERR_TOOLS_SCHEMA_INVALID'],
      [{ inputSchema: { type: 'object', properties: { a: { type: 'string', format: 'no-such-format' } } } }, 'ERR_TOOLS_SCHEMA_INVALID'],
      [{ outputSchema: { type: 'nonsense' } }, 'ERR_TOOLS_SCHEMA_INVALID'],
      [{ sideEffect: 'explode' as never }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ timeoutMs: 0 }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ tenantBinding: 'principal', resource: { type: 'Customer', argument: 'customer_id' } }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ resource: { type: 'Customer', argument: 'not_declared' } }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ affectedCount: { const: -1 } }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ connector: { type: 'smtp' } as never }, 'ERR_TOOLS_DEFINITION_INVALID'],
      [{ description: Number.NaN as never }, 'ERR_TOOLS_DEFINITION_INVALID'],
    ];
    for (const [overrides, code] of cases) {
      assert.throws(() => new ToolRegistry([toolDef(overrides)]), { code }, JSON.stringify(overrides));
    }
    assert.throws(() => new ToolRegistry([toolDef(), toolDef()]), { code: 'ERR_TOOLS_DUPLICATE' });
  });

  it('checks named resolvers up front when resolvers are given', () => {
    const def = toolDef({
      tenantBinding: 'principal',
      resource: { type: 'Customer', argument: 'customer_id', resolver: 'customers' },
      affectedCount: { resolver: 'rows' },
    });
    assert.throws(() => new ToolRegistry([def], { resolvers: { resources: {}, counts: {} } }), {
      code: 'ERR_TOOLS_RESOLVER_UNKNOWN',
    });
    const ok = new ToolRegistry([def], {
      resolvers: { resources: { customers: async () => null }, counts: { rows: async () => 1 } },
    });
    assert.ok(ok.get('crm.getCustomer'));
  });
});

describe('ToolRegistry.validate: unknown properties', () => {
  const nested: JsonSchema = {
    type: 'object',
    properties: {
      to: { type: 'string' },
      options: {
        type: 'object',
        properties: { priority: { type: 'integer' }, meta: { type: 'object', properties: { tag: { type: 'string' } } } },
      },
      items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      open: { type: 'object', additionalProperties: true },
      anything: {},
    },
  };
  const registry = registryWith(nested);

  it('accepts declared properties', () => {
    const args = { to: 'x', options: { priority: 1, meta: { tag: 'a' } }, items: [{ sku: 'k' }], labels: { a: 'b' } };
    const result = check(registry, args);
    assert.deepEqual(result, { ok: true, value: args });
  });

  it('rejects an unknown property at the top and at every depth, with its path', () => {
    assert.deepEqual(errorPaths(check(registry, { to: 'x', bcc: 'evil@example.com' })), ['/bcc']);
    assert.deepEqual(errorPaths(check(registry, { options: { priority: 1, bcc: 'y' } })), ['/options/bcc']);
    assert.deepEqual(errorPaths(check(registry, { options: { meta: { tag: 'a', admin: true } } })), ['/options/meta/admin']);
    assert.deepEqual(errorPaths(check(registry, { items: [{ sku: 'k' }, { sku: 'k', price: 0 }] })), ['/items/1/price']);
    const many = errorPaths(check(registry, { a: 1, options: { b: 2 } }));
    assert.deepEqual(many.sort(), ['/a', '/options/b']);
  });

  it('lets a schema allow extra properties explicitly', () => {
    assert.equal(check(registry, { open: { whatever: [1, 2], deep: { x: 1 } } }).ok, true);
    assert.equal(check(registry, { labels: { any_key: 'v' } }).ok, true);
    assert.deepEqual(errorPaths(check(registry, { labels: { any_key: 5 } })), ['/labels/any_key']);
    assert.equal(check(registry, { anything: { free: 'form' } }).ok, true);
  });

  it('closes composed schemas with unevaluatedProperties so allOf still combines', () => {
    const composed = registryWith({
      type: 'object',
      allOf: [{ properties: { a: { type: 'string' } } }, { properties: { b: { type: 'string' } } }],
    });
    assert.equal(check(composed, { a: 'x', b: 'y' }).ok, true);
    assert.deepEqual(errorPaths(check(composed, { a: 'x', c: 'z' })), ['/c']);
  });

  it('closes $defs targets and anyOf alternatives', () => {
    const refs = registryWith({
      type: 'object',
      $defs: { address: { type: 'object', properties: { city: { type: 'string' } } } },
      properties: {
        home: { $ref: '#/$defs/address' },
        contact: {
          anyOf: [
            { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] },
            { type: 'object', properties: { phone: { type: 'string' } }, required: ['phone'] },
          ],
        },
      },
    });
    assert.equal(check(refs, { home: { city: 'Oslo' }, contact: { phone: '1' } }).ok, true);
    assert.deepEqual(errorPaths(check(refs, { home: { city: 'Oslo', zip: '1' } })), ['/home/zip']);
    const smuggled = check(refs, { contact: { email: 'a@b.c', cc: 'x@y.z' } });
    assert.equal(smuggled.ok, false);
  });

  it('does not coerce types or inject defaults', () => {
    const typed = registryWith({
      type: 'object',
      properties: { n: { type: 'integer' }, mode: { type: 'string', default: 'dry-run' } },
    });
    assert.deepEqual(errorPaths(check(typed, { n: '5' })), ['/n']);
    assert.deepEqual(check(typed, { n: 5 }), { ok: true, value: { n: 5 } });
  });

  it('validates formats', () => {
    const email = registryWith({ type: 'object', properties: { to: { type: 'string', format: 'email' } } });
    assert.deepEqual(errorPaths(check(email, { to: 'not an email' })), ['/to']);
    assert.equal(check(email, { to: 'a@example.com' }).ok, true);
  });
});

describe('ToolRegistry.validate: payload shape', () => {
  const registry = registryWith({ type: 'object', properties: { a: {} }, additionalProperties: true });

  it('rejects anything that is not a plain JSON object, without throwing', () => {
    class Args {
      a = 1;
    }
    const sparse: unknown[] = [];
    sparse[2] = 1;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = {};
    const deepRoot = deep;
    for (let i = 0; i < 100; i++) {
      const next = {};
      deep.a = next;
      deep = next;
    }
    const arrayWithProp = Object.assign([1], { extra: true });
    const bad: unknown[] = [
      null,
      undefined,
      [],
      [{ a: 1 }],
      'a=1',
      42,
      true,
      new Args(),
      new Date(0),
      new Map([['a', 1]]),
      { a: new Date(0) },
      { a: () => 1 },
      { a: Number.NaN },
      { a: Number.POSITIVE_INFINITY },
      { a: 10n },
      { a: undefined },
      { a: sparse },
      { a: arrayWithProp },
      { a: '\uD800' },
      { ['\uDC00']: 1 },
      { [Symbol('s')]: 1 },
      Object.defineProperty({}, 'a', { get: () => 1, enumerable: true }),
      Object.defineProperty({}, 'a', { value: 1, enumerable: false }),
      cyclic,
      deepRoot,
      new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }),
    ];
    for (const value of bad) {
      const result = registry.validate(registry.get('t')!, value);
      assert.equal(result.ok, false, `accepted ${String(value)}`);
    }
  });

  it('accepts a null-prototype object and returns a plain copy', () => {
    const input = Object.assign(Object.create(null) as Record<string, unknown>, { a: { b: [1] } });
    const result = check(registry, input);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(Object.getPrototypeOf(result.value), Object.prototype);
    (input.a as { b: number[] }).b.push(2);
    assert.deepEqual(result.value, { a: { b: [1] } });
  });

  it('rejects __proto__ keys at any depth, even where extra properties are allowed', () => {
    const attempts = [
      '{"__proto__": {"isAdmin": true}}',
      '{"a": {"__proto__": {"isAdmin": true}}}',
      '{"a": [{"__proto__": {"isAdmin": true}}]}',
    ];
    for (const text of attempts) {
      const result = check(registry, JSON.parse(text));
      assert.equal(result.ok, false, text);
      if (!result.ok) assert.match(result.errors[0]?.message ?? '', /__proto__/);
    }
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
  });

  it('refuses constructor.prototype smuggling as unknown properties in closed schemas', () => {
    const closed = registryWith({ type: 'object', properties: { a: { type: 'string' } } });
    const result = check(closed, JSON.parse('{"constructor": {"prototype": {"isAdmin": true}}}'));
    assert.deepEqual(errorPaths(result), ['/constructor']);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
  });

  it('throws for a tool object that is not the registered definition', () => {
    const other = new ToolRegistry([toolDef({ name: 't', timeoutMs: 5 })]).get('t')!;
    assert.throws(() => registry.validate(other, {}), { code: 'ERR_TOOLS_NOT_REGISTERED' });
  });
});

describe('ToolRegistry.validate: closing never lifts a constraint', () => {
  it('keeps a `not` that forbids a property', () => {
    const registry = registryWith({
      type: 'object',
      properties: { amount: { type: 'number' }, override: { type: 'boolean' } },
      not: { type: 'object', properties: { override: { const: true } }, required: ['override'] },
    });
    assert.equal(check(registry, { amount: 1, override: true }).ok, false);
    assert.equal(check(registry, { amount: 1, override: false }).ok, true);
    assert.equal(check(registry, { amount: 1 }).ok, true);
  });

  it('keeps an `if` that selects a bound, also with other properties present', () => {
    const registry = registryWith({
      type: 'object',
      properties: { kind: { type: 'string' }, amount: { type: 'number' } },
      if: { type: 'object', properties: { kind: { const: 'refund' } }, required: ['kind'] },
      then: { type: 'object', properties: { amount: { type: 'number', maximum: 100 } }, additionalProperties: true },
    });
    assert.equal(check(registry, { kind: 'refund', amount: 5000 }).ok, false);
    assert.equal(check(registry, { kind: 'refund', amount: 50 }).ok, true);
    assert.equal(check(registry, { kind: 'charge', amount: 5000 }).ok, true);
  });

  it('keeps a `not` through a $ref to a $defs entry', () => {
    const registry = registryWith({
      type: 'object',
      $defs: { forced: { type: 'object', properties: { override: { const: true } }, required: ['override'] } },
      properties: { amount: { type: 'number' }, override: { type: 'boolean' } },
      not: { $ref: '#/$defs/forced' },
    });
    assert.equal(check(registry, { amount: 1, override: true }).ok, false);
    assert.equal(check(registry, { amount: 1 }).ok, true);
  });

  it('keeps "exactly one" of a oneOf', () => {
    const registry = registryWith({
      type: 'object',
      properties: { card: { type: 'string' }, iban: { type: 'string' } },
      oneOf: [
        { type: 'object', properties: { card: { type: 'string' }, iban: { type: 'string' } }, required: ['card'] },
        { type: 'object', properties: { iban: { type: 'string' } }, required: ['iban'] },
      ],
    });
    assert.equal(check(registry, { card: 'c', iban: 'i' }).ok, false);
    assert.equal(check(registry, { card: 'c' }).ok, true);
    assert.equal(check(registry, { iban: 'i' }).ok, true);
    assert.equal(check(registry, { iban: 'i', bcc: 'x' }).ok, false);
  });

  // Small object schemas over properties a, b, c composed with not / if-then-else / oneOf /
  // anyOf / allOf / $ref, and small argument objects: what the registry accepts, the schema
  // as written accepts too.
  const NAMES = ['a', 'b', 'c'] as const;
  const leafArb = fc.constantFrom<JsonSchema>({ type: 'integer', maximum: 1 }, { type: 'integer', minimum: 2 }, { type: 'boolean' }, { const: 2 }, {});
  const objectArb: fc.Arbitrary<JsonSchema> = fc.letrec<{ obj: JsonSchema }>((tie) => ({
    obj: fc
      .record({
        props: fc.subarray([...NAMES], { minLength: 1 }),
        leaves: fc.array(leafArb, { minLength: 3, maxLength: 3 }),
        required: fc.subarray([...NAMES]),
        open: fc.boolean(),
        combinator: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.constant(null),
          fc.record({ kind: fc.constant('not'), subs: fc.tuple(tie('obj')) }),
          fc.record({ kind: fc.constant('if'), subs: fc.tuple(tie('obj'), tie('obj'), tie('obj')) }),
          fc.record({ kind: fc.constantFrom('oneOf', 'anyOf', 'allOf'), subs: fc.tuple(tie('obj'), tie('obj')) }),
          fc.record({ kind: fc.constant('notRef'), subs: fc.constant([]) }),
        ),
      })
      .map(({ props, leaves, required, open, combinator }) => {
        const schema: { [key: string]: JsonSchema[string] } = {
          type: 'object',
          properties: Object.fromEntries(props.map((name, i) => [name, leaves[i] as JsonSchema])),
        };
        const req = required.filter((name) => props.includes(name));
        if (req.length > 0) schema.required = req;
        if (open) schema.additionalProperties = true;
        if (combinator !== null) {
          const subs = combinator.subs as JsonSchema[];
          if (combinator.kind === 'not') schema.not = subs[0] as JsonSchema;
          else if (combinator.kind === 'if') Object.assign(schema, { if: subs[0], then: subs[1], else: subs[2] });
          else if (combinator.kind === 'notRef') schema.not = { $ref: '#/$defs/d' };
          else schema[combinator.kind] = subs;
        }
        return schema as JsonSchema;
      }),
  })).obj;
  // The $defs entry must not refer to itself (that never terminates: see the next test).
  const defArb = objectArb.filter((def) => !JSON.stringify(def).includes('$ref'));
  const rootArb = fc.record({ body: objectArb, def: defArb }).map(({ body, def }) => ({ ...body, $defs: { d: def } }) as JsonSchema);
  const argsArb = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x'), fc.constantFrom<JsonValue>(0, 1, 2, 3, true, false), { maxKeys: 4 });

  it('accepts nothing the schema as written refuses (property)', () => {
    fc.assert(
      fc.property(rootArb, fc.array(argsArb, { minLength: 1, maxLength: 8 }), (schema, inputs) => {
        let registry: ToolRegistry;
        let authored: (value: unknown) => boolean;
        try {
          registry = registryWith(schema);
          authored = createSchemaCompiler().compile(schema);
        } catch {
          return; // a combination Ajv strict mode refuses: nothing to compare
        }
        for (const input of inputs) {
          const ours = check(registry, input).ok;
          if (ours) assert.equal(authored(input), true, JSON.stringify({ schema, input }));
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('ToolRegistry.validate: a schema that cannot be evaluated', () => {
  it('refuses the call instead of throwing (a $ref cycle that never reads the value)', () => {
    const registry = registryWith({
      type: 'object',
      properties: { a: { type: 'integer' } },
      $defs: { loop: { type: 'object', not: { $ref: '#/$defs/loop' } } },
      not: { $ref: '#/$defs/loop' },
    });
    const result = check(registry, { a: 1 });
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.errors[0]?.message ?? '', /could not be evaluated/);
  });
});
