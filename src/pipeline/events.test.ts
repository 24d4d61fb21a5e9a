import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalHash } from '../core/canonical.ts';
import { intentRecord } from './events.ts';

test('the intent is kept as hash, length and a short preview with credentials redacted', () => {
  const intent = 'use key sk-live-0123456789abcdefghijklmnop and ghp_0123456789abcdefghijklmnopqrstuvwxyz to export all customers ' + 'x'.repeat(400);
  const record = intentRecord(intent) as { hash: string; chars: number; preview: string };
  assert.equal(record.hash, canonicalHash(intent));
  assert.equal(record.chars, intent.length);
  assert.ok(record.preview.length <= 160 + 20);
  assert.ok(!record.preview.includes('sk-live-0123456789'));
  assert.ok(!record.preview.includes('ghp_0123456789'));
  assert.match(record.preview, /^use key \[redacted\] and \[redacted\] to export all customers/);
});

test('a credential across the preview cut, or after Bearer, never shows even in part', () => {
  const key = 'sk-live-0123456789abcdefghijklmnop';
  const record = intentRecord(`${'word '.repeat(30)}${key} then Bearer opaque-abcdef123456 and more`) as { preview: string };
  assert.ok(record.preview.length <= 160);
  assert.ok(!record.preview.includes('sk-live'), record.preview);
  const bearer = intentRecord('call it with Bearer opaque-abcdef123456 please') as { preview: string };
  assert.equal(bearer.preview, 'call it with Bearer [redacted] please');
});
