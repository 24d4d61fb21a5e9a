/** KillSwitchService: roles, tenant confinement, fleet-wide switches, atomic release, events and revocation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.ts';
import type { Principal } from '../core/types.ts';
import { MemoryKillSwitchStore } from './memory-store.ts';
import type { KillSwitchEvent } from './service.ts';
import { KillSwitchService } from './service.ts';
import type { KillSwitch } from './types.ts';

const person = (user: string, tenant: string, roles: string[], agent?: string): Principal =>
  ({ user, tenant, roles, issuer: 'https://idp.example', delegation: [], ...(agent === undefined ? {} : { agent }) }) as Principal;

const olga = person('olga', 'acme', ['security-admin']);
const gina = person('gina', 'globex', ['security-admin']);
const fred = person('fred', 'ops', ['fleet-admin']);

function setup() {
  const events: KillSwitchEvent[] = [];
  const revoked: KillSwitch[] = [];
  let changes = 0;
  const service = new KillSwitchService({
    store: new MemoryKillSwitchStore(),
    clock: new ManualClock(1_000),
    onEvent: (e) => void events.push(e),
    revoke: async (s) => {
      revoked.push(s);
      return { revoked: s.scope === 'tenant' ? [`tenant:${s.target}`] : [], not_covered: s.scope === 'tenant' ? null : s.scope };
    },
    afterChange: async () => void changes++,
  });
  return { service, events, revoked, changes: () => changes };
}

describe('KillSwitchService', () => {
  it('engages a tool switch confined to the operator tenant, revokes, refreshes and describes it', async () => {
    const { service, events, revoked, changes } = setup();
    const s = await service.engage(olga, { scope: 'tool', target: ' billing.refund ', justification: ' refunds doubled ' });
    assert.equal(s.tenant, 'acme');
    assert.equal(s.target, 'billing.refund');
    assert.equal(s.justification, 'refunds doubled');
    assert.deepEqual(s.engaged_by, { user: 'olga', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] });
    assert.equal(changes(), 1);
    assert.deepEqual(revoked.map((r) => r.id), [s.id]);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'killswitch.engaged');
    assert.deepEqual(events[0]?.revocation, { revoked: [], not_covered: 'tool' });
  });

  it('refuses agents, operators without the role, bad scopes, targets and justifications', async () => {
    const { service, events } = setup();
    const cases: Array<[Principal, unknown, string]> = [
      [person('sam', 'acme', ['security-admin'], 'support-agent'), { scope: 'tool', target: 'x', justification: 'j' }, 'ERR_KILLSWITCH_AGENT_FORBIDDEN'],
      [person('sam', 'acme', ['support']), { scope: 'tool', target: 'x', justification: 'j' }, 'ERR_KILLSWITCH_ROLE_REQUIRED'],
      [olga, { scope: 'planet', target: 'x', justification: 'j' }, 'ERR_KILLSWITCH_SCOPE_INVALID'],
      [olga, { scope: 'tool', target: '  ', justification: 'j' }, 'ERR_KILLSWITCH_TARGET_INVALID'],
      [olga, { scope: 'tool', target: 'a\nb', justification: 'j' }, 'ERR_KILLSWITCH_TARGET_INVALID'],
      [olga, { scope: 'tool', target: 'x\ud800', justification: 'j' }, 'ERR_KILLSWITCH_TARGET_INVALID'],
      [olga, { scope: 'tool', target: 'x', justification: 'j\udfff' }, 'ERR_KILLSWITCH_JUSTIFICATION_INVALID'],
      [olga, { scope: 'tool', target: 'x', justification: '' }, 'ERR_KILLSWITCH_JUSTIFICATION_INVALID'],
      [olga, { scope: 'tool', target: 'x' }, 'ERR_KILLSWITCH_JUSTIFICATION_INVALID'],
      [olga, { scope: 'global', justification: 'j' }, 'ERR_KILLSWITCH_FLEET_ROLE_REQUIRED'],
      [olga, { scope: 'tool', target: 'x', justification: 'j', fleet: true }, 'ERR_KILLSWITCH_FLEET_ROLE_REQUIRED'],
      [olga, { scope: 'tenant', target: 'globex', justification: 'j' }, 'ERR_KILLSWITCH_TENANT_MISMATCH'],
    ];
    for (const [who, input, code] of cases) {
      await assert.rejects(service.engage(who, input as never), { code }, JSON.stringify(input));
    }
    assert.equal(events.length, 0);
    assert.deepEqual(await service.store.list(), []);
  });

  it('lets the fleet role engage global and fleet-wide switches', async () => {
    const { service } = setup();
    const global = await service.engage(fred, { scope: 'global', target: 'ignored', justification: 'breach' });
    assert.equal(global.target, '*');
    assert.equal(global.tenant, null);
    const other = await service.engage(fred, { scope: 'tenant', target: 'globex', justification: 'abuse', fleet: true });
    assert.equal(other.tenant, null);
  });

  it('keeps tenants apart: another tenant switch is not found, fleet-wide ones are visible but only the fleet releases them', async () => {
    const { service } = setup();
    const mine = await service.engage(olga, { scope: 'agent', target: 'support-agent', justification: 'loop' });
    const fleetWide = await service.engage(fred, { scope: 'connector', target: 'api.example', justification: 'upstream breach', fleet: true });
    assert.deepEqual((await service.list(gina)).map((s) => s.id), [fleetWide.id]);
    const ids = async (who: Principal) => (await service.list(who)).map((s) => s.id).sort();
    assert.deepEqual(await ids(olga), [mine.id, fleetWide.id].sort());
    assert.deepEqual(await ids(fred), [mine.id, fleetWide.id].sort());
    await assert.rejects(service.release(gina, mine.id, 'no'), { code: 'ERR_KILLSWITCH_NOT_FOUND' });
    await assert.rejects(service.release(olga, fleetWide.id, 'no'), { code: 'ERR_KILLSWITCH_FLEET_ROLE_REQUIRED' });
    await assert.rejects(service.release(olga, 'ksw_nonsense', 'x'), { code: 'ERR_KILLSWITCH_NOT_FOUND' });
  });

  it('releases exactly once, with a justification, and lists active and released ones', async () => {
    const { service, events } = setup();
    const s = await service.engage(olga, { scope: 'session', target: 'ses_abcdefgh', justification: 'hijacked' });
    await assert.rejects(service.release(olga, s.id, ' '), { code: 'ERR_KILLSWITCH_JUSTIFICATION_INVALID' });
    const results = await Promise.allSettled([service.release(olga, s.id, 'ok'), service.release(olga, s.id, 'ok')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((refused.reason as { code: string }).code, 'ERR_KILLSWITCH_RELEASED');
    assert.deepEqual(await service.list(olga, { active: true }), []);
    assert.deepEqual((await service.list(olga, { active: false })).map((x) => x.id), [s.id]);
    assert.deepEqual(events.map((e) => e.type), ['killswitch.engaged', 'killswitch.released']);
    assert.equal(events[1]?.killSwitch.release_justification, 'ok');
  });
});
