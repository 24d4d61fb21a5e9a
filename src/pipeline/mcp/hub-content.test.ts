import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompleteRequest, Prompt } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamContent } from './hub-content.ts';
import { ResourceSubscriptions, completionTarget, exposedPrompts, indexPrompts, matchesTemplate, resourceOwner } from './hub-content.ts';
import type { UpstreamConnection } from './upstream.ts';

function content(prefix: string, lists: Partial<Omit<UpstreamContent, 'config'>> = {}, namespace: 'prefixed' | 'none' = 'prefixed'): UpstreamContent {
  return { config: { prefix, namespace }, resources: [], templates: [], prompts: [], ...lists };
}

const resource = (uri: string) => ({ uri, name: uri });
const template = (uriTemplate: string) => ({ uriTemplate, name: uriTemplate });
const prompt = (name: string, description = ''): Prompt => ({ name, description });

test('matchesTemplate matches RFC 6570 templates, and is false for a template that does not parse', () => {
  assert.equal(matchesTemplate('file:///{path}', 'file:///notes.txt'), true);
  assert.equal(matchesTemplate('db://{table}/{id}', 'db://users/42'), true);
  assert.equal(matchesTemplate('db://{table}/{id}', 'db://users'), false);
  assert.equal(matchesTemplate('file:///{path}', 'http://example.com/x'), false);
  assert.equal(matchesTemplate('file:///{path', 'file:///x'), false);
});

test('resourceOwner: the upstream that listed the URI, else the one whose template matches, else the only one', () => {
  const fs = content('fs', { resources: [resource('file:///a.txt')], templates: [template('file:///{path}')] });
  const db = content('db', { templates: [template('db://{table}/{id}')] });
  assert.equal(resourceOwner([fs, db], 'file:///a.txt'), 'fs');
  assert.equal(resourceOwner([fs, db], 'db://users/1'), 'db');
  assert.equal(resourceOwner([fs, db], 'mem://x'), null, 'two could serve it: nobody is guessed');
  assert.equal(resourceOwner([db], 'mem://x'), 'db', 'the only upstream with resources');
  assert.equal(resourceOwner([], 'file:///a.txt'), null);
});

test('resourceOwner refuses ambiguity at each step instead of falling through', () => {
  const a = content('a', { resources: [resource('x://1')], templates: [template('x://{id}')] });
  const b = content('b', { resources: [resource('x://1')] });
  const c = content('c', { templates: [template('x://{id}')] });
  assert.equal(resourceOwner([a, b], 'x://1'), null, 'listed twice');
  assert.equal(resourceOwner([a, c], 'x://2'), null, 'matched by two templates');
  assert.equal(resourceOwner([b, c], 'x://1'), 'b', 'a listing wins over a template');
});

test('indexPrompts exposes prompts under their upstream prefix; the first upstream keeps a clashing name', () => {
  const a = content('a', { prompts: [prompt('greet'), prompt('bad name')] });
  const b = content('b', { prompts: [prompt('greet')] });
  const bare = content('c', { prompts: [prompt('a.greet')] }, 'none');
  const index = indexPrompts([a, b, bare]);
  assert.deepEqual(Object.fromEntries(index), {
    'a.greet': { prefix: 'a', name: 'greet' },
    'b.greet': { prefix: 'b', name: 'greet' },
  });
  const upstreams = new Map([['a', a], ['b', b], ['c', bare]]);
  assert.deepEqual(exposedPrompts(index, upstreams, ['b']), [{ name: 'b.greet', description: '' }]);
  assert.deepEqual(exposedPrompts(index, upstreams, ['a', 'b']).map((p) => p.name), ['a.greet', 'b.greet']);
  // A prompt that is gone from its upstream's list is not shown under an old index entry.
  assert.deepEqual(exposedPrompts(index, new Map([['a', content('a')]]), ['a']), []);
});

