/**
 * trace: argument provenance for the call. Which argument values came from content the
 * session registered as untrusted only (and from which sources), and the session's labels
 * (untrusted seen, lowest trust tier, highest classification), and the hash of the
 * session's latest context manifest. Each tainted argument is graded (TaintEvidence):
 * policy sees the paths per grade as `context.taint.injected`, `.directive` (directive or
 * injected) and `.unnamed` (anything the user's request did not point to) beside
 * `context.taint.arguments` (all of them). Policy sees them as `context.taint` and
 * `context.session.*`; the decision records the tainted arguments and the manifest hash.
 */
import type { TaintEvidence } from '../../core/types.ts';
import type { CallState } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

/** `a.b.c` -> `a`, `a.b`, `a.b.c`: a policy testing `a` catches taint anywhere inside it. */
function withAncestors(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return [...out].sort();
}

export function trace(call: CallState, env: PipelineEnv): void {
  const args = call.arguments;
  if (args === undefined) return;
  const session = call.session ?? null;
  if (session !== null) env.provenance.seed(session);
  const traced = env.provenance.tracker.trace(session?.id ?? null, args);
  const manifestHash = session === null ? undefined : env.contextManifests.manifestHash(session.id);
  const graded = (...grades: TaintEvidence[]): string[] => withAncestors(traced.taint.filter((t) => grades.includes(t.evidence ?? 'unnamed')).map((t) => t.argument));
  call.trace = {
    taint: traced.taint,
    labels: traced.labels,
    arguments: withAncestors(traced.taint.map((t) => t.argument)),
    injected: graded('injected'),
    directive: graded('injected', 'directive'),
    unnamed: graded('injected', 'directive', 'unnamed'),
    sources: [...new Set(traced.taint.flatMap((t) => t.sources))].sort(),
    ...(manifestHash === undefined ? {} : { manifestHash }),
  };
}
