// The installation's health: readiness and each dependency's check, the search backend and its
// backlog, Redis, version and uptime. Refreshes every 15 seconds.
import { $api } from '../../api/client';
import { PageHeader, QueryState, Section } from '../../components/ui';
import { fmtDuration, fmtInt, fmtTime } from '../../format';

const STATUS: Record<string, string> = { ready: 'Ready', degraded: 'Degraded', unavailable: 'Unavailable' };

export default function HealthView() {
  const health = $api.useQuery('get', '/v1/platform/health', {}, { refetchInterval: 15_000 });
  return (
    <>
      <PageHeader title="System health" description="Whether this Confab and what it depends on are working.">
        <button type="button" className="ghost" disabled={health.isFetching} onClick={() => void health.refetch()}>{health.isFetching ? 'Checking…' : 'Check now'}</button>
      </PageHeader>
      <QueryState query={health} what="the health checks">
        {() => {
          const h = health.data!;
          return (
            <>
              <ul className="kpis" aria-label="Summary">
                <li>
                  <span className={`kpi-value ${h.status === 'ready' ? 'ok' : 'error'}`}>{STATUS[h.status] ?? h.status}</span>
                  <span className="kpi-label">{h.ready ? 'taking traffic' : 'not taking traffic'}</span>
                </li>
                <li><span className="kpi-value">{h.version}</span><span className="kpi-label">version</span></li>
                <li><span className="kpi-value">{fmtDuration(h.uptime_secs)}</span><span className="kpi-label">up since {fmtTime(h.started_at)}</span></li>
                <li><span className="kpi-value">{h.database_backend === 'postgres' ? 'PostgreSQL' : 'SQLite'}</span><span className="kpi-label">database</span></li>
                <li>
                  <span className="kpi-value">{h.search_backend === 'opensearch' ? 'OpenSearch' : 'SQL'}</span>
                  <span className="kpi-label">search{h.search_backlog !== null && h.search_backlog !== undefined ? ` · ${fmtInt(h.search_backlog)} waiting to index` : ''}</span>
                </li>
                <li>
                  <span className={`kpi-value ${h.redis_ok === false ? 'error' : ''}`}>{h.redis_ok === null || h.redis_ok === undefined ? 'Not used' : h.redis_ok ? 'Answering' : 'Not answering'}</span>
                  <span className="kpi-label">Redis</span>
                </li>
              </ul>
              <Section title="Checks" id="checks-heading">
                <table className="data-table">
                  <thead>
                    <tr>
                      <th scope="col">Check</th>
                      <th scope="col">Result</th>
                      <th scope="col">Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {h.checks.map((c) => (
                      <tr key={c.name}>
                        <th scope="row">{c.name}</th>
                        <td><span className={`badge ${c.ok ? 'status-active' : 'status-failure'}`}>{c.ok ? 'ok' : 'failing'}</span></td>
                        <td>{c.detail ?? <span className="muted">—</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Section>
            </>
          );
        }}
      </QueryState>
    </>
  );
}
