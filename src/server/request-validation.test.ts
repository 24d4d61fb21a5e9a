/**
 * One source for request bodies: every route that reads a body validates it against its JSON
 * Schema in REQUEST_SCHEMAS, and the OpenAPI document's request body of that route is that
 * schema. A body of the wrong shape is a 400 before the gateway is asked anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Gateway } from '../pipeline/index.ts';
import { isAirlockError } from '../core/errors.ts';
import { isWellFormedJson } from '../core/well-formed.ts';
import { createApp } from './app.ts';
import { toolCallFields } from './body.ts';
import { openApiDocument } from './openapi.ts';
import { BODY_ROUTES, REQUEST_SCHEMAS, type BodyRoute } from './request-schemas.ts';
import { validBody } from './request-validation.ts';

type Schema = { type?: string | string[]; required?: string[]; properties?: Record<string, Schema>; $ref?: string };
const document = openApiDocument() as { components: { schemas: Record<string, unknown> }; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>> };

test("each body route's OpenAPI request body is the schema its handler validates with; no body is described anywhere else", () => {
  for (const [route, name] of Object.entries(BODY_ROUTES)) {
    const [method, path] = route.split(' ') as [string, string];
    const schema = document.paths[path]?.[method.toLowerCase()]?.requestBody?.content['application/json']?.schema;
    assert.deepEqual(schema, { $ref: `#/components/schemas/${name}` }, route);
    assert.deepEqual(document.components.schemas[name], REQUEST_SCHEMAS[name]);
  }
  const described = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => op.requestBody !== undefined)
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
  assert.deepEqual(described.sort(), Object.keys(BODY_ROUTES).sort(), 'a request body in the document that no route validates');
});

test('the HTTP app reads every body through its schema (no readJson outside bodyOf)', () => {
  const source = readFileSync(new URL('./app.ts', import.meta.url), 'utf8');
  const reads = source.split('\n').filter((line) => line.includes('readJson('));
  assert.deepEqual(reads.map((l) => l.trim()), ['const bodyOf = async (c: Context, route: BodyRoute) => validBody(route, await readJson(c.req.raw));']);
});

/** A body that breaks the schema: a required field left out, else an optional one of the wrong type. */
function wrongBody(name: keyof typeof REQUEST_SCHEMAS): Record<string, unknown> {
  const schema = REQUEST_SCHEMAS[name] as Schema & { oneOf?: unknown };
  if ((schema.required ?? []).length > 0 || schema.oneOf !== undefined) return {};
  const [key, property] = Object.entries(schema.properties ?? {}).find(([, p]) => p.type !== undefined) ?? assert.fail(`${name} has no typed property`);
  const types = Array.isArray(property.type) ? property.type : [property.type];
  return { [key]: types.includes('string') ? 42 : 'not-that-type' };
}

/** A gateway whose authentication passes; anything else it is asked is recorded in `asked` (and fails the request). */
function recordingGateway(): { gateway: Gateway; asked: string[] } {
  const asked: string[] = [];
  const gateway = new Proxy(
    { config: { server: { bodyLimitBytes: 65_536, console: { enabled: false } } }, recentlyAuthenticated: () => ({}), authenticate: async () => ({}), requestStarted: () => () => undefined },
    {
      get(target, key) {
        if (key in target) return target[key as keyof typeof target];
        // Recorded when called (a handler names its method before it reads the body).
        return () => {
          asked.push(String(key));
          return Promise.reject(new Error(`asked ${String(key)}`));
        };
      },
    },
  ) as unknown as Gateway;
  return { gateway, asked };
}

test('over HTTP, every body route answers a body of the wrong shape with 400 before the gateway is asked anything', async () => {
  const { gateway, asked } = recordingGateway();
  const app = createApp(gateway);
  for (const [route, name] of Object.entries(BODY_ROUTES) as Array<[BodyRoute, keyof typeof REQUEST_SCHEMAS]>) {
    const path = route.split(' ')[1]?.replace('{id}', 'x') as string;
    for (const body of [[], 'text', null, wrongBody(name)]) {
      const response = await app.request(path, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(response.status, 400, `${route} with ${JSON.stringify(body)}: ${JSON.stringify(answer)}`);
      assert.equal(answer.error.code, 'ERR_REQUEST_MALFORMED');
    }
  }
  assert.deepEqual(asked, []);
});

test('any JSON value either passes or is a 400, for every body', () => {
  fc.assert(
    fc.property(fc.constantFrom(...(Object.keys(BODY_ROUTES) as BodyRoute[])), fc.jsonValue(), (route, body) => {
      try {
        validBody(route, body);
      } catch (error) {
        // A field may name an error code of its own (x-error-code: an idempotency key); it is still a 400.
        assert.ok(isAirlockError(error) && ['ERR_REQUEST_MALFORMED', 'ERR_IDEMPOTENCY_KEY_INVALID'].includes(error.code) && error.status === 400, String(error));
      }
    }),
  );
});

test('a tool-call body passes with any extra fields, and the pipeline gets exactly its string fields (null reads as absent)', () => {
  const optional = fc.option(fc.string({ maxLength: 50 }), { nil: null });
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.jsonValue(), optional, optional, fc.dictionary(fc.string().filter((k) => !(k in REQUEST_SCHEMAS.ToolCallBody.properties) && k !== '__proto__'), fc.jsonValue()), (tool, args, session, intent, extra) => {
      const body = { ...extra, tool, arguments: args, session_id: session, intent };
      const fields = toolCallFields(validBody('POST /v1/decide', body));
      assert.equal(fields.tool, tool);
      assert.equal(fields.session_id, session ?? undefined);
      assert.equal(fields.intent, intent ?? undefined);
    }),
  );
  assert.throws(() => validBody('POST /v1/decide', { tool: '', arguments: {} }), /tool must not be empty/);
  assert.throws(() => validBody('POST /v1/decide', { tool: 'x' }), /arguments is required/);
  assert.throws(() => validBody('POST /v1/credentials/revoke', { jti: 'a', user: 'b' }), /give exactly one of jti, user/);
});

