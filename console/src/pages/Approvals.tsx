/**
 * The approvals queue: requests of the reviewer's tenant (as the API returns them), each with
 * the exact action (tool, normalized arguments, target, affected count, dry-run summary), the
 * policy reasons, every tainted argument with its sources and the text around its value,
 * injection signals, the requester (user and agent), and the time left. Approve or deny with a
 * justification; a refusal (own request, wrong role, no longer pending) is shown as the API
 * explains it.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { Countdown } from '../components/Countdown.tsx';
import { DoneNote, ErrorNote } from '../components/Notice.tsx';
import { Snippet } from '../components/Snippet.tsx';
import { pretty, short, when } from '../format.ts';
import type { Approval, Me, TaintedArgument } from '../types.ts';

const STATES = ['pending', 'approved', 'denied', 'expired', 'consumed'] as const;

const EVIDENCE_TEXT: Record<NonNullable<TaintedArgument['evidence']>, string> = {
  injected: 'injection signal: the value sits in untrusted text that addresses the model',
  directive: 'the value sits in an untrusted sentence that asks for an action',
  unnamed: 'the value came from untrusted content the user never pointed to',
  pointed: 'the value came from content the user pointed to',
};

/** The value of a dotted argument path (`to`, `recipients.0`), as text, when it is a scalar. */
function valueAt(args: unknown, path: string): string | null {
  let current: unknown = args;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return null;
    current = (current as Record<string, unknown>)[part];
  }
  return typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean' ? String(current) : null;
}

