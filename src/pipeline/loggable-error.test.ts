import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AirlockError } from '../core/errors.ts';
import { loggableError } from './loggable-error.ts';

test('a logged error carries no credential-looking word in its message, stack, details or causes; the rest stays', () => {
  const key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
  const driver = Object.assign(new Error(`connect failed: server said "invalid key ${key}"`), { code: 'ECONNREFUSED' });
  const failure = new AirlockError('ERR_STORE_UNAVAILABLE', `store down (Bearer ${key})`, { status: 503, details: { answer: `key ${key} refused` }, cause: driver });
  const logged = loggableError(failure) as AirlockError;
  const text = JSON.stringify({ message: logged.message, stack: logged.stack, details: logged.details, cause: String((logged.cause as Error).message), causeStack: (logged.cause as Error).stack });
  assert.ok(!text.includes(key), text);
  assert.equal(logged.code, 'ERR_STORE_UNAVAILABLE');
  assert.equal(logged.message, 'store down (Bearer [redacted]', 'the word after Bearer is redacted whole');
  assert.equal((logged.cause as { code?: string }).code, 'ECONNREFUSED');
  assert.ok(failure.message.includes(key), 'the original error is left as it was');
});