/** Routes whose bodies may carry a lone surrogate on to the pipeline (it records or stores them losslessly). */
const ILL_FORMED_TAKEN = new Set(['POST /v1/decide', 'POST /v1/tool-calls', 'POST /v1/tool-calls/simulate', 'POST /v1/sessions', 'POST /v1/sessions/{id}/content', 'POST /v1/context/assemble']);

test('over HTTP, text with a lone surrogate is a 400 before the gateway is asked, on every route that does not record it as it is', async () => {
  // Before this check, an approval, an override, a kill switch and a credential revocation took
  // effect and their audit event was then refused (500, an operator action with no record).
  const { gateway, asked } = recordingGateway();
  const app = createApp(gateway);
  const bodies = [
    '{"justification":"looks fine \\ud800","scope":"global","verdict":"approve","outcome":"executed","user":"sam\\udc00","text":"a\\ud800","reference":"r\\ud800","kind":"k","owner":"o"}',
    '{"\\ud800":"key","justification":"x"}',
    '{"justification":"x","items":[{"name":"n","hash":"h"},["\\udfff"]]}',
  ];
  const checked = (Object.keys(BODY_ROUTES) as BodyRoute[]).filter((route) => !ILL_FORMED_TAKEN.has(route));
  assert.ok(checked.includes('POST /v1/admin/kill-switches') && checked.includes('POST /v1/approvals/{id}/approve'));
  for (const route of checked) {
    const path = route.split(' ')[1]?.replace('{id}', 'x') as string;
    for (const body of bodies) {
      const response = await app.request(path, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body });
      const answer = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(response.status, 400, `${route} with ${body}: ${JSON.stringify(answer)}`);
      assert.equal(answer.error.code, 'ERR_REQUEST_MALFORMED');
      assert.match(answer.error.message, /well-formed unicode/);
    }
  }
  assert.deepEqual(asked, []);
});

test('a lone surrogate passes the door only on the routes that record or store it as it is', () => {
  const body = { tool: 'crm.getCustomer\ud800', arguments: { '\udc00': 'x' }, intent: 'read \ud800 it' };
  for (const route of ['POST /v1/decide', 'POST /v1/tool-calls', 'POST /v1/tool-calls/simulate'] as const) assert.equal(validBody(route, body), body);
  assert.ok(validBody('POST /v1/sessions', { attributes: { ticket_id: 't\ud800' } }));
  assert.throws(() => validBody('POST /v1/approvals/{id}/approve', { justification: 'ok \ud800' }), { code: 'ERR_REQUEST_MALFORMED', status: 400 });
});

test('any JSON value, lone surrogates and any depth included, either passes or is a 400 (never a stack overflow)', () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('\ud800', 'a\udc00b', '\udfff\ud800', 'fine'));
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, text, fc.double(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text, tie('v'), { maxKeys: 3 })),
  })).v;
  fc.assert(
    fc.property(fc.constantFrom(...(Object.keys(BODY_ROUTES) as BodyRoute[])), fc.oneof(fc.dictionary(text, value, { maxKeys: 4 }), fc.record({ justification: text }), fc.record({ user: text })), (route, body) => {
      let passed = false;
      try {
        validBody(route, body);
        passed = true;
      } catch (error) {
        assert.ok(isAirlockError(error) && ['ERR_REQUEST_MALFORMED', 'ERR_IDEMPOTENCY_KEY_INVALID'].includes(error.code) && error.status === 400, String(error));
      }
      if (passed && !ILL_FORMED_TAKEN.has(route)) assert.ok(isWellFormedJson(body), `${route} let ill-formed text through`);
    }),
  );
  let deep: unknown = 'x';
  for (let i = 0; i < 200_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
  const wide = Array.from({ length: 500_000 }, () => 'x');
  for (const content of [deep, wide]) {
    assert.throws(() => validBody('POST /v1/memory', { kind: 7, content }), { code: 'ERR_REQUEST_MALFORMED' });
  }
});
