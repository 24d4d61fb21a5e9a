/**
 * trace: argument provenance for the call. Which argument values came from content the
 * session registered as untrusted only (and from which sources), and the session's labels
 * (untrusted seen, lowest trust tier, highest classification), and the hash of the
 * session's latest context manifest. Each tainted argument is graded (TaintEvidence):
 * policy sees the paths per grade as `context.taint.injected`, `.instructed` (instructed or
 * injected), `.directive` (directive or worse) and `.unnamed` (anything but `pointed`) beside
 * `context.taint.arguments` (all of them). Policy sees them as `context.taint` and
 * `context.session.*`; the decision records the tainted arguments and the manifest hash.
 *
 * The session's provenance is caught up with its durable log first (content registered by
 * another replica, or before a restart, counts). When the log cannot be read the call is
 * denied (`provenance.unavailable`, fail closed): it is never traced as clean. A session
 * whose log the memory store dropped is traced as degraded (every argument tainted).
 */
import type { TaintEvidence } from '../../core/types.ts';
import { isAirlockError } from '../../core/errors.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

/** `a.b.c` -> `a`, `a.b`, `a.b.c`: a policy testing `a` catches taint anywhere inside it. */
export function withAncestors(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return [...out].sort();
}

export async function trace(call: CallState, env: PipelineEnv): Promise<void> {
  const args = call.arguments;
  if (args === undefined) return;
  const session = call.session ?? null;
  let traced;
  try {
    traced = await env.provenance.trace(session, args);
  } catch (error) {
    const detail = isAirlockError(error) ? error.code : 'fault';
    denyWith(call, 'trace', 'provenance.unavailable', 'builtin.fail_closed', `the session's provenance could not be read (${detail})`);
    return;
  }
  const manifestHash = session === null ? undefined : env.contextManifests.manifestHash(session.id);
  const graded = (...grades: TaintEvidence[]): string[] => withAncestors(traced.taint.filter((t) => grades.includes(t.evidence ?? 'unnamed')).map((t) => t.argument));
  call.trace = {
    taint: traced.taint,
    labels: traced.labels,
    arguments: withAncestors(traced.taint.map((t) => t.argument)),
    injected: graded('injected'),
    instructed: graded('injected', 'instructed'),
    directive: graded('injected', 'instructed', 'directive'),
    unnamed: graded('injected', 'instructed', 'directive', 'unnamed'),
    sources: [...new Set(traced.taint.flatMap((t) => t.sources))].sort(),
    ...(manifestHash === undefined ? {} : { manifestHash }),
  };
}
