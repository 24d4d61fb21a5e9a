/** KillSwitchMonitor: scope matching, refresh on notice and on poll, fail-closed staleness on a monotonic clock. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryKillSwitchStore } from './memory-store.ts';
import { KillSwitchMonitor, covers } from './monitor.ts';
import type { KillSwitchSubject } from './monitor.ts';
import { sampleKillSwitch, sampleRelease } from './store.contract.ts';
import type { KillSwitchFeed, KillSwitchStore } from './types.ts';

const subject = (extra: Partial<KillSwitchSubject> = {}): KillSwitchSubject => ({
  tenant: 'acme',
  agent: 'support-agent',
  tool: 'crm.get',
  connector: 'crm',
  session: 'ses_1',
  ...extra,
});

class Mono {
  t = 0;
  now = () => this.t;
}

describe('KillSwitchMonitor', () => {
  it('refuses nothing until the first read, then matches every scope within its tenant', async () => {
    const store = new MemoryKillSwitchStore();
    const mono = new Mono();
    const monitor = new KillSwitchMonitor({ store, monotonic: mono.now });
    assert.deepEqual(monitor.check(subject()), { refused: true, code: 'killswitch.state_unknown', confirmedAgoMs: null });
    await monitor.refresh();
    assert.deepEqual(monitor.check(subject()), { refused: false });
    const cases: Array<[Partial<ReturnType<typeof sampleKillSwitch>>, Partial<KillSwitchSubject>, boolean]> = [
      [{ scope: 'tool', target: 'crm.get' }, {}, true],
      [{ scope: 'tool', target: 'crm.get' }, { tenant: 'globex' }, false],
      [{ scope: 'tool', target: 'crm.get', tenant: null }, { tenant: 'globex' }, true],
      [{ scope: 'agent', target: 'support-agent' }, {}, true],
      [{ scope: 'agent', target: 'support-agent' }, { agent: null }, false],
      [{ scope: 'connector', target: 'crm' }, {}, true],
      [{ scope: 'connector', target: 'crm' }, { connector: 'other' }, false],
      [{ scope: 'session', target: 'ses_1' }, {}, true],
      [{ scope: 'session', target: 'ses_1' }, { session: null }, false],
      [{ scope: 'tenant', target: 'acme' }, {}, true],
      [{ scope: 'global', target: '*', tenant: null }, { tenant: 'anyone', agent: null, session: null }, true],
    ];
    for (const [fields, who, refused] of cases) {
      const s = sampleKillSwitch(fields);
      await store.engage(s);
      await monitor.refresh();
      const verdict = monitor.check(subject(who));
      assert.equal(verdict.refused, refused, JSON.stringify([fields, who]));
      if (refused) assert.deepEqual(verdict, { refused: true, code: 'screen.kill_switch', killSwitch: s });
      await store.release(s.id, sampleRelease());
      await monitor.refresh();
      assert.deepEqual(monitor.check(subject(who)), { refused: false });
    }
  });

  it('refuses every call with state_unknown once the store has not answered for longer than the bound', async () => {
    const inner = new MemoryKillSwitchStore();
    let down = false;
    const store: KillSwitchStore = {
      engage: (s) => inner.engage(s),
      release: (id, r) => inner.release(id, r),
      get: (id) => inner.get(id),
      list: () => inner.list(),
      active: () => (down ? Promise.reject(new Error('down')) : inner.active()),
      version: () => (down ? Promise.reject(new Error('down')) : inner.version()),
    };
    const mono = new Mono();
    const faults: string[] = [];
    const monitor = new KillSwitchMonitor({ store, monotonic: mono.now, staleAfterMs: 2000, onFault: (what) => faults.push(what) });
    await monitor.refresh();
    down = true;
    mono.t = 1500;
    await monitor.refresh();
    assert.deepEqual(monitor.check(subject()), { refused: false }, 'within the bound the last snapshot stands');
    mono.t = 2000;
    assert.equal(monitor.check(subject()).refused, false);
    mono.t = 2001;
    assert.deepEqual(monitor.check(subject()), { refused: true, code: 'killswitch.state_unknown', confirmedAgoMs: 2001 });
    assert.ok(faults.length >= 1);
    down = false;
    await monitor.refresh();
    assert.deepEqual(monitor.check(subject()), { refused: false });
  });

  it('abandons a read that hangs, so a hung store also ends in state_unknown', async () => {
    const inner = new MemoryKillSwitchStore();
    let hang = false;
    const store = Object.assign(Object.create(null) as KillSwitchStore, {
      engage: inner.engage.bind(inner),
      release: inner.release.bind(inner),
      get: inner.get.bind(inner),
      list: inner.list.bind(inner),
      active: () => inner.active(),
      version: () => (hang ? new Promise<number>(() => undefined) : inner.version()),
    });
    const mono = new Mono();
    const monitor = new KillSwitchMonitor({ store, monotonic: mono.now, staleAfterMs: 100, refreshTimeoutMs: 20 });
    await monitor.refresh();
    hang = true;
    await monitor.refresh(); // resolves after the read is abandoned
    mono.t = 101;
    assert.equal(monitor.check(subject()).refused, true);
    assert.equal((monitor.check(subject()) as { code: string }).code, 'killswitch.state_unknown');
  });

  it('a notice runs a read; a notice arriving during a read runs one more', async () => {
    const store = new MemoryKillSwitchStore();
    let onChange: ((v: number | null) => void) | undefined;
    const feed: KillSwitchFeed = {
      async subscribe(handlers) {
        onChange = handlers.onChange;
        return { close: async () => undefined };
      },
    };
    const monitor = new KillSwitchMonitor({ store, feed, pollIntervalMs: 60_000 });
    await monitor.start();
    try {
      assert.equal(monitor.status().feed, 'up');
      const s = sampleKillSwitch({ scope: 'tool', target: 'crm.get' });
      const reading = monitor.refresh();
      await store.engage(s);
      onChange?.(1); // arrives while the read above may have missed the engage
      await reading;
      await monitor.refresh();
      assert.equal(monitor.check(subject()).refused, true);
    } finally {
      await monitor.stop();
    }
  });

  it('re-subscribes a feed that went down, and keeps polling meanwhile', async () => {
    const store = new MemoryKillSwitchStore();
    let subscriptions = 0;
    let down: ((e: unknown) => void) | undefined;
    const feed: KillSwitchFeed = {
      async subscribe(handlers) {
        subscriptions++;
        down = handlers.onDown;
        return { close: async () => undefined };
      },
    };
    const mono = new Mono();
    const monitor = new KillSwitchMonitor({ store, feed, pollIntervalMs: 5, monotonic: mono.now });
    await monitor.start();
    try {
      down?.(new Error('connection lost'));
      assert.equal(monitor.status().feed, 'down');
      await store.engage(sampleKillSwitch({ scope: 'tool', target: 'crm.get' }));
      mono.t = 5_000; // past the resubscribe spacing (and the monitor keeps confirming on poll)
      while (monitor.status().feed !== 'up' || !monitor.check(subject()).refused) await new Promise((r) => setTimeout(r, 5));
      assert.equal(subscriptions, 2);
      assert.equal((monitor.check(subject()) as { code: string }).code, 'screen.kill_switch');
    } finally {
      await monitor.stop();
    }
  });
});

describe('covers: connector switches', () => {
  const sw = (target: string) => ({ ...sampleKillSwitch({ scope: 'connector', target }), tenant: null });
  it('a connector switch spelled as the tool config spells the host refuses the call (URL hosts are lowercased)', () => {
    // connectorId() of `https://API.Payments.example/v1` is `api.payments.example`.
    assert.equal(covers(sw('API.Payments.example'), subject({ connector: 'api.payments.example' })), true);
    assert.equal(covers(sw('api.payments.example'), subject({ connector: 'api.payments.example' })), true);
    assert.equal(covers(sw('api.payments.example'), subject({ connector: 'api.other.example' })), false);
    assert.equal(covers(sw('crm'), subject({ connector: null })), false, 'a tool with no connector');
  });

  it('property: a connector switch covers exactly the connector ids equal to its target ignoring case', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('upper', 'lower', 'other'), (target, other, spelling) => {
        const id = spelling === 'upper' ? target.toUpperCase() : spelling === 'lower' ? target.toLowerCase() : other;
        assert.equal(covers(sw(target), subject({ connector: id })), target.toLowerCase() === id.toLowerCase());
      }),
    );
  });
});
