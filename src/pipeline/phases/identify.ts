/**
 * identify: verify the bearer token (the only source of authority), bind the session,
 * and note identity claims in the request body that disagree with the token. A bad
 * token throws (401) and nothing else runs; body claims never change the principal.
 * The session must be the caller's (issuer, tenant, user and acting agent); with
 * `sessions.required`, an agent's call without one is refused (no session, no
 * information flow to decide on).
 */
import { isWellFormedId } from '../../core/ids.ts';
import { isSessionOwner } from '../../sessions/index.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

export async function identify(call: CallState, env: PipelineEnv): Promise<void> {
  const principal = await env.verifyToken(call.request.token);
  call.principal = principal;
  call.identityMismatches = env.findIdentityMismatches(principal, call.request.raw_body ?? {
    arguments: call.request.arguments,
    intent: call.request.intent,
  });

  const sessionId = call.request.session_id;
  if (sessionId === undefined) {
    if (env.sessionsRequired && principal.agent !== undefined) {
      denyWith(call, 'identify', 'session.required', 'builtin.session_required', 'an agent call must name its session (sessions.required)');
    }
    return;
  }
  const session = isWellFormedId(sessionId, 'ses') ? await env.sessions.get(sessionId) : null;
  if (session === null || !isSessionOwner(session, principal)) {
    // Another principal's session is indistinguishable from a missing one.
    denyWith(call, 'identify', 'session.unknown', 'builtin.session', 'the session is unknown to this principal');
    return;
  }
  call.session = session;
}
