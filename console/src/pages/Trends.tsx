/** Trends for leads: blocked high-risk attempts and overrides per week (charts), top rules, approval time, lineage completeness. */
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { BarChart } from '../components/BarChart.tsx';
import { ErrorNote } from '../components/Notice.tsx';
import { duration } from '../format.ts';
import type { Trends } from '../types.ts';

export function TrendsPage() {
  const [weeks, setWeeks] = useState(8);
  const [trends, setTrends] = useState<Trends | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    api.get<Trends>(`/v1/audit/trends?weeks=${weeks}`).then(setTrends, (caught: unknown) => setError(describeError(caught)));
  }, [weeks]);
  return (
    <>
      <h1>Trends</h1>
      <div class="toolbar">
        <label for="trend-weeks">Weeks</label>
        <select id="trend-weeks" value={String(weeks)} onChange={(e) => setWeeks(Number((e.target as HTMLSelectElement).value))}>
          {[4, 8, 12, 26].map((w) => (
            <option key={w} value={String(w)}>
              {w}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote message={error} />
      {trends === null ? null : (
        <>
          <dl class="kpis">
            <div>
              <dt>Open overrides</dt>
              <dd>
                {trends.overrides.open_now} <span class="muted">median age {duration(trends.overrides.median_open_age_seconds)}</span>
              </dd>
            </div>
            <div>
              <dt>Median approval time</dt>
              <dd>
                {trends.approvals.median_decision_seconds === null ? '—' : duration(trends.approvals.median_decision_seconds)}{' '}
                <span class="muted">{trends.approvals.decided} decided, {trends.approvals.pending_now} pending</span>
              </dd>
            </div>
            <div>
              <dt>Calls with complete lineage</dt>
              <dd>
                {trends.lineage.share === null ? '—' : `${Math.round(trends.lineage.share * 1000) / 10}%`}{' '}
                <span class="muted">
                  {trends.lineage.complete} of {trends.lineage.calls}
                </span>
              </dd>
            </div>
          </dl>
          <div class="charts">
            <BarChart title="Blocked high-risk attempts per week" series={trends.blocked_high_risk} unit="blocked" />
            <BarChart title="Overrides opened per week" series={trends.overrides.opened} unit="overrides" />
          </div>
          <section aria-labelledby="rules-title" class="card">
            <h2 id="rules-title">Top rule triggers</h2>
            {trends.top_rules.length === 0 ? (
              <p>No rule refused or held a call in this period.</p>
            ) : (
              <ol class="rules">
                {trends.top_rules.map((r) => (
                  <li key={r.rule}>
                    <code>{r.rule}</code> <meter min={0} max={trends.top_rules[0]?.count ?? 1} value={r.count} aria-label={`${r.rule}: ${r.count}`} /> {r.count}
                  </li>
                ))}
              </ol>
            )}
          </section>
        </>
      )}
    </>
  );
}
