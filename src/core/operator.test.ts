import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFrom } from './errors.ts';
import { operatorOf } from './operator.ts';

test('operatorOf copies the identity: later changes to the principal do not reach the record', () => {
  const principal = { user: 'fin', tenant: 'acme', roles: ['finance-lead'], delegation: ['bot'], agent: 'bot', issuer: 'iss' };
  const operator = operatorOf(principal);
  principal.roles.push('admin');
  principal.delegation.length = 0;
  assert.deepEqual(operator, { user: 'fin', tenant: 'acme', issuer: 'iss', roles: ['finance-lead'], agent: 'bot', delegation: ['bot'] });
  assert.equal(operatorOf({ ...principal, agent: undefined }).agent, null);
});

test('errorFrom builds the typed error of a code table', () => {
  const table = { ERR_X_GONE: { status: 410, message: 'gone' } } as const;
  const error = errorFrom(table, 'ERR_X_GONE', { id: 'a' });
  assert.deepEqual([error.code, error.status, error.message, error.details], ['ERR_X_GONE', 410, 'gone', { id: 'a' }]);
});
