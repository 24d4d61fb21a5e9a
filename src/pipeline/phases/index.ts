/**
 * The enforcement pipeline, in one place. Every door (library, HTTP, MCP, CLI) runs one
 * of these lists; see docs/pipeline.md for what each phase owns.
 */
import type { Phase } from '../compose.ts';
import type { Mode } from '../call.ts';
import { approve } from './approve.ts';
import { authorize } from './authorize.ts';
import { budget } from './budget.ts';
import { credential } from './credential.ts';
import { execute } from './execute.ts';
import { identify } from './identify.ts';
import { idempotencyCheck, idempotencyClaim, idempotencySettle } from './idempotency.ts';
import { inspect } from './inspect.ts';
import { limit } from './limit.ts';
import { recordDecision, recordIntent, recordResult } from './record.ts';
import { resolve } from './resolve.ts';
import { scope } from './scope.ts';
import { screen } from './screen.ts';
import { trace } from './trace.ts';
import { validate } from './validate.ts';

const phase = (name: string, run: Phase['run']): Phase => ({ name, run });

const ADMISSION: Phase[] = [
  phase('identify', identify), // verify token -> principal; bind session
  phase('screen', screen), // kill switches
  phase('resolve', resolve), // tool lookup
  phase('validate', validate), // JSON Schema, normalization, hash
  phase('scope', scope), // target resource, tenant binding, affected count
  phase('trace', trace), // argument provenance, session labels
];

export const PHASES: Record<Mode, readonly Phase[]> = {
  decide: [
    ...ADMISSION,
    phase('limit', limit),
    phase('budget', budget), // session budgets (steps, tool calls, spend) and identical-call loops
    phase('authorize', authorize), // Cedar: action class, parameters
    phase('approve', approve), // hold for a human -> stored request
    phase('credential', credential), // just-in-time credential, returned to the runtime (PDP mode)
    phase('record', recordDecision), // durable decision event
  ],
  execute: [
    ...ADMISSION,
    phase('idempotency', idempotencyCheck), // a key on record: replay, conflict or unknown outcome
    phase('limit', limit),
    phase('budget', budget),
    phase('authorize', authorize),
    phase('approve', approve),
    phase('credential', credential), // just-in-time credential for the connector only
    phase('claim', idempotencyClaim), // claim the idempotency key atomically (shared store)
    phase('record_intent', recordIntent), // durable intent before any side effect
    phase('execute', execute), // connector, deadline, idempotency key
    phase('inspect', inspect), // result schema, read budget, trust label
    phase('settle', idempotencySettle), // what came of the key's call: result, error or unknown
    phase('record_result', recordResult), // durable result event
  ],
  // Dry run: no rate-limit budget spent, nothing stored, nothing executed.
  simulate: [...ADMISSION, phase('authorize', authorize), phase('approve', approve)],
};
