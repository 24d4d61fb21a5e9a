import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/clock.ts';
import { AirlockError } from '../../core/errors.ts';
import type { AuditEventInput, ToolDefinition } from '../../core/types.ts';
import type { PinnedDefinition, PinRecord } from '../../mcp/index.ts';
import { definitionHash } from '../../mcp/index.ts';
import type { ToolSourceHost } from '../tool-source.ts';
import type { Registered, Registration } from './hub-registry.ts';
import {
  PLACEHOLDER,
  Registrar,
  compileProblem,
  placeholderRegistrations,
  refusalHolds,
  registrationChanges,
  registrationSignature,
  sameRegistration,
  upstreamRegistrations,
} from './hub-registry.ts';
import { upstreamConfig } from './upstream-config.fixture.ts';

const upstream = upstreamConfig;

const definition = (name: string, description = ''): PinnedDefinition => ({ name, description, inputSchema: { type: 'object' } });
const liveOf = (...defs: PinnedDefinition[]) => new Map(defs.map((d) => [d.name, { definition: d, hash: definitionHash(d) }]));

function approvedPin(d: PinnedDefinition): PinRecord {
  const hash = definitionHash(d);
  return { upstream: 'fs', tool: d.name, state: 'approved', hash, definition: d, findings: [], approved_hash: hash, approved_definition: d, first_seen_at: 0, observed_at: 0 };
}

test('upstreamRegistrations: gateway tools first, then the approved definition of a tool, else the live one', () => {
  const approved = definition('read', 'v1');
  const served = definition('read', 'v2 (changed upstream)');
  const { registered, unregistrable } = upstreamRegistrations(upstream(), liveOf(served, definition('list')), [approvedPin(approved)], new Set());
  assert.deepEqual(
    registered.map(([name]) => name),
    ['fs:read_resource', 'fs:get_prompt', 'fs.read', 'fs.list'],
  );
  const byName = new Map(registered);
  assert.equal(byName.get('fs:read_resource')?.pinnedHash, null);
  assert.equal(byName.get('fs.read')?.pinnedHash, definitionHash(approved), 'the approved definition stays registered after a rug pull');
  assert.equal(byName.get('fs.read')?.definition.description, 'v1');
  assert.equal(byName.get('fs.list')?.pinnedHash, definitionHash(definition('list')));
  assert.deepEqual(unregistrable, []);
});

test('upstreamRegistrations keeps an approved tool while its upstream is away, skips config names and bad names', () => {
  const away = upstreamRegistrations(upstream(), new Map(), [approvedPin(definition('read'))], new Set());
  assert.deepEqual(away.registered.map(([name]) => name), ['fs:read_resource', 'fs:get_prompt', 'fs.read']);
  const pendingOnly = { ...approvedPin(definition('other')), state: 'pending' as const, approved_hash: null, approved_definition: null };
  assert.equal(upstreamRegistrations(upstream(), new Map(), [pendingOnly], new Set()).registered.length, 2, 'a never-approved tool that is not served is not registered');

  const shadowed = upstreamRegistrations(upstream(), liveOf(definition('read')), [], new Set(['fs.read']));
  assert.deepEqual(shadowed.registered.map(([name]) => name), ['fs:read_resource', 'fs:get_prompt']);
  const bad = upstreamRegistrations(upstream(), liveOf(definition('bad name')), [], new Set());
  assert.equal(bad.registered.length, 2);
  assert.deepEqual(bad.unregistrable, []);
});

test('upstreamRegistrations reports a definition that does not compile instead of registering it', () => {
  const broken: PinnedDefinition = { name: 'broken', inputSchema: { type: 'object', properties: { a: { type: 'bogus' } } } };
  const { registered, unregistrable } = upstreamRegistrations(upstream(), liveOf(broken, definition('ok')), [], new Set());
  assert.deepEqual(registered.map(([name]) => name), ['fs:read_resource', 'fs:get_prompt', 'fs.ok']);
  assert.equal(unregistrable.length, 1);
  const [entry] = unregistrable;
  assert.equal(entry?.tool, 'broken');
  assert.equal(entry?.pinnedHash, definitionHash(broken));
  assert.match(entry?.problem ?? '', /does not compile/);
  assert.equal(entry?.reason, `definition ${definitionHash(broken).slice(7, 19)} cannot be registered: ${entry?.problem}`);
});

test('compileProblem is null for a definition the registry accepts', () => {
  const [readResource] = upstreamRegistrations(upstream(), new Map(), [], new Set()).registered;
  assert.equal(compileProblem(readResource?.[1].definition as ToolDefinition), null);
});

test('placeholderRegistrations: policy-named tools of a prefixed upstream, not the known ones', () => {
  const files = { 'main.cedar': 'permit(principal, action == Airlock::Action::"fs.write", resource); permit(principal, action == Airlock::Action::"fs.read", resource);' };
  const out = placeholderRegistrations([upstream()], files, new Set(['fs.read']));
  assert.deepEqual(out.map(([name, r]) => [name, r.pinnedHash]), [['fs.write', PLACEHOLDER]]);
  assert.deepEqual(out[0]?.[1].definition.connector, { type: 'mcp', upstream: 'fs', tool: 'write' });
});

const reg = (entries: Array<[string, string | null]>): Registration =>
  new Map(entries.map(([name, hash]): [string, Registered] => [name, { definition: { name } as ToolDefinition, pinnedHash: hash }]));

