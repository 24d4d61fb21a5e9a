import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.ts';
import { ContextSessions } from './sessions.ts';

test('the latest manifest is the session\'s; one alert per window once the threshold is reached', () => {
  const clock = new ManualClock(0);
  const s = new ContextSessions(clock, { windowSeconds: 60, threshold: 3 });
  assert.equal(s.manifestHash('ses_a'), undefined);
  assert.deepEqual(s.record('ses_a', 'h1', 1), { alert: false, count: 1 });
  assert.deepEqual(s.record('ses_a', 'h2', 1), { alert: false, count: 2 });
  assert.equal(s.manifestHash('ses_a'), 'h2');
  assert.deepEqual(s.record('ses_a', 'h3', 1), { alert: true, count: 3 });
  assert.deepEqual(s.record('ses_a', 'h4', 2), { alert: false, count: 5 }, 'one alert per window');
  assert.deepEqual(s.record('ses_b', 'x', 2), { alert: false, count: 2 }, 'sessions count apart');
  clock.advance(61_000);
  assert.deepEqual(s.record('ses_a', 'h5', 0), { alert: false, count: 0 }, 'a clean assembly never alerts');
  assert.deepEqual(s.record('ses_a', 'h6', 3), { alert: true, count: 3 }, 'a new window can alert again');
});

test('bounded: the least recently used session is forgotten', () => {
  const s = new ContextSessions(new ManualClock(0), { windowSeconds: 60, threshold: 3 }, 2);
  s.record('ses_1', 'a', 0);
  s.record('ses_2', 'b', 0);
  s.record('ses_1', 'c', 0);
  s.record('ses_3', 'd', 0);
  assert.equal(s.manifestHash('ses_2'), undefined);
  assert.equal(s.manifestHash('ses_1'), 'c');
});
