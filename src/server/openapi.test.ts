/**
 * The OpenAPI document is complete: every route the HTTP app registers (the v1 routes, the
 * operational ones and the MCP door) is described there, with each of its methods.
 */
import { test } from 'node:test';
import { CREDENTIAL_REVOCATION_KEYS } from '../pipeline/index.ts';
import assert from 'node:assert/strict';
import type { Gateway } from '../pipeline/index.ts';
import { createApp } from './app.ts';
import { mountMcp } from './mcp-http.ts';
import { openApiDocument } from './openapi.ts';

type Operation = { responses?: Record<string, unknown>; requestBody?: unknown };
type Paths = Record<string, Record<string, Operation>>;

/** Registering routes reads only the body limit and console switch of the gateway's config; nothing is called. */
const stubGateway = { config: { server: { bodyLimitBytes: 1024, console: { enabled: true } } } } as unknown as Gateway;

/** Every (method, OpenAPI path) the app registers, middleware (`*` paths) left out. */
async function registeredRoutes(): Promise<Array<{ method: string; path: string }>> {
  const app = createApp(stubGateway);
  const hub = { config: { http: { sessionIdleSeconds: 60, maxSessions: 1, maxSessionsPerPrincipal: 1, allowedHosts: null, allowedOrigins: null } } };
  const mcp = mountMcp(app as never, stubGateway, { hub: hub as never });
  await mcp.close();
  const seen = new Map<string, { method: string; path: string }>();
  for (const route of app.routes) {
    if (route.path.includes('*')) continue;
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    seen.set(`${route.method} ${path}`, { method: route.method.toLowerCase(), path });
  }
  return [...seen.values()];
}

test('every route the HTTP app registers is in the OpenAPI document, with its method and responses', async () => {
  const paths = (openApiDocument() as { paths: Paths }).paths;
  const routes = await registeredRoutes();
  assert.ok(routes.length > 20, `expected the full route table, got ${routes.length}`);
  const missing: string[] = [];
  for (const { method, path } of routes) {
    const item = paths[path];
    if (item === undefined) {
      missing.push(`${method.toUpperCase()} ${path}`);
      continue;
    }
    // `all` (the MCP door) is described by the methods it answers; any one will do.
    const operations = method === 'all' ? Object.values(item) : [item[method]];
    if (operations.length === 0 || operations.some((op) => op === undefined || op.responses === undefined)) missing.push(`${method.toUpperCase()} ${path}`);
  }
  assert.deepEqual(missing, [], `routes missing from /openapi.json: ${missing.join(', ')}`);
});

test('the routes named by the kill-switch, credential and metrics features are among those checked', async () => {
  const routes = (await registeredRoutes()).map((r) => `${r.method} ${r.path}`);
  for (const expected of ['post /v1/credentials/revoke', 'get /v1/admin/kill-switches', 'post /v1/admin/kill-switches', 'post /v1/admin/kill-switches/{id}/release', 'get /metrics', 'all /mcp']) {
    assert.ok(routes.includes(expected), expected);
  }
});

test('POST /v1/credentials/revoke is described with its body (exactly one target) and its answers', () => {
  const op = (openApiDocument() as { paths: Paths }).paths['/v1/credentials/revoke']?.post;
  assert.ok(op !== undefined);
  const document = openApiDocument() as { components: { schemas: Record<string, { properties: Record<string, unknown>; oneOf: unknown[] }> } };
  const { $ref } = (op.requestBody as { content: Record<string, { schema: { $ref: string } }> }).content['application/json']?.schema ?? { $ref: '' };
  const schema = document.components.schemas[$ref.replace('#/components/schemas/', '')];
  // The document and the route read the same list of targets.
  assert.deepEqual(Object.keys(schema?.properties ?? {}).sort(), [...CREDENTIAL_REVOCATION_KEYS].sort());
  assert.equal(schema?.oneOf.length, CREDENTIAL_REVOCATION_KEYS.length);
  for (const status of ['200', '400', '401', '403']) assert.ok(op.responses?.[status] !== undefined, status);
});
