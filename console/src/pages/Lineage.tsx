/**
 * Lineage for auditors: search the audit events the API lets this user see, open the tree of
 * one id (request, action, approval, credential jti, …) with each event's decision, approvals,
 * credential (jti, scope, expiry only), result code and context manifest hash, and verify the
 * hash chain of the log.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { DoneNote, ErrorNote } from '../components/Notice.tsx';
import { short, when } from '../format.ts';
import { navigate } from '../router.ts';
import type { AuditEvent, Lineage, LineageAction } from '../types.ts';

const FILTERS = ['tool', 'user', 'agent', 'type', 'outcome', 'rule'] as const;

function EventLine({ event }: { event: AuditEvent }) {
  const d = event.decision;
  const data = (event.data ?? {}) as { approval_id?: string; justification?: string };
  return (
    <li class="event">
      <span class="type">{event.type}</span> <span class="muted">#{event.seq} · {event.ts.replace('T', ' ').slice(0, 19)}</span>
      <span class="who">
        {' '}
        by {event.actor.user ?? 'gateway'}
        {event.actor.agent === null ? '' : ` via ${event.actor.agent}`}
      </span>
      <ul class="details">
        {d?.outcome === undefined ? null : (
          <li>
            decision <strong>{d.outcome}</strong> <code>{d.code}</code>
            {(d.reasons ?? []).length === 0 ? null : <> — {(d.reasons ?? []).map((r) => r.policy_id).join(', ')}</>}
            {d.policy_version === undefined ? null : <span class="muted"> · policy {short(d.policy_version)}</span>}
          </li>
        )}
        {d?.credential ? (
          <li>
            credential jti <code>{d.credential.jti}</code> scope <code>{d.credential.scope}</code> expires {when(d.credential.expires_at * 1000)}
          </li>
        ) : null}
        {event.result_code === undefined || event.result_code === null ? null : (
          <li>
            result <code>{event.result_code}</code>
          </li>
        )}
        {data.approval_id === undefined ? null : (
          <li>
            approval <code>{data.approval_id}</code>
            {data.justification === undefined ? '' : `: “${data.justification}”`}
          </li>
        )}
        {event.context_manifest_hash ? (
          <li>
            context manifest <code>{short(event.context_manifest_hash)}</code>
          </li>
        ) : null}
      </ul>
    </li>
  );
}

function ActionNode({ action }: { action: LineageAction }) {
  return (
    <li class="action">
      <p>
        action <code>{action.action_id}</code> {action.tool === null ? null : <>· tool <code>{action.tool}</code></>}
      </p>
      <ul class="events">
        {action.events.map((e) => (
          <EventLine key={e.seq} event={e} />
        ))}
      </ul>
      {action.children.length === 0 ? null : (
        <ul class="children">
          {action.children.map((child) => (
            <ActionNode key={child.action_id} action={child} />
          ))}
        </ul>
      )}
    </li>
  );
}

function Tree({ id }: { id: string }) {
  const [lineage, setLineage] = useState<Lineage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setLineage(null);
    setError(null);
    api.get<Lineage>(`/v1/audit/lineage/${encodeURIComponent(id)}`).then(setLineage, (caught: unknown) => setError(describeError(caught)));
  }, [id]);
  if (error !== null) return <ErrorNote message={error} />;
  if (lineage === null) return <p aria-live="polite">Loading…</p>;
  return (
    <section aria-labelledby="tree-title" class="tree">
      <h2 id="tree-title">
        Lineage of <code>{id}</code> <span class="muted">({lineage.tree.event_count} events)</span>
      </h2>
      {lineage.tree.requests.map((request) => (
        <div key={request.request_id} class="card">
          <h3>
            request <code>{request.request_id}</code>
            {request.session_id === null ? null : <span class="muted"> · session {request.session_id}</span>}
          </h3>
          {request.events.length === 0 ? null : (
            <ul class="events">
              {request.events.map((e) => (
                <EventLine key={e.seq} event={e} />
              ))}
            </ul>
          )}
          <ul class="actions">
            {request.actions.map((action) => (
              <ActionNode key={action.action_id} action={action} />
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

export function LineagePage({ id }: { id: string | null }) {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [lookup, setLookup] = useState(id ?? '');
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verify, setVerify] = useState<string | null>(null);

  const search = async () => {
    setError(null);
    const params = new URLSearchParams({ order: 'newest', limit: '50' });
    for (const [key, value] of Object.entries(filters)) if (value.trim() !== '') params.set(key, value.trim());
    try {
      setEvents((await api.get<{ events: AuditEvent[] }>(`/v1/audit/events?${params.toString()}`)).events);
    } catch (caught) {
      setError(describeError(caught));
    }
  };

  useEffect(() => {
    void search();
    // The first search shows the newest events; later ones run from the form.
  }, []);

  const verifyChain = async () => {
    setVerify(null);
    setError(null);
    try {
      const report = await api.post<{ ok: boolean; checked: number; head: { seq: number; hash: string } | null; firstBad?: { seq: number; reason: string; message: string } }>('/v1/audit/verify');
      if (report.ok) setVerify(`chain verified: ${report.checked} events, head #${report.head?.seq ?? 0} ${short(report.head?.hash)}`);
      else setError(`chain broken at event ${report.firstBad?.seq ?? '?'}: ${report.firstBad?.message ?? 'unknown fault'} (${report.checked} verified before it)`);
    } catch (caught) {
      setError(describeError(caught));
    }
  };

  return (
    <>
      <h1>Lineage</h1>
      <form
        class="lookup"
        onSubmit={(event) => {
          event.preventDefault();
          if (lookup.trim() !== '') navigate(`/lineage/${encodeURIComponent(lookup.trim())}`);
        }}
      >
        <label for="lineage-id">Open the lineage of an id (request, action, approval, credential jti, session…)</label>
        <div class="row">
          <input id="lineage-id" value={lookup} onInput={(e) => setLookup((e.target as HTMLInputElement).value)} autoComplete="off" />
          <button type="submit">Open</button>
          <button type="button" onClick={() => void verifyChain()}>
            Verify chain
          </button>
        </div>
      </form>
      <DoneNote message={verify} />
      <ErrorNote message={error} />
      {id === null ? null : <Tree id={id} />}
      <form
        class="search"
        aria-labelledby="search-title"
        onSubmit={(event) => {
          event.preventDefault();
          void search();
        }}
      >
        <h2 id="search-title">Search events</h2>
        <div class="grid">
          {FILTERS.map((name) => (
            <div key={name} class="field">
              <label for={`filter-${name}`}>{name}</label>
              <input id={`filter-${name}`} value={filters[name] ?? ''} onInput={(e) => setFilters({ ...filters, [name]: (e.target as HTMLInputElement).value })} autoComplete="off" />
            </div>
          ))}
        </div>
        <button type="submit">Search</button>
      </form>
      {events === null ? null : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Search results">
          <table class="events-table stack">
            <caption class="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Time</th>
                <th scope="col">Type</th>
                <th scope="col">Who</th>
                <th scope="col">Tool</th>
                <th scope="col">Outcome</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.seq}>
                  <td data-label="Seq">{e.seq}</td>
                  <td data-label="Time">{e.ts.replace('T', ' ').slice(0, 19)}</td>
                  <td data-label="Type">{e.type}</td>
                  <td data-label="Who">
                    {e.actor.user ?? 'gateway'}
                    {e.actor.agent === null ? '' : ` via ${e.actor.agent}`}
                  </td>
                  <td data-label="Tool">{e.tool ?? ''}</td>
                  <td data-label="Outcome">{e.decision?.outcome ?? e.result_code ?? ''}</td>
                  <td data-label="Request">
                    <a href={`#/lineage/${encodeURIComponent(e.request_id)}`}>{e.request_id}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {events.length === 0 ? <p>No events match.</p> : null}
        </div>
      )}
    </>
  );
}
