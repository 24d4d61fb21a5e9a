/**
 * Property: whatever the sequence of observations and decisions, a record is `approved`
 * exactly when the observed hash is the approved one, and the approved hash is always a
 * hash an operator approved while it was the observed one (observations alone never admit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { definitionHash } from '../definition.ts';
import { OPERATOR, sampleDefinition } from './store.contract.ts';
import { applyDecision, applyObservation } from './transitions.ts';
import type { PinRecord } from './types.ts';

const definitions = ['a', 'b', 'c'].map((d) => sampleDefinition(d));

const step = fc.oneof(
  fc.record({ kind: fc.constant('observe' as const), which: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('decide' as const), which: fc.integer({ min: 0, max: 2 }), approve: fc.boolean() }),
);

test('pins: approved iff serving the approved hash; only operator-approved hashes are ever approved', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      let record: PinRecord | null = null;
      const everApproved = new Set<string>();
      let now = 0;
      for (const s of steps) {
        now++;
        const definition = definitions[s.which] ?? definitions[0]!;
        const hash = definitionHash(definition);
        if (s.kind === 'observe') {
          record = applyObservation(record, { upstream: 'fs', tool: 'read_file', hash, definition, findings: [], now }).record;
        } else {
          try {
            record = applyDecision(record, { upstream: 'fs', tool: 'read_file', hash, verdict: s.approve ? 'approve' : 'reject', by: OPERATOR, justification: 'j', now });
            if (s.approve) everApproved.add(hash);
          } catch (error) {
            assert.ok(record === null || record.hash !== hash, String(error));
            continue;
          }
        }
        if (record === null) continue;
        assert.equal(record.state === 'approved', record.hash === record.approved_hash);
        if (record.approved_hash !== null) {
          assert.ok(everApproved.has(record.approved_hash));
          assert.equal(definitionHash(record.approved_definition!), record.approved_hash);
        }
      }
    }),
    { numRuns: 300 },
  );
});