test('registrations compare by name and pinned hash, in any order', () => {
  const a = reg([['x', 'h1'], ['y', null]]);
  assert.equal(sameRegistration(a, reg([['y', null], ['x', 'h1']])), true);
  assert.equal(sameRegistration(a, reg([['x', 'h2'], ['y', null]])), false);
  assert.equal(sameRegistration(a, reg([['x', 'h1']])), false);
  assert.equal(sameRegistration(reg([['x', null]]), reg([['y', null]])), false);
  assert.notEqual(registrationSignature(a), registrationSignature(reg([['x', 'h2'], ['y', null]])));
  assert.equal(registrationSignature(a), registrationSignature(reg([['x', 'h1'], ['y', null]])));
  assert.deepEqual(registrationChanges(a, reg([['x', 'h2'], ['z', 'h3']])), { added: ['z'], removed: ['y'], changed: ['x'] });
});

test('a refused registration holds for its signature, for a re-list period of at least a minute', () => {
  const refused = { signature: 's', at: 1_000_000 };
  assert.equal(refusalHolds(null, 's', 1_000_000, 0), false);
  assert.equal(refusalHolds(refused, 's', 1_000_000 + 59_999, 0), true);
  assert.equal(refusalHolds(refused, 's', 1_000_000 + 60_000, 0), false);
  assert.equal(refusalHolds(refused, 'other', 1_000_001, 0), false);
  assert.equal(refusalHolds(refused, 's', 1_000_000 + 90_000, 120), true);
});

function harness(options: { refresh?: () => Promise<{ version: string }> } = {}) {
  const clock = new ManualClock();
  const events: AuditEventInput[] = [];
  let desired = reg([['a', 'h1']]);
  let computed = 0;
  let notified = 0;
  const registrar = new Registrar({
    desired: async () => {
      computed += 1;
      return desired;
    },
    clock,
    relistSeconds: 0,
    record: (e) => events.push(...e),
    registered: () => (notified += 1),
    onFault: () => undefined,
    closed: () => false,
  });
  let refreshes = 0;
  const host = {
    audit: {},
    configTools: new Set<string>(),
    refresh: async () => {
      refreshes += 1;
      registrar.definitions(); // the gateway reads the definitions while it rebuilds
      return options.refresh === undefined ? { version: `v${refreshes}` } : options.refresh();
    },
  } as unknown as ToolSourceHost;
  return {
    registrar,
    host,
    clock,
    events,
    set: (next: Registration) => (desired = next),
    counts: () => ({ computed, refreshes, notified }),
  };
}

test('Registrar: offered definitions become registered on attach; a changed set is re-registered and recorded', async () => {
  const h = harness();
  await h.registrar.prepare();
  assert.deepEqual(h.registrar.definitions().map((d) => d.name), ['a']);
  assert.equal(h.registrar.registeredHash('a'), undefined, 'nothing is registered before the gateway attaches');
  h.registrar.attach(h.host);
  assert.equal(h.registrar.registeredHash('a'), 'h1');

  await h.registrar.reconcile();
  assert.equal(h.counts().refreshes, 0, 'the same set is not re-registered');

  h.set(reg([['a', 'h2'], ['b', 'h3']]));
  await h.registrar.reconcile();
  assert.equal(h.counts().refreshes, 1);
  assert.equal(h.counts().notified, 1);
  assert.equal(h.registrar.registeredHash('a'), 'h2');
  assert.deepEqual(h.events.map((e) => [e.type, e.data]), [['mcp.tools.registered', { added: ['b'], removed: [], changed: ['a'], policy_version: 'v1' }]]);
});

test('Registrar: a refused registration is recorded and not retried until it changes or a minute passed', async () => {
  const h = harness({ refresh: () => Promise.reject(new AirlockError('ERR_POLICY_INVALID', 'policy does not validate', { status: 400 })) });
  await h.registrar.prepare();
  h.registrar.definitions();
  h.registrar.attach(h.host);
  h.set(reg([['a', 'h2']]));
  await h.registrar.reconcile();
  await h.registrar.reconcile();
  assert.equal(h.counts().refreshes, 1);
  assert.deepEqual(h.events.map((e) => [e.type, (e.data as { code: string }).code]), [['mcp.tools.refused', 'ERR_POLICY_INVALID']]);
  assert.equal(h.registrar.registeredHash('a'), 'h1', 'the registered set stays');

  h.set(reg([['a', 'h3']]));
  await h.registrar.reconcile();
  assert.equal(h.counts().refreshes, 2, 'another set is tried at once');
  h.clock.advance(60_000);
  await h.registrar.reconcile();
  assert.equal(h.counts().refreshes, 3, 'the same set is tried again after a minute');
});

test('Registrar: re-registration runs one at a time; requests meanwhile coalesce into one more run', async () => {
  const h = harness();
  await h.registrar.prepare();
  h.registrar.definitions();
  h.registrar.attach(h.host);
  const before = h.counts().computed;
  await Promise.all([h.registrar.reconcile(), h.registrar.reconcile(), h.registrar.reconcile()]);
  assert.equal(h.counts().computed - before, 2, 'one run, and one more for the requests made meanwhile');
  await h.registrar.reconcile();
  assert.equal(h.counts().computed - before, 3);
});