test('completionTarget renames a prompt reference, and sends a template reference to its upstream even when it serves no resources now', () => {
  const a = content('a', { prompts: [prompt('greet')] });
  const b = content('b', { templates: [template('db://{table}')] });
  const prompts = indexPrompts([a, b]);
  const promptRef = { ref: { type: 'ref/prompt', name: 'a.greet' }, argument: { name: 'who', value: 'x' } } as CompleteRequest['params'];
  const toPrompt = completionTarget(promptRef, prompts, [], [a, b]);
  assert.equal(toPrompt.prefix, 'a');
  assert.deepEqual(toPrompt.forwarded.ref, { type: 'ref/prompt', name: 'greet' });
  assert.equal(completionTarget({ ...promptRef, ref: { type: 'ref/prompt', name: 'nope' } }, prompts, [], [a, b]).prefix, null);

  const templateRef = { ref: { type: 'ref/resource', uri: 'db://{table}' }, argument: { name: 'table', value: 'u' } } as CompleteRequest['params'];
  const toTemplate = completionTarget(templateRef, prompts, [], [a, b]);
  assert.equal(toTemplate.prefix, 'b');
  assert.equal(toTemplate.forwarded, templateRef);
});

function fakeConnection(subscribe: boolean) {
  const calls: string[] = [];
  const conn = {
    capabilities: { resources: { subscribe } },
    subscribe: async (uri: string) => void calls.push(`subscribe ${uri}`),
    unsubscribe: async (uri: string) => {
      calls.push(`unsubscribe ${uri}`);
      throw new Error('upstream gone');
    },
  } as unknown as UpstreamConnection;
  return { conn, calls };
}

test('ResourceSubscriptions: one upstream subscription per URI, dropped after its last listener', async () => {
  const { conn, calls } = fakeConnection(true);
  const subscriptions = new ResourceSubscriptions();
  const heard: string[] = [];
  const first = (uri: string) => heard.push(`first ${uri}`);
  const second = (uri: string) => heard.push(`second ${uri}`);
  await subscriptions.add(conn, 'x://1', first);
  await subscriptions.add(conn, 'x://1', second);
  subscriptions.notify('x://1');
  subscriptions.notify('x://2');
  assert.deepEqual(heard, ['first x://1', 'second x://1']);

  await subscriptions.remove(conn, 'x://1', first);
  assert.deepEqual(calls, ['subscribe x://1']);
  await subscriptions.remove(conn, 'x://1', second); // the upstream's failure is ignored
  assert.deepEqual(calls, ['subscribe x://1', 'unsubscribe x://1']);
  subscriptions.notify('x://1');
  assert.equal(heard.length, 2);
});

test('ResourceSubscriptions: a failed upstream subscription fails every waiting listener, leaves nothing registered, and is asked again next time', async () => {
  const calls: string[] = [];
  let fail = true;
  let release: () => void = () => undefined;
  const conn = {
    capabilities: { resources: { subscribe: true } },
    subscribe: (uri: string) => {
      calls.push(`subscribe ${uri}`);
      return new Promise<void>((resolve, reject) => {
        release = () => (fail ? reject(new Error('upstream refused')) : resolve());
      });
    },
    unsubscribe: async () => undefined,
  } as unknown as UpstreamConnection;
  const subscriptions = new ResourceSubscriptions();
  const heard: string[] = [];
  const first = subscriptions.add(conn, 'x://1', (uri) => heard.push(`first ${uri}`));
  const second = subscriptions.add(conn, 'x://1', (uri) => heard.push(`second ${uri}`));
  release();
  await assert.rejects(first, /upstream refused/);
  await assert.rejects(second, /upstream refused/);
  subscriptions.notify('x://1');
  assert.equal(heard.length, 0, 'no listener stayed registered');

  fail = false;
  const third = subscriptions.add(conn, 'x://1', (uri) => heard.push(`third ${uri}`));
  release();
  await third;
  assert.deepEqual(calls, ['subscribe x://1', 'subscribe x://1'], 'the upstream was asked again');
  subscriptions.notify('x://1');
  assert.deepEqual(heard, ['third x://1']);
});

test('ResourceSubscriptions listens locally when the upstream cannot subscribe', async () => {
  const { conn, calls } = fakeConnection(false);
  const subscriptions = new ResourceSubscriptions();
  const heard: string[] = [];
  const listener = (uri: string) => heard.push(uri);
  await subscriptions.add(conn, 'x://1', listener);
  subscriptions.notify('x://1');
  assert.deepEqual(heard, ['x://1']);
  await subscriptions.remove(conn, 'x://1', listener);
  subscriptions.notify('x://1');
  assert.deepEqual(heard, ['x://1']);
  assert.deepEqual(calls, []);
});
