/**
 * screen phase and runtime kill switches: a snapshot that went unconfirmed because the poll
 * had no turn (a busy event loop) is confirmed on demand, so the call is not refused for
 * nothing; a store that cannot be read still refuses (killswitch.state_unknown).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KillSwitchMonitor, MemoryKillSwitchStore } from '../../killswitch/index.ts';
import type { CallState } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { screen } from './screen.ts';

const ks = { global: false, tenants: [], tools: [], agents: [], connectors: [] };
const newCall = () =>
  ({
    principal: { user: 'alice', tenant: 'acme', roles: [], issuer: 'https://idp.example', delegation: [] },
    request: { tool: 'crm.get' },
  }) as unknown as CallState;
const envWith = (monitor: KillSwitchMonitor) =>
  ({ killSwitch: ks, tools: new Map(), killSwitches: { check: (s: never) => monitor.check(s), refresh: () => monitor.refresh() } }) as unknown as PipelineEnv;

test('a stale snapshot is confirmed on demand: the call passes when the store answers', async () => {
  let now = 0;
  const monitor = new KillSwitchMonitor({ store: new MemoryKillSwitchStore(), monotonic: () => now, pollIntervalMs: 60_000 });
  await monitor.start();
  now = 10_000; // the poll never ran: unconfirmed for 10 s
  assert.equal(monitor.check({ tenant: 'acme', agent: null, tool: 'crm.get', connector: null, session: null }).refused, true);
  const call = newCall();
  await screen(call, envWith(monitor));
  assert.equal(call.stop, undefined, JSON.stringify(call.stop));
  await monitor.stop();
});

test('a stale snapshot whose store fails stays refused with killswitch.state_unknown', async () => {
  let now = 0;
  const store = new MemoryKillSwitchStore();
  const monitor = new KillSwitchMonitor({ store, monotonic: () => now, pollIntervalMs: 60_000 });
  await monitor.start();
  store.version = async () => {
    throw new Error('store down');
  };
  now = 10_000;
  const call = newCall();
  await screen(call, envWith(monitor));
  assert.equal(call.stop?.code, 'killswitch.state_unknown');
  await monitor.stop();
});

test('a connector kill switch in the config matches the connector id ignoring case (URL hosts are lowercased)', () => {
  const tool = { name: 'crm.get', connector: { type: 'http', url: 'https://API.Example.com/customers/{id}' } };
  const env = { killSwitch: { ...ks, connectors: ['API.Example.COM'] }, tools: new Map([['crm.get', tool]]) } as unknown as PipelineEnv;
  const call = newCall();
  void screen(call, env);
  assert.equal((call as unknown as { stop?: { code: string } }).stop?.code, 'screen.kill_switch');
});
