import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KILL_SWITCH_SCOPES, type KillSwitch, type KillSwitchScope } from '../killswitch/index.ts';
import { revocationLabel, revocationsFor } from './kill-switches.ts';

function killSwitch(scope: KillSwitchScope, target: string, tenant: string | null): KillSwitch {
  return {
    id: 'ksw_1',
    scope,
    target,
    tenant,
    engaged_by: { user: 'olga', tenant: 'acme', issuer: 'test', roles: ['security-admin'] },
    justification: 'incident',
    engaged_at: 1,
  };
}

test('every kill switch scope maps to the revocation of the credentials it covers; a confined switch stays in its tenant', () => {
  const cases: Array<[KillSwitch, unknown[], string[]]> = [
    [killSwitch('global', '*', null), [{ kind: 'global' }], ['global']],
    [killSwitch('tenant', 'acme', 'acme'), [{ kind: 'tenant', tenant: 'acme' }], ['tenant:acme']],
    [killSwitch('agent', 'support-agent', 'acme'), [{ kind: 'agent', tenant: 'acme', agent: 'support-agent' }], ['agent:support-agent']],
    [killSwitch('agent', 'support-agent', null), [{ kind: 'agent', tenant: null, agent: 'support-agent' }], ['agent:support-agent']],
    [killSwitch('tool', 'crm.get', 'acme'), [{ kind: 'tool', tenant: 'acme', tool: 'crm.get' }], ['tool:crm.get']],
    [killSwitch('tool', 'crm.get', null), [{ kind: 'tool', tenant: null, tool: 'crm.get' }], ['tool:crm.get']],
    [killSwitch('connector', 'crm', 'acme'), [{ kind: 'connector', audience: 'crm', tenant: 'acme' }], ['connector:crm']],
    [killSwitch('connector', 'crm', null), [{ kind: 'connector', audience: 'crm' }], ['connector:crm']],
    [
      killSwitch('connector', 'API.Example.com', 'acme'),
      [{ kind: 'connector', audience: 'API.Example.com', tenant: 'acme' }, { kind: 'connector', audience: 'api.example.com', tenant: 'acme' }],
      ['connector:API.Example.com', 'connector:api.example.com'],
    ],
    [killSwitch('session', 'ses_1', 'acme'), [{ kind: 'session', tenant: 'acme', session: 'ses_1' }], ['session:ses_1']],
    [killSwitch('session', 'ses_1', null), [{ kind: 'session', tenant: null, session: 'ses_1' }], ['session:ses_1']],
  ];
  for (const [s, targets, labels] of cases) {
    assert.deepEqual(revocationsFor(s), targets, JSON.stringify(s));
    assert.deepEqual(revocationsFor(s).map(revocationLabel), labels);
  }
  assert.deepEqual(new Set(cases.map(([s]) => s.scope)), new Set(KILL_SWITCH_SCOPES), 'every scope is covered');
});
