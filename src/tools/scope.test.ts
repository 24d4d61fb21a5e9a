/** Resource scope and affected-count computation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeAffectedCount } from './affected.ts';
import { resolveResourceScope } from './scope.ts';
import type { ResourceResolver } from './resolvers.ts';
import { alice } from './test-support.ts';

const noCounts = { counts: {} };

describe('computeAffectedCount', () => {
  it('defaults to 1 and honours const', async () => {
    assert.equal(await computeAffectedCount({ name: 't' }, {}, noCounts, alice), 1);
    assert.equal(await computeAffectedCount({ name: 't', affectedCount: { const: 0 } }, {}, noCounts, alice), 0);
    assert.equal(await computeAffectedCount({ name: 't', affectedCount: { const: 250 } }, {}, noCounts, alice), 250);
  });

  it('counts a dotted path: array length, 1 for a scalar, 0 when absent', async () => {
    const tool = { name: 't', affectedCount: { count_of: 'batch.recipients' } };
    assert.equal(await computeAffectedCount(tool, { batch: { recipients: ['a', 'b', 'c'] } }, noCounts, alice), 3);
    assert.equal(await computeAffectedCount(tool, { batch: { recipients: [] } }, noCounts, alice), 0);
    assert.equal(await computeAffectedCount(tool, { batch: { recipients: 'a@b.c' } }, noCounts, alice), 1);
    assert.equal(await computeAffectedCount(tool, { batch: { recipients: null } }, noCounts, alice), 0);
    assert.equal(await computeAffectedCount(tool, { batch: {} }, noCounts, alice), 0);
    assert.equal(await computeAffectedCount(tool, {}, noCounts, alice), 0);
    assert.equal(await computeAffectedCount(tool, { batch: 'x' }, noCounts, alice), 0);
    const proto = { name: 't', affectedCount: { count_of: 'constructor' } };
    assert.equal(await computeAffectedCount(proto, {}, noCounts, alice), 0);
  });

  it('asks the named count resolver with the arguments and the principal', async () => {
    const seen: unknown[] = [];
    const resolvers = {
      counts: {
        rows: async (args: unknown, principal: { user: string }) => {
          seen.push([args, principal.user]);
          return 42;
        },
        bad: async () => -1,
        boom: async () => {
          throw new Error('db down: password=hunter2');
        },
      },
    };
    const tool = (resolver: string) => ({ name: 't', affectedCount: { resolver } });
    assert.equal(await computeAffectedCount(tool('rows'), { q: 'x' }, resolvers, alice), 42);
    assert.deepEqual(seen, [[{ q: 'x' }, 'alice']]);
    await assert.rejects(computeAffectedCount(tool('bad'), {}, resolvers, alice), { code: 'ERR_SCOPE_RESOLVER', status: 502 });
    await assert.rejects(computeAffectedCount(tool('boom'), {}, resolvers, alice), (error: Error & { code: string }) => {
      assert.equal(error.code, 'ERR_SCOPE_RESOLVER');
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
    await assert.rejects(computeAffectedCount(tool('missing'), {}, resolvers, alice), { code: 'ERR_TOOLS_RESOLVER_UNKNOWN' });
    await assert.rejects(computeAffectedCount(tool('toString'), {}, resolvers, alice), { code: 'ERR_TOOLS_RESOLVER_UNKNOWN' });
  });
});

describe('resolveResourceScope', () => {
  const owners: Record<string, string> = { c1: 'acme', c2: 'globex' };
  const customers: ResourceResolver = async (id, principal) => {
    assert.equal(principal.user, 'alice');
    const tenant = owners[id];
    return tenant === undefined ? null : { tenant, attributes: { vip: id === 'c1' } };
  };
  const resolvers = {
    resources: {
      customers,
      broken: async () => {
        throw new Error('timeout');
      },
      garbage: async () => ({ tenant: 42 }) as never,
    },
  };
  const tool = (resolver?: string, argument = 'customer_id') => ({
    name: 't',
    resource: { type: 'Customer', argument, ...(resolver === undefined ? {} : { resolver }) },
  });

  it('reads the target id and asks the resolver who owns it', async () => {
    assert.deepEqual(await resolveResourceScope(tool('customers'), { customer_id: 'c1' }, alice, resolvers), {
      type: 'Customer',
      id: 'c1',
      tenant: 'acme',
      exists: true,
      attributes: { vip: true },
    });
    const other = await resolveResourceScope(tool('customers'), { customer_id: 'c2' }, alice, resolvers);
    assert.equal(other.tenant, 'globex');
  });

  it('reports an unknown target as not existing', async () => {
    assert.deepEqual(await resolveResourceScope(tool('customers'), { customer_id: 'zz' }, alice, resolvers), {
      type: 'Customer',
      id: 'zz',
      tenant: null,
      exists: false,
      attributes: {},
    });
  });

  it('handles dotted paths, integer ids, absent targets, and tools without a resource', async () => {
    const nested = await resolveResourceScope(tool('customers', 'target.id'), { target: { id: 'c1' } }, alice, resolvers);
    assert.equal(nested.tenant, 'acme');
    const numeric = await resolveResourceScope(tool(undefined), { customer_id: 7 }, alice, resolvers);
    assert.deepEqual(numeric, { type: 'Customer', id: '7', tenant: null, exists: false, attributes: {} });
    const absent = await resolveResourceScope(tool('customers'), {}, alice, resolvers);
    assert.equal(absent.id, null);
    const none = await resolveResourceScope({ name: 't' }, {}, alice, resolvers);
    assert.deepEqual(none, { type: 'none', id: null, tenant: null, exists: false, attributes: {} });
    await assert.rejects(resolveResourceScope(tool('customers'), { customer_id: { id: 1 } }, alice, resolvers), {
      code: 'ERR_TOOLS_RESOURCE_ARGUMENT',
    });
  });

  it('turns a failing or misbehaving resolver into ERR_SCOPE_RESOLVER (502)', async () => {
    await assert.rejects(resolveResourceScope(tool('broken'), { customer_id: 'c1' }, alice, resolvers), {
      code: 'ERR_SCOPE_RESOLVER',
      status: 502,
    });
    await assert.rejects(resolveResourceScope(tool('garbage'), { customer_id: 'c1' }, alice, resolvers), {
      code: 'ERR_SCOPE_RESOLVER',
    });
    await assert.rejects(resolveResourceScope(tool('nope'), { customer_id: 'c1' }, alice, resolvers), {
      code: 'ERR_TOOLS_RESOLVER_UNKNOWN',
    });
  });
});
