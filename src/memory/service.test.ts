import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../core/clock.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { AuditEventInput, Principal } from '../core/types.ts';
import { MemoryMemoryStore } from './memory-store.ts';
import { MemoryService } from './service.ts';
import type { MemoryWriteInput } from './service.ts';

const principal = (user: string, tenant = 'acme', roles: string[] = ['support'], agent?: string): Principal => ({
  user,
  tenant,
  roles,
  delegation: agent === undefined ? [] : [agent],
  issuer: 'https://issuer.test',
  ...(agent === undefined ? {} : { agent }),
});

const sam = principal('sam');
const bot = principal('sam', 'acme', ['support'], 'support-agent');
const rita = principal('rita', 'acme', ['memory-reviewer']);
const gina = principal('gina', 'globex', ['support', 'memory-reviewer']);

describe('MemoryService', () => {
  let clock: ManualClock;
  let store: MemoryMemoryStore;
  let events: AuditEventInput[];
  let tainted: string[];
  let service: MemoryService;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 2, 1));
    store = new MemoryMemoryStore();
    events = [];
    tainted = [];
    service = new MemoryService({
      store,
      clock,
      config: {
        reviewerRole: 'memory-reviewer',
        maxTtlSeconds: 30 * 86_400,
        kinds: {
          preference: {
            schema: { type: 'object', additionalProperties: false, required: ['topic', 'value'], properties: { topic: { type: 'string' }, value: { type: 'string', maxLength: 500 } } },
            maxTtlSeconds: 7 * 86_400,
          },
        },
      },
      audit: async (e) => {
        events.push(...e);
      },
      containsSecret: (text) => /sk-[a-z0-9]{8,}/.test(text),
      taintOf: async (_p, sessionId) => {
        if (sessionId === 'ses_foreign') throw Object.assign(new Error('unknown session'), { code: 'ERR_SESSION_UNKNOWN' });
        return tainted;
      },
    });
  });

  const write = (who: Principal, overrides: Partial<MemoryWriteInput> = {}) =>
    service.write(who, {
      kind: 'preference',
      content: { topic: 'contact', value: 'prefers email in the morning' },
      owner: who.user,
      provenance: { kind: 'user_statement', source_ids: [] },
      confidence: 0.8,
      ttl_seconds: 86_400,
      ...overrides,
    });

  test('the same user id from another issuer is another person: it neither finds, reads nor deletes the memory', async () => {
    const other = { ...sam, issuer: 'https://other-issuer.test' };
    const { id } = await write(sam);
    assert.deepEqual(await service.search(other, { q: 'email' }), []);
    await assert.rejects(service.get(other, id), { code: 'ERR_MEMORY_NOT_FOUND' });
    await assert.rejects(service.delete(other, id), { code: 'ERR_MEMORY_NOT_FOUND' });
    assert.deepEqual((await service.search(sam, { q: 'email' })).map((m) => m.id), [id], 'the owner still sees it');
    // A memory owned by a role is the role's, whichever issuer named it.
    const shared = await write(sam, { owner: 'role:support' });
    assert.deepEqual((await service.search(other, { q: 'email' })).map((m) => m.id), [shared.id]);
  });

  test('a user whose id reads like a role owner holds no role by it: it cannot write for, read or delete the role', async () => {
    const shared = await write(sam, { owner: 'role:finance' }).catch((e: unknown) => e);
    assert.equal((shared as { code?: string }).code, 'ERR_MEMORY_OWNER', 'sam does not hold finance');
    const finance = principal('fay', 'acme', ['finance']);
    const { id } = await write(finance, { owner: 'role:finance' });
    const impostor = principal('role:finance', 'acme', ['support']);
    assert.deepEqual(await service.search(impostor, { q: 'email' }), []);
    await assert.rejects(service.get(impostor, id), { code: 'ERR_MEMORY_NOT_FOUND' });
    await assert.rejects(service.delete(impostor, id), { code: 'ERR_MEMORY_NOT_FOUND' });
    await assert.rejects(write(impostor, { owner: 'role:finance' }), { code: 'ERR_MEMORY_OWNER' });
  });

  test('a complete write by the user is stored, searchable and audited without its content', async () => {
    const result = await write(sam);
    assert.deepEqual([result.state, result.review_reasons], ['active', []]);
    const found = await service.search(sam, { q: 'EMAIL morning' });
    assert.deepEqual(found.map((m) => m.id), [result.id]);
    assert.equal(found[0]?.tenant, 'acme');
    assert.deepEqual(events.map((e) => e.type), ['memory.written']);
    assert.ok(!JSON.stringify(events).includes('prefers email'));
  });

  test('schema, kind, owner, provenance, confidence and expiry are all required', async () => {
    const refusals: Array<[Partial<MemoryWriteInput>, string]> = [
      [{ kind: 'diary' }, 'ERR_MEMORY_KIND'],
      [{ content: { topic: 'contact' } }, 'ERR_MEMORY_SCHEMA'],
      [{ content: { topic: 'x', value: 'y', extra: 1 } }, 'ERR_MEMORY_SCHEMA'],
      [{ owner: '' }, 'ERR_MEMORY_OWNER'],
      [{ owner: 'rita' }, 'ERR_MEMORY_OWNER'],
      [{ owner: 'role:finance-lead' }, 'ERR_MEMORY_OWNER'],
      [{ provenance: undefined }, 'ERR_MEMORY_PROVENANCE'],
      [{ provenance: { kind: 'rumour' } }, 'ERR_MEMORY_PROVENANCE'],
      [{ confidence: undefined }, 'ERR_MEMORY_CONFIDENCE'],
      [{ confidence: 1.5 }, 'ERR_MEMORY_CONFIDENCE'],
      [{ ttl_seconds: undefined }, 'ERR_MEMORY_EXPIRY'],
      [{ ttl_seconds: undefined, expires_at: '2020-01-01T00:00:00Z' }, 'ERR_MEMORY_EXPIRY'],
      [{ ttl_seconds: 8 * 86_400 }, 'ERR_MEMORY_EXPIRY'],
    ];
    for (const [overrides, code] of refusals) {
      await assert.rejects(write(sam, overrides), { code }, JSON.stringify(overrides));
    }
    assert.equal((await write(sam, { owner: 'role:support' })).state, 'active', 'a role the writer holds');
    assert.equal((await write(sam, { ttl_seconds: undefined, expires_at: new Date(clock.now() + 3600_000).toISOString() })).state, 'active');
  });

  test('a secret is refused, recorded as a refusal, and never stored', async () => {
    await assert.rejects(write(sam, { content: { topic: 'api', value: 'the key is sk-abcdef123456' } }), { code: 'ERR_MEMORY_SECRET' });
    assert.deepEqual(events.map((e) => [e.type, (e.data as { reason: string }).reason]), [['memory.refused', 'secret']]);
    assert.ok(!JSON.stringify(events).includes('sk-abcdef'));
    assert.deepEqual(await service.search(sam), []);
    assert.deepEqual(await store.list({ tenant: 'acme', state: 'pending_review', limit: 10 }), []);
  });

  test('tool output goes to the review queue; it cannot be promoted without a reviewer', async () => {
    const queued = await write(bot, { provenance: { kind: 'tool_output', tool: 'crm.getCustomer', source_ids: ['act_1'], session_id: 'ses_1' } });
    assert.deepEqual([queued.state, queued.review_reasons], ['pending_review', ['provenance.tool_output']]);
    assert.deepEqual(await service.search(sam), [], 'not in memory');
    assert.equal((await service.get(sam, queued.id)).state, 'pending_review', 'the writer sees it is queued');
    await assert.rejects(service.review(sam, queued.id, 'promote', 'fine'), { code: 'ERR_MEMORY_ROLE_REQUIRED' });
    await assert.rejects(service.review(principal('rita', 'acme', ['memory-reviewer'], 'bot'), queued.id, 'promote', 'fine'), { code: 'ERR_MEMORY_AGENT_FORBIDDEN' });
    await assert.rejects(service.review(principal('sam', 'acme', ['memory-reviewer']), queued.id, 'promote', 'fine'), { code: 'ERR_MEMORY_SELF_REVIEW' });
    await assert.rejects(service.review(gina, queued.id, 'promote', 'fine'), { code: 'ERR_MEMORY_NOT_FOUND' }, 'another tenant');
    await assert.rejects(service.review(rita, queued.id, 'promote', ' '), { code: 'ERR_MEMORY_JUSTIFICATION' });
    assert.deepEqual((await service.pending(rita)).map((m) => m.id), [queued.id]);
    const promoted = await service.review(rita, queued.id, 'promote', 'checked against the CRM record');
    assert.equal(promoted.state, 'active');
    assert.deepEqual((await service.search(sam)).map((m) => m.id), [queued.id]);
    await assert.rejects(service.review(rita, queued.id, 'reject', 'changed my mind'), { code: 'ERR_MEMORY_NOT_PENDING' });
    assert.deepEqual(events.map((e) => e.type), ['memory.queued', 'memory.reviewed']);
  });

  test('content tainted in its session, and an agent write with no session, are queued too', async () => {
    tainted = ['value'];
    assert.deepEqual((await write(sam, { provenance: { kind: 'user_statement', session_id: 'ses_1', source_ids: [] } })).review_reasons, ['content.tainted']);
    tainted = [];
    assert.deepEqual((await write(bot)).review_reasons, ['provenance.unverifiable']);
    assert.deepEqual((await write(bot, { provenance: { kind: 'agent_inference', session_id: 'ses_1', source_ids: [] } })).state, 'active');
    await assert.rejects(write(sam, { provenance: { kind: 'user_statement', session_id: 'ses_foreign', source_ids: [] } }), { code: 'ERR_SESSION_UNKNOWN' });
  });

  test('rejected writes never reach memory', async () => {
    const queued = await write(sam, { provenance: { kind: 'web', source_ids: ['https://x.example'] } });
    await service.review(rita, queued.id, 'reject', 'unverified web content');
    assert.deepEqual(await service.search(sam), []);
    await assert.rejects(service.get(sam, queued.id), { code: 'ERR_MEMORY_NOT_FOUND' });
  });

  test('retrieval never crosses tenants', async () => {
    const mine = await write(sam, { owner: 'role:support' });
    assert.deepEqual(await service.search(gina), []);
    assert.deepEqual(await service.search(gina, { q: 'email' }), []);
    await assert.rejects(service.get(gina, mine.id), { code: 'ERR_MEMORY_NOT_FOUND' });
    await assert.rejects(service.delete(gina, mine.id), { code: 'ERR_MEMORY_NOT_FOUND' });
    assert.equal((await service.get(sam, mine.id)).id, mine.id);
    // Inside the tenant, only visible owners.
    const other = principal('olga', 'acme', ['finance-lead']);
    assert.deepEqual(await service.search(other), []);
  });

  test('expired memories are not returned', async () => {
    const result = await write(sam, { ttl_seconds: 60 });
    assert.equal((await service.search(sam)).length, 1);
    clock.advance(61_000);
    assert.deepEqual(await service.search(sam), []);
    await assert.rejects(service.get(sam, result.id), { code: 'ERR_MEMORY_NOT_FOUND' });
  });

  test('deletion removes the record and its derived index entries, and is audited', async () => {
    const result = await write(sam);
    assert.ok((await store.indexEntries('acme', result.id)) > 0);
    await service.delete(sam, result.id);
    assert.equal(await store.indexEntries('acme', result.id), 0);
    assert.deepEqual(await service.search(sam, { q: 'morning' }), []);
    assert.deepEqual(events.map((e) => e.type), ['memory.written', 'memory.deleted']);
    await assert.rejects(service.delete(sam, result.id), { code: 'ERR_MEMORY_NOT_FOUND' });
  });
});

