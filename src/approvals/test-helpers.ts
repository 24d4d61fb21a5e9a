/** Test fixtures for the approval workflow: principals, a service over a store, a recorded event log. */
import { ManualClock } from '../core/clock.ts';
import type { Principal } from '../core/types.ts';
import type { ApprovalRequest, ApprovalStore } from './types.ts';
import type { ApprovalEvent } from './events.ts';
import { ApprovalService } from './service.ts';
import { sampleApprovalRequest } from './store.contract.ts';

export const TEST_KEY = new Uint8Array(32).fill(7);
export const START = Date.UTC(2026, 0, 1);
export const TTL_MS = 15 * 60 * 1000;

export function principal(overrides: Partial<Principal> = {}): Principal {
  return { user: 'sam', tenant: 'acme', roles: [], delegation: [], issuer: 'https://idp.example', ...overrides };
}

/** The agent acting for sam (the principal that asked for the action). */
export const requester = principal({ agent: 'support-bot', delegation: ['support-bot'] });
export const reviewer = principal({ user: 'fin', roles: ['finance-lead'] });

export function pendingRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return sampleApprovalRequest({ created_at: START, expires_at: START + TTL_MS, ...overrides });
}

export function makeService(store: ApprovalStore, clock = new ManualClock(START)) {
  const events: ApprovalEvent[] = [];
  const service = new ApprovalService({ store, clock, signingKey: TEST_KEY, onEvent: (e) => void events.push(e) });
  return { service, events, clock, store };
}
