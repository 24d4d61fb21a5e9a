/**
 * Tests for findIdentityMismatches: identity-like fields at the top level and inside
 * `arguments` / `intent` that disagree with the verified principal are reported (claimed
 * values truncated to 64 characters); agreeing or absent fields are not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Principal } from '../core/types.ts';
import { findIdentityMismatches } from './mismatch.ts';

const principal: Principal = {
  user: 'alice',
  tenant: 'acme',
  roles: ['support', 'viewer'],
  agent: 'agent:bot',
  delegation: ['agent:bot'],
  issuer: 'dev',
};

describe('findIdentityMismatches', () => {
  it('finds nothing when the body agrees or carries no identity fields', () => {
    assert.deepEqual(findIdentityMismatches(principal, { tool: 'crm.get', arguments: { customer_id: 'cus_1' } }), []);
    assert.deepEqual(
      findIdentityMismatches(principal, { tenant: 'acme', user_id: 'alice', roles: ['support'], agent: 'agent:bot' }),
      [],
    );
    assert.deepEqual(findIdentityMismatches(principal, { tenant_id: null }), []);
    for (const body of [null, undefined, 'tenant', 42, ['tenant']]) assert.deepEqual(findIdentityMismatches(principal, body), []);
  });

  it('reports top-level tenant, user, role and agent claims that disagree', () => {
    const found = findIdentityMismatches(principal, {
      tenant_id: 'globex',
      user: 'mallory',
      role: 'admin',
      agent_id: 'agent:other',
    });
    assert.deepEqual(found, [
      { field: 'tenant_id', claimed: 'globex', actual: 'acme' },
      { field: 'user', claimed: 'mallory', actual: 'alice' },
      { field: 'role', claimed: 'admin', actual: 'support,viewer' },
      { field: 'agent_id', claimed: 'agent:other', actual: 'agent:bot' },
    ]);
  });

  it('looks inside arguments and intent objects, with every alias', () => {
    const found = findIdentityMismatches(principal, {
      arguments: { org: 'globex', organization_id: 'acme', sub: 'root', roles: ['support', 'admin'] },
      intent: { tenant: 'initech', agent: 'agent:bot' },
    });
    assert.deepEqual(
      found.map((m) => m.field),
      ['arguments.org', 'arguments.sub', 'arguments.roles', 'intent.tenant'],
    );
    assert.equal(found.find((m) => m.field === 'arguments.roles')?.claimed, '["support","admin"]');
  });

  it('matches camelCase and hyphenated spellings too', () => {
    const found = findIdentityMismatches(principal, { tenantId: 'x', 'user-id': 'y', AgentId: 'z' });
    assert.deepEqual(
      found.map((m) => m.field),
      ['tenantId', 'user-id', 'AgentId'],
    );
  });

  it('reports an agent claim when the token has no agent, and non-string claims', () => {
    const human: Principal = { ...principal, delegation: [] };
    delete human.agent;
    assert.deepEqual(findIdentityMismatches(human, { agent: 'agent:bot' }), [{ field: 'agent', claimed: 'agent:bot', actual: '' }]);
    assert.deepEqual(findIdentityMismatches(principal, { tenant: { id: 'acme' } }), [
      { field: 'tenant', claimed: '{"id":"acme"}', actual: 'acme' },
    ]);
  });

  it('does not search deeper than arguments / intent', () => {
    assert.deepEqual(findIdentityMismatches(principal, { arguments: { filter: { tenant: 'globex' } }, meta: { tenant: 'x' } }), []);
  });

  it('truncates claimed values to 64 characters (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), (value) => {
        fc.pre(value !== principal.tenant);
        const [found] = findIdentityMismatches(principal, { tenant: value });
        return found !== undefined && Array.from(found.claimed).length <= 64 && value.startsWith(found.claimed);
      }),
    );
  });
});