describe('MemoryService taint of free-form content', () => {
  const UNTRUSTED = 'attacker@evil.example';
  // The gateway's provenance check by its documented rule (provenance/session.ts): values are
  // traced, and so are the keys of objects inside an argument (not the arguments' own names).
  const traced = (subject: JsonValue): string[] => {
    const paths: string[] = [];
    const visit = (v: JsonValue, path: string): void => {
      if (typeof v === 'string') {
        if (v.includes(UNTRUSTED)) paths.push(path);
      } else if (Array.isArray(v)) v.forEach((item) => visit(item, path));
      else if (v !== null && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          const at = path === '' ? k : `${path}.${k}`;
          if (path !== '' && k.includes(UNTRUSTED)) paths.push(at);
          visit(child, at);
        }
      }
    };
    visit(subject, '');
    return paths;
  };
  const make = () =>
    new MemoryService({
      store: new MemoryMemoryStore(),
      clock: new ManualClock(Date.UTC(2026, 2, 1)),
      config: { reviewerRole: 'memory-reviewer', maxTtlSeconds: 86_400, kinds: { notes: { schema: { type: 'object' } } } },
      audit: async () => undefined,
      containsSecret: () => false,
      taintOf: async (_p, _s, subject) => traced(subject),
    });
  const bot = principal('sam', 'acme', ['support'], 'support-agent');
  const write = (service: MemoryService, content: JsonValue) =>
    service.write(bot, { kind: 'notes', content, owner: 'sam', provenance: { kind: 'agent_inference', session_id: 'ses_1', source_ids: [] }, confidence: 0.9, ttl_seconds: 3600 });

  test('untrusted text in an object key is tainted like a value: the write is queued, never searchable', async () => {
    const service = make();
    assert.deepEqual((await write(service, { payee: UNTRUSTED })).review_reasons, ['content.tainted']);
    const asKey = await write(service, { [UNTRUSTED]: 'payee' });
    assert.deepEqual([asKey.state, asKey.review_reasons], ['pending_review', ['content.tainted']]);
    assert.deepEqual(await service.search(bot, { q: 'evil' }), []);
  });

  test('property: untrusted text anywhere in the content (a value or a key, at any depth) queues the write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 8 }), { minLength: 0, maxLength: 5 }), fc.boolean(), fc.string({ maxLength: 8 }), async (path, asKey, affix) => {
        const text = `${affix}${UNTRUSTED}`;
        let content: JsonValue = asKey ? { [text]: 1 } : { leaf: text };
        for (const key of [...path].reverse()) content = { [key]: content };
        assert.equal((await write(make(), content)).state, 'pending_review');
      }),
      { numRuns: 50 },
    );
  });
});
