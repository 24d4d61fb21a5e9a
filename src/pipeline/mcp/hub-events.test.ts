import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryAuditStore } from '../../audit/index.ts';
import type { AuditEventInput } from '../../core/types.ts';
import type { AuditStore } from '../../audit/index.ts';
import type { HubChange } from './hub-events.ts';
import { ChangeListeners, HubAuditLog, hubEvent } from './hub-events.ts';

function store(fail = false) {
  const appended: AuditEventInput[][] = [];
  const audit = {
    append: async (events: AuditEventInput[]) => {
      if (fail) throw new Error('disk full');
      appended.push(events);
    },
  } as unknown as AuditStore;
  return { audit, appended };
}

test('hubEvent: a standalone event of the gateway itself', () => {
  const event = hubEvent('mcp.upstream.connected', { upstream: 'fs' });
  assert.equal(event.type, 'mcp.upstream.connected');
  assert.deepEqual(event.data, { upstream: 'fs' });
  assert.deepEqual(event.actor, { user: null, tenant: null, roles: [], agent: null });
  assert.equal(event.action_id, null);
});

test('hubEvent: a pin change is found by the definition hash it concerns', async () => {
  const audit = new MemoryAuditStore();
  const hash = `sha256:${'c'.repeat(64)}`;
  const [changed] = await audit.append([
    hubEvent('mcp.tool.changed', { upstream: 'fs', tool: 'read_file', name: 'fs.read_file', hash, previous_hash: 'sha256:old' }),
    hubEvent('mcp.upstream.connected', { upstream: 'fs' }),
  ]);
  assert.deepEqual(changed?.refs, [hash]);
  assert.deepEqual((await audit.findRelated(hash)).map((e) => e.type), ['mcp.tool.changed']);
  assert.equal(hubEvent('mcp.upstream.connected', { upstream: 'fs' }).refs, undefined);
});

test('HubAuditLog holds events until the audit log is attached, then appends them as they come', async () => {
  const faults: string[] = [];
  const log = new HubAuditLog((what) => faults.push(what));
  const { audit, appended } = store();
  log.record([hubEvent('a', {})]);
  log.record([]);
  log.record([hubEvent('b', {}), hubEvent('c', {})]);
  assert.equal(appended.length, 0);
  log.attach(audit);
  log.record([hubEvent('d', {})]);
  log.record([]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(appended.map((batch) => batch.map((e) => e.type)), [['a', 'b', 'c'], ['d']]);
  assert.deepEqual(faults, []);
});

test('HubAuditLog reports an append that fails as a fault, never throws', async () => {
  const faults: string[] = [];
  const log = new HubAuditLog((what) => faults.push(what));
  log.attach(store(true).audit);
  log.record([hubEvent('a', {})]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(faults, ['record mcp events']);
});

test('ChangeListeners: a listener that throws is a fault, the others still hear; removal works', () => {
  const faults: unknown[] = [];
  const listeners = new ChangeListeners((what, error) => faults.push([what, (error as Error).message]));
  const heard: HubChange[] = [];
  listeners.add(() => {
    throw new Error('broken door');
  });
  const remove = listeners.add((change) => heard.push(change));
  listeners.emit({ kind: 'tools' });
  assert.deepEqual(heard, [{ kind: 'tools' }]);
  assert.deepEqual(faults, [['change listener', 'broken door']]);
  remove();
  listeners.emit({ kind: 'prompts' });
  assert.equal(heard.length, 1);
});
