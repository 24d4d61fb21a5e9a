/** FunctionConnector, createConnector and executeWithTimeout. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AirlockError } from '../../core/errors.ts';
import type { ConnectorCall } from '../../core/types.ts';
import { ToolRegistry } from '../registry.ts';
import { alice, toolDef } from '../test-support.ts';
import { createConnector, executeWithTimeout } from './index.ts';
import type { ToolHandler } from './types.ts';

const tool = new ToolRegistry([toolDef()]).get('crm.getCustomer')!;

function call(args: ConnectorCall['arguments'], signal = new AbortController().signal): ConnectorCall {
  return { tool, arguments: args, principal: alice, actionId: 'act_1', idempotencyKey: 'idem_1', signal };
}

describe('createConnector (function)', () => {
  it('refuses an unknown handler name at construction', () => {
    assert.throws(() => createConnector({ type: 'function', handler: 'nope' }, { handlers: {} }), { code: 'ERR_TOOLS_HANDLER_UNKNOWN' });
    assert.throws(() => createConnector({ type: 'function', handler: 'toString' }, { handlers: {} }), {
      code: 'ERR_TOOLS_HANDLER_UNKNOWN',
    });
    assert.throws(() => createConnector({ type: 'function', handler: 'x' }), { code: 'ERR_TOOLS_HANDLER_UNKNOWN' });
  });

  it('runs the handler with a private copy of the arguments and the call context', async () => {
    let seen: unknown;
    const handlers: Record<string, ToolHandler> = {
      get: async (args, ctx) => {
        seen = { user: ctx.principal.user, actionId: ctx.actionId, key: ctx.idempotencyKey, aborted: ctx.signal.aborted };
        (args.list as string[]).push('mutated');
        return { id: args.customer_id ?? null };
      },
    };
    const connector = createConnector({ type: 'function', handler: 'get' }, { handlers });
    const args = { customer_id: 'c1', list: ['a'] };
    assert.deepEqual(await connector.execute(call(args)), { id: 'c1' });
    assert.deepEqual(seen, { user: 'alice', actionId: 'act_1', key: 'idem_1', aborted: false });
    assert.deepEqual(args.list, ['a']);
  });

  it('wraps handler faults and refuses non-JSON results', async () => {
    const handlers: Record<string, ToolHandler> = {
      boom: async () => {
        throw new Error('connection string postgres://u:secret@db');
      },
      typed: async () => {
        throw new AirlockError('ERR_CRM_NOT_FOUND', 'no such customer', { status: 404 });
      },
      weird: async () => new Date(0) as never,
    };
    const run = (handler: string) => createConnector({ type: 'function', handler }, { handlers }).execute(call({}));
    await assert.rejects(run('boom'), (error: AirlockError) => {
      assert.equal(error.code, 'ERR_CONNECTOR_FAILED');
      assert.ok(!error.message.includes('secret'));
      return true;
    });
    await assert.rejects(run('typed'), { code: 'ERR_CRM_NOT_FOUND' });
    await assert.rejects(run('weird'), { code: 'ERR_CONNECTOR_RESPONSE' });
  });
});

describe('executeWithTimeout', () => {
  it('returns the result of a call that finishes in time', async () => {
    const connector = createConnector({ type: 'function', handler: 'fast' }, { handlers: { fast: async () => 'done' } });
    assert.equal(await executeWithTimeout(connector, call({}), 10_000), 'done');
  });

  it('aborts the signal and rejects with ERR_CONNECTOR_TIMEOUT, even if the handler ignores it', async () => {
    let observed: AbortSignal | undefined;
    const never: ToolHandler = (_args, ctx) => {
      observed = ctx.signal;
      return new Promise(() => undefined);
    };
    const connector = createConnector({ type: 'function', handler: 'never' }, { handlers: { never } });
    await assert.rejects(executeWithTimeout(connector, call({}), 20), { code: 'ERR_CONNECTOR_TIMEOUT', status: 504 });
    assert.equal(observed?.aborted, true);
  });

  it('passes an abort of the caller through', async () => {
    const outer = new AbortController();
    const hang: ToolHandler = () => new Promise(() => undefined);
    const connector = createConnector({ type: 'function', handler: 'hang' }, { handlers: { hang } });
    const pending = executeWithTimeout(connector, call({}, outer.signal), 60_000);
    outer.abort(new AirlockError('ERR_PIPELINE_CANCELLED', 'session cancelled'));
    await assert.rejects(pending, { code: 'ERR_PIPELINE_CANCELLED' });
    const already = new AbortController();
    already.abort();
    await assert.rejects(executeWithTimeout(connector, call({}, already.signal), 60_000), { code: 'ERR_CONNECTOR_ABORTED' });
  });
});