function Taint({ taint, args }: { taint: TaintedArgument; args: unknown }) {
  const value = valueAt(args, taint.argument);
  const evidence = taint.evidence ?? 'unnamed';
  return (
    <li class={`taint ${evidence}`}>
      <p>
        <strong>
          <code>{taint.argument}</code>
        </strong>
        {value === null ? null : (
          <>
            {' = '}
            <code class="value">{value}</code>
          </>
        )}{' '}
        came from untrusted content:{' '}
        <span class="sources">
          {taint.sources.map((source, index) => (
            <>
              {index === 0 ? '' : ', '}
              <code key={source}>{source}</code>
            </>
          ))}
        </span>
      </p>
      <p class={evidence === 'injected' || evidence === 'directive' ? 'signal' : 'evidence'}>{EVIDENCE_TEXT[evidence]}</p>
      {(taint.snippets ?? []).length === 0 ? (
        <p class="muted">no snippet could be read for this source</p>
      ) : (
        <ul class="snippets">
          {(taint.snippets ?? []).map((snippet, index) => (
            <li key={index}>
              <span class="source">
                source <code>{snippet.source}</code>:
              </span>{' '}
              <Snippet text={snippet.text} value={value} />
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function ApprovalCard({ approval, me, onDecided }: { approval: Approval; me: Me; onDecided: (updated: Approval) => void }) {
  const [justification, setJustification] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [acknowledged, setAcknowledged] = useState(false);
  const headingId = `apr-${approval.id}`;
  const args = approval.action?.arguments;
  const target = approval.action?.target ?? null;
  const tainted = approval.evidence?.tainted_arguments ?? [];
  const signals = tainted.filter((t) => t.evidence === 'injected' || t.evidence === 'directive').length;
  const scope = approval.evidence?.target_scope;

  const decide = async (verdict: 'approve' | 'deny') => {
    setError(null);
    setDone(null);
    if (justification.trim() === '') {
      setError('give a justification: it is recorded in the audit log with your decision');
      return;
    }
    if (verdict === 'approve' && signals > 0 && !acknowledged) {
      setError('an argument of this call sits in untrusted text that reads like an instruction: confirm you checked where it came from before approving');
      return;
    }
    setBusy(true);
    try {
      const answer = await api.post<{ approval: Approval }>(`/v1/approvals/${encodeURIComponent(approval.id)}/${verdict}`, { justification });
      setDone(verdict === 'approve' ? 'approved: the requester may now run exactly this action once' : 'denied: the action will not run');
      onDecided(answer.approval);
    } catch (caught) {
      setError(`refused: ${describeError(caught)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article class="card approval" aria-labelledby={headingId} data-approval-id={approval.id}>
      <header>
        <h2 id={headingId}>
          <code>{approval.tool}</code> <span class="muted">version {short(approval.tool_version)}</span>
        </h2>
        <span class={`state ${approval.state}`}>{approval.state}</span>
        {signals > 0 ? <span class="badge signal-badge">injection signal</span> : tainted.length > 0 ? <span class="badge taint-badge">tainted argument</span> : null}
        {approval.state === 'pending' ? <Countdown until={approval.expires_at} /> : null}
      </header>
      <p class="summary">
        <span class="label">Dry run:</span> {approval.summary}
      </p>
      <dl class="facts">
        <dt>Requested by</dt>
        <dd>
          user <strong>{approval.requester.user}</strong>
          {approval.requester.agent === null ? ' (directly, no agent)' : <> through agent <strong>{approval.requester.agent}</strong></>}
        </dd>
        <dt>Target</dt>
        <dd>{target === null || target.id === null ? 'no single target resource' : `${target.type} ${target.id}`}</dd>
        <dt>Affected</dt>
        <dd>{approval.affected_count} resource{approval.affected_count === 1 ? '' : 's'}</dd>
        <dt>Needs role</dt>
        <dd>
          <code>{approval.required_role}</code>
        </dd>
        <dt>Requested</dt>
        <dd>{when(approval.created_at)}</dd>
        <dt>Policy version</dt>
        <dd>
          <code>{short(approval.policy_version)}</code>
        </dd>
        <dt>Action hash</dt>
        <dd>
          <code>{short(approval.action_hash)}</code>
        </dd>
        {approval.evidence?.context_manifest_hash ? (
          <>
            <dt>Context manifest</dt>
            <dd>
              <code>{short(approval.evidence.context_manifest_hash)}</code>
            </dd>
          </>
        ) : null}
      </dl>
      <section aria-label="Arguments">
        <h3>Arguments (normalized)</h3>
        {args === undefined ? <p class="muted">the arguments are shown only to the requester and to reviewers holding the required role</p> : <pre tabIndex={0} class="args">{pretty(args)}</pre>}
      </section>
      <section aria-label="Policy reasons">
        <h3>Why it is held</h3>
        <ul class="reasons">
          {approval.reasons.map((reason) => (
            <li key={reason.policy_id}>
              <code>{reason.policy_id}</code>: {reason.reason} <span class="muted">({reason.code})</span>
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Tainted arguments">
        <h3>Where the arguments came from</h3>
        {tainted.length === 0 ? (
          <p class="muted">no argument came from untrusted content</p>
        ) : (
          <ul class="taints">
            {tainted.map((taint) => (
              <Taint key={taint.argument} taint={taint} args={args} />
            ))}
          </ul>
        )}
      </section>
      {scope === undefined ? null : (
        <section aria-label="Target scope">
          <h3>Outside the task's declared targets</h3>
          {scope.outside.length === 0 ? (
            <p class="muted">every argument is inside the declared targets</p>
          ) : (
            <ul class="outside">
              {scope.outside.map((path) => (
                <li key={path}>
                  <code>{path}</code>
                </li>
              ))}
            </ul>
          )}
          <p class="scope-summary">
            the session declared {scope.declared} target{scope.declared === 1 ? '' : 's'} ({scope.kinds.join(', ')})
          </p>
          {scope.targets === undefined ? (
            <p class="muted">the declared targets are shown only to the requester and to reviewers holding the required role</p>
          ) : (
            <ul class="targets">
              {scope.targets.map((t) => (
                <li key={`${t.kind}:${t.value}`}>
                  {t.kind} <code>{t.value}</code>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {approval.state === 'pending' ? (
        <form
          class="decide"
          onSubmit={(event) => {
            event.preventDefault();
          }}
        >
          {me.roles.includes(approval.required_role) ? null : (
            <p class="hint">
              You do not hold the role <code>{approval.required_role}</code> this request needs: the gateway will refuse your decision.
            </p>
          )}
          {approval.requester.user === me.user && (approval.requester.issuer === undefined || approval.requester.issuer === me.issuer) ? (
            <p class="hint">This is your own request: someone else has to decide it.</p>
          ) : null}
          {signals === 0 ? null : (
            <div class="row acknowledge">
              <input type="checkbox" id={`${headingId}-ack`} checked={acknowledged} onChange={() => setAcknowledged(!acknowledged)} />
              <label for={`${headingId}-ack`}>I checked where the flagged arguments came from</label>
            </div>
          )}
          <label for={`${headingId}-why`}>Justification (recorded with your decision)</label>
          <textarea id={`${headingId}-why`} rows={2} maxLength={2000} value={justification} onInput={(e) => setJustification((e.target as HTMLTextAreaElement).value)} />
          <div class="buttons">
            <button type="button" class="approve" disabled={busy} onClick={() => void decide('approve')}>
              Approve
            </button>
            <button type="button" class="deny" disabled={busy} onClick={() => void decide('deny')}>
              Deny
            </button>
          </div>
        </form>
      ) : (
        <p class="muted">
          {approval.decided_by === undefined ? '' : `decided by ${approval.decided_by.user}`}
          {approval.justification === undefined ? '' : `: “${approval.justification}”`}
        </p>
      )}
      <ErrorNote message={error} />
      <DoneNote message={done} />
    </article>
  );
}

export function ApprovalsPage({ me }: { me: Me }) {
  const [state, setState] = useState<(typeof STATES)[number]>('pending');
  const [approvals, setApprovals] = useState<Approval[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const answer = await api.get<{ approvals: Approval[] }>(`/v1/approvals?state=${state}`);
      // Oldest first, as the API lists them: the request closest to expiry leads the queue.
      setApprovals(answer.approvals);
    } catch (caught) {
      setError(describeError(caught));
      setApprovals([]);
    }
  }, [state]);

  useEffect(() => {
    void load();
    // New requests arrive while the page is open: look again every 20 s while the tab is shown.
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, 20_000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <>
      <h1>Approvals</h1>
      <div class="toolbar">
        <label for="approval-state">Show</label>
        <select id="approval-state" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value as (typeof STATES)[number])}>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <ErrorNote message={error} />
      {approvals === null ? (
        <p aria-live="polite">Loading…</p>
      ) : approvals.length === 0 ? (
        <p>No {state} requests for your tenant.</p>
      ) : (
        <div class="cards">
          {approvals.map((approval) => (
            <ApprovalCard key={approval.id} approval={approval} me={me} onDecided={(updated) => setApprovals((list) => (list ?? []).map((a) => (a.id === updated.id ? updated : a)))} />
          ))}
        </div>
      )}
    </>
  );
}
