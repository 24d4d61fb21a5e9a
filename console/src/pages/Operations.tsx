/**
 * Operations: the override register (open count, median age, each override's justification and
 * age, revoke), the runtime kill switches (engage, release), and upstream MCP tool definitions
 * waiting for review (a diff against the one last approved, scanner findings, approve / reject,
 * bulk approve). Each section shows what the API answers for this user's roles, and says so when
 * the roles do not reach it.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { Diff } from '../components/Diff.tsx';
import { DoneNote, ErrorNote } from '../components/Notice.tsx';
import { duration, short, when } from '../format.ts';
import type { KillSwitch, McpDefinition, Override } from '../types.ts';

function useLoad<T>(path: string): { data: T | null; error: string | null; reload: () => Promise<void> } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setData(await api.get<T>(path));
      setError(null);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}

function overrideState(o: Override, now: number): 'open' | 'revoked' | 'expired' {
  if (o.revoked_at !== undefined) return 'revoked';
  if (o.expired_at !== undefined || o.expires_at <= now) return 'expired';
  return 'open';
}

function OverrideRow({ override, onChanged }: { override: Override; onChanged: () => Promise<void> }) {
  const [why, setWhy] = useState('');
  const [error, setError] = useState<string | null>(null);
  const now = Date.now();
  const state = overrideState(override, now);
  const scope = override.scope.kind === 'tool' ? `tool ${override.scope.tool}` : `action ${short(override.scope.action_hash)}`;
  const revoke = async () => {
    setError(null);
    try {
      await api.post(`/v1/overrides/${encodeURIComponent(override.id)}/revoke`, { justification: why });
      await onChanged();
    } catch (caught) {
      setError(describeError(caught));
    }
  };
  return (
    <tr data-override-id={override.id}>
      <td data-label="Id">
        <code>{override.id}</code>
      </td>
      <td data-label="Scope">{scope}</td>
      <td data-label="Owner">{override.owner.user}</td>
      <td data-label="Justification">{override.justification}</td>
      <td data-label="Age">{duration((now - override.created_at) / 1000)}</td>
      <td data-label="Uses">{override.uses}</td>
      <td data-label="State">
        <span class={`state ${state}`}>{state}</span>
      </td>
      <td data-label="Revoke">
        {state !== 'open' ? null : (
          <form
            class="inline"
            onSubmit={(event) => {
              event.preventDefault();
              void revoke();
            }}
          >
            <label for={`revoke-${override.id}`} class="visually-hidden">
              Why revoke {override.id}
            </label>
            <input id={`revoke-${override.id}`} placeholder="why revoke" value={why} onInput={(e) => setWhy((e.target as HTMLInputElement).value)} />
            <button type="submit">Revoke</button>
          </form>
        )}
        <ErrorNote message={error} />
      </td>
    </tr>
  );
}

function Overrides() {
  const { data, error, reload } = useLoad<{ open: number; median_age_seconds: number; overrides: Override[] }>('/v1/overrides');
  return (
    <section aria-labelledby="overrides-title" class="card">
      <h2 id="overrides-title">Overrides</h2>
      <ErrorNote message={error} />
      {data === null ? null : (
        <>
          <p>
            <strong>{data.open}</strong> open, median age <strong>{duration(data.median_age_seconds)}</strong>
          </p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Override register">
            <table class="stack">
              <caption class="visually-hidden">Override register</caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Justification</th>
                  <th scope="col">Age</th>
                  <th scope="col">Uses</th>
                  <th scope="col">State</th>
                  <th scope="col">Revoke</th>
                </tr>
              </thead>
              <tbody>
                {data.overrides
                  .slice()
                  .reverse()
                  .map((o) => (
                    <OverrideRow key={o.id} override={o} onChanged={reload} />
                  ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

const SCOPES = ['tenant', 'agent', 'tool', 'connector', 'session', 'global'] as const;

function KillSwitches() {
  const { data, error, reload } = useLoad<{ kill_switches: KillSwitch[] }>('/v1/admin/kill-switches');
  const [scope, setScope] = useState<(typeof SCOPES)[number]>('tool');
  const [target, setTarget] = useState('');
  const [why, setWhy] = useState('');
  const [actionError, setActionError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const engage = async () => {
    setActionError(null);
    setDone(null);
    try {
      const answer = await api.post<{ kill_switch: KillSwitch }>('/v1/admin/kill-switches', { scope, ...(scope === 'global' ? {} : { target }), justification: why });
      setDone(`engaged ${answer.kill_switch.id}`);
      await reload();
    } catch (caught) {
      setActionError(describeError(caught));
    }
  };
  const release = async (id: string) => {
    setActionError(null);
    setDone(null);
    try {
      await api.post(`/v1/admin/kill-switches/${encodeURIComponent(id)}/release`, { justification: why.trim() === '' ? 'released from the console' : why });
      setDone(`released ${id}`);
      await reload();
    } catch (caught) {
      setActionError(describeError(caught));
    }
  };
  return (
    <section aria-labelledby="kill-title" class="card">
      <h2 id="kill-title">Kill switches</h2>
      <ErrorNote message={error} />
      <form
        class="grid"
        onSubmit={(event) => {
          event.preventDefault();
          void engage();
        }}
      >
        <div class="field">
          <label for="kill-scope">Scope</label>
          <select id="kill-scope" value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value as (typeof SCOPES)[number])}>
            {SCOPES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="kill-target">Target</label>
          <input id="kill-target" value={target} disabled={scope === 'global'} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field wide">
          <label for="kill-why">Justification</label>
          <input id="kill-why" value={why} onInput={(e) => setWhy((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="deny">
          Engage
        </button>
      </form>
      <ErrorNote message={actionError} />
      <DoneNote message={done} />
      {data === null ? null : data.kill_switches.length === 0 ? (
        <p>No kill switch is visible to you.</p>
      ) : (
        <ul class="switches">
          {data.kill_switches.map((k) => (
            <li key={k.id}>
              <code>{k.id}</code> {k.scope} <strong>{k.target}</strong> by {k.engaged_by.user} at {when(k.engaged_at)}: “{k.justification}”{' '}
              {k.released_at === undefined ? (
                <button type="button" onClick={() => void release(k.id)}>
                  Release {k.scope} {k.target}
                </button>
              ) : (
                <span class="state released">released</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Definitions() {
  const { data, error, reload } = useLoad<{ definitions: McpDefinition[] }>('/v1/admin/mcp/definitions?state=pending');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [accept, setAccept] = useState<Set<string>>(new Set());
  const [why, setWhy] = useState('');
  const [actionError, setActionError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const toggle = (set: Set<string>, name: string) => {
    const next = new Set(set);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    return next;
  };
  const decide = async (verdict: 'approve' | 'reject', names: string[]) => {
    setActionError(null);
    setDone(null);
    const items = (data?.definitions ?? []).filter((d) => names.includes(d.name)).map((d) => ({ name: d.name, hash: d.hash, ...(accept.has(d.name) ? { accept_findings: true } : {}) }));
    if (items.length === 0) {
      setActionError('select at least one definition');
      return;
    }
    try {
      const answer = await api.post<{ results: Array<{ name: string; ok: boolean; error?: { code: string; message: string } }> }>('/v1/admin/mcp/definitions/decide', { items, verdict, justification: why });
      const failed = answer.results.filter((r) => !r.ok);
      const passed = answer.results.filter((r) => r.ok).map((r) => r.name);
      if (passed.length > 0) setDone(`${verdict === 'approve' ? 'approved' : 'rejected'}: ${passed.join(', ')}`);
      if (failed.length > 0) setActionError(failed.map((r) => `${r.name}: ${r.error?.message ?? 'refused'} (${r.error?.code ?? ''})`).join('; '));
      setSelected(new Set());
      await reload();
    } catch (caught) {
      setActionError(describeError(caught));
    }
  };
  const definitions = data?.definitions ?? [];
  return (
    <section aria-labelledby="mcp-title" class="card">
      <h2 id="mcp-title">MCP tool definitions waiting for review</h2>
      <ErrorNote message={error} />
      {data === null ? null : definitions.length === 0 ? (
        <p>No definition is waiting.</p>
      ) : (
        <>
          <ul class="definitions">
            {definitions.map((d) => (
              <li key={d.name} class="definition" data-definition={d.name}>
                <h3>
                  <code>{d.name}</code> <span class="muted">observed {when(d.observed_at)} · hash {short(d.hash)}</span>
                </h3>
                <Diff before={d.approved_definition} after={d.definition} label={`Definition of ${d.name} against the one last approved`} />
                {d.findings.length === 0 ? (
                  <p class="muted">the poisoning scanner found nothing</p>
                ) : (
                  <div class="findings">
                    <p class="signal">Scanner findings: {d.findings.map((f) => f.rule).join(', ')}</p>
                    <input type="checkbox" id={`accept-${d.name}`} checked={accept.has(d.name)} onChange={() => setAccept(toggle(accept, d.name))} />
                    <label for={`accept-${d.name}`}>I reviewed the findings of {d.name} and accept them</label>
                  </div>
                )}
                <div class="row">
                  <input type="checkbox" id={`select-${d.name}`} checked={selected.has(d.name)} onChange={() => setSelected(toggle(selected, d.name))} />
                  <label for={`select-${d.name}`}>Select {d.name} for a bulk decision</label>
                </div>
                <div class="buttons">
                  <button type="button" class="approve" onClick={() => void decide('approve', [d.name])}>
                    Approve {d.name}
                  </button>
                  <button type="button" class="deny" onClick={() => void decide('reject', [d.name])}>
                    Reject {d.name}
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <div class="field wide">
            <label for="mcp-why">Justification (for every decision here)</label>
            <input id="mcp-why" value={why} onInput={(e) => setWhy((e.target as HTMLInputElement).value)} />
          </div>
          <button type="button" class="approve" onClick={() => void decide('approve', [...selected])}>
            Approve selected ({selected.size})
          </button>
        </>
      )}
      <ErrorNote message={actionError} />
      <DoneNote message={done} />
    </section>
  );
}

export function OperationsPage() {
  return (
    <>
      <h1>Operations</h1>
      <Overrides />
      <KillSwitches />
      <Definitions />
    </>
  );
}
